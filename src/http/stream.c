/*
 * stream.c — the change stream, GET /api/stream (see stream.h).
 *
 * Called by the API's stream handler (stream_open), by main.c (start,
 * shutdown, stop) and by libmicrohttpd (the content reader and its free
 * callback). It must never hold a worker thread while a client waits, nor
 * a database connection while a stream is parked, nor more than
 * STREAM_BUFFER_BYTES for one client.
 *
 * How a stream waits, in libmicrohttpd 0.9.75 (checked against its
 * microhttpd.h and its connection.c/daemon.c of that series):
 *  - The response comes from MHD_create_response_from_callback with an
 *    unknown size, so it is sent chunked. The content reader is called on
 *    the connection's worker thread whenever MHD can take more bytes.
 *  - A reader may return 0 only together with MHD_suspend_connection: the
 *    header says 0 "should only be used in conjunction with
 *    MHD_suspend_connection() to avoid busy waiting", and with an internal
 *    polling thread a bare 0 leaves the connection in CHUNKED_BODY_UNREADY
 *    with no event to wake it. MHD_suspend_connection is documented as safe
 *    only from the access handler or a content reader (that is, on the
 *    thread that polls the connection), so the reader itself parks the
 *    connection when it has nothing to send, and returns 0. Returning
 *    MHD_CONTENT_READER_END_OF_STREAM instead would end the response. The
 *    daemon needs MHD_ALLOW_SUSPEND_RESUME (server.c), which includes the
 *    ITC that a resume from another thread signals.
 *  - MHD_resume_connection may be called from any thread at any time, but
 *    only on a suspended connection. It raises a flag and wakes the worker
 *    through its ITC; the worker then calls the reader again. So each stream
 *    keeps its own `suspended` flag, set under its lock in the same critical
 *    section as MHD_suspend_connection, and whoever clears it under that
 *    lock is the one caller of MHD_resume_connection. Suspension itself is
 *    synchronous (the connection is moved to the suspended list before
 *    MHD_suspend_connection returns), so a resume never overtakes it.
 *  - A suspended connection does not time out and MHD does not notice its
 *    client leaving (nor does it read while sending a reply). The
 *    heartbeat resumes it at least every heartbeat_ms, and before parking
 *    the reader peeks at the socket, so a departed client is found at its
 *    next wake. Resume restarts the connection's timeout.
 *  - MHD_stop_daemon with a connection still suspended is an API violation
 *    (MHD_PANIC "called while we have suspended connections"), so
 *    stream_shutdown stops parking and resumes every stream before main.c
 *    drains and stops the server.
 *
 * Who wakes a parked stream: the timer thread ("pump"). A commit in this
 * process (changes_published) raises the known head and signals it; every
 * STREAM_POLL_MS it also reads the head from the database, which is how
 * commits made by other processes are seen. It resumes a parked stream that
 * is behind the head, owes a heartbeat, or must end. It calls
 * MHD_resume_connection with none of our locks held. A reader that is
 * still behind after STREAM_FILL_ATTEMPTS reads parks and pokes the pump,
 * which hands the worker to other connections between reads.
 *
 * Memory: the reader refills a client's fixed buffer from the database
 * (STREAM_BATCH_EVENTS at most, with a pool connection held only for that
 * read) only when MHD has taken everything in it, which happens only as
 * the socket accepts bytes. A slow client therefore lags behind and reads
 * on from the database; it can never make the buffer grow, and there is
 * nothing to drop. A client that stops reading altogether is closed by
 * MHD's connection timeout, since no write makes progress.
 *
 * Lock order: hub.lock, then a stream's lock, then (inside
 * MHD_suspend_connection) MHD's own; MHD holds the response's mutex while
 * calling the reader, which takes only the stream's lock.
 */
#include "http/stream.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/changes.h"
#include "store/events.h"

_Static_assert(STREAM_CLIENTS_MAX * 4 <= HTTP_CONNECTIONS_MAX,
               "streams must leave most connections to ordinary requests");
