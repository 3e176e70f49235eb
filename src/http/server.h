/*
 * server.h — the HTTP server on libmicrohttpd: an epoll thread pool sized to
 * the cores, limits from core/limits.h, the route table, auth per route, and
 * a graceful stop (SPEC §9: stop accepting, finish in-flight work).
 */
#ifndef LU_SERVER_H
#define LU_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"
#include "core/rc.h"
#include "http/router.h"

struct http_server;

/* Starts listening on cfg's address with the given route table (borrowed;
 * must outlive the server). Owned: http_server_stop. */
enum lu_rc http_server_start(struct lu_app *app, const struct route *routes, size_t nroutes,
                             struct http_server **out, char *err, size_t err_cap);

/* Stops accepting new connections; open ones are still served. */
void http_server_quiesce(struct http_server *s);

/* Waits until no request is in flight or timeout_ms passes. True if idle. */
bool http_server_drain(struct http_server *s, int timeout_ms);

/* Closes every connection and frees the server. */
void http_server_stop(struct http_server *s);

/* The port actually bound (useful when cfg asked for 0). */
int http_server_port(const struct http_server *s);

#endif
