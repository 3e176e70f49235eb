/*
 * request.h — one HTTP request as handlers see it, and the reply they build.
 *
 * Handlers validate input, call one store function, and answer with
 * reply_json or reply_error. Nothing here knows SQL; nothing in the store
 * knows this struct. The server (server.c) owns the struct; handlers borrow
 * it for the length of one call.
 */
#ifndef LU_REQUEST_H
#define LU_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "app.h"
#include "auth/auth.h"
#include "core/limits.h"
#include "core/rc.h"
#include "http/router.h"

#define REPLY_HEADERS_MAX 8

struct reply_header {
    char name[48];
    char value[256];
};

struct lu_req {
    struct lu_app *app;
    void *connection; /* struct MHD_Connection *, for header and query lookups */
    const char *method;
    const char *path;
    const char *target; /* the request-target exactly as received: path still
                           percent-encoded, "?query" attached; NULL if unknown */
    char request_id[REQUEST_ID_BYTES_MAX + 1];
    struct route_match match;
    struct principal principal;
    bool authenticated;

    char *body; /* NUL-terminated; NULL when empty */
    size_t body_len;

    /* The reply, filled by exactly one reply_* call. */
    int status;
    char *reply_body; /* owned; malloc'd */
    size_t reply_len;
    const char *content_type;
    struct reply_header headers[REPLY_HEADERS_MAX];
    size_t nheaders;

    /* A struct MHD_Response * the handler built itself (the change stream,
     * stream.c), with status and content_type set. server.c queues it in
     * place of reply_body and takes ownership; NULL for ordinary replies. */
    void *stream_response;
};

/* Request lookups; NULL when absent. Borrowed for the request's life. */
const char *req_header(const struct lu_req *req, const char *name);
const char *req_query(const struct lu_req *req, const char *name);
const char *req_param(const struct lu_req *req, const char *name);

/* The client's address (the TCP peer, "127.0.0.1" or an IPv6 text) into
 * out; false (out "") when unknown. X-Forwarded-For is not trusted.
 * Defined in peer.c. */
bool req_client_address(const struct lu_req *req, char *out, size_t cap);

/* Parses the body as a JSON object. On failure replies 400 invalid_json and
 * returns false; on success *out is owned by the caller (json_decref). */
bool req_json_object(struct lu_req *req, json_t **out);

/* Reads ?limit= (default and max from limits.h) and ?after=. Replies 400
 * invalid_field and returns false when malformed. */
bool req_list_params(struct lu_req *req, int *limit, const char **after);

/* Answers with a JSON body (taken: decref'd here). */
void reply_json(struct lu_req *req, int status, json_t *body);

/* Answers with JSON text already written (json_out.h), taken: freed with
 * the request; NULL answers 503. */
void reply_json_text(struct lu_req *req, int status, char *text, size_t len);

/* Answers with raw bytes (copied) and a content type. */
void reply_raw(struct lu_req *req, int status, const char *content_type, const char *data,
               size_t len);

/* Answers with SPEC §3's error shape. field may be NULL. */
void reply_error(struct lu_req *req, int status, const char *code, const char *message,
                 const char *field);

/* Answers for a store result code: not_found, conflict, unavailable, ... */
void reply_rc(struct lu_req *req, enum lu_rc rc);

/* Adds a reply header (Allow, Retry-After, ETag). Asserts on overflow. */
void reply_header_add(struct lu_req *req, const char *name, const char *value);

/* True once a reply_* call has been made. */
bool reply_done(const struct lu_req *req);

#endif