_Static_assert(STREAM_HEARTBEAT_MS_DEFAULT >= STREAM_HEARTBEAT_MS_MIN &&
                   STREAM_HEARTBEAT_MS_DEFAULT <= STREAM_HEARTBEAT_MS_MAX,
               "the default heartbeat must be one an operator could set");
_Static_assert(STREAM_BUFFER_BYTES >= 4 * TEXT_BYTES_MAX,
               "a buffer must hold an event with the largest text field, with room");

/* Advisory block size for the callback response. MHD 0.9.75 allocates it
 * with the response but fills chunks from the connection's own buffer, so
 * it is kept small. */
#define STREAM_BLOCK_BYTES 4096

/* Refills one reader call may try before parking anyway. Something new can
 * arrive between a refill and the check before parking; retrying covers
 * that, and the cap keeps a failing database from spinning a worker: the
 * pump retries a parked stream that is behind on its next tick. */
#define STREAM_FILL_ATTEMPTS 3

/* Frame of an event whose record does not fit the buffer: the record is
 * left out, explicitly, and the client can fetch it by entity_id. */
#define STREAM_OMITTED "too_large"

struct stream {
    struct stream *prev, *next; /* hub.list; under hub.lock */
    struct MHD_Connection *connection;
    struct lu_app *app;
    char request_id[REQUEST_ID_BYTES_MAX + 1];
    double opened_ms;

    /* The caller's scope, copied: the request's principal is cleared when
     * the request completes, which may come before the response is freed. */
    bool all_properties;
    char **property_ids;
    size_t nproperties;

    pthread_mutex_t lock; /* guards the three fields below, which the pump reads */
    int64_t cursor;       /* every seq up to here was sent or is not visible */
    double last_write_ms; /* when MHD last took bytes: heartbeats count from here */
    bool suspended;       /* parked with MHD_suspend_connection, not yet resumed */

    /* Touched only by the content reader, which MHD calls once at a time. */
    bool started;    /* `retry:` written */
    bool ending;     /* the stream ends once buf is sent */
    bool db_failing; /* the last read failed (logged once per outage) */
    bool stalled;    /* the last read made no progress though the head is ahead */
    char *buf;       /* STREAM_BUFFER_BYTES */
    size_t len, off; /* buf[off..len) is still to be handed to MHD */
    uint64_t events_sent;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* on CLOCK_MONOTONIC */
    struct stream *list;
    int count;
    bool running;  /* the pump thread exists */
    bool stopping; /* the pump must exit */
    bool notified; /* a commit since the pump last looked */
    bool listening;
    pthread_t thread;
    struct lu_app *app;
    int heartbeat_ms;
    int tick_ms;
} hub = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Read without hub.lock by readers on worker threads. */
static atomic_llong hub_head;   /* the newest seq known to be committed */
static atomic_bool hub_closing; /* shutting down: end streams, open none */

/* --- the known head ------------------------------------------------------ */

static void head_raise(int64_t seq)
{
    long long cur = atomic_load(&hub_head);
    while (seq > cur && !atomic_compare_exchange_weak(&hub_head, &cur, seq)) {
    }
}

static int64_t head_known(void)
{
    return atomic_load(&hub_head);
}

/* Reads the head with a short-lived pool connection. */
static enum lu_rc head_poll(struct lu_app *app, int64_t *out)
{
    struct db_conn *conn = db_acquire(app->db);
    if (conn == NULL) {
        return LU_UNAVAILABLE;
    }
    int64_t seq = 0;
    enum lu_rc rc = store_events_head(conn, &seq);
    db_release(conn);
    if (rc == LU_OK) {
        head_raise(seq);
        *out = seq;
    }
    return rc;
}

/* --- frames -------------------------------------------------------------- */

/* An action is our own "<entity>.<verb>"; anything else (an edit outside
 * Lucia) must not be able to break the frame, so it is named "change". */
