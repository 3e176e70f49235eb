/*
 * outbox_internal.h — what the outbox's files share: the retry policy, one
 * bounded HTTP POST, and the two providers. Included only by src/outbox/
 * and its unit tests (tests/unit/test_outbox.c).
 */
#ifndef LU_OUTBOX_INTERNAL_H
#define LU_OUTBOX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/limits.h"
#include "store/outbox.h"

/* --- the retry policy (policy.c): pure functions ----------------------- */

/* The wait before the next attempt after `attempts` attempts (>= 1): base_ms
 * doubled per attempt, plus jitter/2^32 of a quarter of it, capped at
 * OUTBOX_BACKOFF_MAX_MS. Never less than base_ms. */
int64_t outbox_backoff_ms(int base_ms, int attempts, uint32_t jitter);

/* A Retry-After value (delta seconds, or an HTTP date judged against now_s)
 * in whole seconds, capped at OUTBOX_RETRY_AFTER_MAX_S; -1 when absent or
 * unreadable. */
int outbox_retry_after_parse(const char *value, int64_t now_s);

/* What one provider answer means. transport: no HTTP answer (connection
 * failure, timeout, oversized answer). provider "resend" or "twilio"; body
 * (may be NULL) is the answer. 2xx → SENT; transport errors, 5xx and 429 →
 * RETRY; Resend's 409 concurrent_idempotent_requests (the same key still in
 * flight, after a lease ran out) → RETRY; any other status → FAILED. */
enum outbox_outcome outbox_classify(bool transport, long status, const char *provider,
                                    const char *body);

/* Copies text into out (cap bytes) with every occurrence of each non-empty
 * secret replaced by "[redacted]", control characters by spaces and other
 * non-ASCII bytes by '?', cut to fit. secrets is NULL-terminated. */
void outbox_scrub(const char *text, const char *const *secrets, char *out, size_t cap);

/* --- one HTTP POST (http.c) ---------------------------------------------- */

/* curl's error buffer size (CURL_ERROR_SIZE; http.c asserts they match). */
#define OUTBOX_CURL_ERROR_BYTES 256

struct outbox_http_request {
    const char *url;
    const char *const *headers; /* NULL-terminated "Name: value" lines */
    const char *body;
    const char *basic_user; /* HTTP Basic credentials, or NULL */
    const char *basic_password;
    long timeout_ms;
};

struct outbox_http_answer {
    bool transport;        /* no usable answer: error holds curl's reason */
    long status;           /* the HTTP status when !transport */
    char *body;            /* owned (free): the answer, NUL-terminated; may be NULL */
    size_t len;
    int retry_after_s;     /* from Retry-After, or -1 */
    char error[OUTBOX_CURL_ERROR_BYTES];
};

/* POSTs through curl (a handle the caller owns and reuses, so connections
 * are kept alive), with OUTBOX_CONNECT_TIMEOUT_MS to connect and
 * request->timeout_ms in all, http and https only, no redirects, answers
 * capped at OUTBOX_RESPONSE_BYTES_MAX. Always fills *answer; free its body. */
void outbox_http_post(void *curl, const struct outbox_http_request *request,
                      struct outbox_http_answer *answer);

/* --- the providers (resend.c, twilio_send.c) --------------------------- */

struct outbox_verdict {
    enum outbox_outcome outcome;
    char provider_id[128];
    char provider_status[32];
    char from_addr[64];
    char error[OUTBOX_ERROR_BYTES_MAX];
    int retry_after_s; /* -1 when the provider gave none */
    bool transport;    /* no HTTP answer; else http_status holds the status */
    long http_status;
};

/* Sends c by email through Resend: POST {RESEND_API_URL}/emails, bearer
 * RESEND_API_KEY, JSON {from, to, subject, text[, html]}, and the row's
 * idempotency key as Idempotency-Key. SENT carries Resend's `id`. */
void resend_send(void *curl, const struct lu_config *cfg, const struct outbox_claim *c,
                 struct outbox_verdict *v);

/* Sends c by SMS or WhatsApp through Twilio: POST
 * {TWILIO_API_URL}/2010-04-01/Accounts/{SID}/Messages.json, form-encoded
 * To, From, Body, HTTP Basic SID:token. SENT carries Twilio's `sid`, its
 * `status` and the sender. */
void twilio_send(void *curl, const struct lu_config *cfg, const struct outbox_claim *c,
                 struct outbox_verdict *v);

/* Fills v->error for a non-2xx answer or a transport failure: "HTTP 422
 * (validation_error): <provider message>" or "network: <reason>", with
 * cfg's secrets scrubbed. */
void outbox_verdict_error(const struct lu_config *cfg, const char *provider,
                          const struct outbox_http_answer *a, struct outbox_verdict *v);

#endif
