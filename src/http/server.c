/*
 * server.c — libmicrohttpd wiring (see server.h).
 *
 * The access handler returns MHD_YES on the first call and answers on a
 * later one: answering on the first call makes libmicrohttpd 0.9.75 close
 * keep-alive connections (measured: ~5× slower). Bodies are gathered up to
 * the route's cap; past it the rest is read and discarded so the client
 * still gets a clean 413 instead of a reset. Every answer carries
 * X-Request-Id and is logged and counted once.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/limits.h"
#include "core/log.h"
#include "http/metrics.h"
#include "http/request.h"
#include "ops/access.h"
#include "ops/crash.h"
#include "ops/sentry.h"
#include "ops/status.h"

/* A declared body this much larger than any cap is refused at once rather
 * than read and discarded: reading it would only waste the connection. */
#define HTTP_DISCARD_BYTES_MAX (16 * 1024 * 1024)

struct http_server {
    struct MHD_Daemon *daemon;
    struct lu_app *app;
    const struct route *routes;
    size_t nroutes;
    atomic_int inflight;
    int port;
};

struct exchange {
    struct lu_req req;
    double started_ms;
    size_t body_cap;
    size_t received;
    bool too_large;
    bool headers_too_large;
    enum route_result route_result;
    char *buf;
    char *target; /* the request-target as received (on_uri); owned */
    bool begun;   /* exchange_new ran: counted in inflight */
};

static const char *route_label(const struct exchange *x)
{
    const struct route *r = x->req.match.route;
    if (r == NULL) {
        return "unmatched";
    }
    return r->name ? r->name : r->pattern;
}

/* Metrics keep label pointers for the life of the process, so the method
 * must be one of these static names, never the connection's own string. */
static const char *method_label(const char *method)
{
    static const char *const known[] = {"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD",
                                        "OPTIONS"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(method, known[i]) == 0) {
            return known[i];
        }
    }
    return "other";
}

static bool request_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > REQUEST_ID_BYTES_MAX) {
        return false;
    }
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == ':';
        if (!ok) {
            return false;
        }
    }
    return true;
}

static void request_id_set(struct lu_req *req)
{
    const char *given = req_header(req, "X-Request-Id");
    if (given != NULL && request_id_ok(given)) {
        snprintf(req->request_id, sizeof req->request_id, "%s", given);
        return;
    }
    unsigned char rnd[12];
    if (random_bytes(rnd, sizeof rnd) != LU_OK) {
        memset(rnd, 0, sizeof rnd);
    }
    char *p = req->request_id;
    p += snprintf(p, 5, "req_");
    for (size_t i = 0; i < sizeof rnd; i++) {
        p += snprintf(p, 3, "%02x", rnd[i]);
    }
}

static enum MHD_Result header_bytes(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    size_t *total = cls;
    *total += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    return MHD_YES;
}

/* SPEC §9 production posture, on every answer: no framing, no referrer,
 * and HSTS only when the public URL is https (an http deployment must not
 * pin browsers to a TLS it does not have). The admin's static files set
 * their own stricter CSP and framing headers (http/static.c); those win. */
static void security_headers_add(struct MHD_Response *resp, const struct lu_req *req,
                                 bool handler_set)
{
    if (!handler_set) {
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(resp, "Content-Security-Policy", "frame-ancestors 'none'");
    }
    if (strncmp(req->app->cfg.public_url, "https://", 8) == 0) {
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    }
}