static const char *event_name(const char *action)
{
    if (action == NULL || action[0] == '\0' || strlen(action) > 64) {
        return "change";
    }
    for (const char *p = action; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) {
            return "change";
        }
    }
    return action;
}

/* Writes one frame for event into buf[0..cap). Returns its length, or 0
 * when it does not fit. Compact JSON has no raw line breaks, so the data is
 * one `data:` line. */
static size_t frame_format(const json_t *event, char *buf, size_t cap)
{
    long long seq = (long long)json_integer_value(json_object_get(event, "seq"));
    const char *name = event_name(json_string_value(json_object_get(event, "action")));
    int head = snprintf(buf, cap, "id: %lld\nevent: %s\ndata: ", seq, name);
    if (head < 0 || (size_t)head >= cap) {
        return 0;
    }
    size_t room = cap - (size_t)head;
    size_t n = json_dumpb(event, buf + head, room, JSON_COMPACT);
    if (n == 0 || n + 2 > room) {
        return 0;
    }
    buf[head + n] = '\n';
    buf[head + n + 1] = '\n';
    return (size_t)head + n + 2;
}

/* The frame without its record, for one too large for an empty buffer. */
static size_t frame_format_omitted(const json_t *event, char *buf, size_t cap)
{
    json_t *copy = json_copy((json_t *)event);
    if (copy == NULL || json_object_set_new(copy, "data", json_null()) != 0 ||
        json_object_set_new(copy, "data_omitted", json_string(STREAM_OMITTED)) != 0) {
        json_decref(copy);
        return 0;
    }
    size_t n = frame_format(copy, buf, cap);
    json_decref(copy);
    return n;
}

static bool buf_append(struct stream *s, const char *text)
{
    size_t n = strlen(text);
    if (n > STREAM_BUFFER_BYTES - s->len) {
        return false;
    }
    memcpy(s->buf + s->len, text, n);
    s->len += n;
    return true;
}

/* --- the reader ---------------------------------------------------------- */

static void cursor_set(struct stream *s, int64_t cursor)
{
    pthread_mutex_lock(&s->lock);
    s->cursor = cursor;
    pthread_mutex_unlock(&s->lock);
}

static bool heartbeat_due(const struct stream *s, double now_ms)
{
    return now_ms - s->last_write_ms >= hub.heartbeat_ms;
}

static void read_failed(struct stream *s, enum lu_rc rc)
{
    if (!s->db_failing) {
        log_msg(LOG_WARN, s->request_id, "stream: cannot read changes (%s); retrying",
                lu_rc_name(rc));
    }
    s->db_failing = true;
}

/* Appends the frames of one batch read after the cursor, as many as fit,
 * and moves the cursor past what was appended or is not visible. */
static void fill_events(struct stream *s)
{
    struct db_conn *conn = db_acquire(s->app->db);
    if (conn == NULL) {
        read_failed(s, LU_UNAVAILABLE);
        return;
    }
    struct scope scope = {.all = s->all_properties,
                          .property_ids = (const char *const *)s->property_ids,
                          .n = s->nproperties};
    struct event_batch batch;
    enum lu_rc rc = store_events_read(conn, &scope, s->cursor, STREAM_BATCH_EVENTS, &batch);
    db_release(conn);
    if (rc != LU_OK) {
        read_failed(s, rc);
        return;
    }
    s->db_failing = false;
    head_raise(batch.head);
    /* No progress with the known head still ahead means the database's head
     * is behind what this process saw (a restored backup): reading again at
     * once would spin, so such a stream waits for the pump's ticks. */
    s->stalled = batch.next_after <= s->cursor;
    int64_t cursor = batch.next_after;
    size_t i;
    json_t *event;
    size_t appended = 0;
    json_array_foreach(batch.events, i, event)
    {
        int64_t seq = json_integer_value(json_object_get(event, "seq"));
        size_t n = frame_format(event, s->buf + s->len, STREAM_BUFFER_BYTES - s->len);
        if (n == 0 && appended == 0) {
            n = frame_format_omitted(event, s->buf + s->len, STREAM_BUFFER_BYTES - s->len);
            log_msg(LOG_WARN, s->request_id,
                    "stream: event %lld is larger than the buffer; "
                    "sent without its record",
                    (long long)seq);
        }
        if (n == 0) {
            cursor = seq - 1; /* send it, and what follows, next time */
            break;
        }
        s->len += n;
        appended++;
    }
    s->events_sent += appended;
    json_decref(batch.events);
    cursor_set(s, cursor);
}

