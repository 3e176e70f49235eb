/*
 * webhooks.c — POST /webhooks/twilio and POST /webhooks/postmark (SPEC §7):
 * the providers' own authentication (X-Twilio-Signature; HTTP Basic for
 * Postmark), their formats read by src/intake/, and the message stored
 * through intake in one write transaction before the 200.
 *
 * Nothing is stored unless the request authenticates: a bad signature is
 * 403, bad credentials 401, and an unconfigured secret refuses everything
 * (nothing could be verified). A provider retry of a stored message is
 * answered 200 and changes nothing. A database outage is 503, so the
 * provider retries. Logs name the message id and outcome, never a phone
 * number, an email address, a body or a signature.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_internal.h"
#include "core/base64.h"
#include "core/log.h"
#include "http/metrics.h"
#include "intake/intake.h"
#include "ops/status.h"

/* Twilio's empty TwiML answer: nothing to send back to the guest. */
static const char TWIML_EMPTY[] = "<Response></Response>";

static void observe(const char *source, const char *outcome)
{
    metrics_webhook_observe(source, outcome);
    /* These outcomes come only after the provider's signature or
     * credentials verified: a live proof for /admin/status. */
    if (strcmp(outcome, "stored") == 0 || strcmp(outcome, "duplicate") == 0 ||
        strcmp(outcome, "status_ignored") == 0) {
        ops_status_prove(source, true, "last verified webhook stored");
    }
}

/* 503 for a write that could not be made; a concurrent twin's conflict is
 * a 503 too, since the provider's retry will find the stored message. */
static void write_failed(struct api_write *w, enum lu_rc rc, const char *source)
{
    observe(source, "unavailable");
    api_write_fail(w, rc == LU_CONFLICT || rc == LU_IO ? LU_UNAVAILABLE : rc);
}

static void log_outcome(const struct lu_req *req, const char *source,
                        const struct intake_message *m, const struct intake_outcome *out)
{
    log_msg(LOG_INFO, req->request_id,
            "%s webhook: message %s (%s) %s, %s, thread %s%s%s", source, out->message_id,
            m->channel, out->duplicate ? "already stored" : "stored",
            out->linked ? "linked" : "unlinked", out->thread_id[0] ? out->thread_id : "-",
            out->item_id[0] ? ", item " : "", out->item_id);
}

/* --- Twilio ------------------------------------------------------------------ */

/* LUCIA_PUBLIC_URL + the request-target as received (path and query). */
static char *signed_url(const struct lu_req *req)
{
    const char *target = req->target ? req->target : req->path;
    size_t n = strlen(req->app->cfg.public_url) + strlen(target) + 1;
    char *url = malloc(n);
    if (url != NULL) {
        snprintf(url, n, "%s%s", req->app->cfg.public_url, target);
    }
    return url;
}

static bool form_content_type(const struct lu_req *req)
{
    const char *type = req_header(req, "Content-Type");
    return type == NULL ||
           strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0;
}

/* Verifies and parses; replies and returns false on any failure. */
static bool twilio_accept(struct lu_req *req, struct form *form)
{
    const char *token = req->app->cfg.twilio_auth_token;
    if (token == NULL || token[0] == '\0') {
        observe("twilio", "not_configured");
        reply_error(req, 403, "forbidden",
                    "Twilio webhooks are not configured: TWILIO_AUTH_TOKEN is not set", NULL);
        return false;
    }
    if (!form_content_type(req)) {
        observe("twilio", "invalid");
        reply_error(req, 400, "invalid_field",
                    "Twilio posts application/x-www-form-urlencoded bodies", "Content-Type");
        return false;
    }
    enum lu_rc rc = intake_form_parse(req->body, req->body_len, form);
    if (rc != LU_OK) {
        observe("twilio", rc == LU_TOO_LARGE ? "too_large" : "unavailable");
        reply_rc(req, rc);
        return false;
    }
    char *url = signed_url(req);
    if (url == NULL) {
        observe("twilio", "unavailable");
        reply_rc(req, LU_NOMEM);
        return false;
    }
    bool ok = intake_twilio_verify(token, url, form, req_header(req, "X-Twilio-Signature"));
    free(url);
    if (!ok) {
        observe("twilio", "bad_signature");
        log_msg(LOG_WARN, req->request_id, "twilio webhook: signature missing or wrong");
        reply_error(req, 403, "forbidden", "X-Twilio-Signature does not match this request",
                    "X-Twilio-Signature");
    }
    return ok;
}

static void twilio_store(struct lu_req *req, const struct form *form)
{
    struct intake_message m;
    json_t *media = NULL;
    const char *field = NULL;
    enum lu_rc rc = intake_twilio_message(form, &m, &media, &field);
    if (rc == LU_INVALID) {
        observe("twilio", "invalid");
        char msg[120];
        snprintf(msg, sizeof msg, "%s is missing or invalid", field);
        reply_error(req, 400, "invalid_field", msg, field);
        return;
    }
    struct api_write w;
    if (rc != LU_OK) {
        observe("twilio", "unavailable");
        reply_rc(req, rc);
    } else if (api_write_begin(req, &w)) {
        struct intake_outcome out;
        rc = intake_message_store(w.conn, "intake:twilio", &m, &out);
        if (rc != LU_OK) {
            write_failed(&w, rc, "twilio");
        } else {
            api_write_commit_raw(&w, 200, "text/xml", TWIML_EMPTY, strlen(TWIML_EMPTY));
            if (req->status == 200) {
                observe("twilio", out.duplicate ? "duplicate" : "stored");
                log_outcome(req, "twilio", &m, &out);
            } else {
                observe("twilio", "unavailable");
            }
        }
    } else {
        observe("twilio", "unavailable"); /* api_write_begin answered (503) */
    }
    json_decref(media);
}