static enum MHD_Result send_reply(struct MHD_Connection *connection, struct exchange *x)
{
    struct lu_req *req = &x->req;
    if (!reply_done(req)) {
        reply_error(req, 500, "internal", "the handler gave no answer", NULL);
    }
    /* A stream (stream.c) built its own callback response: queue that. */
    struct MHD_Response *resp = req->stream_response;
    req->stream_response = NULL;
    if (resp == NULL) {
        resp = MHD_create_response_from_buffer(req->reply_len, req->reply_body,
                                               MHD_RESPMEM_MUST_FREE);
        if (resp == NULL) {
            return MHD_NO;
        }
        req->reply_body = NULL; /* the response owns it now */
    }
    if (req->content_type != NULL) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, req->content_type);
    }
    MHD_add_response_header(resp, "X-Request-Id", req->request_id);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    /* Records are never cached; a handler that knows better (the admin's
     * static files, http/static.c) sets its own Cache-Control. */
    bool cache_set = false, frame_set = false;
    for (size_t i = 0; i < req->nheaders; i++) {
        cache_set = cache_set || strcasecmp(req->headers[i].name, "Cache-Control") == 0;
        frame_set = frame_set || strcasecmp(req->headers[i].name, "X-Frame-Options") == 0;
    }
    if (!cache_set) {
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    }
    security_headers_add(resp, req, frame_set);
    for (size_t i = 0; i < req->nheaders; i++) {
        MHD_add_response_header(resp, req->headers[i].name, req->headers[i].value);
    }
    enum MHD_Result ret = MHD_queue_response(connection, (unsigned)req->status, resp);
    MHD_destroy_response(resp);
    double ms = clock_mono_ms() - x->started_ms;
    log_request(req->request_id, req->method, route_label(x), req->status, ms);
    if (req->status >= 500) {
        sentry_report_5xx(req->request_id, req->method, route_label(x), req->status);
    }
    metrics_request_observe(route_label(x), method_label(req->method), req->status, ms);
    return ret;
}

static bool authorize(struct lu_req *req, enum auth_level level)
{
    if (level == AUTH_PUBLIC) {
        return true;
    }
    if (level == AUTH_GUEST) {
        /* No operator token or service key passes here, and a guest token
         * nowhere else (auth_authenticate knows nothing of it). */
        if (req->app->guest_authenticate == NULL) {
            reply_rc(req, LU_UNAUTHORIZED);
            return false;
        }
        return req->app->guest_authenticate(req);
    }
    const char *why = NULL;
    const char *header = req_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
    enum lu_rc rc = auth_authenticate(req->app->auth, header, &req->principal, &why);
    if (rc == LU_OK) {
        req->authenticated = true;
        if (req->principal.role != ROLE_SERVICE) {
            ops_status_prove("jwt", true, NULL); /* an operator token verified */
        }
    }
    if (level == AUTH_HANDLER) {
        return true; /* the handler reads req->authenticated itself */
    }
    if (rc != LU_OK) {
        log_msg(LOG_INFO, req->request_id, "unauthorized: %s", why ? why : lu_rc_name(rc));
        reply_rc(req, rc == LU_NOMEM ? LU_NOMEM : LU_UNAUTHORIZED);
        return false;
    }
    static const enum role needed[] = {
        [AUTH_VIEWER] = ROLE_VIEWER,
        [AUTH_OPERATOR] = ROLE_OPERATOR,
        [AUTH_OWNER] = ROLE_OWNER,
        [AUTH_SERVICE] = ROLE_SERVICE,
    };
    if (!principal_has_role(&req->principal, needed[level])) {
        reply_rc(req, LU_FORBIDDEN);
        return false;
    }
    return true;
}

/* True when s is well-formed UTF-8 (no overlong forms, no surrogates,
 * nothing past U+10FFFF). A path or query value that is not can name no
 * record, and PostgreSQL refuses such bytes in a parameter outright. */
static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p != 0) {
        unsigned c = *p;
        size_t n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2
                 : (c & 0xF8) == 0xF0 ? 3 : 4;
        if (n == 4 || (n == 1 && c < 0xC2) || (n == 3 && c > 0xF4)) {
            return false;
        }
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80) {
                return false; /* also stops at the NUL */
            }
        }
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) ||
            (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F)) {
            return false; /* overlong, surrogate, or past U+10FFFF */
        }
        p += n + 1;
    }
    return true;
}

/* MHD_KeyValueIterator over the query: stops at the first argument whose
 * name or value is not UTF-8, leaving its name (or "" when the name is the
 * bad part) in *cls. */
static enum MHD_Result query_arg_check(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    const char **bad = cls;
    if (!utf8_valid(key)) {
        *bad = "";
        return MHD_NO;
    }
    if (value != NULL && !utf8_valid(value)) {
        *bad = key;
        return MHD_NO;
    }
    return MHD_YES;
}

