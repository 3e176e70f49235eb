/*
 * common.c — handler helpers (see api_internal.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

struct db_conn *api_db(struct lu_req *req)
{
    struct db_conn *conn = db_acquire(req->app->db);
    if (conn == NULL) {
        reply_rc(req, LU_UNAVAILABLE);
    }
    return conn;
}

void api_db_done(struct db_conn *conn)
{
    db_release(conn);
}

bool api_if_match(struct lu_req *req, int64_t *version)
{
    *version = VERSION_ANY;
    const char *v = req_header(req, "If-Match");
    if (v == NULL) {
        return true;
    }
    if (strncmp(v, "W/", 2) == 0) {
        v += 2;
    }
    char digits[24];
    size_t len = strlen(v);
    if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
        v++;
        len -= 2;
    }
    bool ok = len > 0 && len < sizeof digits;
    for (size_t i = 0; ok && i < len; i++) {
        ok = v[i] >= '0' && v[i] <= '9';
    }
    if (!ok) {
        reply_error(req, 400, "invalid_field", "If-Match must be a record version such as 3",
                    "If-Match");
        return false;
    }
    memcpy(digits, v, len);
    digits[len] = '\0';
    *version = strtoll(digits, NULL, 10);
    return true;
}

void api_scope(const struct lu_req *req, struct scope *scope)
{
    scope->all = req->principal.all_properties;
    scope->property_ids = (const char *const *)req->principal.properties;
    scope->n = req->principal.nproperties;
}

void api_reply_invalid(struct lu_req *req, const struct validation_error *err)
{
    reply_error(req, 400, err->code, err->message, err->field);
}

void api_reply_record(struct lu_req *req, int status, json_t *record)
{
    json_t *version = json_object_get(record, "version");
    if (json_is_integer(version)) {
        char etag[32];
        snprintf(etag, sizeof etag, "\"%lld\"", (long long)json_integer_value(version));
        reply_header_add(req, "ETag", etag);
    }
    reply_json(req, status, record);
}

const char *api_actor(const struct lu_req *req)
{
    return req->principal.sub[0] ? req->principal.sub : "anonymous";
}
