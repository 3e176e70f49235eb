/*
 * kv_redis.c — Lucia's Redis client (see kv_internal.h): REDIS_URL parsing
 * and a pool of hiredis connections with timeouts and a backoff.
 *
 * The pool is shared by the HTTP worker threads. Its one rule: a Redis that
 * is down costs one failed attempt per backoff period, never a timeout per
 * request. After a failure the pool is "down": every caller fails fast
 * without I/O until next_try_ms, then exactly one caller probes (connects
 * afresh) while the others keep failing fast; the period doubles from
 * KV_REDIS_BACKOFF_INITIAL_MS to KV_REDIS_BACKOFF_MAX_MS. A failure also
 * bumps the pool's generation, so every idle connection opened before it is
 * reopened rather than trusted (after a Redis restart they are all dead).
 *
 * It must not log the password, nor the URL that may hold it, nor values.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/limits.h"
#include "core/log.h"
#include "kv/kv_internal.h"

/* ---- REDIS_URL --------------------------------------------------------- */

static bool fail(char *err, size_t cap, const char *msg)
{
    snprintf(err, cap, "REDIS_URL %s", msg);
    return false;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Copies s[0..n) into out, decoding %XX. False when malformed or too long. */
static bool decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n) {
                return false;
            }
            int hi = hex_value(s[i + 1]);
            int lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) {
                return false;
            }
            c = hi * 16 + lo;
            i += 2;
        }
        if (c == 0 || o + 1 >= cap) {
            return false;
        }
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return true;
}

/* A decimal in [lo, hi] spelled by s[0..n), nothing else. */
static bool number(const char *s, size_t n, long lo, long hi, int *out)
{
    if (n == 0 || n > 9) {
        return false;
    }
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) {
        return false;
    }
    *out = (int)v;
    return true;
}

/* [user][:password] from s[0..n). */
static bool userinfo(const char *s, size_t n, struct redis_target *t, char *err, size_t cap)
{
    const char *colon = memchr(s, ':', n);
    size_t ulen = colon ? (size_t)(colon - s) : n;
    if (!decode(s, ulen, t->user, sizeof t->user)) {
        return fail(err, cap, "has a malformed or over-long user name");
    }
    if (colon != NULL && !decode(colon + 1, n - ulen - 1, t->password, sizeof t->password)) {
        return fail(err, cap, "has a malformed or over-long password");
    }
    if (colon == NULL && ulen > 0) {
        /* redis://secret@host is how many providers write a bare password. */
        snprintf(t->password, sizeof t->password, "%s", t->user);
        explicit_bzero(t->user, sizeof t->user);
        t->user[0] = '\0';
    }
    return true;
}

/* host[:port] or [v6][:port] from s[0..n). */
static bool hostport(const char *s, size_t n, struct redis_target *t, char *err, size_t cap)
{
    const char *port = NULL;
    size_t hlen = n;
    const char *host = s;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close == NULL) {
            return fail(err, cap, "has an unclosed [IPv6] host");
        }
        host = s + 1;
        hlen = (size_t)(close - s) - 1;
        size_t rest = n - (size_t)(close - s) - 1;
        if (rest > 0 && close[1] != ':') {
            return fail(err, cap, "has text after the [IPv6] host");
        }
        port = rest > 0 ? close + 2 : NULL;
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon != NULL) {
            hlen = (size_t)(colon - s);
            port = colon + 1;
        }
    }
    if (hlen == 0 || hlen >= sizeof t->host) {
        return fail(err, cap, "needs a host, as in redis://127.0.0.1:6379");
    }
    memcpy(t->host, host, hlen);
    t->host[hlen] = '\0';
    t->port = 6379;
    if (port != NULL && !number(port, (size_t)(s + n - port), 1, 65535, &t->port)) {
        return fail(err, cap, "has a port that is not a number from 1 to 65535");
    }
    return true;
}

