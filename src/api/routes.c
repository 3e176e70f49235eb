/*
 * routes.c — every route Lucia serves, in one table: method, pattern,
 * handler, auth level and body cap together, so a reviewer sees the whole
 * surface at a glance.
 */
#include "api/api.h"
#include "api/api_guest.h"
#include "api/api_internal.h"
#include "http/static.h"

const struct route api_routes[] = {
    {M_GET, "/health", api_health, AUTH_PUBLIC, 0, NULL},
    {M_GET, "/ready", api_ready, AUTH_PUBLIC, 0, NULL},
    {M_GET, "/metrics", api_metrics, AUTH_HANDLER, 0, NULL},
    /* The honest integration report (api/status.c, ops/status.h). */
    {M_GET, "/admin/status", api_admin_status, AUTH_OWNER, 0, NULL},

    /* The operator admin's embedded static files, public (http/static.c):
     * the page at / and its assets under /static/, so no file name can
     * shadow an API path. */
    {M_GET, "/", http_static_index, AUTH_PUBLIC, 0, "static"},
    {M_GET, "/guest", http_static_guest, AUTH_PUBLIC, 0, "static"},
    {M_GET, "/static/{file}", http_static_asset, AUTH_PUBLIC, 0, "static"},
    {M_GET, "/static/{dir}/{file}", http_static_asset, AUTH_PUBLIC, 0, "static"},

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
    {M_GET, "/api/bookings/{id}/payments", api_booking_payments, AUTH_VIEWER, 0, NULL},

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

    /* Payment truth (SPEC §6): Stripe's signed events in, the ledger out
     * (api/stripe.c, api/payments.c). The webhook authenticates with
     * Stripe's signature over the raw body, never a bearer token. */
    {M_POST, "/webhooks/stripe", api_webhook_stripe, AUTH_PUBLIC, 0, NULL},
    {M_GET, "/api/payments/risks", api_payments_risks, AUTH_VIEWER, 0, NULL},
    {M_GET, "/api/payments/unlinked", api_payments_unlinked, AUTH_OWNER, 0, NULL},

    /* Inbound (SPEC §7): provider webhooks authenticate with the
     * provider's own scheme (api/webhooks.c), never a bearer token;
     * Postmark posts attachments inline, hence its larger cap. The inbox
     * reads (api/messages.c). */
    {M_POST, "/webhooks/twilio", api_webhook_twilio, AUTH_PUBLIC, 0, NULL},
    {M_POST, "/webhooks/postmark", api_webhook_postmark, AUTH_PUBLIC,
     INTAKE_POSTMARK_BODY_BYTES_MAX, NULL},
    {M_GET, "/api/messages", api_messages_list, AUTH_VIEWER, 0, NULL},
    {M_GET, "/api/messages/{id}", api_message_get, AUTH_VIEWER, 0, NULL},

    /* Outbound (SPEC §7): replies by SMS/WhatsApp, the public waitlist,
     * guest email verification, and the outbox they all go through. */
    {M_POST, "/api/messages", api_messages_reply, AUTH_OPERATOR, 0, NULL},
    {M_POST, "/api/waitlist", api_waitlist_join, AUTH_PUBLIC, 4096, NULL},
    {M_POST, "/api/guests/{id}/verify-email", api_guest_verify_email, AUTH_OPERATOR, 1024,
     NULL},
    {M_GET, "/verify", api_verify, AUTH_PUBLIC, 0, NULL},
    {M_GET, "/api/outbox", api_outbox_list, AUTH_OWNER, 0, NULL},

    /* Operator focus (SPEC §8, api/focus.c): one turn per POST, and the
     * caller's own transcripts. A message is at most 2000 characters. */
    {M_POST, "/admin/operator-focus", api_operator_focus, AUTH_OPERATOR, 64 * 1024, NULL},
    {M_GET, "/api/sessions", api_sessions_list, AUTH_VIEWER, 0, NULL},
    {M_GET, "/api/sessions/{id}", api_session_get, AUTH_VIEWER, 0, NULL},

    /* The guest agent (SPEC §8b, api/guest.c): the public sign-in by
     * emailed code, then the guest's own routes with a guest token
     * (AUTH_GUEST: a gtk_ token resolved by api/guest_auth.c, good here
     * alone). The operator revokes a guest's tokens. */
    {M_POST, "/guest/session", api_guest_session_create, AUTH_PUBLIC, 4096, NULL},
    {M_DELETE, "/guest/session", api_guest_session_delete, AUTH_GUEST, 0, NULL},
    {M_POST, "/guest/session/verify", api_guest_session_verify, AUTH_PUBLIC, 4096, NULL},
    {M_GET, "/guest/me", api_guest_me, AUTH_GUEST, 0, NULL},
    {M_POST, "/guest/chat", api_guest_chat, AUTH_GUEST, 64 * 1024, NULL},
    {M_GET, "/guest/bookings/{id}", api_guest_booking_get, AUTH_GUEST, 0, NULL},
    {M_GET, "/guest/bookings/{id}/balance", api_guest_booking_balance, AUTH_GUEST, 0, NULL},
    {M_GET, "/guest/items", api_guest_items_list, AUTH_GUEST, 0, NULL},
    {M_GET, "/guest/items/{id}", api_guest_item_get, AUTH_GUEST, 0, NULL},
    {M_GET, "/guest/threads/{id}", api_guest_thread_get, AUTH_GUEST, 0, NULL},
    {M_DELETE, "/api/guests/{id}/tokens", api_guest_tokens_revoke, AUTH_OPERATOR, 0, NULL},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
