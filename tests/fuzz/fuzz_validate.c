/*
 * fuzz_validate.c — libFuzzer driver for JSON request validation
 * (src/http/validate.c). The body is parsed as the server parses a request
 * body, then checked against field tables shaped like the resources' own
 * (bookings and items, with the real checkers of src/api/checks.h), as a
 * create and as a PATCH. An error must name its code and message.
 */
#include <assert.h>
#include <jansson.h>

#include "api/checks.h"
#include "fuzz_common.h"
#include "http/validate.h"

static const struct field_spec booking_fields[] = {
    {.name = "property_id", .type = F_STRING, .required = true, .check = check_id},
    {.name = "guest_id", .type = F_STRING, .required = true, .check = check_id},
    {.name = "check_in", .type = F_STRING, .required = true, .check = check_date},
    {.name = "check_out", .type = F_STRING, .required = true, .check = check_date},
    {.name = "total_cents", .type = F_INT, .min = 0, .max = 1000000000000LL},
    {.name = "currency", .type = F_STRING, .check = check_currency},
    {.name = "balance_due_on", .type = F_STRING, .nullable = true, .check = check_date},
};

static const struct field_spec item_fields[] = {
    {.name = "property_id", .type = F_STRING, .check = check_id},
    {.name = "kind", .type = F_STRING, .required = true, .min_len = 1, .max_len = 32},
    {.name = "title", .type = F_STRING, .required = true, .min_len = 1, .max_len = 200},
    {.name = "details", .type = F_STRING, .nullable = true, .max_len = 4000},
    {.name = "guest_impacting", .type = F_BOOL},
    {.name = "priority", .type = F_INT, .min = -3, .max = 3},
};

static void check(const json_t *body, const struct field_spec *specs, size_t n, bool patch)
{
    struct validation_error err;
    memset(&err, 0, sizeof err);
    if (!validate_body(body, specs, n, patch, &err)) {
        assert(err.code != NULL);
        assert(memchr(err.message, '\0', sizeof err.message) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t error;
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &error);
    if (body == NULL) {
        return 0;
    }
    (void)json_depth(body);
    if (json_is_object(body)) {
        for (int patch = 0; patch < 2; patch++) {
            check(body, booking_fields, sizeof booking_fields / sizeof booking_fields[0], patch);
            check(body, item_fields, sizeof item_fields / sizeof item_fields[0], patch);
        }
        const char *key;
        json_t *v;
        json_object_foreach(body, key, v) {
            if (json_is_string(v)) {
                (void)text_clean(json_string_value(v));
            }
        }
    }
    json_decref(body);
    return 0;
}
