/*
 * stream.h — GET /api/stream: every committed change as Server-Sent Events
 * (SPEC §5), without holding a libmicrohttpd worker thread while a client
 * waits. main.c starts and stops the module; the API's handler
 * (api/stream.c) opens one stream per request; server.c queues the
 * response it builds. How it works is explained atop stream.c.
 *
 * Each event is
 *     id: <seq>
 *     event: <action>
 *     data: {"seq":…,"at":…,"action":…,"entity_type":…,"entity_id":…,
 *            "property_id":…,"data":<after, or before when after is null>}
 * A caller receives only events of properties in its scope. A `: ping`
 * comment is sent after STREAM_HEARTBEAT_MS_DEFAULT of silence, and
 * `retry: 2000` first.
 */
#ifndef LU_STREAM_H
#define LU_STREAM_H

#include <stdint.h>

#include "app.h"
#include "core/rc.h"
#include "http/request.h"

/* Streams open at once in one process; the next one gets 503. Each holds a
 * connection and a buffer of STREAM_BUFFER_BYTES, and every commit wakes
 * each of them, so this bounds both memory (64 MiB at worst) and the work
 * a commit causes, and leaves most of HTTP_CONNECTIONS_MAX to ordinary
 * requests. An admin page holds one stream per open tab. */
#define STREAM_CLIENTS_MAX 256

/* Bytes of formatted events waiting for one client. Refilled from the
 * database only when MHD has taken all of it, that is once the socket
 * accepted the previous bytes, so a slow reader never costs more than
 * this: it lags, and resumes from the database where it left off. */
#define STREAM_BUFFER_BYTES (256 * 1024)

/* Events read from the database in one go for one client. */
#define STREAM_BATCH_EVENTS 200

/* Silence after which a `: ping` comment is sent: proxies commonly cut a
 * connection idle for 60 s, clients want proof of life, and each ping is
 * also when a parked stream notices its client has gone. The range keeps a
 * ping within a proxy's patience without waking streams needlessly often.
 * LUCIA_STREAM_HEARTBEAT_MS overrides the default (tests use ~300). */
#define STREAM_HEARTBEAT_MS_DEFAULT 15000
#define STREAM_HEARTBEAT_MS_MIN 50
#define STREAM_HEARTBEAT_MS_MAX 60000

/* How often the log's head is read from the database, which is how commits
 * made by other processes sharing it are noticed. */
#define STREAM_POLL_MS 1000

/* The reconnection delay sent to clients as `retry:`. */
#define STREAM_RETRY_MS 2000

/* Start from the newest change: only what is committed after opening. */
#define STREAM_FROM_HEAD (-1)

/* Starts the module for app (borrowed; outlives it): its timer thread and
 * its commit listener. heartbeat_ms_text is LUCIA_STREAM_HEARTBEAT_MS or
 * NULL. LU_INVALID with one sentence in err for a bad value; LU_IO when
 * the thread cannot start. Call once, before the server starts. */
enum lu_rc stream_start(struct lu_app *app, const char *heartbeat_ms_text, char *err,
                        size_t err_cap);

/* Answers req with a stream of the changes after seq `after` (or
 * STREAM_FROM_HEAD) that req->principal may see: sets req->stream_response
 * for server.c to queue. Replies 503 when STREAM_CLIENTS_MAX are open, the
 * database is down, or the process is shutting down. */
void stream_open(struct lu_req *req, int64_t after);

/* Ends every stream promptly (each sends what it has buffered, then its
 * end), and refuses new ones. Call on SIGTERM before draining: a
 * suspended connection would otherwise never finish, and libmicrohttpd
 * aborts when stopped with one still suspended. */
void stream_shutdown(void);

/* Stops the timer thread. Call after the server stopped. */
void stream_stop(void);

/* Streams open now (for tests and /metrics). */
int stream_count(void);

#endif
