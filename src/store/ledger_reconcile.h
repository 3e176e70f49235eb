/*
 * ledger_reconcile.h — `lucia ledger reconcile` (SPEC §6): rebuild every
 * Stripe record from the stored events alone and compare it with the
 * stored record.
 *
 * The rebuild folds every event's snapshots with the webhook's own
 * functions (ledger/ledger.h) in memory, in event-id order (the fold does
 * not depend on order), then resolves booking links over the whole set.
 * Then each stored record is compared field by field with its rebuilt
 * twin. What a difference means:
 *   "<id>: <field>: stored X vs rebuilt Y"  the record was edited, or a
 *                                         fold was lost or half-applied;
 *   "<id>: stored, but no event builds it" a record without its evidence;
 *   "<id>: missing; the events build it"   an event whose record was lost;
 *   "event <id>: the stored payload does not parse";
 *   "booking <id>: payment summary <field> X vs Y"  a row of
 *                                         booking_payment_summaries (0010)
 *                                         that drifted from the booking
 *                                         or from the rebuilt records;
 *   "booking <id>: no payment summary row…" a booking, or a booking the
 *                                         events name, without its row.
 * Records naming no known booking are reported as a note, not a
 * difference: they are kept on purpose. Everything is read in one read
 * transaction (a server writing meanwhile does not disturb the snapshot),
 * in batches; nothing is written.
 */
#ifndef LU_LEDGER_RECONCILE_H
#define LU_LEDGER_RECONCILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/rc.h"
#include "db/db.h"

/* Rows read per query. */
#define LEDGER_RECONCILE_BATCH_ROWS 500
/* Records rebuilt in memory (about 2.5 KiB each): 200,000 is decades of a
 * boutique property's payments in half a gigabyte. Past it the walk stops
 * with LU_TOO_LARGE rather than exhaust the machine. */
#define LEDGER_RECONCILE_RECORDS_MAX 200000
/* Differences printed; all are counted. */
#define LEDGER_RECONCILE_SHOWN_MAX 100

struct ledger_reconcile_report {
    bool ok;             /* no difference */
    int64_t events;      /* stored events read */
    int64_t records;     /* stored records compared */
    int64_t rebuilt;     /* records the events build */
    int64_t differences; /* all of them, shown or not */
    int64_t unlinked;    /* records naming no known booking */
    char message[256];   /* on failure: what could not be read */
};

/* Walks db, writing one line per difference (and the unlinked note) to
 * out. LU_OK when the walk completed, whatever it found (see report->ok);
 * otherwise the database code, LU_TOO_LARGE or LU_NOMEM, with
 * report->message saying what failed. report is always written. */
enum lu_rc ledger_reconcile(struct db *db, FILE *out, struct ledger_reconcile_report *report);

#endif