/* Refills the empty buffer: `retry:` first, then new events, else a
 * heartbeat when one is due. */
static void fill(struct stream *s)
{
    LU_ASSERT(s->off == 0 && s->len == 0);
    if (!s->started) {
        char retry[32];
        snprintf(retry, sizeof retry, "retry: %d\n\n", STREAM_RETRY_MS);
        bool ok = buf_append(s, retry);
        LU_ASSERT(ok);
        s->started = true;
    }
    if (s->cursor < head_known()) {
        fill_events(s);
    }
    if (s->len == 0 && heartbeat_due(s, clock_mono_ms())) {
        bool ok = buf_append(s, ": ping\n\n");
        LU_ASSERT(ok);
    }
}

/* Parks the connection unless there is a reason to look again at once.
 * True when parked. force parks even so (the pump will resume it). */
static bool park(struct stream *s, bool force)
{
    pthread_mutex_lock(&s->lock);
    bool closing = atomic_load(&hub_closing);
    bool behind = s->cursor < head_known() && !s->stalled;
    bool again = behind || heartbeat_due(s, clock_mono_ms());
    bool parked = !closing && (force || !again);
    if (parked) {
        s->suspended = true;
        MHD_suspend_connection(s->connection);
    }
    pthread_mutex_unlock(&s->lock);
    return parked;
}

/* Wakes the pump now. */
static void pump_poke(void)
{
    pthread_mutex_lock(&hub.lock);
    hub.notified = true;
    pthread_cond_signal(&hub.wake);
    pthread_mutex_unlock(&hub.lock);
}

static ssize_t hand_out(struct stream *s, char *out, size_t max)
{
    size_t n = s->len - s->off;
    if (n > max) {
        n = max;
    }
    memcpy(out, s->buf + s->off, n);
    s->off += n;
    pthread_mutex_lock(&s->lock);
    s->last_write_ms = clock_mono_ms();
    pthread_mutex_unlock(&s->lock);
    return (ssize_t)n;
}

/* True when the client has closed its end. MHD reads nothing while it
 * sends a reply and nothing at all while a connection is parked, so without
 * this a departed client would be noticed only by a failed write, which
 * is the second write after it left: two heartbeats. Peeking costs one
 * system call per park and consumes nothing. */