static bool parse_tcp(const char *rest, struct redis_target *t, char *err, size_t cap)
{
    size_t alen = strcspn(rest, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++) {
        if (rest[i] == '@') {
            at = rest + i; /* the last @: a password may hold one, encoded or not */
        }
    }
    if (at != NULL && !userinfo(rest, (size_t)(at - rest), t, err, cap)) {
        return false;
    }
    const char *hp = at ? at + 1 : rest;
    if (!hostport(hp, (size_t)(rest + alen - hp), t, err, cap)) {
        return false;
    }
    const char *tail = rest + alen;
    if (*tail == '/') {
        tail++;
        size_t dlen = strlen(tail);
        if (dlen > 0 && !number(tail, dlen, 0, 1000000, &t->db)) {
            return fail(err, cap, "has a database that is not a number, as in redis://host/2");
        }
    } else if (*tail != '\0') {
        return fail(err, cap, "has a query or fragment; give the database as redis://host/2");
    }
    snprintf(t->display, sizeof t->display, "redis://%s%s%s:%d/%d", strchr(t->host, ':') ? "[" : "",
             t->host, strchr(t->host, ':') ? "]" : "", t->port, t->db);
    return true;
}

static bool parse_unix(const char *rest, struct redis_target *t, char *err, size_t cap)
{
    const char *slash = strchr(rest, '/');
    if (slash == NULL) {
        return fail(err, cap, "needs a socket path, as in unix:///run/redis/redis.sock");
    }
    if (slash > rest) {
        if (slash[-1] != '@') {
            return fail(err, cap, "needs an absolute socket path, as in unix:///run/redis.sock");
        }
        if (!userinfo(rest, (size_t)(slash - rest) - 1, t, err, cap)) {
            return false;
        }
    }
    size_t plen = strcspn(slash, "?#");
    if (plen >= sizeof t->path) {
        return fail(err, cap, "has a socket path that is too long");
    }
    memcpy(t->path, slash, plen);
    t->path[plen] = '\0';
    const char *q = slash + plen;
    if (*q == '?') {
        if (strncmp(q, "?db=", 4) != 0 || !number(q + 4, strlen(q + 4), 0, 1000000, &t->db)) {
            return fail(err, cap, "takes only ?db=N after a socket path");
        }
    } else if (*q != '\0') {
        return fail(err, cap, "has a fragment after the socket path");
    }
    t->unix_socket = true;
    snprintf(t->display, sizeof t->display, "unix://%s?db=%d", t->path, t->db);
    return true;
}

enum lu_rc kv_redis_url_parse(const char *url, struct redis_target *out, char *err, size_t err_cap)
{
    LU_ASSERT(url != NULL && out != NULL && err != NULL);
    memset(out, 0, sizeof *out);
    bool ok;
    if (strncmp(url, "redis://", 8) == 0) {
        ok = parse_tcp(url + 8, out, err, err_cap);
    } else if (strncmp(url, "unix://", 7) == 0) {
        ok = parse_unix(url + 7, out, err, err_cap);
    } else if (strncmp(url, "rediss://", 9) == 0) {
        snprintf(err, err_cap,
                 "REDIS_URL uses rediss:// (TLS), but this build's hiredis %d.%d has no TLS "
                 "support; use redis:// on a private network, or a local TLS tunnel (stunnel) "
                 "reached as redis://127.0.0.1:PORT",
                 HIREDIS_MAJOR, HIREDIS_MINOR);
        ok = false;
    } else {
        ok = fail(err, err_cap, "must start with redis:// or unix://");
    }
    if (!ok) {
        /* Leave no half-parsed credentials behind. */
        memset(out, 0, sizeof *out);
        return LU_INVALID;
    }
    return LU_OK;
}

/* ---- the pool ----------------------------------------------------------- */

struct slot {
    redisContext *ctx; /* NULL until connected, and after a failure */
    uint64_t gen;      /* the pool generation it was opened in */
    bool busy;
};

struct redis_client {
    struct redis_target target;
    char *stale_pattern;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    int size;
    struct slot *slots;
    uint64_t gen;
    bool down;
    bool probing;
    int backoff_ms;
    double next_try_ms;
    char **stale; /* KV_STALE_KEYS_MAX keys to delete once reachable */
    size_t nstale;
    bool stale_overflow; /* clear every key matching stale_pattern instead */
    struct redis_client_stats stats;
};

