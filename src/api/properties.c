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

void api_properties_list(struct lu_req *req)
{
    int limit;
    const char *after;
    if (!req_list_params(req, &limit, &after)) {
        return;
    }
    struct db_conn *conn = api_db(req);
    if (conn == NULL) {
        return;
    }
    struct scope scope;
    api_scope(req, &scope);
    struct page page;
    enum lu_rc rc = store_property_list(conn, &scope, limit, after, &page);
    api_db_done(conn);
    if (rc != LU_OK) {
        reply_rc(req, rc);
        return;
    }
    reply_json(req, 200, page_to_json(&page));
}

void api_properties_create(struct lu_req *req)
{
    json_t *body = NULL;
    if (!req_json_object(req, &body)) {
        return;
    }
    struct validation_error err;
    if (!validate_body(body, property_fields, NFIELDS, false, &err)) {
        api_reply_invalid(req, &err);
        json_decref(body);
        return;
    }
    json_t *tz = json_object_get(body, "time_zone");
    const char *zone = json_is_string(tz) ? json_string_value(tz)
                                          : req->app->cfg.operator_time_zone;
    struct api_write w;
    if (!api_write_begin(req, &w)) {
        json_decref(body);
        return;
    }
    json_t *record = NULL;
    enum lu_rc rc = store_property_create(
        w.conn, api_actor(req), json_string_value(json_object_get(body, "name")), zone, &record);
    json_decref(body);
    if (rc != LU_OK) {
        api_write_fail(&w, rc);
        return;
    }
    api_write_commit(&w, 201, record);
}

void api_property_get(struct lu_req *req)
{
    struct db_conn *conn = api_db(req);
    if (conn == NULL) {
        return;
    }
    struct scope scope;
    api_scope(req, &scope);
    json_t *record = NULL;
    enum lu_rc rc = store_property_get(conn, &scope, req_param(req, "id"), &record);
    api_db_done(conn);
    if (rc != LU_OK) {
        reply_rc(req, rc);
        return;
    }
    api_reply_record(req, 200, record);
}

void api_property_patch(struct lu_req *req)
{
    int64_t expected;
    json_t *body = NULL;
    if (!api_if_match(req, &expected) || !req_json_object(req, &body)) {
        return;
    }
    struct validation_error err;
    if (!validate_body(body, property_fields, NFIELDS, true, &err)) {
        api_reply_invalid(req, &err);
        json_decref(body);
        return;
    }
    struct api_write w;
    if (!api_write_begin(req, &w)) {
        json_decref(body);
        return;
    }
    struct scope scope;
    api_scope(req, &scope);
    json_t *record = NULL;
    enum lu_rc rc = store_property_update(w.conn, api_actor(req), &scope, req_param(req, "id"),
                                          body, expected, &record);
    json_decref(body);
    if (rc != LU_OK) {
        api_write_fail(&w, rc);
        return;
    }
    api_write_commit(&w, 200, record);
}
