/*
 * kv.c — the key-value store's public half (see kv.h): each use composes
 * Redis, when configured and reachable, with its embedded fallback.
 *
 * Called by handlers (idempotency cache, rate limits, operator focus
 * sessions) and by /ready. It owns the `sessions` table's SQL; it must not
 * make Redis the only home of anything durable, so every session write goes
 * to the table first.
 *
 * Redis keys, all under the configured prefix:
 *   sess:<session id>                       session state (JSON), EX ttl
 *   rl:<window_s>:<window index>:<bucket>   hits in one window, EX to its end
 *   idem:<len(actor)>:<actor>:<key>         a committed idempotent response
 * The actor's length keeps "a:b"+"c" apart from "a"+"b:c".
 */
#include "kv/kv.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/limits.h"
#include "core/log.h"
#include "kv/kv_internal.h"

struct kv {
    struct db *db;              /* borrowed */
    struct redis_client *redis; /* NULL when embedded */
    struct rate_table *rates;   /* always: the fallback of rate_limit_hit */
    char prefix[KV_PREFIX_BYTES_MAX + 1];
    char display[320];
    pthread_mutex_t purge_lock;
    int64_t purged_s; /* when expired sessions were last deleted */
};

/* ---- helpers ------------------------------------------------------------ */

/* prefix + the formatted rest; false when it would pass KV_KEY_BYTES_MAX. */
__attribute__((format(printf, 3, 4))) static bool
key_of(const struct kv *kv, char key[KV_KEY_BYTES_MAX + 1], const char *fmt, ...)
{
    size_t plen = strlen(kv->prefix);
    memcpy(key, kv->prefix, plen + 1);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(key + plen, KV_KEY_BYTES_MAX + 1 - plen, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n <= KV_KEY_BYTES_MAX - plen;
}

/* GET key as JSON: LU_OK with *out owned, LU_NOT_FOUND on a miss or a value
 * that is not ours, LU_UNAVAILABLE when Redis is. */
static enum lu_rc redis_get_json(struct kv *kv, const char *key, json_t **out)
{
    struct redis_cmd get = {.argc = 2, .argv = {"GET", key}, .lens = {3, strlen(key)}};
    redisReply *r = NULL;
    enum lu_rc rc = redis_client_pipeline(kv->redis, &get, 1, &r, NULL);
    if (rc != LU_OK) {
        return rc;
    }
    rc = LU_NOT_FOUND;
    if (r->type == REDIS_REPLY_STRING && r->len <= KV_VALUE_BYTES_MAX) {
        json_error_t error;
        *out = json_loadb(r->str, r->len, JSON_REJECT_DUPLICATES, &error);
        if (json_is_object(*out)) {
            rc = LU_OK;
        } else {
            json_decref(*out);
            *out = NULL;
        }
    }
    if (rc != LU_OK && r->type != REDIS_REPLY_NIL) {
        log_msg(LOG_WARN, NULL, "redis: ignoring a value that is not a JSON object of ours");
    }
    freeReplyObject(r);
    return rc;
}

static enum lu_rc redis_set_ex(struct kv *kv, const char *key, const char *value, int ttl_s,
                               const char *stale_key)
{
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    struct redis_cmd set = {.argc = 5,
                            .argv = {"SET", key, value, "EX", ttl},
                            .lens = {3, strlen(key), strlen(value), 2, strlen(ttl)}};
    redisReply *r = NULL;
    enum lu_rc rc = redis_client_pipeline(kv->redis, &set, 1, &r, stale_key);
    if (rc == LU_OK) {
        freeReplyObject(r);
    }
    return rc;
}

/* Printable ASCII, 1..max bytes: what we put in keys and table ids. */
static bool token_valid(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        if (n >= max || (unsigned char)s[n] < 0x21 || (unsigned char)s[n] > 0x7e) {
            return false;
        }
    }
    return n > 0;
}

/* The SCAN MATCH glob of every session key: the prefix with *?[]\ escaped. */
static bool session_pattern(const char *prefix, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = prefix; *p; p++) {
        if (strchr("*?[]\\", *p) != NULL) {
            if (o + 1 >= cap) {
                return false;
            }
            out[o++] = '\\';
        }
        if (o + 1 >= cap) {
            return false;
        }
        out[o++] = *p;
    }
    int n = snprintf(out + o, cap - o, "sess:*");
    return n > 0 && (size_t)n < cap - o;
}

/* ---- open, close, health ------------------------------------------------ */

