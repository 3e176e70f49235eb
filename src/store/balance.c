/*
 * balance.c — what a booking still owes, for /api/today and whoever else
 * shows a balance. The one place a balance is computed, so that the Stripe
 * ledger (SPEC §6) changes it here and nowhere else.
 *
 * paid_cents is what Stripe says: received minus refunded, summed from the
 * booking's stripe_financial_records by ledger_summary_compute (the rules
 * are in ledger/ledger.h), the same function behind
 * /api/bookings/{id}/payments and the risks. open_cents never goes below 0.
 */
#include <stdlib.h>

#include "core/assert.h"
#include "ledger/ledger.h"
#include "store/payments_internal.h"
#include "store/store.h"

enum lu_rc store_booking_balance(struct db_conn *conn, const json_t *booking, json_t **out)
{
    LU_ASSERT(json_is_object(booking) && out != NULL);
    json_int_t total = json_integer_value(json_object_get(booking, "total_cents"));
    const char *currency = json_string_value(json_object_get(booking, "currency"));
    struct ledger_record *recs = NULL;
    size_t n = 0;
    enum lu_rc rc = payment_records_load(conn, json_string_value(json_object_get(booking, "id")),
                                         &recs, &n, NULL);
    if (rc != LU_OK) {
        return rc;
    }
    struct ledger_summary s;
    ledger_summary_compute(total, currency, recs, n, &s);
    free(recs);
    *out = json_pack("{s:I, s:I, s:I, s:s?}", "total_cents", total, "paid_cents",
                     (json_int_t)s.paid_cents, "open_cents", (json_int_t)s.open_cents, "currency",
                     currency);
    return *out ? LU_OK : LU_NOMEM;
}
