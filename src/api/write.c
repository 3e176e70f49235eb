/*
 * write.c — the one way a handler writes: begin a write transaction, check
 * the Idempotency-Key, let the store change records (each change appends its
 * audit event), store the idempotent response, commit, and only then reply.
 *
 * Because the idempotency record commits in the same transaction as the
 * change, a replay after a crash finds either both or neither. With Redis,
 * a copy of the committed response is cached there and checked before the
 * transaction (idempotency_cache.c); the database stays the authority. Two
 * concurrent requests with one key serialise on the write lock (SQLite) or
 * on the key's primary key (PostgreSQL): the loser replays the winner.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/assert.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/json_out.h"
#include "store/changes.h"

/* SPEC §3: a key is honoured for 24 hours. */
#define IDEMPOTENCY_TTL_S (24 * 3600)
#define IDEMPOTENCY_KEY_BYTES_MAX 255

static void body_hash(const struct lu_req *req, char out[65])
{
    unsigned char digest[32];
    unsigned int n = 0;
    EVP_Digest(req->body ? req->body : "", req->body_len, digest, &n, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
    }
}

static bool key_valid(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > IDEMPOTENCY_KEY_BYTES_MAX) {
        return false;
    }
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        if (*p < 0x21 || *p > 0x7e) {
            return false;
        }
    }
    return true;
}

static void finish(struct api_write *w)
{
    db_release(w->conn);
    w->conn = NULL;
}

/*
 * Looks the key up inside the open transaction. Returns true when the
 * request must go on; false when it has been answered (replay, mismatch,
 * or an error), in which case the transaction is rolled back.
 */