static bool peer_gone(const struct stream *s)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(s->connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info == NULL) {
        return false;
    }
    char byte;
    ssize_t n = recv(info->connect_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct stream *s = cls;
    LU_ASSERT(max > 0);
    for (int attempt = 0; attempt < STREAM_FILL_ATTEMPTS; attempt++) {
        if (s->off == s->len && !s->ending) {
            s->off = 0;
            s->len = 0;
            if (atomic_load(&hub_closing)) {
                s->ending = true;
            } else {
                fill(s);
            }
        }
        if (s->off < s->len) {
            return hand_out(s, out, max);
        }
        if (s->ending) {
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (peer_gone(s)) {
            s->ending = true;
            return MHD_CONTENT_READER_END_WITH_ERROR; /* nobody to send the end to */
        }
        /* After a failed read, trying again at once would only wait on
         * the database again with this worker: park, and let the pump
         * retry on its next tick. */
        if (park(s, s->db_failing)) {
            return 0;
        }
    }
    /* Still behind after every attempt (a scope that sees little of a
     * long log): give the worker to other connections, and have the pump
     * resume this one at once rather than on its next tick. */
    if (park(s, true)) {
        pump_poke();
        return 0;
    }
    return MHD_CONTENT_READER_END_OF_STREAM; /* closing */
}

/* --- registry ------------------------------------------------------------ */

static void stream_free(struct stream *s)
{
    for (size_t i = 0; i < s->nproperties; i++) {
        free(s->property_ids[i]);
    }
    free(s->property_ids);
    free(s->buf);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* MHD's free callback: the response is gone, so is the connection's use of
 * the stream. It is never parked here: MHD does not touch a suspended
 * connection, and the server is stopped only after stream_shutdown. */
static void stream_done(void *cls)
{
    struct stream *s = cls;
    pthread_mutex_lock(&hub.lock);
    LU_ASSERT(!s->suspended);
    if (s->prev != NULL) {
        s->prev->next = s->next;
    } else {
        hub.list = s->next;
    }
    if (s->next != NULL) {
        s->next->prev = s->prev;
    }
    hub.count--;
    LU_ASSERT(hub.count >= 0);
    pthread_mutex_unlock(&hub.lock);
    log_msg(LOG_INFO, s->request_id, "stream closed after %.0f ms: %llu events, last seq %lld",
            clock_mono_ms() - s->opened_ms, (unsigned long long)s->events_sent,
            (long long)s->cursor);
    stream_free(s);
}

static struct stream *stream_new(struct lu_req *req, int64_t cursor)
{
    struct stream *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->buf = malloc(STREAM_BUFFER_BYTES);
    size_t n = req->principal.all_properties ? 0 : req->principal.nproperties;
    s->property_ids = n ? calloc(n, sizeof *s->property_ids) : NULL;
    if (s->buf == NULL || (n && s->property_ids == NULL)) {
        stream_free(s);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        s->property_ids[i] = strdup(req->principal.properties[i]);
        if (s->property_ids[i] == NULL) {
            stream_free(s);
            return NULL;
        }
        s->nproperties++;
    }
    s->all_properties = req->principal.all_properties;
    s->connection = req->connection;
    s->app = req->app;
    snprintf(s->request_id, sizeof s->request_id, "%s", req->request_id);
    s->opened_ms = clock_mono_ms();
    s->last_write_ms = s->opened_ms;
    s->cursor = cursor;
    return s;
}

enum admission { ADMITTED, REFUSED_CLOSING, REFUSED_FULL };

/* Adds s to the registry unless the module is not running or closing, or
 * STREAM_CLIENTS_MAX are open. */
static enum admission stream_register(struct stream *s, int *open_out)
{
    pthread_mutex_lock(&hub.lock);
    enum admission a = ADMITTED;
    if (!hub.running || atomic_load(&hub_closing)) {
        a = REFUSED_CLOSING;
    } else if (hub.count >= STREAM_CLIENTS_MAX) {
        a = REFUSED_FULL;
    }
    if (a == ADMITTED) {
        s->next = hub.list;
        if (hub.list != NULL) {
            hub.list->prev = s;
        }
        hub.list = s;
        hub.count++;
    }
    *open_out = hub.count;
    pthread_mutex_unlock(&hub.lock);
    return a;
}

static void reply_busy(struct lu_req *req, const char *message)
{
    reply_header_add(req, "Retry-After", "2");
    reply_error(req, 503, "unavailable", message, NULL);
}

void stream_open(struct lu_req *req, int64_t after)
{
    LU_ASSERT(after >= 0 || after == STREAM_FROM_HEAD);
    /* The head is read now in any case: it is where a stream without a
     * start point begins, and it tells a replaying stream there is work. */
    int64_t head = 0;
    if (head_poll(req->app, &head) != LU_OK) {
        reply_rc(req, LU_UNAVAILABLE);
        return;
    }
    struct stream *s = stream_new(req, after == STREAM_FROM_HEAD ? head : after);
    if (s == NULL) {
        reply_rc(req, LU_NOMEM);
        return;
    }
    int open = 0;
    enum admission a = stream_register(s, &open);
    if (a != ADMITTED) {
        stream_free(s);
        if (a == REFUSED_CLOSING) {
            reply_busy(req, "the server is shutting down; reconnect to another");
            return;
        }
        log_msg(LOG_WARN, req->request_id, "stream refused: %d streams open", open);
        reply_busy(req, "too many change streams are open; retry later");
        return;
    }
    /* From here the response owns s: stream_done frees it, whether the
     * response is queued or not. */
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, STREAM_BLOCK_BYTES, stream_read, s, stream_done);
    if (resp == NULL) {
        stream_done(s);
        reply_rc(req, LU_NOMEM);
        return;
    }
    log_msg(LOG_INFO, req->request_id, "stream opened after seq %lld (%d open)",
            (long long)s->cursor, open);
    reply_header_add(req, "X-Accel-Buffering", "no"); /* proxies must not hold events */
    req->status = 200;
    req->content_type = "text/event-stream";
    req->stream_response = resp;
}

/* --- the pump ------------------------------------------------------------ */

/* Under hub.lock: un-flags every parked stream that must run and writes
 * its connection to out; the caller resumes them once the lock is gone. */
static size_t collect_due(struct MHD_Connection **out)
{
    size_t n = 0;
    int64_t head = head_known();
    bool closing = atomic_load(&hub_closing);
    double now = clock_mono_ms();
    for (struct stream *s = hub.list; s != NULL; s = s->next) {
        pthread_mutex_lock(&s->lock);
        if (s->suspended && (closing || s->cursor < head || heartbeat_due(s, now))) {
            s->suspended = false;
            LU_ASSERT(n < STREAM_CLIENTS_MAX);
            out[n++] = s->connection;
        }
        pthread_mutex_unlock(&s->lock);
    }
    return n;
}

/* Resumes what is due. Called with hub.lock held; releases it meanwhile. A
 * connection un-flagged in collect_due stays suspended in MHD until
 * resumed here, so it cannot be freed in between. */
static void resume_due(void)
{
    struct MHD_Connection *due[STREAM_CLIENTS_MAX];
    size_t n = collect_due(due);
    if (n == 0) {
        return;
    }
    pthread_mutex_unlock(&hub.lock);
    for (size_t i = 0; i < n; i++) {
        MHD_resume_connection(due[i]);
    }
    pthread_mutex_lock(&hub.lock);
}

static void wait_tick(void)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    long long ns = until.tv_nsec + (long long)hub.tick_ms * 1000000LL;
    until.tv_sec += (time_t)(ns / 1000000000LL);
    until.tv_nsec = (long)(ns % 1000000000LL);
    while (!hub.notified && !hub.stopping) {
        int rc = pthread_cond_timedwait(&hub.wake, &hub.lock, &until);
        if (rc == ETIMEDOUT) {
            break;
        }
    }
}

