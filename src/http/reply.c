/*
 * reply.c — request lookups and the only place that turns result codes into
 * HTTP statuses and SPEC §3's error shape.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/log.h"
#include "http/json_out.h"
#include "http/request.h"
#include "http/validate.h"

const char *req_header(const struct lu_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

const char *req_query(const struct lu_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_param(const struct lu_req *req, const char *name)
{
    return route_param(&req->match, name);
}

bool reply_done(const struct lu_req *req)
{
    return req->status != 0;
}

void reply_header_add(struct lu_req *req, const char *name, const char *value)
{
    LU_ASSERT(req->nheaders < REPLY_HEADERS_MAX);
    struct reply_header *h = &req->headers[req->nheaders++];
    snprintf(h->name, sizeof h->name, "%s", name);
    snprintf(h->value, sizeof h->value, "%s", value);
}

void reply_raw(struct lu_req *req, int status, const char *content_type, const char *data,
               size_t len)
{
    LU_ASSERT(!reply_done(req));
    req->status = status;
    req->content_type = content_type;
    req->reply_body = malloc(len + 1);
    if (req->reply_body == NULL) {
        /* Out of memory: an empty 503 is the honest answer. */
        req->status = 503;
        req->reply_len = 0;
        return;
    }
    memcpy(req->reply_body, data, len);
    req->reply_body[len] = '\0';
    req->reply_len = len;
}

void reply_json(struct lu_req *req, int status, json_t *body)
{
    LU_ASSERT(!reply_done(req));
    /* json_dumps(JSON_COMPACT)'s bytes, in a fraction of its time. */
    size_t len = 0;
    char *text = body ? json_out_dump(body, &len) : NULL;
    json_decref(body);
    reply_json_text(req, status, text, len);
}

void reply_json_text(struct lu_req *req, int status, char *text, size_t len)
{
    LU_ASSERT(!reply_done(req));
    req->content_type = "application/json";
    if (text == NULL) {
        req->status = 503;
        return;
    }
    req->status = status;
    req->reply_body = text; /* malloc'd by json_out */
    req->reply_len = len;
}

void reply_error(struct lu_req *req, int status, const char *code, const char *message,
                 const char *field)
{
    json_t *err = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (err != NULL && field != NULL) {
        json_object_set_new(err, "field", json_string(field));
    }
    reply_json(req, status, json_pack("{s:o}", "error", err));
}

void reply_rc(struct lu_req *req, enum lu_rc rc)
{
    switch (rc) {
    case LU_OK: LU_ASSERT(!"reply_rc called with LU_OK"); break;
    case LU_NOT_FOUND: reply_error(req, 404, "not_found", "no such record", NULL); break;
    case LU_CONFLICT:
        reply_error(req, 409, "conflict", "the record changed or already exists; reload and retry",
                    NULL);
        break;
    case LU_STALE:
        reply_error(req, 412, "version_mismatch",
                    "the record has a newer version than If-Match names", NULL);
        break;
    case LU_UNAUTHORIZED:
        reply_error(req, 401, "unauthorized", "a valid bearer token is required", NULL);
        break;
    case LU_FORBIDDEN:
        reply_error(req, 403, "forbidden", "your role may not do this", NULL);
        break;
    case LU_TOO_LARGE:
        reply_error(req, 413, "too_large", "the request is larger than Lucia accepts", NULL);
        break;
    case LU_INVALID: reply_error(req, 400, "invalid_field", "invalid input", NULL); break;
    case LU_UNAVAILABLE:
    case LU_NOMEM:
        reply_header_add(req, "Retry-After", "1");
        reply_error(req, 503, "unavailable",
                    "a dependency is unavailable; nothing was written, retry is safe", NULL);
        break;
    case LU_IO:
        reply_error(req, 500, "internal", "an internal error occurred", NULL);
        break;
    }
}

bool req_json_object(struct lu_req *req, json_t **out)
{
    json_error_t jerr;
    json_t *v = NULL;
    if (req->body != NULL && req->body_len > 0) {
        v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    }
    if (v == NULL) {
        reply_error(req, 400, "invalid_json",
                    req->body_len == 0 ? "a JSON object body is required"
                                       : "the body is not valid JSON (UTF-8, no duplicate keys)",
                    NULL);
        return false;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        reply_error(req, 400, "invalid_json", "the body must be a JSON object", NULL);
        return false;
    }
    if (json_depth(v) > JSON_DEPTH_MAX) {
        json_decref(v);
        reply_error(req, 400, "invalid_json", "the body is nested too deeply", NULL);
        return false;
    }
    *out = v;
    return true;
}

bool req_list_params(struct lu_req *req, int *limit, const char **after)
{
    *limit = LIST_LIMIT_DEFAULT;
    *after = req_query(req, "after");
    const char *l = req_query(req, "limit");
    if (l != NULL) {
        char *end = NULL;
        long v = strtol(l, &end, 10);
        if (end == l || *end != '\0' || v < 1 || v > LIST_LIMIT_MAX) {
            reply_error(req, 400, "invalid_field", "limit must be an integer from 1 to 500",
                        "limit");
            return false;
        }
        *limit = (int)v;
    }
    if (*after != NULL && (strlen(*after) == 0 || strlen(*after) > 64)) {
        reply_error(req, 400, "invalid_field", "after must be an id from a previous page",
                    "after");
        return false;
    }
    return true;
}
