/*
 * properties.c — /api/properties (SPEC §5): list and read for anyone who can
 * see the property; create and change for owners and the service key.
 */
#include "api/api_internal.h"
#include "core/clock.h"
#include "core/limits.h"

static bool zone_ok(const char *s)
{
    return clock_zone_valid(s);
}

static bool name_ok(const char *s)
{
    /* A name of only spaces would show as a blank line in every list. */
    for (; *s; s++) {
        if (*s != ' ' && *s != '\t') {
            return true;
        }
    }
    return false;
}

static const struct field_spec property_fields[] = {
    {.name = "name", .type = F_STRING, .required = true, .min_len = 1,
     .max_len = NAME_BYTES_MAX, .check = name_ok,
     .hint = "name must be 1 to 200 characters"},
    {.name = "time_zone", .type = F_STRING, .max_len = 64, .check = zone_ok,
     .hint = "time_zone must be an IANA time zone such as Europe/Rome"},
};
#define NFIELDS (sizeof property_fields / sizeof property_fields[0])

static enum lu_rc list_properties(struct db_conn *conn, const struct scope *scope,
                                  const void *filter, int limit, const char *after,
                                  struct page *out)
{
    return store_property_list(conn, scope, limit, after, out);
}

void api_properties_list(struct lu_req *req)
{
    api_list(req, list_properties, NULL);
}

/* A property without a zone gets the operator's. */
static bool zone_default(struct lu_req *req, json_t *body)
{
    if (json_object_get(body, "time_zone") == NULL) {
        json_object_set_new(body, "time_zone", json_string(req->app->cfg.operator_time_zone));
    }
    return true;
}

static enum lu_rc create_property(struct db_conn *conn, const char *actor,
                                  const struct scope *scope, const json_t *fields, json_t **out)
{
    return store_property_create(conn, actor, json_string_value(json_object_get(fields, "name")),
                                 json_string_value(json_object_get(fields, "time_zone")), out);
}

void api_properties_create(struct lu_req *req)
{
    static const struct create_spec spec = {
        .fields = property_fields,
        .nfields = NFIELDS,
        .prepare = zone_default,
        .create = create_property,
    };
    api_create(req, &spec);
}

void api_property_get(struct lu_req *req)
{
    api_get_by_id(req, store_property_get);
}

void api_property_patch(struct lu_req *req)
{
    api_patch_by_id(req, property_fields, NFIELDS, NULL, store_property_update, "invalid change");
}
