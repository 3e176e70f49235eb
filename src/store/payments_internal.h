/*
 * payments_internal.h — what the ledger's store files share (payments.c,
 * balance.c, ledger_reconcile.c): the stored form of a record and the
 * readers of stripe_financial_records. Nothing outside src/store/ includes
 * this.
 */
#ifndef LU_PAYMENTS_INTERNAL_H
#define LU_PAYMENTS_INTERNAL_H

#include "ledger/ledger.h"
#include "store/store.h"

/* Every column of stripe_financial_records, in payment_row_read's order. */
#define PAYMENT_RECORD_COLUMNS                                                                     \
    "id, object, booking_id, metadata_booking_id, payment_intent, charge, amount, "                \
    "amount_received, amount_refunded, currency, status, payment_status, failure_code, "           \
    "failure_message, reason, object_created, status_created, status_event_id, version, "          \
    "created_at, updated_at"

/* Row r of a SELECT of PAYMENT_RECORD_COLUMNS (by name, so a prefixed
 * select works too) into *rec; *version may be NULL. */
void payment_row_read(const struct db_rows *rows, size_t r, struct ledger_record *rec,
                      int64_t *version);

/* A record as the API and the audit log show it, owned. created_at and
 * updated_at may be NULL (then omitted). NULL on OOM. */
json_t *payment_record_json(const struct ledger_record *rec, int64_t version,
                            const char *created_at, const char *updated_at);

/*
 * The records whose booking is booking_id, oldest object first. On LU_OK
 * *recs is owned (free; NULL when *n is 0) and *json (when json is not
 * NULL) is an owned array of their API form. LU_TOO_LARGE past
 * LEDGER_BOOKING_RECORDS_MAX.
 */
enum lu_rc payment_records_load(struct db_conn *conn, const char *booking_id,
                                struct ledger_record **recs, size_t *n, json_t **json);

/* A booking's balance as the API shows it: {"total_cents","paid_cents",
 * "open_cents","currency"}, open never below 0. Owned; NULL on OOM. */
json_t *payment_balance_json(int64_t total_cents, const char *currency, int64_t paid_cents);

/*
 * booking_payment_summaries (migration 0010, payments_summary.c): the
 * ledger's side of one booking's row, as stored or as the records give it.
 */
struct payment_summary {
    int64_t records;
    int64_t received_cents; /* in the row's money_currency */
    int64_t refunded_cents;
    int64_t paid_cents;
    int64_t disputes_open;
    int64_t refunds_pending;
    int64_t attempt_failed; /* 0 or 1 */
};

/* Recomputes booking_id's row from its stored records and the booking (an
 * unknown booking's row sums nothing: its currency is unknown) and writes
 * it, inside the caller's write transaction. */
enum lu_rc payment_summary_refresh(struct db_conn *conn, const char *booking_id);

/* A row's deadline: balance_due_on, else check_in (as ledger_risks_of). */
const char *payment_summary_deadline(const char *balance_due_on, const char *check_in);

/* What a row summing recs in money_currency ("" or NULL: none) holds. */
void payment_summary_expect(const char *money_currency, const struct ledger_record *recs, size_t n,
                            struct payment_summary *out);

/* Row r of a SELECT naming the summary's ledger columns. */
void payment_summary_row_read(const struct db_rows *rows, size_t r, struct payment_summary *out);

/* Compares; on a difference writes the first field and both values. */
bool payment_summary_same(const struct payment_summary *a, const struct payment_summary *b,
                          char *why, size_t cap);

#endif
