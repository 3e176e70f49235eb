/*
 * verify.c — guest email verification (SPEC §7). POST
 * /api/guests/{id}/verify-email (operator) makes a single-use token that
 * lives VERIFY_TOKEN_TTL_S, keeps only its SHA-256, and queues the email
 * with the link in the outbox. GET /verify?token= (public) uses the token
 * once: the guest's email_verified_at is set, and the answer is a small
 * HTML page for a browser (Accept: text/html) or JSON otherwise. A used,
 * expired or superseded (the guest's email changed) token answers 410 with
 * its own code; an unknown or malformed one 400 invalid_token.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/base64.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/limits.h"
#include "core/log.h"
#include "outbox/outbox.h"
#include "store/changes.h"
#include "store/events.h"
#include "store/outbox.h"

/* A token is VERIFY_TOKEN_BYTES as unpadded base64url. */
#define TOKEN_CHARS ((VERIFY_TOKEN_BYTES * 4 + 2) / 3)

static void token_hash(const char *token, char out[65])
{
    unsigned char digest[32];
    unsigned int n = 0;
    EVP_Digest(token, strlen(token), digest, &n, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
    }
}

static bool token_shaped(const char *t)
{
    if (t == NULL || strlen(t) != TOKEN_CHARS) {
        return false;
    }
    for (const char *p = t; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '-' || *p == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* Records the token and queues the email, in w's transaction. */
static enum lu_rc request_verification(struct api_write *w, const char *token, int64_t expires_s,
                                       json_t **answer)
{
    struct lu_req *req = w->req;
    char hash[65];
    token_hash(token, hash);
    struct scope scope;
    api_scope(req, &scope);
    json_t *guest = NULL;
    char verification_id[ID_BYTES_MAX];
    enum lu_rc rc = store_verification_create(w->conn, api_actor(req), &scope,
                                              req_param(req, "id"), hash, expires_s, &guest,
                                              verification_id);
    if (rc != LU_OK) {
        return rc;
    }
    json_t *payload = outbox_verification_payload(
        req->app->cfg.public_url, token, json_string_value(json_object_get(guest, "name")));
    char key[ID_BYTES_MAX + 16];
    snprintf(key, sizeof key, "verification:%s", verification_id);
    struct outbox_new n = {
        .kind = "email_verification",
        .channel = "email",
        .recipient = json_string_value(json_object_get(guest, "email")),
        .payload = payload,
        .idempotency_key = key,
        .property_id = json_string_value(json_object_get(guest, "property_id")),
    };
    char outbox_id[ID_BYTES_MAX];
    rc = payload ? store_outbox_enqueue(w->conn, &n, outbox_id) : LU_NOMEM;
    json_decref(payload);
    char expires[RFC3339_BYTES];
    clock_format_utc(expires_s, expires);
    if (rc == LU_OK) {
        *answer = json_pack("{s:s, s:s, s:s, s:s, s:s}", "status", "queued", "guest_id",
                            json_string_value(json_object_get(guest, "id")), "verification_id",
                            verification_id, "outbox_id", outbox_id, "expires_at", expires);
        rc = *answer ? LU_OK : LU_NOMEM;
    }
    json_decref(guest);
    return rc;
}

void api_guest_verify_email(struct lu_req *req)
{
    if (req->body_len > 0) {
        json_t *body = NULL; /* an empty object at most: nothing to choose */
        if (!api_body_checked(req, NULL, 0, false, NULL, &body)) {
            return;
        }
        json_decref(body);
    }
    unsigned char raw[VERIFY_TOKEN_BYTES];
    if (random_bytes(raw, sizeof raw) != LU_OK) {
        reply_rc(req, LU_IO);
        return;
    }
    char *token = b64url_encode(raw, sizeof raw);
    if (token == NULL) {
        reply_rc(req, LU_NOMEM);
        return;
    }
    struct api_write w;
    if (!api_write_begin(req, &w)) {
        free(token);
        return;
    }
    json_t *answer = NULL;
    enum lu_rc rc = request_verification(&w, token, clock_now_s() + VERIFY_TOKEN_TTL_S, &answer);
    free(token);
    if (rc == LU_NOT_FOUND) {
        reply_error(req, 404, "not_found", "no such guest", NULL);
    } else if (rc == LU_INVALID) {
        reply_error(req, 422, "guest_has_no_email",
                    "the guest has no email address to verify; add one first", "email");
    }
    if (rc != LU_OK) {
        api_write_fail(&w, rc);
        return;
    }
    api_write_commit(&w, 202, answer);
    outbox_wake();
}

/* --- GET /verify --------------------------------------------------------- */

struct verify_answer {
    int status;
    const char *code;    /* "verified", or the error code */
    const char *title;   /* the HTML page's heading */
    const char *message; /* one sentence for the guest */
};

static struct verify_answer answer_for(enum verification_refusal refusal)
{
    switch (refusal) {
    case VERIFY_OK:
        return (struct verify_answer){200, "verified", "Email confirmed",
                                      "Thank you: your email address is confirmed."};
    case VERIFY_USED:
        return (struct verify_answer){410, "token_used", "Link already used",
                                      "This link has already been used; each link works once."};
    case VERIFY_EXPIRED:
        return (struct verify_answer){410, "token_expired", "Link expired",
                                      "This link has expired; ask for a new one."};
    case VERIFY_EMAIL_CHANGED:
        return (struct verify_answer){410, "email_changed", "Link no longer valid",
                                      "The email address on file has changed since this link "
                                      "was sent; ask for a new one."};
    case VERIFY_UNKNOWN: break;
    }
    return (struct verify_answer){400, "invalid_token", "Link not valid",
                                  "This link is not valid. Check that it was copied whole."};
}

static void reply_page(struct lu_req *req, const struct verify_answer *a, const char *verified_at)
{
    const char *accept = req_header(req, "Accept");
    if (accept != NULL && strstr(accept, "text/html") != NULL) {
        char page[1024];
        int n = snprintf(page, sizeof page,
                         "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                         "<meta name=\"viewport\" content=\"width=device-width\">"
                         "<title>%s</title></head><body style=\"font-family:sans-serif;"
                         "max-width:32em;margin:3em auto;padding:0 1em\"><h1>%s</h1><p>%s</p>"
                         "</body></html>\n",
                         a->title, a->title, a->message);
        reply_raw(req, a->status, "text/html; charset=utf-8", page, (size_t)n);
        return;
    }
    if (a->status == 200) {
        reply_json(req, 200, json_pack("{s:s, s:s}", "status", "verified", "email_verified_at",
                                       verified_at));
        return;
    }
    reply_error(req, a->status, a->code, a->message, "token");
}

/* A GET carries no Idempotency-Key and may answer HTML, so it commits here
 * rather than through api_write; it is one short write transaction all the
 * same, and publishes its change like every other write. */
void api_verify(struct lu_req *req)
{
    const char *token = req_query(req, "token");
    if (!token_shaped(token)) {
        struct verify_answer a = answer_for(VERIFY_UNKNOWN);
        reply_page(req, &a, NULL);
        return;
    }
    char hash[65];
    token_hash(token, hash);
    struct db_conn *conn = api_db(req);
    if (conn == NULL) {
        return;
    }
    enum verification_refusal refusal = VERIFY_UNKNOWN;
    json_t *guest = NULL;
    int64_t seq = 0;
    enum lu_rc rc = db_begin(conn, true);
    if (rc == LU_OK) {
        rc = store_verification_use(conn, hash, clock_now_s(), &refusal, &guest);
        if (rc == LU_OK && refusal == VERIFY_OK) {
            rc = store_events_head(conn, &seq);
        }
        rc = rc == LU_OK ? db_commit(conn) : rc;
        if (rc != LU_OK) {
            db_rollback(conn);
        }
    }
    api_db_done(conn);
    if (rc == LU_CONFLICT) {
        /* A concurrent use of the same token committed first. */
        rc = LU_OK;
        refusal = VERIFY_USED;
        json_decref(guest);
        guest = NULL;
    }
    if (rc != LU_OK) {
        json_decref(guest);
        reply_rc(req, rc);
        return;
    }
    if (seq > 0) {
        changes_published(seq);
    }
    struct verify_answer a = answer_for(refusal);
    reply_page(req, &a, json_string_value(json_object_get(guest, "email_verified_at")));
    json_decref(guest);
}