void api_webhook_twilio(struct lu_req *req)
{
    struct form form;
    memset(&form, 0, sizeof form);
    if (twilio_accept(req, &form)) {
        if (intake_twilio_is_status(&form)) {
            /* A delivery report for a message Lucia sent: the outbox owns
             * those rows; nothing of the guest's to store here. */
            observe("twilio", "status_ignored");
            reply_raw(req, 200, "text/xml", TWIML_EMPTY, strlen(TWIML_EMPTY));
        } else {
            twilio_store(req, &form);
        }
    }
    intake_form_free(&form);
}

/* --- Postmark ------------------------------------------------------------------ */

/* Equal in constant time whatever the lengths: the digests are compared. */
static int secret_differs(const char *given, size_t given_len, const char *expected)
{
    unsigned char a[32];
    unsigned char b[32];
    unsigned int n = 0;
    EVP_Digest(given, given_len, a, &n, EVP_sha256(), NULL);
    EVP_Digest(expected, strlen(expected), b, &n, EVP_sha256(), NULL);
    return CRYPTO_memcmp(a, b, sizeof a) != 0;
}

/* True when Authorization is Basic with LUCIA_POSTMARK_USER/PASSWORD. */
static bool postmark_credentials_ok(const struct lu_req *req)
{
    const char *user = req->app->cfg.postmark_user;
    const char *password = req->app->cfg.postmark_password;
    const char *header = req_header(req, "Authorization");
    if (user == NULL || password == NULL || header == NULL ||
        strncasecmp(header, "Basic ", 6) != 0) {
        return false;
    }
    const char *text = header + 6;
    while (*text == ' ') {
        text++;
    }
    unsigned char *decoded = NULL;
    size_t len = 0;
    if (b64_decode(text, strlen(text), &decoded, &len) != LU_OK) {
        return false;
    }
    const char *colon = memchr(decoded, ':', len);
    bool ok = false;
    if (colon != NULL) {
        size_t user_len = (size_t)(colon - (const char *)decoded);
        /* Both compared, always: the time says nothing about which failed. */
        int bad = secret_differs((const char *)decoded, user_len, user);
        bad |= secret_differs(colon + 1, len - user_len - 1, password);
        ok = bad == 0;
    }
    OPENSSL_cleanse(decoded, len);
    free(decoded);
    return ok;
}

static void postmark_store(struct lu_req *req, const json_t *payload)
{
    struct intake_message m;
    json_t *attachments = NULL;
    const char *field = NULL;
    enum lu_rc rc = intake_postmark_message(payload, &m, &attachments, &field);
    struct api_write w;
    if (rc == LU_INVALID || rc == LU_TOO_LARGE) {
        observe("postmark", rc == LU_INVALID ? "invalid" : "too_large");
        char msg[120];
        snprintf(msg, sizeof msg, rc == LU_INVALID ? "%s is missing or invalid"
                                                   : "%s lists more than Lucia accepts",
                 field);
        reply_error(req, rc == LU_INVALID ? 400 : 413,
                    rc == LU_INVALID ? "invalid_field" : "too_large", msg, field);
    } else if (rc != LU_OK) {
        observe("postmark", "unavailable");
        reply_rc(req, rc);
    } else if (api_write_begin(req, &w)) {
        struct intake_outcome out;
        rc = intake_message_store(w.conn, "intake:postmark", &m, &out);
        json_t *body = rc == LU_OK ? json_pack("{s:s, s:s, s:s?, s:s?}", "status",
                                               out.duplicate ? "duplicate" : "stored", "id",
                                               out.message_id, "thread_id",
                                               out.thread_id[0] ? out.thread_id : NULL,
                                               "item_id", out.item_id[0] ? out.item_id : NULL)
                                   : NULL;
        if (rc == LU_OK && body == NULL) {
            rc = LU_NOMEM;
        }
        if (rc != LU_OK) {
            write_failed(&w, rc, "postmark");
        } else {
            api_write_commit(&w, 200, body);
            if (req->status == 200) {
                observe("postmark", out.duplicate ? "duplicate" : "stored");
                log_outcome(req, "postmark", &m, &out);
            } else {
                observe("postmark", "unavailable");
            }
        }
    } else {
        observe("postmark", "unavailable"); /* api_write_begin answered (503) */
    }
    json_decref(attachments);
}

void api_webhook_postmark(struct lu_req *req)
{
    if (!postmark_credentials_ok(req)) {
        bool configured = req->app->cfg.postmark_user != NULL &&
                          req->app->cfg.postmark_password != NULL;
        observe("postmark", configured ? "unauthorized" : "not_configured");
        if (configured) {
            log_msg(LOG_WARN, req->request_id, "postmark webhook: credentials missing or wrong");
        }
        reply_header_add(req, "WWW-Authenticate", "Basic realm=\"lucia-postmark\"");
        reply_error(req, 401, "unauthorized",
                    configured ? "HTTP Basic credentials of the Postmark webhook are required"
                               : "Postmark webhooks are not configured: LUCIA_POSTMARK_USER "
                                 "and LUCIA_POSTMARK_PASSWORD are not set",
                    NULL);
        return;
    }
    json_error_t jerr;
    json_t *payload = req->body_len > 0 ? json_loadb(req->body, req->body_len, 0, &jerr) : NULL;
    if (!json_is_object(payload)) {
        observe("postmark", "invalid");
        reply_error(req, 400, "invalid_json", "the body must be Postmark's inbound JSON object",
                    NULL);
    } else {
        postmark_store(req, payload);
    }
    json_decref(payload);
}
