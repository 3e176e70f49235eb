/*
 * guest.c — the guest agent over HTTP (SPEC §8b):
 *   POST   /guest/session           public: a sign-in code by email; always
 *                                   the same 202 (no guest enumeration)
 *   POST   /guest/session/verify    public: code → guest token
 *   DELETE /guest/session           guest: sign out (this token stops working)
 *   GET    /guest/me                guest: who am I, my bookings
 *   POST   /guest/chat              guest: one turn of the guest chat
 *   GET    /guest/bookings/{id}[/balance], /guest/items[/{id}],
 *          /guest/threads/{id}      guest: the guest's own records; any
 *                                   other id is 404
 *   DELETE /api/guests/{id}/tokens  operator: revoke every token of a guest
 *
 * The sign-in routes are rate-limited per client address
 * (LUCIA_GUEST_SIGNIN_RATE_LIMIT a minute, counted before anything else so
 * bad bodies count too) and POST /guest/session also per email
 * (GUEST_EMAIL_RATE_LIMIT in GUEST_EMAIL_RATE_WINDOW_S, by a digest of the
 * lower-cased address, known or not). Nothing here logs an email, a code,
 * a token or a chat message.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "api/api_guest.h"
#include "api/checks.h"
#include "core/clock.h"
#include "core/limits.h"
#include "core/log.h"
#include "outbox/outbox.h"

static const char signin_message[] =
    "If this email belongs to a guest with a current or upcoming stay, we have sent a sign-in "
    "code.";

static bool check_code(const char *s)
{
    if (strlen(s) != 6) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p)) {
            return false;
        }
    }
    return true;
}

static const struct field_spec session_fields[] = {
    {.name = "email",
     .type = F_STRING,
     .required = true,
     .min_len = 3,
     .max_len = 254,
     .check = check_email,
     .hint = "email must be an email address"},
};

static const struct field_spec verify_fields[] = {
    {.name = "email",
     .type = F_STRING,
     .required = true,
     .min_len = 3,
     .max_len = 254,
     .check = check_email,
     .hint = "email must be an email address"},
    {.name = "code",
     .type = F_STRING,
     .required = true,
     .min_len = 6,
     .max_len = 6,
     .check = check_code,
     .hint = "code must be the six digits from the email"},
};

static const struct field_spec chat_fields[] = {
    {"message", F_STRING, true, false, 1, FOCUS_MESSAGE_CHARS_MAX * 4, 0, 0, check_not_blank,
     "message must be 1 to 2000 characters"},
    {"session_id", F_STRING, false, true, 1, 64, 0, 0, check_id,
     "session_id must be a ses_ id from an earlier answer"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* False (answered 429, or 503) when bucket is over limit in window_s. */
static bool rate_ok(struct lu_req *req, const char *bucket, int limit, int window_s,
                    const char *message)
{
    bool allowed = true;
    int retry_after_s = 0;
    enum lu_rc rc = rate_limit_hit(req->app->kv, bucket, limit, window_s, &allowed, &retry_after_s);
    if (rc != LU_OK) {
        reply_rc(req, rc);
        return false;
    }
    if (!allowed) {
        char seconds[16];
        snprintf(seconds, sizeof seconds, "%d", retry_after_s);
        reply_header_add(req, "Retry-After", seconds);
        reply_error(req, 429, "rate_limited", message, NULL);
        return false;
    }
    return true;
}

static bool address_ok(struct lu_req *req, const char *what)
{
    char addr[64], bucket[KV_RATE_BUCKET_BYTES_MAX];
    if (!req_client_address(req, addr, sizeof addr)) {
        snprintf(addr, sizeof addr, "unknown");
    }
    snprintf(bucket, sizeof bucket, "%s:%s", what, addr);
    return rate_ok(req, bucket, req->app->cfg.guest_signin_rate_limit, GUEST_SIGNIN_RATE_WINDOW_S,
                   "too many sign-in attempts from this address; retry after Retry-After "
                   "seconds");
}

/* The per-email bucket names the address by digest, never in clear. */
static bool email_ok(struct lu_req *req, const char *email)
{
    unsigned char digest[32];
    unsigned int n = 0;
    EVP_Digest(email, strlen(email), digest, &n, EVP_sha256(), NULL);
    char bucket[KV_RATE_BUCKET_BYTES_MAX];
    size_t len = (size_t)snprintf(bucket, sizeof bucket, "guest_email:");
    for (int i = 0; i < 16; i++) {
        len += (size_t)snprintf(bucket + len, sizeof bucket - len, "%02x", digest[i]);
    }
    return rate_ok(req, bucket, GUEST_EMAIL_RATE_LIMIT, GUEST_EMAIL_RATE_WINDOW_S,
                   "too many sign-in codes were asked for this email; retry after Retry-After "
                   "seconds");
}

