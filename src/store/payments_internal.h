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

#endif