static void *pump_main(void *arg)
{
    (void)arg;
    double next_poll_ms = 0;
    pthread_mutex_lock(&hub.lock);
    while (!hub.stopping) {
        wait_tick();
        hub.notified = false;
        if (hub.stopping) {
            break;
        }
        double now = clock_mono_ms();
        if (hub.count > 0 && now >= next_poll_ms) {
            next_poll_ms = now + STREAM_POLL_MS;
            pthread_mutex_unlock(&hub.lock);
            int64_t head = 0;
            (void)head_poll(hub.app, &head); /* a failed poll is retried next time */
            pthread_mutex_lock(&hub.lock);
        }
        resume_due();
    }
    pthread_mutex_unlock(&hub.lock);
    return NULL;
}

static void on_commit(int64_t seq, void *ctx)
{
    (void)ctx;
    head_raise(seq);
    pump_poke();
}

/* --- life cycle ---------------------------------------------------------- */

static bool heartbeat_parse(const char *text, int *out, char *err, size_t cap)
{
    *out = STREAM_HEARTBEAT_MS_DEFAULT;
    if (text == NULL || text[0] == '\0') {
        return true;
    }
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < STREAM_HEARTBEAT_MS_MIN ||
        v > STREAM_HEARTBEAT_MS_MAX) {
        snprintf(err, cap,
                 "LUCIA_STREAM_HEARTBEAT_MS must be a whole number of milliseconds "
                 "from %d to %d",
                 STREAM_HEARTBEAT_MS_MIN, STREAM_HEARTBEAT_MS_MAX);
        return false;
    }
    *out = (int)v;
    return true;
}