static void email_lower(const json_t *body, char out[256])
{
    snprintf(out, 256, "%s", json_string_value(json_object_get(body, "email")));
    for (char *p = out; *p; p++) {
        *p = (char)tolower((unsigned char)*p);
    }
}

void api_guest_session_create(struct lu_req *req)
{
    if (!address_ok(req, "guest_signin")) {
        return;
    }
    json_t *body = NULL;
    if (!api_body_checked(req, session_fields, COUNT(session_fields), false, NULL, &body)) {
        return;
    }
    char email[256];
    email_lower(body, email);
    json_decref(body);
    if (!email_ok(req, email)) {
        return;
    }
    struct api_write w;
    if (!api_write_begin(req, &w)) {
        return;
    }
    bool queued = false;
    enum lu_rc rc = guest_signin_request(w.conn, &req->app->cfg, email, clock_now_s(), &queued);
    if (rc != LU_OK) {
        api_write_fail(&w, rc == LU_IO || rc == LU_CONFLICT ? LU_UNAVAILABLE : rc);
        return;
    }
    api_write_commit(&w, 202,
                     json_pack("{s:s, s:s}", "status", "code_sent", "message", signin_message));
    if (queued) {
        outbox_wake();
    }
}

void api_guest_session_verify(struct lu_req *req)
{
    if (!address_ok(req, "guest_verify")) {
        return;
    }
    json_t *body = NULL;
    if (!api_body_checked(req, verify_fields, COUNT(verify_fields), false, NULL, &body)) {
        return;
    }
    char email[256], code[8];
    email_lower(body, email);
    snprintf(code, sizeof code, "%s", json_string_value(json_object_get(body, "code")));
    json_decref(body);
    struct api_write w;
    if (!api_write_begin(req, &w)) {
        return;
    }
    enum guest_verify_result result = GUEST_VERIFY_REFUSED;
    struct guest_grant grant;
    enum lu_rc rc = guest_signin_verify(w.conn, email, code, clock_now_s(), &result, &grant);
    if (rc != LU_OK) {
        guest_grant_clear(&grant);
        api_write_fail(&w, rc == LU_NOT_FOUND || rc == LU_IO ? LU_UNAVAILABLE : rc);
        return;
    }
    json_t *answer;
    int status = 200;
    if (result == GUEST_VERIFY_OK) {
        answer = json_pack("{s:s, s:s, s:O}", "token", grant.token, "expires_at", grant.expires_at,
                           "guest", grant.guest);
    } else {
        /* Committed all the same: a wrong try is counted. */
        status = 401;
        answer = json_pack("{s:{s:s, s:s}}", "error", "code", "unauthorized", "message",
                           result == GUEST_VERIFY_LOCKED
                               ? "too many wrong codes: this code is locked; ask for a new one"
                               : "that code is not valid; ask for a new one");
    }
    guest_grant_clear(&grant);
    api_write_commit(&w, status, answer);
}

void api_guest_session_delete(struct lu_req *req)
{
    struct guest_identity who;
    api_guest_who(req, &who);
    struct api_write w;
    if (!api_write_begin(req, &w)) {
        return;
    }
    enum lu_rc rc = guest_token_revoke(w.conn, who.actor, who.token_id, clock_now_s());
    if (rc == LU_NOT_FOUND) {
        reply_rc(req, LU_UNAUTHORIZED); /* revoked between the check and now */
    }
    if (rc != LU_OK) {
        api_write_fail(&w, rc);
        return;
    }
    api_write_commit_raw(&w, 204, "application/json", "", 0);
}

void api_guest_me(struct lu_req *req)
{
    struct guest_identity who;
    api_guest_who(req, &who);
    struct db_conn *conn = api_db(req);
    if (conn == NULL) {
        return;
    }
    json_t *out = NULL;
    enum lu_rc rc = guest_me(conn, &who, &out);
    api_db_done(conn);
    if (rc != LU_OK) {
        reply_rc(req, rc == LU_NOT_FOUND ? LU_UNAUTHORIZED : rc);
        return;
    }
    reply_json(req, 200, out);
}

/* UTF-8 code points in s. */
static size_t chars_of(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        n += (*p & 0xC0) != 0x80;
    }
    return n;
}

static void chat_failed(struct lu_req *req, enum lu_rc rc)
{
    if (rc == LU_INVALID) {
        reply_error(req, 400, "invalid_field",
                    "session_id must be a ses_ id from an earlier answer", "session_id");
    } else if (rc == LU_NOT_FOUND) {
        reply_error(req, 404, "not_found", "no such session", "session_id");
    } else {
        reply_rc(req, rc == LU_NOMEM || rc == LU_IO || rc == LU_TOO_LARGE ? LU_UNAVAILABLE : rc);
    }
}

