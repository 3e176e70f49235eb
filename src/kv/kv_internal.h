/*
 * kv_internal.h — what the files of src/kv/ share: the Redis client
 * (kv_redis.c) and the in-process rate table (kv_embedded.c). Only src/kv/
 * and its unit test include this; everyone else uses kv.h.
 */
#ifndef LU_KV_INTERNAL_H
#define LU_KV_INTERNAL_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

/* ---- where Redis is: REDIS_URL parsed ---------------------------------- */

struct redis_target {
    bool unix_socket;
    char host[256]; /* TCP: a name or an address, IPv6 without brackets */
    int port;
    char path[256];     /* unix: the socket */
    char user[128];     /* AUTH user (Redis 6 ACL); "" for none */
    char password[256]; /* AUTH password; "" for none. Never logged */
    int db;             /* SELECT db when not 0 */
    char display[320];  /* the URL without credentials, for logs */
};

/*
 * Parses redis://[[user]:password@]host[:port][/db],
 * unix://[[user]:password@]/path/to/socket[?db=N]; user and password may be
 * percent-encoded; a lone "secret@" is a password (Redis before 6 has no
 * users). rediss:// is refused (this hiredis has no TLS). On
 * failure LU_INVALID and one sentence in err naming REDIS_URL, never
 * echoing the URL (it may hold the password).
 */
enum lu_rc kv_redis_url_parse(const char *url, struct redis_target *out, char *err, size_t err_cap);

/* ---- the Redis client: a pool with timeouts and backoff ----------------- */

struct redis_client;

/*
 * A pool of up to pool_size connections to target (copied). Connects
 * lazily. stale_pattern (copied; a SCAN MATCH glob) names every key that
 * redis_client_pipeline's stale_key may name, for the flush that follows an
 * overflow of the stale list. Owned: redis_client_free, after every caller
 * has returned.
 */
enum lu_rc redis_client_new(const struct redis_target *target, int pool_size,
                            const char *stale_pattern, struct redis_client **out);
void redis_client_free(struct redis_client *client);

#define REDIS_ARGS_MAX 6

struct redis_cmd {
    int argc;
    const char *argv[REDIS_ARGS_MAX]; /* borrowed */
    size_t lens[REDIS_ARGS_MAX];
};

/*
 * Sends n commands in one round trip and reads their n replies into
 * replies[0..n) (owned: freeReplyObject each) on LU_OK, when none of them is
 * an error reply. LU_UNAVAILABLE — with nothing to free — when Redis is in
 * backoff, the pool stayed busy for KV_REDIS_ACQUIRE_WAIT_MS, the transport
 * failed (the pool then backs off) or a reply was an error.
 *
 * stale_key (borrowed, may be NULL) names the key a write in cmds sets:
 * when the write may not have happened, the key is remembered and deleted
 * as soon as Redis is reached again, so a copy older than the database's is
 * never read back.
 */
enum lu_rc redis_client_pipeline(struct redis_client *client, const struct redis_cmd *cmds,
                                 size_t n, redisReply **replies, const char *stale_key);

/* PING through the pool (and its backoff): LU_OK or LU_UNAVAILABLE. */
enum lu_rc redis_client_ping(struct redis_client *client);

/* Counters, for tests and logs. */
struct redis_client_stats {
    uint64_t connects;         /* successful connects */
    uint64_t connect_failures; /* failed connects (probes included) */
    uint64_t fast_failures;    /* calls refused without I/O (backoff, busy pool) */
    size_t stale_keys;         /* keys waiting to be deleted */
    bool down;
};
void redis_client_stats_get(struct redis_client *client, struct redis_client_stats *out);

/* The stats of a store's Redis client (kv.c); zeros when embedded. */
struct kv;
void kv_redis_stats(struct kv *kv, struct redis_client_stats *out);

/* ---- the in-process rate table ----------------------------------------- */

struct rate_table;

/* A table of at most capacity buckets; the least recently hit is evicted
 * when a new one needs room. Owned: rate_table_free. */
struct rate_table *rate_table_new(size_t capacity);
void rate_table_free(struct rate_table *table);

/* Counts a hit on (bucket, window_s) in the window numbered window_index and
 * returns the window's hits so far, this one included. A bucket last hit in
 * an older window starts again at 1. bucket is at most
 * KV_RATE_BUCKET_BYTES_MAX bytes (asserted). */
int64_t rate_table_hit(struct rate_table *table, const char *bucket, int window_s,
                       int64_t window_index);
size_t rate_table_size(struct rate_table *table);

#endif
