/*
 * payments_summary.c — booking_payment_summaries (migration 0010): one row
 * per booking with what the risks read selects candidates by. The
 * booking's side (status, check-in, deadline, total, currency) is copied by
 * the migration's triggers on every booking write; the ledger's side is
 * written here, by the webhook's fold, in the same transaction as the
 * records it sums, with ledger_summary_compute itself, so it cannot
 * disagree with the records. `lucia ledger reconcile` recomputes every row
 * (ledger_reconcile.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "store/payments_internal.h"

enum lu_rc payment_summary_refresh(struct db_conn *conn, const char *booking_id)
{
    LU_ASSERT(conn != NULL && booking_id != NULL && booking_id[0] != '\0');
    struct db_param key[] = {P_TEXT(booking_id)};
    struct db_rows *booking = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT status, balance_due_on, total_cents, currency, check_in "
                            "FROM bookings WHERE id = ?",
                            key, 1, &booking, NULL);
    if (rc != LU_OK) {
        return rc;
    }
    bool known = booking->nrows > 0;
    const char *currency = known ? db_rows_text(booking, 0, 3) : NULL;
    int64_t total = known ? db_rows_int(booking, 0, 2) : 0;
    struct ledger_record *recs = NULL;
    size_t n = 0;
    rc = payment_records_load(conn, booking_id, &recs, &n, NULL);
    const char *money_currency = currency ? currency : "";
    if (rc == LU_TOO_LARGE) {
        /* A thousand records is a bug upstream; the event is still taken.
         * The row is left stale ("" money), so the risks read judges the
         * booking from its records and says it cannot. */
        rc = LU_OK;
        n = LEDGER_BOOKING_RECORDS_MAX + 1;
        money_currency = "";
    }
    if (rc == LU_OK) {
        struct ledger_summary s;
        ledger_summary_compute(total, money_currency[0] ? currency : NULL, recs,
                               recs != NULL ? n : 0, &s);
        struct db_param p[] = {
            P_TEXT(booking_id),
            known ? P_TEXT(db_rows_text(booking, 0, 0)) : P_NULL,
            known ? P_TEXT(db_rows_text(booking, 0, 4)) : P_NULL,
            known ? P_TEXT(payment_summary_deadline(db_rows_text(booking, 0, 1),
                                                    db_rows_text(booking, 0, 4)))
                  : P_NULL,
            known ? P_INT(total) : P_NULL,
            P_TEXT(currency),
            P_INT((int64_t)n),
            P_TEXT(money_currency),
            P_INT(s.received_cents),
            P_INT(s.refunded_cents),
            P_INT(s.paid_cents),
            P_INT(s.disputes_open),
            P_INT(s.refunds_pending),
            P_INT(s.attempt_failed ? 1 : 0),
        };
        rc = db_exec(conn,
                     "INSERT INTO booking_payment_summaries (booking_id, status, check_in, "
                     "deadline, total_cents, currency, records, money_currency, received_cents, "
                     "refunded_cents, paid_cents, disputes_open, refunds_pending, "
                     "attempt_failed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT (booking_id) DO UPDATE SET status = excluded.status, "
                     "check_in = excluded.check_in, deadline = excluded.deadline, "
                     "total_cents = excluded.total_cents, currency = excluded.currency, "
                     "records = excluded.records, "
                     "money_currency = excluded.money_currency, "
                     "received_cents = excluded.received_cents, "
                     "refunded_cents = excluded.refunded_cents, paid_cents = excluded.paid_cents, "
                     "disputes_open = excluded.disputes_open, "
                     "refunds_pending = excluded.refunds_pending, "
                     "attempt_failed = excluded.attempt_failed",
                     p, sizeof p / sizeof p[0], NULL, NULL);
    }
    free(recs);
    db_rows_free(booking);
    return rc;
}

const char *payment_summary_deadline(const char *balance_due_on, const char *check_in)
{
    return balance_due_on != NULL && balance_due_on[0] != '\0' ? balance_due_on : check_in;
}

void payment_summary_expect(const char *money_currency, const struct ledger_record *recs, size_t n,
                            struct payment_summary *out)
{
    memset(out, 0, sizeof *out);
    struct ledger_summary s;
    const char *currency = money_currency && money_currency[0] ? money_currency : NULL;
    ledger_summary_compute(0, currency, recs, n, &s);
    out->records = (int64_t)n;
    out->received_cents = s.received_cents;
    out->refunded_cents = s.refunded_cents;
    out->paid_cents = s.paid_cents;
    out->disputes_open = s.disputes_open;
    out->refunds_pending = s.refunds_pending;
    out->attempt_failed = s.attempt_failed ? 1 : 0;
}

void payment_summary_row_read(const struct db_rows *rows, size_t r, struct payment_summary *out)
{
    static const char *const names[] = {"records",       "received_cents", "refunded_cents",
                                        "paid_cents",    "disputes_open",  "refunds_pending",
                                        "attempt_failed"};
    int64_t *fields[] = {&out->records,       &out->received_cents, &out->refunded_cents,
                         &out->paid_cents,    &out->disputes_open,  &out->refunds_pending,
                         &out->attempt_failed};
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int c = db_rows_col(rows, names[i]);
        LU_ASSERT(c >= 0);
        *fields[i] = db_rows_int(rows, r, (size_t)c);
    }
}

bool payment_summary_same(const struct payment_summary *a, const struct payment_summary *b,
                          char *why, size_t cap)
{
    static const char *const names[] = {"records",       "received_cents", "refunded_cents",
                                        "paid_cents",    "disputes_open",  "refunds_pending",
                                        "attempt_failed"};
    const int64_t av[] = {a->records,       a->received_cents,  a->refunded_cents, a->paid_cents,
                          a->disputes_open, a->refunds_pending, a->attempt_failed};
    const int64_t bv[] = {b->records,       b->received_cents,  b->refunded_cents, b->paid_cents,
                          b->disputes_open, b->refunds_pending, b->attempt_failed};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (av[i] != bv[i]) {
            snprintf(why, cap, "%s %lld vs %lld", names[i], (long long)av[i], (long long)bv[i]);
            return false;
        }
    }
    return true;
}
