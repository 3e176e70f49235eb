/*
 * facts.c — the operator's day as focus reads it (see focus_internal.h):
 * the visible properties, each with its own "today" in its own zone; the
 * open items due by the end of tomorrow there (and every concierge request
 * still waiting); the stays arriving or leaving around today; and the
 * payment risks of SPEC §6 from the Stripe ledger.
 *
 * Called by focus.c inside one read transaction, so every list agrees with
 * the others. "Today" is judged per property in that property's zone (the
 * SPEC lets a property override OPERATOR_TIME_ZONE), so a villa in Rome and
 * a house in Malibu each have their own evening. It reads; it never ranks
 * or words anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/log.h"
#include "focus/focus_internal.h"

#define DAY_S 86400

/* The zone named name, opened once per answer. NULL when it cannot be read
 * and the operator's zone cannot either. */
static struct zone *zone_get(struct focus_facts *f, const char *name)
{
    for (size_t i = 0; i < f->nzones; i++) {
        if (strcmp(f->zone_names[i], name) == 0) {
            return f->zones[i];
        }
    }
    if (f->nzones == FOCUS_ZONES_MAX || strlen(name) >= sizeof f->zone_names[0]) {
        return name == f->operator_zone ? NULL : zone_get(f, f->operator_zone);
    }
    struct zone *z = NULL;
    if (zone_open(name, &z) != LU_OK) {
        /* The name was valid when stored: tzdata is missing or damaged. */
        log_msg(LOG_ERROR, NULL, "focus: cannot read time zone %s; using the operator's", name);
        return name == f->operator_zone ? NULL : zone_get(f, f->operator_zone);
    }
    snprintf(f->zone_names[f->nzones], sizeof f->zone_names[0], "%s", name);
    f->zones[f->nzones++] = z;
    return z;
}

const struct zone *focus_facts_zone(struct focus_facts *f, const char *name)
{
    return zone_get(f, name ? name : f->operator_zone);
}

/* Settles one property's day. False when no zone can be read at all. */
static bool place_settle(struct focus_facts *f, const json_t *property, struct focus_place *p)
{
    p->id = json_string_value(json_object_get(property, "id"));
    p->name = json_string_value(json_object_get(property, "name"));
    p->zone_name = json_string_value(json_object_get(property, "time_zone"));
    if (p->zone_name == NULL) {
        p->zone_name = f->operator_zone;
    }
    p->zone = zone_get(f, p->zone_name);
    if (p->zone == NULL) {
        return false;
    }
    zone_date_of(p->zone, f->now_s, p->today);
    int64_t start = 0, end = 0, next_end = 0, ignored = 0;
    bool ok = zone_date_add(p->today, -1, p->yesterday) &&
              zone_date_add(p->today, 1, p->tomorrow) &&
              zone_day_bounds(p->zone, p->today, &start, &end) &&
              zone_day_bounds(p->zone, p->tomorrow, &ignored, &next_end);
    LU_ASSERT(ok); /* today in a zone is always a real date before 9999 */
    p->day_start_s = start;
    p->day_end_s = end;
    p->tomorrow_end_s = next_end;
    return true;
}

static int place_cmp(const void *a, const void *b)
{
    return strcmp(((const struct focus_place *)a)->id, ((const struct focus_place *)b)->id);
}

const struct focus_place *focus_place_of(const struct focus_facts *f, const char *property_id)
{
    if (property_id == NULL || f->nplaces == 0) {
        return NULL;
    }
    struct focus_place key = {.id = property_id};
    /* places are in id order (bytewise on both databases) */
    return bsearch(&key, f->places, f->nplaces, sizeof *f->places, place_cmp);
}

static enum lu_rc places_settle(struct focus_facts *f)
{
    size_t n = json_array_size(f->properties);
    f->places = calloc(n ? n : 1, sizeof *f->places);
    if (f->places == NULL) {
        return LU_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (!place_settle(f, json_array_get(f->properties, i), &f->places[f->nplaces])) {
            return LU_IO;
        }
        f->nplaces++;
    }
    /* The store orders by id already; sorting again costs nothing and
     * makes bsearch independent of that. */
    qsort(f->places, f->nplaces, sizeof *f->places, place_cmp);
    return LU_OK;
}

enum lu_rc focus_risks_read(struct db_conn *conn, const struct scope *scope,
                            const char *property_id, json_t **out, bool *known, bool *truncated)
{
    *known = true;
    *truncated = false;
    return store_payment_risks(conn, scope, property_id, clock_now_s(), out, truncated);
}

/*
 * Adds to each risk what ranking and wording need from its booking:
 * property_id, check_in, balance_due_on and the booking's status, read in
 * batches. A risk whose booking is not visible is dropped (the ledger's
 * scope is the same, so this only happens when a booking vanished between
 * the two reads).
 */