static enum lu_rc open_redis(struct kv *kv, const struct kv_options *opt, char *err, size_t err_cap)
{
    struct redis_target target;
    if (kv_redis_url_parse(opt->redis_url, &target, err, err_cap) != LU_OK) {
        return LU_INVALID;
    }
    snprintf(kv->display, sizeof kv->display, "%s", target.display);
    char pattern[2 * KV_PREFIX_BYTES_MAX + 16];
    bool fits = session_pattern(kv->prefix, pattern, sizeof pattern);
    LU_ASSERT(fits); /* sized for a prefix of KV_PREFIX_BYTES_MAX, all escaped */
    enum lu_rc rc = redis_client_new(&target, opt->pool_size, pattern, &kv->redis);
    explicit_bzero(target.password, sizeof target.password);
    if (rc != LU_OK) {
        snprintf(err, err_cap, "out of memory for the Redis pool");
        return rc;
    }
    /* One PING now: a wrong address shows in the start-up log, not at the
     * first request. A failure is logged by the client and is not fatal. */
    if (redis_client_ping(kv->redis) == LU_OK) {
        log_msg(LOG_INFO, NULL,
                "sessions, rate limits and idempotency cache: redis at %s "
                "(prefix \"%s\")",
                kv->display, kv->prefix);
    }
    return LU_OK;
}

enum lu_rc kv_open(const struct kv_options *opt, struct db *db, struct kv **out, char *err,
                   size_t err_cap)
{
    LU_ASSERT(opt != NULL && opt->prefix != NULL && db != NULL && out != NULL);
    *out = NULL;
    if (strlen(opt->prefix) > KV_PREFIX_BYTES_MAX) {
        snprintf(err, err_cap, "LUCIA_REDIS_PREFIX must be at most %d bytes", KV_PREFIX_BYTES_MAX);
        return LU_INVALID;
    }
    struct kv *kv = calloc(1, sizeof *kv);
    if (kv == NULL) {
        snprintf(err, err_cap, "out of memory");
        return LU_NOMEM;
    }
    kv->db = db;
    snprintf(kv->prefix, sizeof kv->prefix, "%s", opt->prefix);
    pthread_mutex_init(&kv->purge_lock, NULL);
    kv->rates = rate_table_new(KV_RATE_BUCKETS_MAX);
    if (kv->rates == NULL) {
        snprintf(err, err_cap, "out of memory for the rate-limit table");
        kv_free(kv);
        return LU_NOMEM;
    }
    if (opt->redis_url != NULL && opt->redis_url[0] != '\0') {
        LU_ASSERT(opt->pool_size >= 1 && opt->pool_size <= KV_REDIS_POOL_MAX);
        enum lu_rc rc = open_redis(kv, opt, err, err_cap);
        if (rc != LU_OK) {
            kv_free(kv);
            return rc;
        }
    } else {
        log_msg(LOG_INFO, NULL, "sessions: embedded (database table; rate limits in process)");
    }
    *out = kv;
    return LU_OK;
}

void kv_free(struct kv *kv)
{
    if (kv == NULL) {
        return;
    }
    redis_client_free(kv->redis);
    rate_table_free(kv->rates);
    pthread_mutex_destroy(&kv->purge_lock);
    free(kv);
}

void kv_redis_stats(struct kv *kv, struct redis_client_stats *out)
{
    memset(out, 0, sizeof *out);
    if (kv->redis != NULL) {
        redis_client_stats_get(kv->redis, out);
    }
}

bool kv_redis_configured(const struct kv *kv)
{
    return kv->redis != NULL;
}

const char *kv_redis_display(const struct kv *kv)
{
    return kv->display;
}

enum kv_health kv_health(struct kv *kv)
{
    LU_ASSERT(kv != NULL);
    bool table = db_ping(kv->db) == LU_OK;
    if (kv->redis == NULL) {
        return table ? KV_HEALTH_OK : KV_HEALTH_DOWN;
    }
    bool redis = redis_client_ping(kv->redis) == LU_OK;
    if (redis && table) {
        return KV_HEALTH_OK;
    }
    /* Redis alone can serve loads but not durable saves: degraded too. */
    return redis || table ? KV_HEALTH_DEGRADED : KV_HEALTH_DOWN;
}

const char *kv_health_name(enum kv_health health)
{
    switch (health) {
    case KV_HEALTH_OK:
        return "ok";
    case KV_HEALTH_DEGRADED:
        return "degraded";
    case KV_HEALTH_DOWN:
        return "down";
    }
    return "down";
}

/* ---- sessions ------------------------------------------------------------ */

