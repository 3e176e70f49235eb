/*
 * bookings.c — /api/bookings (SPEC §5): stays with their money and status.
 * Status moves only through /transition; PATCH changes the rest.
 */
#include <string.h>

#include "api/api_internal.h"
#include "api/checks.h"
#include "store/truth.h"

/* Ten billion in minor units: far above any stay, far below overflow. */
#define MONEY_CENTS_MAX 1000000000000LL

static const struct field_spec booking_fields[] = {
    {.name = "property_id", .type = F_STRING, .required = true, .check = check_id,
     .hint = "property_id must be a property id"},
    {.name = "guest_id", .type = F_STRING, .required = true, .check = check_id,
     .hint = "guest_id must be a guest id"},
    {.name = "check_in", .type = F_STRING, .required = true, .check = check_date,
     .hint = "check_in must be YYYY-MM-DD"},
    {.name = "check_out", .type = F_STRING, .required = true, .check = check_date,
     .hint = "check_out must be YYYY-MM-DD"},
    {.name = "total_cents", .type = F_INT, .min = 0, .max = MONEY_CENTS_MAX,
     .hint = "total_cents must be a whole number of minor units from 0 to 10^12"},
    {.name = "currency", .type = F_STRING, .check = check_currency,
     .hint = "currency must be a three-letter ISO code such as eur"},
    {.name = "balance_due_on", .type = F_STRING, .nullable = true, .check = check_date,
     .hint = "balance_due_on must be YYYY-MM-DD"},
};
#define NFIELDS (sizeof booking_fields / sizeof booking_fields[0])

static bool state_ok(const char *s)
{
    return truth_state_known(TRUTH_BOOKING, s);
}

static enum lu_rc list_bookings(struct db_conn *conn, const struct scope *scope,
                                const void *filter, int limit, const char *after,
                                struct page *out)
{
    return store_booking_list(conn, scope, filter, limit, after, out);
}

void api_bookings_list(struct lu_req *req)
{
    struct booking_filter f = {0};
    if (!api_query_checked(req, "property_id", check_id, &f.property_id) ||
        !api_query_checked(req, "status", state_ok, &f.status) ||
        !api_query_checked(req, "arriving_from", check_date, &f.arriving_from) ||
        !api_query_checked(req, "arriving_to", check_date, &f.arriving_to) ||
        !api_query_checked(req, "guest_id", check_id, &f.guest_id)) {
        return;
    }
    api_list(req, list_bookings, &f);
}

static bool dates_in_order(struct lu_req *req, json_t *body)
{
    if (strcmp(json_string_value(json_object_get(body, "check_out")),
               json_string_value(json_object_get(body, "check_in"))) <= 0) {
        reply_error(req, 400, "invalid_field", "check_out must be after check_in", "check_out");
        return false;
    }
    return true;
}

void api_bookings_create(struct lu_req *req)
{
    static const struct create_spec spec = {
        .fields = booking_fields,
        .nfields = NFIELDS,
        .prepare = dates_in_order,
        .create = store_booking_create,
        .not_found_message = "no such property or guest",
        .invalid_message = "the guest belongs to another property",
        .invalid_field = "guest_id",
    };
    api_create(req, &spec);
}

void api_booking_get(struct lu_req *req)
{
    api_get_by_id(req, store_booking_get);
}

void api_booking_patch(struct lu_req *req)
{
    /* Everything but property_id may change. */
    api_patch_by_id(req, booking_fields + 1, NFIELDS - 1, "status", store_booking_update,
                    "check_out must be after check_in, and the guest in the same property");
}

void api_booking_transition(struct lu_req *req)
{
    api_transition(req, "booking");
}

void api_booking_history(struct lu_req *req)
{
    api_history(req, store_booking_get);
}
