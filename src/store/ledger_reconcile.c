/*
 * ledger_reconcile.c — the rebuild-and-compare walk behind `lucia ledger
 * reconcile` (see ledger_reconcile.h). Called from main.c only; it reads,
 * never writes, and folds with exactly the functions the webhook uses.
 */
#include "store/ledger_reconcile.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "store/payments_internal.h"

/* The records rebuilt so far, with an open-addressing index by id. */
struct rebuilt {
    struct ledger_record *recs;
    bool *seen; /* matched by a stored record */
    size_t n;
    size_t cap;
    size_t *slots; /* index + 1; 0 = empty */
    size_t nslots; /* a power of two, at least twice cap */
};

static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    }
    return h;
}

static size_t *slot_of(const struct rebuilt *b, const char *id)
{
    size_t mask = b->nslots - 1;
    for (size_t i = hash_id(id) & mask;; i = (i + 1) & mask) {
        if (b->slots[i] == 0 || strcmp(b->recs[b->slots[i] - 1].id, id) == 0) {
            return &b->slots[i];
        }
    }
}

static enum lu_rc rebuilt_grow(struct rebuilt *b)
{
    if (b->cap == LEDGER_RECONCILE_RECORDS_MAX) {
        return LU_TOO_LARGE;
    }
    size_t cap = b->cap ? b->cap * 2 : 256;
    cap = cap > LEDGER_RECONCILE_RECORDS_MAX ? LEDGER_RECONCILE_RECORDS_MAX : cap;
    struct ledger_record *recs = realloc(b->recs, cap * sizeof *recs);
    if (recs == NULL) {
        return LU_NOMEM;
    }
    b->recs = recs;
    size_t nslots = 1;
    while (nslots < cap * 2) {
        nslots *= 2;
    }
    size_t *slots = calloc(nslots, sizeof *slots);
    if (slots == NULL) {
        return LU_NOMEM;
    }
    free(b->slots);
    b->slots = slots;
    b->nslots = nslots;
    b->cap = cap;
    for (size_t i = 0; i < b->n; i++) {
        *slot_of(b, b->recs[i].id) = i + 1;
    }
    return LU_OK;
}

static enum lu_rc rebuilt_merge(struct rebuilt *b, const struct ledger_record *snap)
{
    if (b->n == b->cap) {
        enum lu_rc rc = rebuilt_grow(b);
        if (rc != LU_OK) {
            return rc;
        }
    }
    size_t *slot = slot_of(b, snap->id);
    if (*slot != 0) {
        ledger_record_merge(&b->recs[*slot - 1], false, snap);
        return LU_OK;
    }
    ledger_record_merge(&b->recs[b->n], true, snap);
    *slot = ++b->n;
    return LU_OK;
}

static void diff_line(FILE *out, struct ledger_reconcile_report *report, const char *fmt,
                      const char *id, const char *what)
{
    if (report->differences++ < LEDGER_RECONCILE_SHOWN_MAX) {
        fprintf(out, fmt, id, what);
        fputc('\n', out);
    }
}

/* Folds one stored event; a payload that does not parse is a difference. */
static enum lu_rc fold_event(struct rebuilt *b, const char *id, const char *payload,
                             struct ledger_record *snaps, FILE *out,
                             struct ledger_reconcile_report *report)
{
    struct ledger_event ev;
    const char *why = NULL;
    if (ledger_event_parse(payload, payload ? strlen(payload) : 0, &ev, &why) != LU_OK) {
        diff_line(out, report, "event %s: the stored payload does not parse (%s)", id, why);
        return LU_OK;
    }
    size_t n = ledger_event_snapshots(&ev, snaps, LEDGER_SNAPSHOTS_MAX);
    enum lu_rc rc = LU_OK;
    for (size_t i = 0; rc == LU_OK && i < n; i++) {
        rc = rebuilt_merge(b, &snaps[i]);
    }
    ledger_event_free(&ev);
    return rc;
}

