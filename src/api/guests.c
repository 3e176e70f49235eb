/*
 * guests.c — /api/guests (SPEC §5): anyone who sees the property reads;
 * operators write.
 */
#include "api/api_internal.h"
#include "api/checks.h"
#include "core/limits.h"

static const struct field_spec guest_fields[] = {
    {.name = "property_id", .type = F_STRING, .required = true, .check = check_id,
     .hint = "property_id must be a property id"},
    {.name = "name", .type = F_STRING, .required = true, .min_len = 1, .max_len = NAME_BYTES_MAX,
     .check = check_not_blank, .hint = "name must be 1 to 200 characters"},
    {.name = "email", .type = F_STRING, .nullable = true, .max_len = 254, .check = check_email,
     .hint = "email must be an email address"},
    {.name = "phone", .type = F_STRING, .nullable = true, .check = check_phone,
     .hint = "phone must be E.164, such as +14155550123"},
};

/* A guest stays in its property: PATCH takes every field but property_id. */
static const struct field_spec *const guest_patch_fields = guest_fields + 1;
#define NFIELDS (sizeof guest_fields / sizeof guest_fields[0])

static enum lu_rc list_guests(struct db_conn *conn, const struct scope *scope,
                              const void *q, int limit, const char *after, struct page *out)
{
    return store_guest_list(conn, scope, q, limit, after, out);
}

void api_guests_list(struct lu_req *req)
{
    api_list(req, list_guests, req_query(req, "q"));
}

void api_guests_create(struct lu_req *req)
{
    static const struct create_spec spec = {
        .fields = guest_fields,
        .nfields = NFIELDS,
        .create = store_guest_create,
        .not_found_message = "no such property",
        .not_found_field = "property_id",
    };
    api_create(req, &spec);
}

void api_guest_get(struct lu_req *req)
{
    api_get_by_id(req, store_guest_get);
}

void api_guest_patch(struct lu_req *req)
{
    api_patch_by_id(req, guest_patch_fields, NFIELDS - 1, NULL, store_guest_update,
                    "invalid guest change");
}
