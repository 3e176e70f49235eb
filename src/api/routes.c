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

    {M_GET, "/api/guests", api_guests_list, AUTH_VIEWER, 0, NULL},
    {M_POST, "/api/guests", api_guests_create, AUTH_OPERATOR, 0, NULL},
    {M_GET, "/api/guests/{id}", api_guest_get, AUTH_VIEWER, 0, NULL},
    {M_PATCH, "/api/guests/{id}", api_guest_patch, AUTH_OPERATOR, 0, NULL},

    {M_GET, "/api/bookings", api_bookings_list, AUTH_VIEWER, 0, NULL},
    {M_POST, "/api/bookings", api_bookings_create, AUTH_OPERATOR, 0, NULL},
    {M_GET, "/api/bookings/{id}", api_booking_get, AUTH_VIEWER, 0, NULL},
    {M_PATCH, "/api/bookings/{id}", api_booking_patch, AUTH_OPERATOR, 0, NULL},
    {M_POST, "/api/bookings/{id}/transition", api_booking_transition, AUTH_OPERATOR, 0, NULL},
    {M_GET, "/api/bookings/{id}/history", api_booking_history, AUTH_VIEWER, 0, NULL},

    {M_GET, "/api/items", api_items_list, AUTH_VIEWER, 0, NULL},
    {M_POST, "/api/items", api_items_create, AUTH_OPERATOR, 0, NULL},
    {M_GET, "/api/items/{id}", api_item_get, AUTH_VIEWER, 0, NULL},
    {M_PATCH, "/api/items/{id}", api_item_patch, AUTH_OPERATOR, 0, NULL},
    {M_POST, "/api/items/{id}/transition", api_item_transition, AUTH_OPERATOR, 0, NULL},
    {M_GET, "/api/items/{id}/history", api_item_history, AUTH_VIEWER, 0, NULL},

    /* The operator's day: arrivals, departures, in house, due (api/today.c). */
    {M_GET, "/api/today", api_today, AUTH_VIEWER, 0, NULL},

    /* Append-only: GET alone, so every other verb is 405. */
    {M_GET, "/api/audit", api_audit_list, AUTH_VIEWER, 0, NULL},

    /* Server-Sent Events of every committed change (http/stream.c). */
    {M_GET, "/api/stream", api_stream, AUTH_VIEWER, 0, NULL},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
