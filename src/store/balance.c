/*
 * balance.c — what a booking still owes, for /api/today and whoever else
 * shows a balance. The one place a balance is computed, so that the Stripe
 * ledger (SPEC §6) changes it here and nowhere else.
 *
 * paid_cents is what Stripe says: received minus refunded, summed from the
 * booking's stripe_financial_records by ledger_summary_compute (the rules
 * are in ledger/ledger.h), the same function behind
 * /api/bookings/{id}/payments and the risks. open_cents never goes below 0.
 * A list of stays reads paid_cents from the booking's payment summary
 * (payments_summary.c, kept by the same function in the same transaction
 * as the records) and shapes it here too.
 */
#include <stdlib.h>

#include "core/assert.h"
#include "ledger/ledger.h"
#include "store/payments_internal.h"
#include "store/store.h"

json_t *payment_balance_json(int64_t total_cents, const char *currency, int64_t paid_cents)
{
    int64_t open = total_cents - paid_cents; /* as ledger_summary_compute */
    return json_pack("{s:I, s:I, s:I, s:s?}", "total_cents", (json_int_t)total_cents, "paid_cents",
                     (json_int_t)paid_cents, "open_cents", (json_int_t)(open > 0 ? open : 0),
                     "currency", currency);
}

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
    *out = payment_balance_json(total, currency, s.paid_cents);
    return *out ? LU_OK : LU_NOMEM;
}