static enum lu_rc risks_complete(struct db_conn *conn, const struct scope *scope,
                                 struct focus_facts *f)
{
    size_t n = json_array_size(f->risks);
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    json_t *kept = json_array();
    json_t *bookings = NULL;
    enum lu_rc rc = ids && kept ? LU_OK : LU_NOMEM;
    size_t nids = 0;
    for (size_t i = 0; rc == LU_OK && i < n; i++) {
        const char *id =
            json_string_value(json_object_get(json_array_get(f->risks, i), "booking_id"));
        if (id != NULL) {
            ids[nids++] = id;
        }
    }
    if (rc == LU_OK) {
        rc = store_focus_lookup(conn, scope, true, ids, nids, &bookings);
    }
    for (size_t i = 0; rc == LU_OK && i < n; i++) {
        json_t *risk = json_array_get(f->risks, i);
        const char *id = json_string_value(json_object_get(risk, "booking_id"));
        const json_t *booking = id ? json_object_get(bookings, id) : NULL;
        if (booking == NULL) {
            continue;
        }
        static const char *const copied[] = {"property_id", "check_in", "balance_due_on"};
        for (size_t k = 0; k < 3; k++) {
            json_object_set(risk, copied[k], json_object_get(booking, copied[k]));
        }
        json_object_set(risk, "booking_status", json_object_get(booking, "status"));
        if (json_array_append(kept, risk) != 0) {
            rc = LU_NOMEM;
        }
    }
    free(ids);
    json_decref(bookings);
    if (rc != LU_OK) {
        json_decref(kept);
        return rc;
    }
    json_decref(f->risks);
    f->risks = kept;
    return LU_OK;
}

unsigned focus_facts_needed(enum focus_route route)
{
    switch (route) {
    case FOCUS_OFF_TOPIC:
        return 0;
    case FOCUS_CONCIERGE_READINESS:
    case FOCUS_MAINTENANCE_FOCUS:
        return FOCUS_FACTS_ITEMS;
    case FOCUS_PAYMENT_RISK:
        return FOCUS_FACTS_RISKS;
    default:
        return FOCUS_FACTS_ALL;
    }
}

enum lu_rc focus_facts_load(struct db_conn *conn, const struct scope *scope,
                            const char *property_id, const char *operator_zone, int64_t now_s,
                            unsigned needs, struct focus_facts *out)
{
    LU_ASSERT(conn != NULL && scope != NULL && operator_zone != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    out->now_s = now_s;
    out->operator_zone = operator_zone;
    enum lu_rc rc = store_focus_properties(conn, scope, property_id, &out->properties);
    if (rc == LU_OK && property_id != NULL && json_array_size(out->properties) == 0) {
        rc = LU_NOT_FOUND;
    }
    if (rc == LU_OK) {
        rc = places_settle(out);
    }
    /* The horizon: the end of tomorrow in the zone furthest behind, and
     * the stays from yesterday's date to tomorrow's across every zone. */
    int64_t horizon = now_s + 2 * DAY_S;
    char from[ZONE_DATE_BYTES] = "9999-12-31", to[ZONE_DATE_BYTES] = "0000-01-01";
    for (size_t i = 0; rc == LU_OK && i < out->nplaces; i++) {
        const struct focus_place *p = &out->places[i];
        horizon = p->tomorrow_end_s > horizon ? p->tomorrow_end_s : horizon;
        if (strcmp(p->yesterday, from) < 0) {
            memcpy(from, p->yesterday, sizeof from);
        }
        if (strcmp(p->tomorrow, to) > 0) {
            memcpy(to, p->tomorrow, sizeof to);
        }
    }
    bool cut = false;
    if (rc == LU_OK && (needs & FOCUS_FACTS_ITEMS)) {
        char due_before[RFC3339_BYTES];
        clock_format_utc(horizon, due_before);
        rc = store_focus_items(conn, scope, property_id, due_before, &out->items, &cut);
        out->truncated |= cut;
    }
    if (rc == LU_OK && out->nplaces > 0 && (needs & FOCUS_FACTS_STAYS)) {
        rc = store_focus_stays(conn, scope, property_id, from, to, &out->stays, &cut);
        out->truncated |= cut;
    }
    if (rc == LU_OK && (needs & FOCUS_FACTS_RISKS)) {
        rc = focus_risks_read(conn, scope, property_id, &out->risks, &out->risks_known, &cut);
        out->truncated |= cut;
        if (rc == LU_OK) {
            rc = risks_complete(conn, scope, out);
        }
    }
    /* What was not asked for reads as empty, never as absent. */
    json_t **lists[] = {&out->items, &out->stays, &out->risks};
    for (size_t i = 0; rc == LU_OK && i < 3; i++) {
        if (*lists[i] == NULL && (*lists[i] = json_array()) == NULL) {
            rc = LU_NOMEM;
        }
    }
    if (rc != LU_OK) {
        focus_facts_free(out);
    }
    return rc;
}

void focus_facts_free(struct focus_facts *f)
{
    if (f == NULL) {
        return;
    }
    json_decref(f->properties);
    json_decref(f->items);
    json_decref(f->stays);
    json_decref(f->risks);
    free(f->places);
    for (size_t i = 0; i < f->nzones; i++) {
        zone_close(f->zones[i]);
    }
    memset(f, 0, sizeof *f);
}
