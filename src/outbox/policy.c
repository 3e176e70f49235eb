/*
 * policy.c — the outbox's retry policy as pure functions (see
 * outbox_internal.h): backoff, Retry-After, what an answer means, and the
 * scrubbing of secrets from the error kept on a row. Unit-tested in
 * tests/unit/test_outbox.c.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "outbox/outbox_internal.h"

int64_t outbox_backoff_ms(int base_ms, int attempts, uint32_t jitter)
{
    LU_ASSERT(base_ms >= 1 && attempts >= 1);
    int64_t delay = base_ms;
    for (int i = 1; i < attempts && delay < OUTBOX_BACKOFF_MAX_MS; i++) {
        delay *= 2;
    }
    if (delay > OUTBOX_BACKOFF_MAX_MS) {
        delay = OUTBOX_BACKOFF_MAX_MS;
    }
    /* Up to a quarter more, never less: retries keep to the documented
     * schedule at the least, and processes that failed together spread. */
    delay += (int64_t)(((uint64_t)(delay / 4) * jitter) >> 32);
    return delay > OUTBOX_BACKOFF_MAX_MS ? OUTBOX_BACKOFF_MAX_MS : delay;
}

int outbox_retry_after_parse(const char *value, int64_t now_s)
{
    if (value == NULL) {
        return -1;
    }
    while (*value == ' ' || *value == '\t') {
        value++;
    }
    if (*value >= '0' && *value <= '9') {
        char *end = NULL;
        long long v = strtoll(value, &end, 10);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') {
            end++;
        }
        if (*end != '\0' || v < 0) {
            return -1;
        }
        return v > OUTBOX_RETRY_AFTER_MAX_S ? OUTBOX_RETRY_AFTER_MAX_S : (int)v;
    }
    time_t when = curl_getdate(value, NULL);
    if (when == -1) {
        return -1;
    }
    int64_t delta = (int64_t)when - now_s;
    if (delta < 0) {
        return 0;
    }
    return delta > OUTBOX_RETRY_AFTER_MAX_S ? OUTBOX_RETRY_AFTER_MAX_S : (int)delta;
}

enum outbox_outcome outbox_classify(bool transport, long status, const char *provider,
                                    const char *body)
{
    if (transport || status >= 500 || status == 429) {
        return OUTBOX_RETRY;
    }
    if (status >= 200 && status <= 299) {
        return OUTBOX_SENT;
    }
    /* Resend answers 409 concurrent_idempotent_requests while a request with
     * the same key is still being processed: the first try of a row whose
     * lease ran out may still be in flight there, so ask again later. Its
     * other 409 (invalid_idempotent_request: same key, other payload) is a
     * bug of ours and fails. */
    if (status == 409 && strcmp(provider, "resend") == 0 && body != NULL &&
        strstr(body, "concurrent_idempotent_requests") != NULL) {
        return OUTBOX_RETRY;
    }
    return OUTBOX_FAILED;
}

void outbox_scrub(const char *text, const char *const *secrets, char *out, size_t cap)
{
    LU_ASSERT(cap > 0);
    static const char mark[] = "[redacted]";
    size_t o = 0;
    const char *p = text ? text : "";
    while (*p && o + 1 < cap) {
        size_t skip = 0;
        for (size_t i = 0; secrets != NULL && secrets[i] != NULL; i++) {
            size_t n = strlen(secrets[i]);
            if (n > 0 && strncmp(p, secrets[i], n) == 0) {
                skip = n;
                break;
            }
        }
        if (skip > 0) {
            size_t room = cap - 1 - o;
            size_t n = sizeof mark - 1 < room ? sizeof mark - 1 : room;
            memcpy(out + o, mark, n);
            o += n;
            p += skip;
            continue;
        }
        /* ASCII only: a cut can then never split a UTF-8 sequence, which
         * PostgreSQL would refuse to store. */
        unsigned char c = (unsigned char)*p++;
        out[o++] = c < 0x20 ? ' ' : c >= 0x7f ? '?' : (char)c;
    }
    out[o] = '\0';
}
