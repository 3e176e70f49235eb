/*
 * router.h — the route table: method, path pattern, handler, auth level and
 * body cap, declared together (after Kore's routes).
 *
 * Patterns are literal segments and `{name}` parameters, e.g.
 * "/api/properties/{id}". Matching is by whole segments; a path that matches
 * a pattern under another method is 405 with an Allow list. The router knows
 * nothing of HTTP libraries, so it is unit-tested on its own.
 */
#ifndef LU_ROUTER_H
#define LU_ROUTER_H

#include <stddef.h>

#include "core/limits.h"

struct lu_req;
typedef void (*route_handler)(struct lu_req *req);

enum auth_level {
    AUTH_PUBLIC = 0, /* no token */
    AUTH_VIEWER,     /* any verified principal: reads */
    AUTH_OPERATOR,   /* operator, owner or service: writes within properties */
    AUTH_OWNER,      /* owner or service: manages properties */
    AUTH_SERVICE,    /* the engine-only service key */
    AUTH_HANDLER,    /* the handler decides (/metrics, webhooks) */
    AUTH_GUEST,      /* a guest token (gtk_…), on the /guest/ routes only: resolved against the
                        database by app->guest_authenticate (api/guest_auth.c)
                        before the handler runs */
};

enum http_method {
    M_GET = 1 << 0,
    M_POST = 1 << 1,
    M_PATCH = 1 << 2,
    M_PUT = 1 << 3,
    M_DELETE = 1 << 4,
    M_HEAD = 1 << 5,
    M_OPTIONS = 1 << 6,
};

struct route {
    unsigned methods; /* a set of enum http_method */
    const char *pattern;
    route_handler handler;
    enum auth_level auth;
    size_t body_bytes_max; /* 0 = HTTP_BODY_BYTES_MAX */
    const char *name;      /* the label in logs and metrics: defaults to pattern */
};

enum route_result { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_METHOD_NOT_ALLOWED };

struct route_match {
    const struct route *route;
    size_t nparams;
    const char *param_names[ROUTE_PARAMS_MAX]; /* borrowed from the pattern's copy */
    char *params[ROUTE_PARAMS_MAX];            /* point into buf */
    char buf[512];
    char allow[64]; /* "GET, PATCH" for 405 */
};

/* Parses a method name; 0 for one we do not serve. */
unsigned http_method_parse(const char *name);

/* Matches method and path against the table of n routes. Paths
 * whose parameter values (with their NULs) exceed the 512-byte match buffer,
 * or with more parameters than ROUTE_PARAMS_MAX, do not match. One trailing
 * slash is ignored. */
enum route_result router_match(const struct route *table, size_t n, const char *method,
                               const char *path, struct route_match *out);

/* The value of a named parameter of a match, or NULL. */
const char *route_param(const struct route_match *m, const char *name);

#endif
