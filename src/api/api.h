/*
 * api.h — the route table and the handlers behind it. One file per resource
 * in src/api/; each handler validates, calls one store function, and writes
 * JSON.
 */
#ifndef LU_API_H
#define LU_API_H

#include <stdbool.h>
#include <stddef.h>

#include "http/router.h"

/* The whole table, in match order. */
extern const struct route api_routes[];
extern const size_t api_routes_count;

/* Authenticates a request to an AUTH_GUEST route (api/guest_auth.c): the
 * server's lu_app.guest_authenticate. Resolves `Bearer gtk_…` against the
 * guest tokens (expiry and revocation on every request) into
 * req->principal; else replies 401 (503 when the database is down) and
 * returns false. */
struct lu_req;
bool api_guest_authenticate(struct lu_req *req);

#endif
