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

#endif
