/*
 * idempotency_cache.c — the Redis copy of committed idempotent responses,
 * used by write.c around its database path (SPEC §3 Idempotency-Key).
 *
 * The database's idempotency_keys row, committed with the change, stays
 * the authority: this cache is only consulted before a transaction is
 * opened, answers only what the database already committed, and on a miss,
 * an outage or the embedded default leaves the decision to the database.
 * Its replies are the database path's, byte for byte: the same status,
 * body, Idempotent-Replayed header and 409 idempotency_mismatch.
 */
#include <string.h>

#include "api/api_internal.h"
#include "core/assert.h"
#include "core/clock.h"
#include "kv/kv.h"

bool api_idempotency_cached(struct api_write *w, int ttl_s)
{
    LU_ASSERT(w != NULL && w->key != NULL && w->conn == NULL);
    struct lu_req *req = w->req;
    if (req->app->kv == NULL) {
        return false;
    }
    struct kv_idempotency rec;
    if (kv_idempotency_get(req->app->kv, req->principal.sub, w->key, &rec) != LU_OK) {
        return false;
    }
    if (clock_now_s() - rec.created_s > ttl_s) {
        /* Past the database's window too: it deletes its row and runs the
         * request afresh, and so must we. */
        kv_idempotency_free(&rec);
        return false;
    }
    bool same = strcmp(rec.method, req->method) == 0 && strcmp(rec.path, req->path) == 0 &&
                strcmp(rec.body_hash, w->body_hash) == 0;
    if (same) {
        reply_header_add(req, "Idempotent-Replayed", "true");
        reply_raw(req, rec.status, "application/json", rec.response, strlen(rec.response));
    } else {
        reply_error(req, 409, "idempotency_mismatch",
                    "this Idempotency-Key was used with a different request", "Idempotency-Key");
    }
    kv_idempotency_free(&rec);
    return true;
}

void api_idempotency_cache_put(const struct api_write *w, int status, const char *response,
                               int ttl_s)
{
    LU_ASSERT(w != NULL && w->key != NULL && response != NULL);
    const struct lu_req *req = w->req;
    if (req->app->kv == NULL) {
        return;
    }
    struct kv_idempotency rec = {.method = req->method,
                                 .path = req->path,
                                 .body_hash = w->body_hash,
                                 .response = response,
                                 .status = status,
                                 .created_s = clock_now_s()};
    /* Best effort: the committed row answers replays when this fails. */
    (void)kv_idempotency_put(req->app->kv, req->principal.sub, w->key, &rec, ttl_s);
}