static void dispatch(struct exchange *x)
{
    struct lu_req *req = &x->req;
    if (x->headers_too_large) {
        reply_error(req, 431, "headers_too_large", "request headers exceed 16 KiB", NULL);
        return;
    }
    /* The private front door (SPEC §9) comes before routing and route auth:
     * a stranger learns nothing, not even which paths exist. */
    const char *door_why = NULL;
    if (!access_admit(req->path, req_header(req, "Cf-Access-Jwt-Assertion"), &door_why)) {
        log_msg(LOG_INFO, req->request_id, "access denied: %s", door_why);
        reply_error(req, 403, "forbidden", "a valid Cloudflare Access token is required", NULL);
        return;
    }
    if (crash_debug_route(req)) {
        return; /* development-only test route (ops/crash.h) */
    }
    enum route_result r = x->route_result;
    if (r == ROUTE_NOT_FOUND) {
        reply_error(req, 404, "not_found", "no such resource", NULL);
        return;
    }
    if (r == ROUTE_METHOD_NOT_ALLOWED) {
        reply_header_add(req, "Allow", req->match.allow);
        reply_error(req, 405, "method_not_allowed", "this resource does not accept that method",
                    NULL);
        return;
    }
    if (x->too_large) {
        reply_error(req, 413, "payload_too_large", "the request body exceeds the limit", NULL);
        return;
    }
    if (!authorize(req, req->match.route->auth)) {
        return;
    }
    const char *bad_arg = NULL;
    MHD_get_connection_values(req->connection, MHD_GET_ARGUMENT_KIND, query_arg_check, &bad_arg);
    if (bad_arg != NULL) {
        reply_error(req, 400, "invalid_field", "query parameters must be UTF-8",
                    bad_arg[0] != '\0' ? bad_arg : NULL);
        return;
    }
    req->body = x->buf;
    req->body_len = x->received;
    req->match.route->handler(req);
}

/*
 * libmicrohttpd shows the request-target exactly as received — path still
 * percent-encoded, query attached — only to this callback, before it
 * decodes the path and splits the query; what it returns becomes the
 * exchange. Provider webhooks need those exact bytes: Twilio signs the URL
 * as it requested it (api/webhooks.c). NULL (out of memory) is fine:
 * exchange_new makes the exchange then, without a target.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    struct exchange *x = calloc(1, sizeof *x);
    if (x != NULL) {
        x->target = strdup(uri);
    }
    return x;
}

/* True when the request-target's path (before any '?') carries an encoded
 * NUL. libmicrohttpd decodes %00 into the path, which then ends there as a
 * C string: "/static/index.html%00.png" would be served as index.html and
 * "/api/items/%00" as the list. Such a path names nothing. */
static bool target_path_has_nul(const char *target)
{
    for (size_t i = 0; target != NULL && target[i] != '\0' && target[i] != '?'; i++) {
        if (target[i] == '%' && target[i + 1] == '0' && target[i + 2] == '0') {
            return true;
        }
    }
    return false;
}