enum lu_rc redis_client_new(const struct redis_target *target, int pool_size,
                            const char *stale_pattern, struct redis_client **out)
{
    LU_ASSERT(target != NULL && pool_size >= 1 && pool_size <= KV_REDIS_POOL_MAX);
    struct redis_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return LU_NOMEM;
    }
    c->target = *target;
    c->size = pool_size;
    c->slots = calloc((size_t)pool_size, sizeof *c->slots);
    c->stale = calloc(KV_STALE_KEYS_MAX, sizeof *c->stale);
    c->stale_pattern = strdup(stale_pattern);
    if (c->slots == NULL || c->stale == NULL || c->stale_pattern == NULL) {
        free(c->slots);
        free(c->stale);
        free(c->stale_pattern);
        free(c);
        return LU_NOMEM;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->freed, NULL);
    *out = c;
    return LU_OK;
}

void redis_client_free(struct redis_client *c)
{
    if (c == NULL) {
        return;
    }
    for (int i = 0; i < c->size; i++) {
        LU_ASSERT(!c->slots[i].busy);
        if (c->slots[i].ctx != NULL) {
            redisFree(c->slots[i].ctx);
        }
    }
    for (size_t i = 0; i < c->nstale; i++) {
        free(c->stale[i]);
    }
    pthread_cond_destroy(&c->freed);
    pthread_mutex_destroy(&c->lock);
    explicit_bzero(c->target.password, sizeof c->target.password);
    free(c->stale);
    free(c->stale_pattern);
    free(c->slots);
    free(c);
}

