/*
 * api_internal.h — helpers the handlers share; included only by src/api/.
 */
#ifndef LU_API_INTERNAL_H
#define LU_API_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "http/request.h"
#include "http/validate.h"
#include "store/store.h"

/* Borrows a database connection; on failure replies 503 and returns NULL. */
struct db_conn *api_db(struct lu_req *req);
void api_db_done(struct db_conn *conn);

/* Reads If-Match ("3", "\"3\"" or W/"3") into *version, VERSION_ANY when
 * absent. Replies 400 and returns false when malformed. */
bool api_if_match(struct lu_req *req, int64_t *version);

/* The caller's visible properties. Borrows from req->principal. */
void api_scope(const struct lu_req *req, struct scope *scope);

/* 400 with the validation error's code, message and field. */
void api_reply_invalid(struct lu_req *req, const struct validation_error *err);

/* Replies 200/201 with a record and an ETag of its version. Takes record. */
void api_reply_record(struct lu_req *req, int status, json_t *record);

/*
 * A write: api_write_begin opens a write transaction and settles the
 * Idempotency-Key (a replay or a mismatch is answered there and it returns
 * false). The handler then calls store functions with w.conn and ends with
 * exactly one of api_write_commit (stores the idempotent response, commits,
 * then replies status + body; takes body) or api_write_fail (rolls back and
 * replies for rc, unless the handler already replied with its own error).
 */
struct api_write {
    struct lu_req *req;
    struct db_conn *conn;
    const char *key; /* Idempotency-Key, or NULL */
    char body_hash[65];
};
bool api_write_begin(struct lu_req *req, struct api_write *w);
void api_write_commit(struct api_write *w, int status, json_t *body);
void api_write_fail(struct api_write *w, enum lu_rc rc);

/* The actor written in audit events: the token's sub, or "service". */
const char *api_actor(const struct lu_req *req);

/* Handlers. */
void api_health(struct lu_req *req);
void api_ready(struct lu_req *req);
void api_metrics(struct lu_req *req);
void api_properties_list(struct lu_req *req);
void api_properties_create(struct lu_req *req);
void api_property_get(struct lu_req *req);
void api_property_patch(struct lu_req *req);

#endif
