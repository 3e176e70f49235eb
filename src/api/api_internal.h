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
/* As api_write_commit, for a provider's webhook that must be answered in
 * its own format (Twilio's text/xml): commits, then replies with data
 * (borrowed, copied). No idempotent response is kept; the provider's own
 * message id makes a retry harmless. */
void api_write_commit_raw(struct api_write *w, int status, const char *content_type,
                          const char *data, size_t len);

/* The idempotency cache (idempotency_cache.c), for write.c. cached: before
 * the transaction, answers a replay or a mismatch of w->key from Redis and
 * returns true; false on a miss, an outage or without Redis (the database
 * decides). cache_put: after the commit, copies the response (borrowed) to
 * Redis for ttl_s seconds; best effort. */
bool api_idempotency_cached(struct api_write *w, int ttl_s);
void api_idempotency_cache_put(const struct api_write *w, int status, const char *response,
                               int ttl_s);

/* The actor written in audit events: the token's sub, or "service". */
const char *api_actor(const struct lu_req *req);

/* GET …/{id} through a store getter. */
typedef enum lu_rc (*record_getter)(struct db_conn *conn, const struct scope *scope,
                                    const char *id, json_t **out);
void api_get_by_id(struct lu_req *req, record_getter get);

/* Parses and validates a body. A PATCH naming state_field (the record's
 * state column, or NULL for records without one) is refused with a pointer
 * to /transition. Replies 400 and returns false on failure; *out owned on
 * success. */
bool api_body_checked(struct lu_req *req, const struct field_spec *specs, size_t n, bool patch,
                      const char *state_field, json_t **out);

/* PATCH …/{id}: If-Match, validation, one store update in a write. A store
 * LU_INVALID answers 400 with invalid_message. */
typedef enum lu_rc (*record_updater)(struct db_conn *conn, const char *actor,
                                     const struct scope *scope, const char *id,
                                     const json_t *changes, int64_t expected, json_t **out);
void api_patch_by_id(struct lu_req *req, const struct field_spec *specs, size_t n,
                     const char *state_field, record_updater update, const char *invalid_message);

/* POST of a new record: validation, an optional prepare step (which may
 * adjust the body, or reply 400 itself and return false), one store create
 * in a write, 201. The store's LU_NOT_FOUND and LU_INVALID answer 404 and
 * 400 with the messages given. */
typedef enum lu_rc (*record_creator)(struct db_conn *conn, const char *actor,
                                     const struct scope *scope, const json_t *fields,
                                     json_t **out);
struct create_spec {
    const struct field_spec *fields;
    size_t nfields;
    bool (*prepare)(struct lu_req *req, json_t *body);
    record_creator create;
    const char *not_found_message;
    const char *not_found_field;
    const char *invalid_message;
    const char *invalid_field;
};
void api_create(struct lu_req *req, const struct create_spec *spec);

/* GET of a list: ?limit= and ?after=, then one store list with filter. */
typedef enum lu_rc (*record_lister)(struct db_conn *conn, const struct scope *scope,
                                    const void *filter, int limit, const char *after,
                                    struct page *out);
void api_list(struct lu_req *req, record_lister list, const void *filter);

/* Replies with a list page, or the error for rc. */
void api_reply_page(struct lu_req *req, enum lu_rc rc, struct page *page);

/* Reads ?name= and checks it; replies 400 naming it when it fails. */
bool api_query_checked(struct lu_req *req, const char *name, bool (*check)(const char *),
                       const char **out);

/* POST …/{id}/transition for "item" or "booking"; GET …/{id}/history. */
void api_transition(struct lu_req *req, const char *entity_type);
void api_history(struct lu_req *req, record_getter get);

/* Handlers. */
void api_health(struct lu_req *req);
void api_ready(struct lu_req *req);
void api_metrics(struct lu_req *req);
void api_admin_status(struct lu_req *req); /* api/status.c */
void api_properties_list(struct lu_req *req);
void api_properties_create(struct lu_req *req);
void api_property_get(struct lu_req *req);
void api_property_patch(struct lu_req *req);
void api_guests_list(struct lu_req *req);
void api_guests_create(struct lu_req *req);
void api_guest_get(struct lu_req *req);
void api_guest_patch(struct lu_req *req);
void api_bookings_list(struct lu_req *req);
void api_bookings_create(struct lu_req *req);
void api_booking_get(struct lu_req *req);
void api_booking_patch(struct lu_req *req);
void api_booking_transition(struct lu_req *req);
void api_booking_history(struct lu_req *req);
void api_items_list(struct lu_req *req);
void api_items_create(struct lu_req *req);
void api_item_get(struct lu_req *req);
void api_item_patch(struct lu_req *req);
void api_item_transition(struct lu_req *req);
void api_item_history(struct lu_req *req);
void api_audit_list(struct lu_req *req);
void api_today(struct lu_req *req);
void api_stream(struct lu_req *req);
void api_webhook_stripe(struct lu_req *req);
void api_booking_payments(struct lu_req *req);
void api_payments_risks(struct lu_req *req);
void api_payments_unlinked(struct lu_req *req);
void api_webhook_twilio(struct lu_req *req);
void api_webhook_postmark(struct lu_req *req);
void api_messages_list(struct lu_req *req);
void api_message_get(struct lu_req *req);
void api_messages_reply(struct lu_req *req);
void api_waitlist_join(struct lu_req *req);
void api_guest_verify_email(struct lu_req *req);
void api_verify(struct lu_req *req);
void api_outbox_list(struct lu_req *req);
/* Appends the outbox's rows by state to /metrics text (owned, *len bytes);
 * returns the text, grown, or as it was when the database does not answer. */
char *api_outbox_metrics_append(struct lu_req *req, char *text, size_t *len);
void api_operator_focus(struct lu_req *req);
void api_sessions_list(struct lu_req *req);
void api_session_get(struct lu_req *req);

#endif