static struct timeval tv_of_ms(int ms)
{
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

/* Runs one command during connect; why gets the reason on failure. */
static bool handshake(redisContext *ctx, int argc, const char **argv, char *why, size_t cap)
{
    redisReply *r = redisCommandArgv(ctx, argc, argv, NULL);
    if (r == NULL) {
        snprintf(why, cap, "%s failed: %s", argv[0], ctx->errstr);
        return false;
    }
    bool ok = r->type == REDIS_REPLY_STATUS;
    if (!ok) {
        /* Redis's own error text names no secret ("WRONGPASS invalid …"). */
        snprintf(why, cap, "%s refused: %.200s", argv[0],
                 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    }
    freeReplyObject(r);
    return ok;
}

/* A ready connection: timeouts set, authenticated, database selected, and
 * the server seen answering. */
static redisContext *connect_target(const struct redis_target *t, char *why, size_t cap)
{
    struct timeval connect_tv = tv_of_ms(KV_REDIS_CONNECT_TIMEOUT_MS);
    redisContext *ctx = t->unix_socket ? redisConnectUnixWithTimeout(t->path, connect_tv)
                                       : redisConnectWithTimeout(t->host, t->port, connect_tv);
    if (ctx == NULL) {
        snprintf(why, cap, "out of memory");
        return NULL;
    }
    bool ok = ctx->err == 0;
    if (!ok) {
        snprintf(why, cap, "connect failed: %s", ctx->errstr);
    } else if (redisSetTimeout(ctx, tv_of_ms(KV_REDIS_COMMAND_TIMEOUT_MS)) != REDIS_OK) {
        snprintf(why, cap, "cannot set the command timeout");
        ok = false;
    }
    if (ok && !t->unix_socket) {
        /* Keepalive finds a silently dropped connection; a failure to set
         * it only loses that, so it is deliberately ignored. */
        (void)redisEnableKeepAlive(ctx);
    }
    if (ok && t->password[0] != '\0') {
        const char *auth_user[] = {"AUTH", t->user, t->password};
        const char *auth[] = {"AUTH", t->password};
        ok =
            t->user[0] ? handshake(ctx, 3, auth_user, why, cap) : handshake(ctx, 2, auth, why, cap);
    }
    if (ok && t->db != 0) {
        char db[16];
        snprintf(db, sizeof db, "%d", t->db);
        const char *select[] = {"SELECT", db};
        ok = handshake(ctx, 2, select, why, cap);
    }
    if (ok) {
        /* A frozen or still-loading server accepts connections but cannot
         * serve: only an answered PING makes a connection ready. */
        const char *ping[] = {"PING"};
        ok = handshake(ctx, 1, ping, why, cap);
    }
    if (!ok) {
        redisFree(ctx);
        return NULL;
    }
    return ctx;
}

/* Under the lock. */
static void stale_remember(struct redis_client *c, const char *key)
{
    if (key == NULL || c->stale_overflow) {
        return;
    }
    for (size_t i = 0; i < c->nstale; i++) {
        if (strcmp(c->stale[i], key) == 0) {
            return;
        }
    }
    char *copy = c->nstale < KV_STALE_KEYS_MAX ? strdup(key) : NULL;
    if (copy == NULL) {
        /* Too many (or no memory): clear them all by pattern instead. */
        for (size_t i = 0; i < c->nstale; i++) {
            free(c->stale[i]);
        }
        c->nstale = 0;
        c->stale_overflow = true;
        return;
    }
    c->stale[c->nstale++] = copy;
}

/*
 * Under the lock: a connect or a command failed. The first failure starts
 * the backoff; a failed probe doubles it. Either way every connection
 * opened before now is suspect. Returns true when this call took the pool
 * down (the caller logs it, outside the lock).
 */
static bool mark_failed(struct redis_client *c, bool probe)
{
    bool went_down = !c->down;
    c->gen++;
    if (!c->down) {
        c->down = true;
        c->backoff_ms = KV_REDIS_BACKOFF_INITIAL_MS;
        c->next_try_ms = clock_mono_ms() + c->backoff_ms;
    } else if (probe) {
        c->backoff_ms = c->backoff_ms * 2 > KV_REDIS_BACKOFF_MAX_MS ? KV_REDIS_BACKOFF_MAX_MS
                                                                    : c->backoff_ms * 2;
        c->next_try_ms = clock_mono_ms() + c->backoff_ms;
    }
    if (probe) {
        c->probing = false;
    }
    c->stats.down = true;
    return went_down;
}

static struct slot *free_slot(struct redis_client *c)
{
    /* Prefer a connection already open in this generation. */
    for (int i = 0; i < c->size; i++) {
        if (!c->slots[i].busy && c->slots[i].ctx != NULL && c->slots[i].gen == c->gen) {
            return &c->slots[i];
        }
    }
    for (int i = 0; i < c->size; i++) {
        if (!c->slots[i].busy) {
            return &c->slots[i];
        }
    }
    return NULL;
}

static void deadline_of(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void log_down(const struct redis_client *c, const char *why)
{
    log_msg(LOG_WARN, NULL,
            "redis at %s unreachable (%s): sessions, rate limits and the idempotency cache use "
            "their fallbacks; retrying with backoff",
            c->target.display, why);
}

/* Returns a busy slot (see release); failed says whether it failed. */
static void release(struct redis_client *c, struct slot *s, bool failed, const char *stale_key,
                    const char *why)
{
    if (failed && s->ctx != NULL) {
        redisFree(s->ctx); /* outside the lock: closing a socket may block */
        s->ctx = NULL;
    }
    pthread_mutex_lock(&c->lock);
    LU_ASSERT(s->busy);
    s->busy = false;
    bool went_down = false;
    if (failed) {
        went_down = mark_failed(c, false);
        stale_remember(c, stale_key);
    }
    pthread_cond_signal(&c->freed);
    pthread_mutex_unlock(&c->lock);
    if (went_down) {
        log_down(c, why);
    }
}

static bool flush_stale(struct redis_client *c, struct slot *s, char **keys, size_t n, bool all);

/*
 * Opens s afresh. For a probe, success brings the pool back up and deletes
 * the stale keys remembered while it was down. False (slot released, pool
 * backing off) on failure.
 */
static bool reconnect(struct redis_client *c, struct slot *s, uint64_t gen, bool probe,
                      const char *stale_key)
{
    if (s->ctx != NULL) {
        redisFree(s->ctx);
        s->ctx = NULL;
    }
    char why[256] = "";
    s->ctx = connect_target(&c->target, why, sizeof why);
    pthread_mutex_lock(&c->lock);
    if (s->ctx == NULL) {
        c->stats.connect_failures++;
        s->busy = false;
        bool went_down = mark_failed(c, probe);
        stale_remember(c, stale_key);
        pthread_cond_signal(&c->freed);
        pthread_mutex_unlock(&c->lock);
        if (went_down) {
            log_down(c, why);
        }
        return false;
    }
    c->stats.connects++;
    s->gen = gen;
    char **keys = NULL;
    size_t nkeys = 0;
    bool all = false;
    if (probe) {
        c->down = c->probing = false;
        c->stats.down = false;
        c->backoff_ms = 0;
        /* Take the stale list: writes skipped from now on see an up pool and
         * go to Redis, so nothing is lost between here and the flush. */
        keys = c->stale;
        nkeys = c->nstale;
        all = c->stale_overflow;
        c->stale = calloc(KV_STALE_KEYS_MAX, sizeof *c->stale);
        if (c->stale == NULL) {
            c->stale = keys;
            keys = NULL;
            nkeys = 0;
            all = false;
        } else {
            c->nstale = 0;
            c->stale_overflow = false;
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (!probe) {
        return true;
    }
    log_msg(LOG_INFO, NULL, "redis at %s reachable again", c->target.display);
    bool ok = flush_stale(c, s, keys, nkeys, all);
    for (size_t i = 0; i < nkeys; i++) {
        free(keys[i]);
    }
    free(keys);
    if (!ok) {
        pthread_mutex_lock(&c->lock);
        /* The deleted-or-not state of those keys is unknown now. */
        c->stale_overflow = true;
        pthread_mutex_unlock(&c->lock);
        release(c, s, true, stale_key, "deleting stale session copies failed");
        return false;
    }
    return true;
}

/* A busy slot with a ready connection, or NULL (failing fast when down). */
static struct slot *acquire(struct redis_client *c, const char *stale_key)
{
    struct timespec deadline;
    deadline_of(&deadline, KV_REDIS_ACQUIRE_WAIT_MS);
    pthread_mutex_lock(&c->lock);
    struct slot *s = NULL;
    bool probe = false;
    for (;;) {
        if (c->down) {
            if (!c->probing && clock_mono_ms() >= c->next_try_ms) {
                s = free_slot(c);
                probe = s != NULL;
                c->probing = probe;
            }
            break;
        }
        s = free_slot(c);
        if (s != NULL) {
            break;
        }
        if (pthread_cond_timedwait(&c->freed, &c->lock, &deadline) == ETIMEDOUT) {
            break;
        }
    }
    if (s == NULL) {
        c->stats.fast_failures++;
        stale_remember(c, stale_key);
        pthread_mutex_unlock(&c->lock);
        return NULL;
    }
    s->busy = true;
    uint64_t gen = c->gen;
    bool fresh = probe || s->ctx == NULL || s->gen != gen;
    pthread_mutex_unlock(&c->lock);
    if (fresh && !reconnect(c, s, gen, probe, stale_key)) {
        return NULL;
    }
    return s;
}

/* Sends and reads n commands on s. False when the transport failed (the
 * connection is then unusable); replies are all freed in that case. */
static bool roundtrip(struct slot *s, const struct redis_cmd *cmds, size_t n, redisReply **replies)
{
    for (size_t i = 0; i < n; i++) {
        replies[i] = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        LU_ASSERT(cmds[i].argc >= 1 && cmds[i].argc <= REDIS_ARGS_MAX);
        /* hiredis takes `const char **`; a copy keeps cmds const. */
        const char *argv[REDIS_ARGS_MAX];
        memcpy(argv, cmds[i].argv, sizeof argv);
        if (redisAppendCommandArgv(s->ctx, cmds[i].argc, argv, cmds[i].lens) != REDIS_OK) {
            return false;
        }
    }
    for (size_t i = 0; i < n; i++) {
        void *r = NULL;
        if (redisGetReply(s->ctx, &r) != REDIS_OK || r == NULL) {
            for (size_t j = 0; j < i; j++) {
                freeReplyObject(replies[j]);
                replies[j] = NULL;
            }
            return false;
        }
        replies[i] = r;
    }
    return true;
}

enum lu_rc redis_client_pipeline(struct redis_client *c, const struct redis_cmd *cmds, size_t n,
                                 redisReply **replies, const char *stale_key)
{
    LU_ASSERT(c != NULL && cmds != NULL && replies != NULL && n >= 1);
    struct slot *s = acquire(c, stale_key);
    if (s == NULL) {
        return LU_UNAVAILABLE;
    }
    if (!roundtrip(s, cmds, n, replies)) {
        char why[160];
        snprintf(why, sizeof why, "%s", s->ctx->errstr[0] ? s->ctx->errstr : "I/O error");
        release(c, s, true, stale_key, why);
        return LU_UNAVAILABLE;
    }
    const char *error = NULL;
    for (size_t i = 0; i < n && error == NULL; i++) {
        if (replies[i]->type == REDIS_REPLY_ERROR) {
            error = replies[i]->str;
        }
    }
    if (error != NULL) {
        /* The server answered, so the connection stays; the call fails. */
        log_msg(LOG_WARN, NULL, "redis %s answered an error: %.200s", cmds[0].argv[0], error);
        for (size_t i = 0; i < n; i++) {
            freeReplyObject(replies[i]);
            replies[i] = NULL;
        }
        pthread_mutex_lock(&c->lock);
        stale_remember(c, stale_key);
        pthread_mutex_unlock(&c->lock);
        release(c, s, false, NULL, NULL);
        return LU_UNAVAILABLE;
    }
    release(c, s, false, NULL, NULL);
    return LU_OK;
}

enum lu_rc redis_client_ping(struct redis_client *c)
{
    struct redis_cmd ping = {.argc = 1, .argv = {"PING"}, .lens = {4}};
    redisReply *r = NULL;
    enum lu_rc rc = redis_client_pipeline(c, &ping, 1, &r, NULL);
    if (rc != LU_OK) {
        return rc;
    }
    bool pong = r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
    freeReplyObject(r);
    return pong ? LU_OK : LU_UNAVAILABLE;
}

void redis_client_stats_get(struct redis_client *c, struct redis_client_stats *out)
{
    pthread_mutex_lock(&c->lock);
    *out = c->stats;
    out->stale_keys = c->nstale;
    pthread_mutex_unlock(&c->lock);
}

/* ---- deleting stale copies ---------------------------------------------- */

static bool del_keys(struct slot *s, char **keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *argv[] = {"DEL", keys[i]};
        size_t lens[] = {3, strlen(keys[i])};
        if (redisAppendCommandArgv(s->ctx, 2, argv, lens) != REDIS_OK) {
            return false;
        }
    }
    for (size_t i = 0; i < n; i++) {
        void *r = NULL;
        if (redisGetReply(s->ctx, &r) != REDIS_OK || r == NULL) {
            return false;
        }
        freeReplyObject(r);
    }
    return true;
}

/* One SCAN step: deletes what it found and advances *cursor ("0" = done). */
static bool scan_step(struct redis_client *c, struct slot *s, char cursor[32])
{
    const char *argv[] = {"SCAN", cursor, "MATCH", c->stale_pattern, "COUNT", "500"};
    redisReply *r = redisCommandArgv(s->ctx, 6, argv, NULL);
    if (r == NULL) {
        return false;
    }
    bool ok = r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
              r->element[0]->type == REDIS_REPLY_STRING && r->element[0]->len < 32 &&
              r->element[1]->type == REDIS_REPLY_ARRAY;
    if (ok) {
        snprintf(cursor, 32, "%s", r->element[0]->str);
        redisReply *found = r->element[1];
        char *keys[500];
        size_t n = 0;
        for (size_t i = 0; i < found->elements && n < 500; i++) {
            if (found->element[i]->type == REDIS_REPLY_STRING) {
                keys[n++] = found->element[i]->str;
            }
        }
        ok = del_keys(s, keys, n);
    }
    freeReplyObject(r);
    return ok;
}

static bool flush_stale(struct redis_client *c, struct slot *s, char **keys, size_t n, bool all)
{
    if (n > 0 && !del_keys(s, keys, n)) {
        return false;
    }
    if (!all) {
        return true;
    }
    log_msg(LOG_INFO, NULL, "redis: clearing session copies written while it was unreachable");
    char cursor[32] = "0";
    for (int round = 0; round < KV_SCAN_ROUNDS_MAX; round++) {
        if (!scan_step(c, s, cursor)) {
            return false;
        }
        if (strcmp(cursor, "0") == 0) {
            return true;
        }
    }
    log_msg(LOG_WARN, NULL, "redis: stale session scan stopped after %d rounds",
            KV_SCAN_ROUNDS_MAX);
    return false;
}