static enum lu_rc table_load(struct kv *kv, const char *id, json_t **state)
{
    struct db_conn *conn = db_acquire(kv->db);
    if (conn == NULL) {
        return LU_UNAVAILABLE;
    }
    char now[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    struct db_param p[] = {P_TEXT(id), P_TEXT(now)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn, "SELECT state FROM sessions WHERE id = ? AND expires_at > ?", p,
                            2, &rows, NULL);
    db_release(conn);
    if (rc == LU_OK && rows->nrows == 0) {
        rc = LU_NOT_FOUND;
    } else if (rc == LU_OK) {
        const char *text = db_rows_text(rows, 0, 0);
        json_error_t error;
        *state = json_loads(text ? text : "", JSON_REJECT_DUPLICATES, &error);
        if (!json_is_object(*state)) {
            /* Only this file writes the column; an unreadable row is a bug
             * elsewhere or a hand edit. Start the session fresh. */
            log_msg(LOG_WARN, NULL, "sessions: ignoring an unreadable state row");
            json_decref(*state);
            *state = NULL;
            rc = LU_NOT_FOUND;
        }
    }
    db_rows_free(rows);
    return rc == LU_OK || rc == LU_NOT_FOUND ? rc : LU_UNAVAILABLE;
}

enum lu_rc session_load(struct kv *kv, const char *session_id, json_t **state)
{
    LU_ASSERT(kv != NULL && session_id != NULL && state != NULL);
    *state = NULL;
    if (!token_valid(session_id, KV_SESSION_ID_BYTES_MAX)) {
        return LU_INVALID;
    }
    char key[KV_KEY_BYTES_MAX + 1];
    if (kv->redis != NULL && key_of(kv, key, "sess:%s", session_id) &&
        redis_get_json(kv, key, state) == LU_OK) {
        return LU_OK;
    }
    /* A miss is not proof: Redis may have restarted empty. */
    return table_load(kv, session_id, state);
}

static bool purge_due(struct kv *kv, int64_t now_s)
{
    pthread_mutex_lock(&kv->purge_lock);
    bool due = now_s - kv->purged_s >= KV_SESSION_PURGE_INTERVAL_S;
    if (due) {
        kv->purged_s = now_s;
    }
    pthread_mutex_unlock(&kv->purge_lock);
    return due;
}

static enum lu_rc table_save(struct kv *kv, const char *id, const char *text, int64_t now_s,
                             int ttl_s)
{
    struct db_conn *conn = db_acquire(kv->db);
    if (conn == NULL) {
        return LU_UNAVAILABLE;
    }
    char now[RFC3339_BYTES];
    char expires[RFC3339_BYTES];
    clock_format_utc(now_s, now);
    clock_format_utc(now_s + ttl_s, expires);
    struct db_param p[] = {P_TEXT(id), P_TEXT(text), P_TEXT(expires)};
    enum lu_rc rc = db_exec(conn,
                            "INSERT INTO sessions (id, state, expires_at) VALUES (?, ?, ?) "
                            "ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
                            "expires_at = excluded.expires_at",
                            p, 3, NULL, NULL);
    if (rc == LU_OK && purge_due(kv, now_s)) {
        struct db_param q[] = {P_TEXT(now)};
        /* Housekeeping: a failure leaves rows that load ignores anyway. */
        (void)db_exec(conn, "DELETE FROM sessions WHERE expires_at <= ?", q, 1, NULL, NULL);
    }
    db_release(conn);
    return rc == LU_OK ? LU_OK : LU_UNAVAILABLE;
}

enum lu_rc session_save(struct kv *kv, const char *session_id, const json_t *state, int ttl_s)
{
    LU_ASSERT(kv != NULL && session_id != NULL && json_is_object(state) && ttl_s > 0);
    if (!token_valid(session_id, KV_SESSION_ID_BYTES_MAX)) {
        return LU_INVALID;
    }
    char *text = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        return LU_NOMEM;
    }
    if (strlen(text) > KV_SESSION_STATE_BYTES_MAX) {
        free(text);
        return LU_TOO_LARGE;
    }
    enum lu_rc rc = table_save(kv, session_id, text, clock_now_s(), ttl_s);
    char key[KV_KEY_BYTES_MAX + 1];
    if (rc == LU_OK && kv->redis != NULL && key_of(kv, key, "sess:%s", session_id)) {
        /* Best effort: a failed SET is remembered by the client, which
         * deletes the stale copy when Redis returns; the table has it. */
        (void)redis_set_ex(kv, key, text, ttl_s, key);
    }
    free(text);
    return rc;
}

/* ---- rate limits --------------------------------------------------------- */

