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

/* Handlers. */
void api_health(struct lu_req *req);
void api_ready(struct lu_req *req);
void api_metrics(struct lu_req *req);
void api_properties_list(struct lu_req *req);
void api_properties_create(struct lu_req *req);
void api_property_get(struct lu_req *req);
void api_property_patch(struct lu_req *req);

#endif
