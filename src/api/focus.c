/*
 * focus.c — operator focus over HTTP (SPEC §8):
 *   POST /admin/operator-focus   one turn (operator token or service key)
 *   GET  /api/sessions           the caller's focus sessions
 *   GET  /api/sessions/{id}      one of them with its transcript; another
 *                                user's session is 404
 *
 * The handler validates, lets src/focus/ compute the turn (reads only),
 * saves the continuity state, then records the transcript row through the
 * one write path (api_write_*), so an Idempotency-Key replays the first
 * answer and a 200 means the turn is durably in the transcript. It never
 * logs the message or the reply.
 */
#include <string.h>

#include "api/api_internal.h"
#include "api/checks.h"
#include "core/limits.h"
#include "core/log.h"
#include "focus/focus.h"

/* A message of FOCUS_MESSAGE_CHARS_MAX characters is at most four bytes
 * each in UTF-8; the character count is checked after. */
static const struct field_spec focus_fields[] = {
    {"message", F_STRING, true, false, 1, FOCUS_MESSAGE_CHARS_MAX * 4, 0, 0, check_not_blank,
     "message must be 1 to 2000 characters"},
    {"session_id", F_STRING, false, true, 1, 64, 0, 0, check_id,
     "session_id must be a ses_ id from an earlier answer"},
    {"property_id", F_STRING, false, true, 1, 64, 0, 0, check_id,
     "property_id must be a property id"},
};

/* UTF-8 code points in s (continuation bytes are not counted). */
static size_t chars_of(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        n += (*p & 0xC0) != 0x80;
    }
    return n;
}

static const char *string_field(const json_t *body, const char *name)
{
    return json_string_value(json_object_get(body, name));
}

/* Answers a failed compute or save. */
static void turn_failed(struct lu_req *req, enum lu_rc rc, const struct focus_turn *turn)
{
    if (rc == LU_INVALID) {
        reply_error(req, 400, "invalid_field",
                    "session_id must be a ses_ id from an earlier answer", "session_id");
    } else if (rc == LU_NOT_FOUND) {
        bool session = turn->not_found != NULL && strcmp(turn->not_found, "session_id") == 0;
        reply_error(req, 404, "not_found", session ? "no such session" : "no such property",
                    session ? "session_id" : "property_id");
    } else if (rc == LU_IO) {
        reply_error(req, 500, "internal", "the time zone data of this machine is unreadable", NULL);
    } else {
        reply_rc(req, rc == LU_NOMEM || rc == LU_TOO_LARGE ? LU_UNAVAILABLE : rc);
    }
}

/* Records the turn and replies with its answer (taken from turn). */
static void turn_commit(struct lu_req *req, const struct focus_caller *caller,
                        const struct focus_request *rq, struct focus_turn *turn)
{
    struct api_write w;
    if (!api_write_begin(req, &w)) {
        return; /* replayed, refused, or answered 503 */
    }
    enum lu_rc rc = focus_turn_record(w.conn, caller, rq, turn);
    if (rc == LU_TOO_LARGE) {
        reply_error(req, 422, "session_full",
                    "this session has reached its turn limit; start a new one without "
                    "session_id",
                    "session_id");
    } else if (rc == LU_NOT_FOUND) {
        reply_error(req, 404, "not_found", "no such session", "session_id");
    }
    if (rc != LU_OK) {
        api_write_fail(&w, rc);
        return;
    }
    json_t *answer = turn->answer;
    turn->answer = NULL;
    api_write_commit(&w, 200, answer);
}

void api_operator_focus(struct lu_req *req)
{
    json_t *body = NULL;
    if (!api_body_checked(req, focus_fields, sizeof focus_fields / sizeof focus_fields[0], false,
                          NULL, &body)) {
        return;
    }
    const char *message = string_field(body, "message");
    if (chars_of(message) > FOCUS_MESSAGE_CHARS_MAX) {
        reply_error(req, 400, "invalid_field", "message must be 1 to 2000 characters", "message");
        json_decref(body);
        return;
    }
    struct focus_caller caller = {.sub = api_actor(req)};
    api_scope(req, &caller.scope);
    struct focus_env env = {.db = req->app->db, .kv = req->app->kv, .cfg = &req->app->cfg};
    struct focus_request rq = {
        .message = message,
        .session_id = string_field(body, "session_id"),
        .property_id = string_field(body, "property_id"),
        .request_key = req_header(req, "Idempotency-Key"),
    };
    struct focus_turn turn;
    enum lu_rc rc = focus_turn_compute(&env, &caller, &rq, &turn);
    if (rc == LU_OK) {
        rc = focus_turn_save(&env, &turn);
    }
    if (rc != LU_OK) {
        turn_failed(req, rc, &turn);
    } else {
        log_msg(LOG_DEBUG, req->request_id, "focus: session %s route %s, %zu item(s), model %s",
                turn.session_id, turn.route, json_array_size(json_object_get(turn.answer, "items")),
                turn.model);
        turn_commit(req, &caller, &rq, &turn);
    }
    focus_turn_clear(&turn);
    json_decref(body);
}

void api_sessions_list(struct lu_req *req)
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
    struct page page;
    enum lu_rc rc = store_focus_session_list(conn, api_actor(req), limit, after, &page);
    api_db_done(conn);
    api_reply_page(req, rc, &page);
}

void api_session_get(struct lu_req *req)
{
    struct db_conn *conn = api_db(req);
    if (conn == NULL) {
        return;
    }
    json_t *session = NULL;
    enum lu_rc rc = store_focus_session_get(conn, api_actor(req), req_param(req, "id"), &session);
    api_db_done(conn);
    if (rc != LU_OK) {
        reply_rc(req, rc);
        return;
    }
    reply_json(req, 200, session);
}
