/*
 * waitlist.c — POST /api/waitlist (SPEC §7), public: validates and
 * lower-cases the email, lists it once, and queues one welcome email in the
 * outbox in the same transaction. 201 {"status":"queued"} for a new
 * address, 200 {"status":"already_listed"} (and no second email) for a
 * known one. Rate-limited to WAITLIST_RATE_LIMIT a minute per client
 * address (the TCP peer), counted before anything else so that invalid
 * bodies count too.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "api/checks.h"
#include "core/limits.h"
#include "kv/kv.h"
#include "outbox/outbox.h"
#include "store/outbox.h"

static const struct field_spec waitlist_fields[] = {
    {.name = "email", .type = F_STRING, .required = true, .min_len = 3, .max_len = 254,
     .check = check_email, .hint = "email must be an email address"},
    {.name = "name", .type = F_STRING, .nullable = true, .max_len = NAME_BYTES_MAX,
     .hint = "name must be at most 200 characters"},
    {.name = "source", .type = F_STRING, .nullable = true, .max_len = WAITLIST_SOURCE_BYTES_MAX,
     .hint = "source must be at most 100 characters"},
};

/* False (answered 429, or 503) when the client is over its limit. */
static bool rate_ok(struct lu_req *req)
{
    char addr[64];
    char bucket[KV_RATE_BUCKET_BYTES_MAX];
    if (!req_client_address(req, addr, sizeof addr)) {
        snprintf(addr, sizeof addr, "unknown");
    }
    snprintf(bucket, sizeof bucket, "waitlist:%s", addr);
    bool allowed = true;
    int retry_after_s = 0;
    enum lu_rc rc = rate_limit_hit(req->app->kv, bucket, WAITLIST_RATE_LIMIT,
                                   WAITLIST_RATE_WINDOW_S, &allowed, &retry_after_s);
    if (rc != LU_OK) {
        reply_rc(req, rc);
        return false;
    }
    if (!allowed) {
        char seconds[16];
        snprintf(seconds, sizeof seconds, "%d", retry_after_s);
        reply_header_add(req, "Retry-After", seconds);
        reply_error(req, 429, "rate_limited",
                    "too many waitlist sign-ups from this address; retry after Retry-After "
                    "seconds",
                    NULL);
        return false;
    }
    return true;
}

/* Lists the address and queues its welcome; *created false when known. */
static enum lu_rc join(struct api_write *w, const char *email, const json_t *body, bool *created)
{
    json_t *entry = NULL;
    enum lu_rc rc = store_waitlist_join(w->conn, api_actor(w->req), email,
                                        json_string_value(json_object_get(body, "name")),
                                        json_string_value(json_object_get(body, "source")),
                                        created, &entry);
    if (rc != LU_OK || !*created) {
        return rc;
    }
    json_t *payload = outbox_welcome_payload();
    char key[ID_BYTES_MAX + 16];
    snprintf(key, sizeof key, "waitlist:%s", json_string_value(json_object_get(entry, "id")));
    struct outbox_new n = {
        .kind = "waitlist_welcome",
        .channel = "email",
        .recipient = email,
        .payload = payload,
        .idempotency_key = key,
    };
    char outbox_id[ID_BYTES_MAX];
    rc = payload ? store_outbox_enqueue(w->conn, &n, outbox_id) : LU_NOMEM;
    json_decref(payload);
    json_decref(entry);
    return rc;
}

void api_waitlist_join(struct lu_req *req)
{
    if (!rate_ok(req)) {
        return;
    }
    json_t *body = NULL;
    if (!api_body_checked(req, waitlist_fields, sizeof waitlist_fields / sizeof waitlist_fields[0],
                          false, NULL, &body)) {
        return;
    }
    char email[256];
    snprintf(email, sizeof email, "%s", json_string_value(json_object_get(body, "email")));
    for (char *p = email; *p; p++) {
        *p = (char)tolower((unsigned char)*p);
    }
    struct api_write w;
    if (!api_write_begin(req, &w)) {
        json_decref(body);
        return;
    }
    bool created = false;
    enum lu_rc rc = join(&w, email, body, &created);
    json_decref(body);
    if (rc != LU_OK) {
        api_write_fail(&w, rc);
        return;
    }
    api_write_commit(&w, created ? 201 : 200,
                     json_pack("{s:s}", "status", created ? "queued" : "already_listed"));
    if (created) {
        outbox_wake();
    }
}