static enum lu_rc redis_rate(struct kv *kv, const char *bucket, int window_s, int64_t index,
                             int ttl_s, int64_t *count)
{
    char key[KV_KEY_BYTES_MAX + 1];
    if (!key_of(kv, key, "rl:%d:%lld:%s", window_s, (long long)index, bucket)) {
        return LU_TOO_LARGE;
    }
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    size_t klen = strlen(key);
    /* MULTI makes the count and its expiry one step: no key without a TTL. */
    struct redis_cmd cmds[4] = {
        {.argc = 1, .argv = {"MULTI"}, .lens = {5}},
        {.argc = 2, .argv = {"INCR", key}, .lens = {4, klen}},
        {.argc = 3, .argv = {"EXPIRE", key, ttl}, .lens = {6, klen, strlen(ttl)}},
        {.argc = 1, .argv = {"EXEC"}, .lens = {4}},
    };
    redisReply *r[4];
    enum lu_rc rc = redis_client_pipeline(kv->redis, cmds, 4, r, NULL);
    if (rc != LU_OK) {
        return rc;
    }
    redisReply *exec = r[3];
    rc = LU_UNAVAILABLE;
    if (exec->type == REDIS_REPLY_ARRAY && exec->elements == 2 &&
        exec->element[0]->type == REDIS_REPLY_INTEGER && exec->element[0]->integer >= 1) {
        *count = exec->element[0]->integer;
        rc = LU_OK;
    }
    for (int i = 0; i < 4; i++) {
        freeReplyObject(r[i]);
    }
    return rc;
}

enum lu_rc rate_limit_hit(struct kv *kv, const char *bucket, int limit, int window_s, bool *allowed,
                          int *retry_after_s)
{
    LU_ASSERT(kv != NULL && bucket != NULL && allowed != NULL && retry_after_s != NULL);
    LU_ASSERT(limit >= 1 && window_s >= 1);
    size_t len = strlen(bucket);
    if (len == 0 || len > KV_RATE_BUCKET_BYTES_MAX) {
        return LU_INVALID;
    }
    int64_t now = clock_now_s();
    int64_t index = now / window_s;
    int remaining_s = (int)((index + 1) * window_s - now);
    LU_ASSERT(remaining_s >= 1 && remaining_s <= window_s);
    int64_t count = 0;
    /* The key lives one second past its window, so it is gone soon after. */
    if (kv->redis == NULL ||
        redis_rate(kv, bucket, window_s, index, remaining_s + 1, &count) != LU_OK) {
        count = rate_table_hit(kv->rates, bucket, window_s, index);
    }
    *allowed = count <= limit;
    *retry_after_s = *allowed ? 0 : remaining_s;
    return LU_OK;
}

/* ---- the idempotency cache ------------------------------------------------ */

static bool idempotency_key(const struct kv *kv, const char *actor, const char *key,
                            char out[KV_KEY_BYTES_MAX + 1])
{
    return key_of(kv, out, "idem:%zu:%s:%s", strlen(actor), actor, key);
}

enum lu_rc kv_idempotency_get(struct kv *kv, const char *actor, const char *key,
                              struct kv_idempotency *out)
{
    LU_ASSERT(kv != NULL && actor != NULL && key != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    if (kv->redis == NULL) {
        return LU_UNAVAILABLE;
    }
    char rkey[KV_KEY_BYTES_MAX + 1];
    if (!idempotency_key(kv, actor, key, rkey)) {
        return LU_TOO_LARGE;
    }
    json_t *j = NULL;
    enum lu_rc rc = redis_get_json(kv, rkey, &j);
    if (rc != LU_OK) {
        return rc;
    }
    json_int_t status = 0;
    json_int_t created = 0;
    if (json_unpack(j, "{s:s, s:s, s:s, s:I, s:s, s:I}", "method", &out->method, "path", &out->path,
                    "body_hash", &out->body_hash, "status", &status, "response", &out->response,
                    "created_s", &created) != 0 ||
        status < 100 || status > 599) {
        json_decref(j);
        memset(out, 0, sizeof *out);
        log_msg(LOG_WARN, NULL, "redis: ignoring a malformed idempotency record");
        return LU_NOT_FOUND;
    }
    out->status = (int)status;
    out->created_s = (int64_t)created;
    out->owner = j;
    return LU_OK;
}

enum lu_rc kv_idempotency_put(struct kv *kv, const char *actor, const char *key,
                              const struct kv_idempotency *rec, int ttl_s)
{
    LU_ASSERT(kv != NULL && actor != NULL && key != NULL && rec != NULL && ttl_s > 0);
    if (kv->redis == NULL) {
        return LU_UNAVAILABLE;
    }
    char rkey[KV_KEY_BYTES_MAX + 1];
    if (!idempotency_key(kv, actor, key, rkey)) {
        return LU_TOO_LARGE;
    }
    json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s, s:I}", "method", rec->method, "path",
                          rec->path, "body_hash", rec->body_hash, "status", rec->status, "response",
                          rec->response, "created_s", (json_int_t)rec->created_s);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (text == NULL) {
        return LU_NOMEM;
    }
    enum lu_rc rc = strlen(text) <= KV_VALUE_BYTES_MAX ? redis_set_ex(kv, rkey, text, ttl_s, NULL)
                                                       : LU_TOO_LARGE;
    free(text);
    return rc;
}

void kv_idempotency_free(struct kv_idempotency *rec)
{
    if (rec != NULL) {
        json_decref(rec->owner);
        memset(rec, 0, sizeof *rec);
    }
}