static enum lu_rc fold_events(struct db_conn *conn, struct rebuilt *b, FILE *out,
                              struct ledger_reconcile_report *report)
{
    struct ledger_record *snaps = calloc(LEDGER_SNAPSHOTS_MAX, sizeof *snaps);
    if (snaps == NULL) {
        return LU_NOMEM;
    }
    char after[LEDGER_ID_BYTES] = "";
    enum lu_rc rc = LU_OK;
    for (;;) {
        struct db_param p[] = {P_TEXT(after), P_INT(LEDGER_RECONCILE_BATCH_ROWS)};
        struct db_rows *rows = NULL;
        rc = db_exec(conn,
                     "SELECT id, payload FROM stripe_financial_events WHERE id > ? ORDER BY id "
                     "LIMIT ?",
                     p, 2, &rows, NULL);
        size_t nrows = rc == LU_OK ? rows->nrows : 0;
        for (size_t r = 0; rc == LU_OK && r < nrows; r++) {
            report->events++;
            rc = fold_event(b, db_rows_text(rows, r, 0), db_rows_text(rows, r, 1), snaps, out,
                            report);
            snprintf(after, sizeof after, "%s", db_rows_text(rows, r, 0));
        }
        db_rows_free(rows);
        if (rc != LU_OK || nrows < LEDGER_RECONCILE_BATCH_ROWS) {
            break;
        }
    }
    free(snaps);
    return rc;
}

/* Compares every stored record with its rebuilt twin. */
static enum lu_rc compare_records(struct db_conn *conn, struct rebuilt *b, FILE *out,
                                  struct ledger_reconcile_report *report)
{
    char after[LEDGER_ID_BYTES] = "";
    enum lu_rc rc = LU_OK;
    for (;;) {
        struct db_param p[] = {P_TEXT(after), P_INT(LEDGER_RECONCILE_BATCH_ROWS)};
        struct db_rows *rows = NULL;
        rc = db_exec(conn,
                     "SELECT " PAYMENT_RECORD_COLUMNS " FROM stripe_financial_records "
                     "WHERE id > ? ORDER BY id LIMIT ?",
                     p, 2, &rows, NULL);
        size_t nrows = rc == LU_OK ? rows->nrows : 0;
        for (size_t r = 0; r < nrows; r++) {
            struct ledger_record stored;
            payment_row_read(rows, r, &stored, NULL);
            report->records++;
            snprintf(after, sizeof after, "%s", stored.id);
            size_t *slot = b->n ? slot_of(b, stored.id) : NULL;
            if (slot == NULL || *slot == 0) {
                diff_line(out, report, "%s: stored, but no event builds it%s", stored.id, "");
                continue;
            }
            b->seen[*slot - 1] = true;
            char why[256];
            if (!ledger_record_same(&stored, &b->recs[*slot - 1], why, sizeof why)) {
                diff_line(out, report, "%s: %s (stored vs rebuilt)", stored.id, why);
            }
        }
        db_rows_free(rows);
        if (rc != LU_OK || nrows < LEDGER_RECONCILE_BATCH_ROWS) {
            return rc;
        }
    }
}

/* --- payment summaries (migration 0010) --------------------------------- */

/* A rebuilt record's booking, for grouping by booking. */
struct by_booking {
    const char *booking_id;
    size_t index;
};

static int by_booking_cmp(const void *pa, const void *pb)
{
    const struct by_booking *a = pa, *b = pb;
    int c = strcmp(a->booking_id, b->booking_id);
    return c != 0 ? c : (a->index > b->index) - (a->index < b->index);
}

/* The run of order (sorted) whose booking is id: [*first, *first + *n). */
static void run_of(const struct by_booking *order, size_t n, const char *id, size_t *first,
                   size_t *count)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(order[mid].booking_id, id) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    size_t end = lo;
    while (end < n && strcmp(order[end].booking_id, id) == 0) {
        end++;
    }
    *first = lo;
    *count = end - lo;
}