void api_guest_chat(struct lu_req *req)
{
    struct guest_identity who;
    api_guest_who(req, &who);
    json_t *body = NULL;
    if (!api_body_checked(req, chat_fields, COUNT(chat_fields), false, NULL, &body)) {
        return;
    }
    const char *message = json_string_value(json_object_get(body, "message"));
    if (chars_of(message) > FOCUS_MESSAGE_CHARS_MAX) {
        reply_error(req, 400, "invalid_field", "message must be 1 to 2000 characters", "message");
        json_decref(body);
        return;
    }
    struct guest_session session;
    enum lu_rc rc = guest_session_load(
        req->app->kv, &who, json_string_value(json_object_get(body, "session_id")), &session);
    if (rc != LU_OK) {
        chat_failed(req, rc);
        json_decref(body);
        return;
    }
    struct api_write w;
    if (!api_write_begin(req, &w)) {
        guest_session_clear(&session);
        json_decref(body);
        return; /* replayed, refused, or answered 503 */
    }
    json_t *answer = NULL;
    const char *route = NULL;
    rc = guest_chat_turn(w.conn, &who, &session, message, clock_now_s(), &answer, &route);
    json_decref(body);
    if (rc != LU_OK) {
        if (rc == LU_NOT_FOUND) {
            reply_rc(req, LU_UNAUTHORIZED); /* the guest's records are gone */
        }
        api_write_fail(&w, rc == LU_NOMEM || rc == LU_IO ? LU_UNAVAILABLE : rc);
        guest_session_clear(&session);
        return;
    }
    api_write_commit(&w, 200, answer);
    if (req->status == 200) {
        guest_metrics_turn(route);
        /* Continuity is not truth: a failed save costs the next turn its
         * context, never the committed turn. */
        rc = guest_session_save(req->app->kv, &session, req->app->cfg.session_ttl_s);
        if (rc != LU_OK) {
            log_msg(LOG_WARN, req->request_id, "guest: session %s not saved (%s)", session.id,
                    lu_rc_name(rc));
        }
    }
    guest_session_clear(&session);
}

typedef enum lu_rc (*guest_getter)(struct db_conn *conn, const struct guest_identity *who,
                                   const char *id, json_t **out);

static void guest_get(struct lu_req *req, guest_getter get)
{
    struct guest_identity who;
    api_guest_who(req, &who);
    struct db_conn *conn = api_db(req);
    if (conn == NULL) {
        return;
    }
    json_t *out = NULL;
    enum lu_rc rc = get(conn, &who, req_param(req, "id"), &out);
    api_db_done(conn);
    if (rc != LU_OK) {
        reply_rc(req, rc);
        return;
    }
    reply_json(req, 200, out);
}

static enum lu_rc balance_get(struct db_conn *conn, const struct guest_identity *who,
                              const char *id, json_t **out)
{
    return guest_balance(conn, who, id, clock_now_s(), out);
}

void api_guest_booking_get(struct lu_req *req)
{
    guest_get(req, guest_booking);
}

void api_guest_booking_balance(struct lu_req *req)
{
    guest_get(req, balance_get);
}

void api_guest_item_get(struct lu_req *req)
{
    guest_get(req, guest_item);
}

void api_guest_thread_get(struct lu_req *req)
{
    guest_get(req, guest_thread);
}

void api_guest_items_list(struct lu_req *req)
{
    struct guest_identity who;
    api_guest_who(req, &who);
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
    enum lu_rc rc = guest_items(conn, &who, limit, after, &page);
    api_db_done(conn);
    api_reply_page(req, rc, &page);
}

void api_guest_tokens_revoke(struct lu_req *req)
{
    struct scope scope;
    api_scope(req, &scope);
    struct api_write w;
    if (!api_write_begin(req, &w)) {
        return;
    }
    json_t *guest = NULL;
    enum lu_rc rc = store_guest_get(w.conn, &scope, req_param(req, "id"), &guest);
    int64_t count = 0;
    if (rc == LU_OK) {
        rc = guest_tokens_revoke_all(w.conn, api_actor(req), req_param(req, "id"),
                                     json_string_value(json_object_get(guest, "property_id")),
                                     clock_now_s(), &count);
    }
    json_decref(guest);
    if (rc != LU_OK) {
        api_write_fail(&w, rc);
        return;
    }
    api_write_commit(&w, 200, json_pack("{s:I}", "revoked", (json_int_t)count));
}
