/*
 * limits.h — every limit Lucia enforces, in one place, each with its reason.
 *
 * Hitting a limit gives a clear 413, 422 or 503, never silent truncation.
 */
#ifndef LU_LIMITS_H
#define LU_LIMITS_H

/* SPEC §3: request bodies over 1 MiB are refused with 413. No operator or
 * webhook payload we accept comes near this. */
#define HTTP_BODY_BYTES_MAX (1024 * 1024)

/* SPEC §3: header blocks over 16 KiB are refused with 431. Counted as the
 * sum of names and values, which is what a proxy would count. */
#define HTTP_HEADER_BYTES_MAX (16 * 1024)

/* libmicrohttpd's per-connection buffer. It must exceed the header limit so
 * that our own JSON 431 answers before the library's HTML one does. Pages are
 * mapped lazily, so idle connections do not pay for the whole buffer. */
#define HTTP_CONNECTION_MEMORY_BYTES (64 * 1024)
_Static_assert(HTTP_CONNECTION_MEMORY_BYTES > 2 * HTTP_HEADER_BYTES_MAX,
               "the connection buffer must hold more than the header limit");

/* An idle keep-alive connection is closed after this long; a slow client
 * cannot hold a worker forever. */
#define HTTP_CONNECTION_TIMEOUT_S 30

/* More simultaneous connections than this are refused at accept. */
#define HTTP_CONNECTIONS_MAX 4096

/* Graceful SIGTERM: in-flight requests get at most this long. SPEC §9. */
#define HTTP_DRAIN_TIMEOUT_MS 10000

/* Path parameters a route pattern may have, and routes in the table. */
#define ROUTE_PARAMS_MAX 4
#define ROUTES_MAX 128

/* X-Request-Id echoed from a client: longer or odd ones are replaced. */
#define REQUEST_ID_BYTES_MAX 128

/* Lists: SPEC §3. */
#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 500

/* Text fields: a property's or guest's name, an item title. Long enough for
 * any real name, short enough that a list of 500 stays small. */
#define NAME_BYTES_MAX 200
#define TEXT_BYTES_MAX 10000

/* Rows one query may materialise; lists ask for at most LIST_LIMIT_MAX + 1. */
#define DB_ROWS_MAX 100000

/* SQLite waits this long for a lock before the request answers 503. */
#define DB_BUSY_TIMEOUT_MS 5000

/* Connections kept per process (LUCIA_DB_POOL bounds it). */
#define DB_POOL_MAX 64

/* JSON nesting accepted in request bodies; jansson recurses per level. */
#define JSON_DEPTH_MAX 32

/* --- the key-value store (src/kv/): Redis and its embedded fallbacks ---- */

/* Redis answers a healthy command in well under a millisecond on a LAN; a
 * half-second means it is down or drowning, and a request should fall back
 * rather than wait. Connect and each command get this long. */
#define KV_REDIS_CONNECT_TIMEOUT_MS 500
#define KV_REDIS_COMMAND_TIMEOUT_MS 500

/* After a failure, Redis is retried by one caller after 100 ms, doubling to
 * 5 s: a dead Redis costs one failed attempt per period, not a timeout per
 * request, and a returning Redis is noticed within 5 s. */
#define KV_REDIS_BACKOFF_INITIAL_MS 100
#define KV_REDIS_BACKOFF_MAX_MS 5000
_Static_assert(KV_REDIS_BACKOFF_INITIAL_MS <= KV_REDIS_BACKOFF_MAX_MS, "backoff must grow");

/* Pooled Redis connections per process: one per HTTP worker is enough,
 * because a handler uses at most one at a time; LUCIA_THREADS is at most 64,
 * plus two spare for other threads. A caller finding them all busy waits
 * this long, then falls back. */
#define KV_REDIS_POOL_MAX 66
#define KV_REDIS_ACQUIRE_WAIT_MS 500

/* LUCIA_REDIS_PREFIX: long enough for "tenant-name:env:", short enough that
 * every key fits KV_KEY_BYTES_MAX with room for its parts. */
#define KV_PREFIX_BYTES_MAX 64
#define KV_KEY_BYTES_MAX 1024

/* A value read back from Redis larger than this is not ours (ours are a
 * session state or one write response); it is ignored as a miss. */
#define KV_VALUE_BYTES_MAX (HTTP_BODY_BYTES_MAX + 4096)

/* Session continuity (SPEC §8): ids are ses_… strings; the state is a small
 * object (distress flag, last route, offered item), so 64 KiB is generous
 * and a bug that grows it unbounded fails loudly with LU_TOO_LARGE. */
#define KV_SESSION_ID_BYTES_MAX 128
#define KV_SESSION_STATE_BYTES_MAX (64 * 1024)

/* Expired session rows are deleted at most this often per process, in the
 * same call as a save, so the table stays the size of live sessions. */
#define KV_SESSION_PURGE_INTERVAL_S 60

/* Session writes that could not reach Redis are remembered so their stale
 * Redis copies are deleted when Redis returns. Past this many, the whole
 * session key space under the prefix is scanned and cleared instead, in at
 * most KV_SCAN_ROUNDS_MAX SCAN calls. */
#define KV_STALE_KEYS_MAX 1024
#define KV_SCAN_ROUNDS_MAX 10000

/* The in-process rate-limit table used without Redis: 10,000 buckets of a
 * client address each is far more distinct clients per minute than a small
 * property sees; past it, the least recently hit bucket is evicted. A bucket
 * name holds a purpose and an IPv6 address with room to spare. */
#define KV_RATE_BUCKETS_MAX 10000
#define KV_RATE_BUCKET_BYTES_MAX 128

#endif