enum lu_rc stream_start(struct lu_app *app, const char *heartbeat_ms_text, char *err,
                        size_t err_cap)
{
    LU_ASSERT(!hub.running);
    int heartbeat_ms = 0;
    if (!heartbeat_parse(heartbeat_ms_text, &heartbeat_ms, err, err_cap)) {
        return LU_INVALID;
    }
    hub.app = app;
    hub.heartbeat_ms = heartbeat_ms;
    /* Half the heartbeat keeps a ping at most 1.5 intervals apart. */
    hub.tick_ms = heartbeat_ms / 2 < STREAM_POLL_MS ? heartbeat_ms / 2 : STREAM_POLL_MS;
    hub.stopping = false;
    hub.notified = false;
    atomic_store(&hub_closing, false);
    if (!hub.listening) {
        /* changes has no way to unregister: the listener, and the
         * condition it signals, stay for the process's life. */
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&hub.wake, &attr);
        pthread_condattr_destroy(&attr);
        if (!changes_listen(on_commit, NULL)) {
            snprintf(err, err_cap, "no room for the change stream's commit listener");
            return LU_IO;
        }
        hub.listening = true;
    }
    if (pthread_create(&hub.thread, NULL, pump_main, NULL) != 0) {
        snprintf(err, err_cap, "cannot start the change stream's timer thread");
        return LU_IO;
    }
    hub.running = true;
    return LU_OK;
}

void stream_shutdown(void)
{
    pthread_mutex_lock(&hub.lock);
    if (!hub.running || hub.stopping) {
        pthread_mutex_unlock(&hub.lock);
        return;
    }
    /* Readers check hub_closing under their stream's lock before parking,
     * and the pass below takes each stream's lock after this store: every
     * stream either sees it or is resumed here. */
    atomic_store(&hub_closing, true);
    hub.stopping = true;
    int open = hub.count; /* counted now: streams that are running end at once */
    pthread_cond_signal(&hub.wake);
    pthread_mutex_unlock(&hub.lock);
    if (open > 0) {
        log_msg(LOG_INFO, NULL, "ending %d change stream%s", open, open == 1 ? "" : "s");
    }
    /* The pump ends first, so that no resume of it can run after the
     * server is stopped; then one last pass resumes everything parked. */
    pthread_join(hub.thread, NULL);
    pthread_mutex_lock(&hub.lock);
    resume_due();
    pthread_mutex_unlock(&hub.lock);
}

void stream_stop(void)
{
    if (!hub.running) {
        return;
    }
    stream_shutdown();
    pthread_mutex_lock(&hub.lock);
    hub.running = false;
    int left = hub.count;
    pthread_mutex_unlock(&hub.lock);
    /* The server frees every response when it stops, so none should be
     * left; one that is would be a leak, not a reason to fail the exit. */
    if (left != 0) {
        log_msg(LOG_WARN, NULL, "%d change stream%s not freed at stop", left,
                left == 1 ? " was" : "s were");
    }
}

int stream_count(void)
{
    pthread_mutex_lock(&hub.lock);
    int n = hub.count;
    pthread_mutex_unlock(&hub.lock);
    return n;
}
