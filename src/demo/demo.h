/*
 * demo.h — `lucia demo`: a realistic villa dataset relative to today (SPEC
 * §9), written through the store so every record has its audit events and
 * every state its transition with evidence or a note.
 *
 * Called by main.c only. It never deletes anything: on a database that
 * already has properties it refuses unless forced, and forced it adds a
 * second copy of the dataset beside what is there.
 */
#ifndef LU_DEMO_H
#define LU_DEMO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/ids.h"
#include "core/rc.h"
#include "core/zone.h"
#include "db/db.h"

/* Properties in the dataset: a villa in Italy and a beach house in the
 * operator's own zone. */
#define DEMO_PROPERTIES 2

struct demo_summary {
    int properties;
    int guests;
    int bookings;
    int items;
    int transitions;
    int payment_events; /* Stripe events stored through the webhook's write */
    char property_ids[DEMO_PROPERTIES][ID_BYTES_MAX];
    const char *property_names[DEMO_PROPERTIES];  /* static strings */
    const char *zones[DEMO_PROPERTIES];           /* static, or operator_zone */
    char today[DEMO_PROPERTIES][ZONE_DATE_BYTES]; /* "today" in each zone */
};

/*
 * Writes the dataset into db (borrowed) in one write transaction, dated
 * around now_s: "today" is judged in each property's zone. operator_zone
 * (borrowed, an IANA name) is the beach house's zone and must outlive the
 * summary. Returns LU_OK with *out filled; LU_CONFLICT when the database
 * already has a property and force is false (nothing written); any other
 * code when a write failed (nothing written), with a sentence in err.
 */
enum lu_rc demo_load(struct db *db, const char *operator_zone, bool force, int64_t now_s,
                     struct demo_summary *out, char *err, size_t err_cap);

/* Prints a few lines to f: the counts, then each property's name, id, zone
 * and "today" there. */
void demo_summary_print(FILE *f, const struct demo_summary *s);

#endif
