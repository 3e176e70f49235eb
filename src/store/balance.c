/*
 * balance.c — what a booking still owes, for /api/today and whoever else
 * shows a balance. The one place a balance is computed, so that the Stripe
 * ledger (SPEC §6) changes it here and nowhere else.
 *
 * There is no payment ledger yet: nothing has been received as far as
 * Lucia knows, so paid_cents is 0 and the whole total is open. This is the
 * truth of the records, not a guess — when the ledger lands, this function
 * sums received minus refunded from stripe_financial_records instead.
 */
#include "core/assert.h"
#include "store/store.h"

enum lu_rc store_booking_balance(struct db_conn *conn, const json_t *booking, json_t **out)
{
    (void)conn; /* the ledger's query will use it */
    LU_ASSERT(json_is_object(booking) && out != NULL);
    json_int_t total = json_integer_value(json_object_get(booking, "total_cents"));
    json_int_t paid = 0;
    const char *currency = json_string_value(json_object_get(booking, "currency"));
    *out = json_pack("{s:I, s:I, s:I, s:s?}", "total_cents", total, "paid_cents", paid,
                     "open_cents", total - paid, "currency", currency);
    return *out ? LU_OK : LU_NOMEM;
}
