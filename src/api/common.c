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

void api_get_by_id(struct lu_req *req, record_getter get)
{
    struct db_conn *conn = api_db(req);
    if (conn == NULL) {
        return;
    }
    struct scope scope;
    api_scope(req, &scope);
    json_t *record = NULL;
    enum lu_rc rc = get(conn, &scope, req_param(req, "id"), &record);
    api_db_done(conn);
    if (rc != LU_OK) {
        reply_rc(req, rc);
        return;
    }
    api_reply_record(req, 200, record);
}

bool api_body_checked(struct lu_req *req, const struct field_spec *specs, size_t n, bool patch,
                      const char *state_field, json_t **out)
{
    json_t *body = NULL;
    if (!req_json_object(req, &body)) {
        return false;
    }
    if (patch && state_field != NULL && json_object_get(body, state_field) != NULL) {
        reply_error(req, 400, "invalid_field",
                    "state changes only through POST …/transition, with evidence or a note",
                    state_field);
        json_decref(body);
        return false;
    }
    struct validation_error err;
    if (!validate_body(body, specs, n, patch, &err)) {
        api_reply_invalid(req, &err);
        json_decref(body);
        return false;
    }
    *out = body;
    return true;
}

void api_patch_by_id(struct lu_req *req, const struct field_spec *specs, size_t n,
                     const char *state_field, record_updater update, const char *invalid_message)
{
    int64_t expected;
    json_t *body = NULL;
    if (!api_if_match(req, &expected) ||
        !api_body_checked(req, specs, n, true, state_field, &body)) {
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
    enum lu_rc rc =
        update(w.conn, api_actor(req), &scope, req_param(req, "id"), body, expected, &record);
    json_decref(body);
    if (rc == LU_INVALID) {
        reply_error(req, 400, "invalid_field", invalid_message, NULL);
    }
    if (rc != LU_OK) {
        api_write_fail(&w, rc);
        return;
    }
    api_write_commit(&w, 200, record);
}

void api_reply_page(struct lu_req *req, enum lu_rc rc, struct page *page)
{
    if (rc != LU_OK) {
        reply_rc(req, rc);
        return;
    }
    if (page->text != NULL) {
        reply_json_text(req, 200, page->text, page->text_len); /* streamed from the rows */
        page->text = NULL;
        return;
    }
    reply_json(req, 200, page_to_json(page));
}

bool api_query_checked(struct lu_req *req, const char *name, bool (*check)(const char *),
                       const char **out)
{
    *out = req_query(req, name);
    if (*out != NULL && (**out == '\0' || !check(*out))) {
        char msg[120];
        snprintf(msg, sizeof msg, "%s has an invalid value", name);
        reply_error(req, 400, "invalid_field", msg, name);
        return false;
    }
    return true;
}

void api_create(struct lu_req *req, const struct create_spec *spec)
{
    json_t *body = NULL;
    if (!api_body_checked(req, spec->fields, spec->nfields, false, NULL, &body)) {
        return;
    }
    if (spec->prepare != NULL && !spec->prepare(req, body)) {
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
    enum lu_rc rc = spec->create(w.conn, api_actor(req), &scope, body, &record);
    json_decref(body);
    if (rc == LU_NOT_FOUND) {
        reply_error(req, 404, "not_found", spec->not_found_message, spec->not_found_field);
    } else if (rc == LU_INVALID) {
        reply_error(req, 400, "invalid_field", spec->invalid_message, spec->invalid_field);
    }
    if (rc != LU_OK) {
        api_write_fail(&w, rc);
        return;
    }
    api_write_commit(&w, 201, record);
}

void api_list(struct lu_req *req, record_lister list, const void *filter)
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
    enum lu_rc rc = list(conn, &scope, filter, limit, after, &page);
    api_db_done(conn);
    api_reply_page(req, rc, &page);
}
