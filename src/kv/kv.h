/*
 * kv.h — Lucia's fast, shared, non-durable state: session continuity
 * (SPEC §8), rate limits and the idempotency cache (SPEC §3).
 *
 * With REDIS_URL set, Redis is the shared fast path every engine process
 * sees; without it (or while it is down) each use has an embedded fallback:
 *
 *   use              Redis                      fallback (the authority)
 *   sessions         SET key EX ttl, GET first  the `sessions` table, always
 *   rate limits      MULTI INCR EXPIRE EXEC     an in-process bounded table
 *   idempotency      SET key EX 24 h, GET first the idempotency_keys table,
 *                                               read by src/api/write.c
 *
 * Nothing that must be durable lives only in Redis: a session is written to
 * its table first and to Redis second, so a Redis outage costs speed, never
 * truth. Redis is reached through a small pool with connect and command
 * timeouts and an exponential backoff after failures, so a dead Redis costs
 * one failed attempt per backoff period, not a timeout per request.
 *
 * Every function is safe to call from any thread. The process must ignore
 * SIGPIPE (hiredis writes with write(2)); `lucia serve` does.
 * Session functions borrow a database connection from the pool themselves:
 * do not call them while holding one, or a pool of one would wait on itself.
 */
#ifndef LU_KV_H
#define LU_KV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "db/db.h"

struct kv;

struct kv_options {
    const char *redis_url; /* NULL or "": embedded only */
    const char *prefix;    /* LUCIA_REDIS_PREFIX, on every Redis key */
    int pool_size;         /* Redis connections, 1..KV_REDIS_POOL_MAX */
};

/*
 * Opens the store over db (borrowed; it must outlive the store). A malformed
 * REDIS_URL, a rediss:// URL (this hiredis has no TLS) or an over-long
 * prefix answer LU_INVALID with one sentence in err that never contains the
 * password. An unreachable Redis is not an error: it is logged, the
 * fallbacks serve, and kv_health says degraded until Redis answers.
 * Owned: kv_free.
 */
enum lu_rc kv_open(const struct kv_options *opt, struct db *db, struct kv **out, char *err,
                   size_t err_cap);
void kv_free(struct kv *kv);

/* True when REDIS_URL was given (whether or not Redis answers now). */
bool kv_redis_configured(const struct kv *kv);

/* Where Redis is, without credentials ("redis://10.0.0.5:6379/2"); "" when
 * embedded. Borrowed for the store's life. */
const char *kv_redis_display(const struct kv *kv);

enum kv_health {
    KV_HEALTH_OK = 0,   /* Redis answers PING, or embedded with its table up */
    KV_HEALTH_DEGRADED, /* Redis configured but unreachable: fallbacks serve */
    KV_HEALTH_DOWN,     /* the fallback itself (the database) fails */
};

/* Checks now: a PING (subject to the backoff, so it never waits on a Redis
 * already known to be down) and a database ping. */
enum kv_health kv_health(struct kv *kv);
/* "ok", "degraded", "down". */
const char *kv_health_name(enum kv_health health);

/*
 * Session continuity. session_id is 1..KV_SESSION_ID_BYTES_MAX printable
 * ASCII bytes (else LU_INVALID).
 *
 * session_load: LU_OK with *state owned (json_decref), LU_NOT_FOUND when the
 * session never existed or expired (start fresh), LU_UNAVAILABLE when
 * neither Redis nor the table could answer. Redis is read first, then the
 * table on a miss or an outage.
 *
 * session_save: writes state (borrowed; a JSON object) to the table with
 * expires_at = now + ttl_s, then to Redis with the same TTL. LU_OK once the
 * table has it, even if Redis did not; LU_TOO_LARGE past
 * KV_SESSION_STATE_BYTES_MAX; LU_UNAVAILABLE when the table write failed
 * (Redis is then left untouched, still matching the table).
 */
enum lu_rc session_load(struct kv *kv, const char *session_id, json_t **state);
enum lu_rc session_save(struct kv *kv, const char *session_id, const json_t *state, int ttl_s);

/*
 * Counts one hit on bucket in fixed windows of window_s seconds aligned to
 * the epoch, shared by every process through Redis, or per process in a
 * table of KV_RATE_BUCKETS_MAX buckets when Redis is absent or down.
 * *allowed is true while the window's hits (this one included) are at most
 * limit; otherwise *retry_after_s is the whole seconds until the window ends
 * (>= 1). Denied hits count too, so hammering does not shorten the wait.
 * LU_INVALID for an empty or over-long bucket (KV_RATE_BUCKET_BYTES_MAX).
 */
enum lu_rc rate_limit_hit(struct kv *kv, const char *bucket, int limit, int window_s, bool *allowed,
                          int *retry_after_s);

/*
 * The idempotency cache: a copy of a committed idempotent response, keyed by
 * actor and Idempotency-Key. The database remains the authority; this only
 * saves a transaction on a replay, and only with Redis.
 */
struct kv_idempotency {
    const char *method;
    const char *path;
    const char *body_hash; /* hex SHA-256 of the request body */
    const char *response;  /* the JSON body replied */
    int status;
    int64_t created_s; /* when the response was committed */
    json_t *owner;     /* holds the strings above after a get; NULL for a put */
};

/* LU_OK with *out filled (free with kv_idempotency_free), LU_NOT_FOUND on a
 * miss, LU_UNAVAILABLE when embedded or Redis is down, LU_TOO_LARGE when the
 * key would exceed KV_KEY_BYTES_MAX. On any code but LU_OK, *out holds
 * nothing to free. */
enum lu_rc kv_idempotency_get(struct kv *kv, const char *actor, const char *key,
                              struct kv_idempotency *out);
/* Stores rec (borrowed) for ttl_s seconds. Best effort: LU_OK, or the code
 * of why it was not cached (the caller may ignore it, the database has it). */
enum lu_rc kv_idempotency_put(struct kv *kv, const char *actor, const char *key,
                              const struct kv_idempotency *rec, int ttl_s);
void kv_idempotency_free(struct kv_idempotency *rec);

#endif