static bool text_same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* One stored summary row against the booking and the rebuilt records. */
static void summary_check(const struct db_rows *rows, size_t r, const struct rebuilt *b,
                          const struct by_booking *order, size_t norder, bool *run_seen,
                          struct ledger_record *scratch, FILE *out,
                          struct ledger_reconcile_report *report)
{
    const char *id = db_rows_text(rows, r, 0);
    char why[256];
    if (db_rows_text(rows, r, (size_t)db_rows_col(rows, "known_id")) != NULL) {
        static const char *const sides[][2] = {{"status", "b_status"},
                                               {"check_in", "b_check_in"},
                                               {"deadline", NULL},
                                               {"total_cents", "b_total_cents"},
                                               {"currency", "b_currency"}};
        for (size_t k = 0; k < sizeof sides / sizeof sides[0]; k++) {
            const char *stored = db_rows_text(rows, r, (size_t)db_rows_col(rows, sides[k][0]));
            const char *booking =
                sides[k][1] != NULL
                    ? db_rows_text(rows, r, (size_t)db_rows_col(rows, sides[k][1]))
                    : payment_summary_deadline(
                          db_rows_text(rows, r, (size_t)db_rows_col(rows, "b_due")),
                          db_rows_text(rows, r, (size_t)db_rows_col(rows, "b_check_in")));
            if (!text_same(stored, booking)) {
                snprintf(why, sizeof why, "payment summary %s %.64s vs the booking's %.64s",
                         sides[k][0], stored ? stored : "null", booking ? booking : "null");
                diff_line(out, report, "booking %s: %s", id, why);
                break;
            }
        }
    }
    size_t first = 0, n = 0;
    run_of(order, norder, id, &first, &n);
    for (size_t i = 0; i < n; i++) {
        run_seen[first + i] = true;
    }
    if (n > LEDGER_BOOKING_RECORDS_MAX) {
        diff_line(out, report, "booking %s: %s", id,
                  "more records than one booking's payment truth is computed from");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        scratch[i] = b->recs[order[first + i].index];
    }
    struct payment_summary stored, rebuilt;
    payment_summary_row_read(rows, r, &stored);
    payment_summary_expect(db_rows_text(rows, r, (size_t)db_rows_col(rows, "money_currency")),
                           scratch, n, &rebuilt);
    if (!payment_summary_same(&stored, &rebuilt, why, sizeof why)) {
        diff_line(out, report, "booking %s: payment summary %s (stored vs rebuilt)", id, why);
    }
}

static enum lu_rc summaries_walk(struct db_conn *conn, const struct rebuilt *b,
                                 const struct by_booking *order, size_t norder, bool *run_seen,
                                 struct ledger_record *scratch, FILE *out,
                                 struct ledger_reconcile_report *report)
{
    char after[LEDGER_ID_BYTES] = "";
    for (;;) {
        struct db_param p[] = {P_TEXT(after), P_INT(LEDGER_RECONCILE_BATCH_ROWS)};
        struct db_rows *rows = NULL;
        enum lu_rc rc = db_exec(
            conn,
            "SELECT s.booking_id, s.status, s.check_in, s.deadline, s.total_cents, s.currency, "
            "s.money_currency, s.records, s.received_cents, s.refunded_cents, s.paid_cents, "
            "s.disputes_open, s.refunds_pending, s.attempt_failed, b.id AS known_id, "
            "b.status AS b_status, b.check_in AS b_check_in, b.balance_due_on AS b_due, "
            "b.total_cents AS b_total_cents, b.currency AS b_currency "
            "FROM booking_payment_summaries s LEFT JOIN bookings b ON b.id = s.booking_id "
            "WHERE s.booking_id > ? ORDER BY s.booking_id LIMIT ?",
            p, 2, &rows, NULL);
        size_t nrows = rc == LU_OK ? rows->nrows : 0;
        for (size_t r = 0; r < nrows; r++) {
            summary_check(rows, r, b, order, norder, run_seen, scratch, out, report);
            snprintf(after, sizeof after, "%s", db_rows_text(rows, r, 0));
        }
        db_rows_free(rows);
        if (rc != LU_OK || nrows < LEDGER_RECONCILE_BATCH_ROWS) {
            return rc;
        }
    }
}