static struct exchange *exchange_new(struct http_server *s, struct exchange *x,
                                     struct MHD_Connection *connection, const char *url,
                                     const char *method)
{
    if (x == NULL) {
        x = calloc(1, sizeof *x);
    }
    if (x == NULL) {
        return NULL;
    }
    x->begun = true;
    x->req.target = x->target;
    x->started_ms = clock_mono_ms();
    x->req.app = s->app;
    x->req.connection = connection;
    x->req.method = method;
    x->req.path = url;
    request_id_set(&x->req);
    size_t hbytes = 0;
    MHD_get_connection_values(connection, MHD_HEADER_KIND, header_bytes, &hbytes);
    x->headers_too_large = hbytes > HTTP_HEADER_BYTES_MAX;
    /* Routing on the first call lets a route's own body cap apply while the
     * body arrives. HEAD is GET without a body; libmicrohttpd drops it. */
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    x->route_result = router_match(s->routes, s->nroutes, m, url, &x->req.match);
    if (target_path_has_nul(x->target) || !utf8_valid(url)) {
        x->route_result = ROUTE_NOT_FOUND;
    }
    x->body_cap = HTTP_BODY_BYTES_MAX;
    if (x->route_result == ROUTE_FOUND && x->req.match.route->body_bytes_max != 0) {
        x->body_cap = x->req.match.route->body_bytes_max;
    }
    return x;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *s = cls;
    struct exchange *x = *con_cls;
    if (x == NULL || !x->begun) {
        x = exchange_new(s, x, connection, url, method);
        if (x == NULL) {
            return MHD_NO;
        }
        *con_cls = x;
        atomic_fetch_add(&s->inflight, 1);
        const char *cl = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL) {
            unsigned long long declared = strtoull(cl, NULL, 10);
            x->too_large = declared > x->body_cap;
            if (declared > HTTP_DISCARD_BYTES_MAX) {
                dispatch(x);
                return send_reply(connection, x);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (x->too_large || x->received + n > x->body_cap) {
            x->too_large = true;
            x->received += n;
            return x->received > HTTP_DISCARD_BYTES_MAX ? MHD_NO : MHD_YES;
        }
        char *grown = realloc(x->buf, x->received + n + 1);
        if (grown == NULL) {
            return MHD_NO;
        }
        x->buf = grown;
        memcpy(x->buf + x->received, upload_data, n);
        x->received += n;
        x->buf[x->received] = '\0';
        return MHD_YES;
    }
    if (x->too_large) {
        x->received = 0;
    }
    dispatch(x);
    return send_reply(connection, x);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct exchange *x = *con_cls;
    if (x == NULL) {
        return;
    }
    if (x->req.stream_response != NULL) {
        MHD_destroy_response(x->req.stream_response); /* built, never queued */
    }
    principal_clear(&x->req.principal);
    free(x->req.reply_body);
    free(x->buf);
    free(x->target);
    bool begun = x->begun; /* an exchange on_uri made for a request that never ran */
    free(x);
    *con_cls = NULL;
    if (begun) {
        atomic_fetch_sub(&s->inflight, 1);
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    if (!log_enabled(LOG_DEBUG)) {
        return;
    }
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\n') {
        line[n - 1] = '\0';
    }
    log_msg(LOG_DEBUG, NULL, "microhttpd: %s", line);
}

static bool listen_address(const struct lu_config *cfg, struct sockaddr_storage *ss,
                           bool *ipv6)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    const char *addr = cfg->listen_addr;
    if (strcmp(addr, "localhost") == 0) {
        addr = "127.0.0.1";
    }
    char trimmed[64];
    snprintf(trimmed, sizeof trimmed, "%s", addr);
    if (trimmed[0] == '[') {
        size_t n = strlen(trimmed);
        if (n > 2 && trimmed[n - 1] == ']') {
            memmove(trimmed, trimmed + 1, n - 2);
            trimmed[n - 2] = '\0';
        }
    }
    if (inet_pton(AF_INET, trimmed, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)cfg->port);
        *ipv6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, trimmed, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)cfg->port);
        *ipv6 = true;
        return true;
    }
    return false;
}

enum lu_rc http_server_start(struct lu_app *app, const struct route *routes, size_t nroutes,
                             struct http_server **out, char *err, size_t cap)
{
    struct http_server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return LU_NOMEM;
    }
    s->app = app;
    s->routes = routes;
    s->nroutes = nroutes;
    struct sockaddr_storage ss;
    bool ipv6 = false;
    if (!listen_address(&app->cfg, &ss, &ipv6)) {
        snprintf(err, cap, "LUCIA_LISTEN address %s is not an IP address", app->cfg.listen_addr);
        free(s);
        return LU_INVALID;
    }
    /* MHD_ALLOW_SUSPEND_RESUME: change streams (stream.c) park their
     * connections instead of holding a worker thread while they wait. */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME | (ipv6 ? MHD_USE_IPv6 : 0);
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)app->cfg.port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)app->cfg.threads,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY_BYTES,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONNECTION_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS_MAX, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_END);
    if (s->daemon == NULL) {
        snprintf(err, cap, "cannot listen on %s:%d (in use, or not allowed)",
                 app->cfg.listen_addr, app->cfg.port);
        free(s);
        return LU_IO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : app->cfg.port;
    *out = s;
    return LU_OK;
}

void http_server_quiesce(struct http_server *s)
{
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET) {
        close(fd);
    }
}

bool http_server_drain(struct http_server *s, int timeout_ms)
{
    double deadline = clock_mono_ms() + timeout_ms;
    while (atomic_load(&s->inflight) > 0) {
        if (clock_mono_ms() >= deadline) {
            return false;
        }
        usleep(10 * 1000);
    }
    return true;
}

void http_server_stop(struct http_server *s)
{
    if (s == NULL) {
        return;
    }
    MHD_stop_daemon(s->daemon);
    free(s);
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}