static bool idempotency_check(struct api_write *w)
{
    struct lu_req *req = w->req;
    struct db_param p[] = {P_TEXT(req->principal.sub), P_TEXT(w->key)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(w->conn,
                            "SELECT method, path, body_hash, status, response, created_at "
                            "FROM idempotency_keys WHERE actor = ? AND key = ?",
                            p, 2, &rows, NULL);
    if (rc != LU_OK) {
        db_rows_free(rows);
        api_write_fail(w, rc);
        return false;
    }
    if (rows->nrows == 0) {
        db_rows_free(rows);
        return true;
    }
    int64_t created = 0;
    clock_parse_rfc3339(db_rows_text(rows, 0, 5), &created);
    if (clock_now_s() - created > IDEMPOTENCY_TTL_S) {
        db_rows_free(rows);
        rc = db_exec(w->conn, "DELETE FROM idempotency_keys WHERE actor = ? AND key = ?", p, 2,
                     NULL, NULL);
        if (rc != LU_OK) {
            api_write_fail(w, rc);
            return false;
        }
        return true;
    }
    bool same = strcmp(db_rows_text(rows, 0, 0), req->method) == 0 &&
                strcmp(db_rows_text(rows, 0, 1), req->path) == 0 &&
                strcmp(db_rows_text(rows, 0, 2), w->body_hash) == 0;
    db_rollback(w->conn);
    finish(w);
    if (same) {
        const char *resp = db_rows_text(rows, 0, 4);
        reply_header_add(req, "Idempotent-Replayed", "true");
        reply_raw(req, (int)db_rows_int(rows, 0, 3), "application/json", resp, strlen(resp));
    } else {
        reply_error(req, 409, "idempotency_mismatch",
                    "this Idempotency-Key was used with a different request", "Idempotency-Key");
    }
    db_rows_free(rows);
    return false;
}

bool api_write_begin(struct lu_req *req, struct api_write *w)
{
    memset(w, 0, sizeof *w);
    w->req = req;
    const char *key = strcmp(req->method, "POST") == 0 ? req_header(req, "Idempotency-Key") : NULL;
    if (key != NULL && !key_valid(key)) {
        reply_error(req, 400, "invalid_field",
                    "Idempotency-Key must be 1 to 255 printable ASCII characters",
                    "Idempotency-Key");
        return false;
    }
    w->key = key;
    if (key != NULL) {
        body_hash(req, w->body_hash);
        if (api_idempotency_cached(w, IDEMPOTENCY_TTL_S)) {
            return false; /* replayed or refused from Redis, no transaction */
        }
    }
    w->conn = api_db(req);
    if (w->conn == NULL) {
        return false;
    }
    enum lu_rc rc = db_begin(w->conn, true);
    if (rc != LU_OK) {
        finish(w);
        reply_rc(req, rc == LU_IO ? LU_UNAVAILABLE : rc);
        return false;
    }
    return key == NULL || idempotency_check(w);
}

static enum lu_rc idempotency_store(struct api_write *w, int status, const char *text)
{
    char now[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    struct db_param p[] = {P_TEXT(w->req->principal.sub), P_TEXT(w->key), P_TEXT(w->req->method),
                           P_TEXT(w->req->path), P_TEXT(w->body_hash), P_INT(status),
                           P_TEXT(text), P_TEXT(now)};
    return db_exec(w->conn,
                   "INSERT INTO idempotency_keys (actor, key, method, path, body_hash, status, "
                   "response, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   p, 8, NULL, NULL);
}

static int64_t head_seq(struct db_conn *conn)
{
    struct db_rows *rows = NULL;
    int64_t seq = 0;
    if (db_exec(conn, "SELECT seq FROM audit_head WHERE one = 1", NULL, 0, &rows, NULL) == LU_OK &&
        rows->nrows > 0) {
        seq = db_rows_int(rows, 0, 0);
    }
    db_rows_free(rows);
    return seq;
}

void api_write_commit(struct api_write *w, int status, json_t *body)
{
    LU_ASSERT(w->conn != NULL);
    struct lu_req *req = w->req;
    size_t len = 0;
    char *text = json_out_dump(body, &len); /* json_dumps(JSON_COMPACT)'s bytes, faster */
    json_t *version = json_object_get(body, "version");
    char etag[32] = "";
    if (json_is_integer(version)) {
        snprintf(etag, sizeof etag, "\"%lld\"", (long long)json_integer_value(version));
    }
    json_decref(body);
    if (text == NULL) {
        api_write_fail(w, LU_NOMEM);
        return;
    }
    enum lu_rc rc = w->key ? idempotency_store(w, status, text) : LU_OK;
    if (rc == LU_CONFLICT) {
        /* A concurrent request with the same key committed first. */
        free(text);
        db_rollback(w->conn);
        finish(w);
        reply_error(req, 409, "conflict",
                    "a request with this Idempotency-Key is being processed; retry to get its "
                    "response",
                    "Idempotency-Key");
        return;
    }
    int64_t seq = rc == LU_OK ? head_seq(w->conn) : 0;
    if (rc == LU_OK) {
        rc = db_commit(w->conn);
    }
    if (rc != LU_OK) {
        free(text);
        api_write_fail(w, rc);
        return;
    }
    finish(w);
    if (w->key != NULL) {
        api_idempotency_cache_put(w, status, text, IDEMPOTENCY_TTL_S);
    }
    if (seq > 0) {
        changes_published(seq);
    }
    if (etag[0] != '\0') {
        reply_header_add(req, "ETag", etag);
    }
    reply_json_text(req, status, text, len); /* takes text */
}

void api_write_commit_raw(struct api_write *w, int status, const char *content_type,
                          const char *data, size_t len)
{
    LU_ASSERT(w->conn != NULL);
    int64_t seq = head_seq(w->conn);
    enum lu_rc rc = db_commit(w->conn);
    if (rc != LU_OK) {
        api_write_fail(w, rc);
        return;
    }
    finish(w);
    if (seq > 0) {
        changes_published(seq);
    }
    reply_raw(w->req, status, content_type, data, len);
}

void api_write_fail(struct api_write *w, enum lu_rc rc)
{
    if (w->conn != NULL) {
        db_rollback(w->conn);
        finish(w);
    }
    if (!reply_done(w->req)) {
        reply_rc(w->req, rc == LU_OK ? LU_IO : rc);
    }
}