/* Bookings without a summary row: the triggers of 0010 make one each. */
static enum lu_rc summaries_missing(struct db_conn *conn, FILE *out,
                                    struct ledger_reconcile_report *report)
{
    struct db_param p[] = {P_INT(LEDGER_RECONCILE_SHOWN_MAX + 1)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT b.id FROM bookings b WHERE NOT EXISTS (SELECT 1 FROM "
                            "booking_payment_summaries s WHERE s.booking_id = b.id) "
                            "ORDER BY b.id LIMIT ?",
                            p, 1, &rows, NULL);
    for (size_t r = 0; rc == LU_OK && r < rows->nrows; r++) {
        diff_line(out, report, "booking %s: %s", db_rows_text(rows, r, 0),
                  "no payment summary row");
    }
    db_rows_free(rows);
    return rc;
}

/* Every summary row against its booking and the rebuilt records; every
 * booking and every booking the rebuilt records name has a row. */
static enum lu_rc compare_summaries(struct db_conn *conn, const struct rebuilt *b, FILE *out,
                                    struct ledger_reconcile_report *report)
{
    size_t norder = 0;
    struct by_booking *order = calloc(b->n ? b->n : 1, sizeof *order);
    bool *run_seen = calloc(b->n ? b->n : 1, sizeof *run_seen);
    struct ledger_record *scratch = calloc(LEDGER_BOOKING_RECORDS_MAX, sizeof *scratch);
    enum lu_rc rc = order && run_seen && scratch ? LU_OK : LU_NOMEM;
    for (size_t i = 0; rc == LU_OK && i < b->n; i++) {
        if (b->recs[i].booking_id[0] != '\0') {
            order[norder++] = (struct by_booking){b->recs[i].booking_id, i};
        }
    }
    if (rc == LU_OK) {
        qsort(order, norder, sizeof *order, by_booking_cmp);
        rc = summaries_walk(conn, b, order, norder, run_seen, scratch, out, report);
    }
    for (size_t i = 0; rc == LU_OK && i < norder; i++) {
        if (!run_seen[i] && (i == 0 || strcmp(order[i].booking_id, order[i - 1].booking_id))) {
            diff_line(out, report, "booking %s: %s", order[i].booking_id,
                      "no payment summary row, and the events give it records");
        }
    }
    if (rc == LU_OK) {
        rc = summaries_missing(conn, out, report);
    }
    free(order);
    free(run_seen);
    free(scratch);
    return rc;
}

static enum lu_rc count_unlinked(struct db_conn *conn, FILE *out,
                                 struct ledger_reconcile_report *report)
{
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT COUNT(*) FROM stripe_financial_records r WHERE NOT EXISTS "
                            "(SELECT 1 FROM bookings b WHERE b.id = r.booking_id)",
                            NULL, 0, &rows, NULL);
    if (rc == LU_OK && rows->nrows > 0) {
        report->unlinked = db_rows_int(rows, 0, 0);
    }
    db_rows_free(rows);
    if (rc == LU_OK && report->unlinked > 0) {
        fprintf(out,
                "note: %" PRId64 " record%s name no booking Lucia knows (kept; see GET "
                "/api/payments/unlinked)\n",
                report->unlinked, report->unlinked == 1 ? "" : "s");
    }
    return rc;
}

static enum lu_rc walk(struct db_conn *conn, struct rebuilt *b, FILE *out,
                       struct ledger_reconcile_report *report)
{
    enum lu_rc rc = fold_events(conn, b, out, report);
    if (rc == LU_TOO_LARGE) {
        snprintf(report->message, sizeof report->message,
                 "the events build more than %d records: too many to rebuild in memory",
                 LEDGER_RECONCILE_RECORDS_MAX);
    } else if (rc != LU_OK) {
        snprintf(report->message, sizeof report->message, "cannot read the stored events (%s)",
                 lu_rc_name(rc));
    }
    if (rc != LU_OK) {
        return rc;
    }
    report->rebuilt = (int64_t)b->n;
    b->seen = calloc(b->n ? b->n : 1, sizeof *b->seen);
    rc = b->seen ? ledger_bookings_resolve(b->recs, b->n, NULL) : LU_NOMEM;
    if (rc == LU_OK) {
        rc = compare_records(conn, b, out, report);
    }
    for (size_t i = 0; rc == LU_OK && i < b->n; i++) {
        if (!b->seen[i]) {
            diff_line(out, report, "%s: missing; the events build it%s", b->recs[i].id, "");
        }
    }
    if (rc == LU_OK) {
        rc = compare_summaries(conn, b, out, report);
    }
    if (rc == LU_OK) {
        rc = count_unlinked(conn, out, report);
    }
    if (rc != LU_OK && report->message[0] == '\0') {
        snprintf(report->message, sizeof report->message, "cannot read the stored records (%s)",
                 lu_rc_name(rc));
    }
    return rc;
}

enum lu_rc ledger_reconcile(struct db *db, FILE *out, struct ledger_reconcile_report *report)
{
    LU_ASSERT(db != NULL && out != NULL && report != NULL);
    memset(report, 0, sizeof *report);
    struct db_conn *conn = db_acquire(db);
    if (conn == NULL) {
        snprintf(report->message, sizeof report->message, "the database cannot be reached");
        return LU_UNAVAILABLE;
    }
    struct rebuilt b = {0};
    enum lu_rc rc = db_begin(conn, false);
    if (rc == LU_OK) {
        rc = walk(conn, &b, out, report);
        db_rollback(conn); /* a read: nothing to keep */
    } else {
        snprintf(report->message, sizeof report->message, "cannot open a read transaction");
    }
    db_release(conn);
    free(b.recs);
    free(b.seen);
    free(b.slots);
    report->ok = rc == LU_OK && report->differences == 0;
    return rc;
}
