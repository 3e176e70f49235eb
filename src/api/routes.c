/*
 * routes.c — every route Lucia serves, in one table: method, pattern,
 * handler, auth level and body cap together, so a reviewer sees the whole
 * surface at a glance.
 */
#include "api/api.h"
#include "api/api_internal.h"

const struct route api_routes[] = {
    {M_GET, "/health", api_health, AUTH_PUBLIC, 0, NULL},
    {M_GET, "/ready", api_ready, AUTH_PUBLIC, 0, NULL},
    {M_GET, "/metrics", api_metrics, AUTH_HANDLER, 0, NULL},

    {M_GET, "/api/properties", api_properties_list, AUTH_VIEWER, 0, NULL},
    {M_POST, "/api/properties", api_properties_create, AUTH_OWNER, 0, NULL},
    {M_GET, "/api/properties/{id}", api_property_get, AUTH_VIEWER, 0, NULL},
    {M_PATCH, "/api/properties/{id}", api_property_patch, AUTH_OWNER, 0, NULL},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
