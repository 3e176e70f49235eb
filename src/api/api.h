/*
 * api.h — the route table and the handlers behind it. One file per resource
 * in src/api/; each handler validates, calls one store function, and writes
 * JSON.
 */
#ifndef LU_API_H
#define LU_API_H

#include <stddef.h>

#include "http/router.h"

/* The whole table, in match order. */
extern const struct route api_routes[];
extern const size_t api_routes_count;

#endif
