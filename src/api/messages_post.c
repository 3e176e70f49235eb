/*
 * messages_post.c — POST /api/messages (SPEC §7): an operator's reply to a
 * guest by SMS or WhatsApp. The reply joins the guest's thread as a
 * `queued` message and is queued in the outbox in one transaction; the
 * outbox worker sends it through Twilio and records Twilio's sid and the
 * status. 201 with the message. Refused with 422 guest_has_no_phone, or
 * whatsapp_window_closed when the guest's last inbound WhatsApp message is
 * more than 24 hours old (nothing queued). Reading messages is intake's
 * (GET /api/messages).
 */
#include <string.h>

#include "api/api_internal.h"
#include "api/checks.h"
#include "core/clock.h"
#include "core/limits.h"
#include "outbox/outbox.h"
#include "store/outbox.h"

static bool check_reply_channel(const char *s)
{
    return strcmp(s, "sms") == 0 || strcmp(s, "whatsapp") == 0;
}

static const struct field_spec reply_fields[] = {
    {.name = "guest_id", .type = F_STRING, .required = true, .check = check_id,
     .hint = "guest_id must be a guest id"},
    {.name = "channel", .type = F_STRING, .required = true, .check = check_reply_channel,
     .hint = "channel must be sms or whatsapp"},
    {.name = "body", .type = F_STRING, .required = true, .min_len = 1,
     .max_len = MESSAGE_BODY_BYTES_MAX, .check = check_not_blank,
     .hint = "body must be 1 to 1600 characters"},
};

void api_messages_reply(struct lu_req *req)
{
    json_t *body = NULL;
    if (!api_body_checked(req, reply_fields, sizeof reply_fields / sizeof reply_fields[0], false,
                          NULL, &body)) {
        return;
    }
    const char *channel = json_string_value(json_object_get(body, "channel"));
    char from[64];
    outbox_twilio_sender(&req->app->cfg, channel, from, sizeof from);
    struct reply_request r = {
        .guest_id = json_string_value(json_object_get(body, "guest_id")),
        .channel = channel,
        .body = json_string_value(json_object_get(body, "body")),
        .from_addr = from[0] ? from : NULL,
        .now_s = clock_now_s(),
    };
    struct api_write w;
    if (!api_write_begin(req, &w)) {
        json_decref(body);
        return;
    }
    struct scope scope;
    api_scope(req, &scope);
    enum reply_refusal refusal = REPLY_OK;
    json_t *message = NULL;
    char outbox_id[ID_BYTES_MAX];
    enum lu_rc rc =
        store_reply_create(w.conn, api_actor(req), &scope, &r, &refusal, &message, outbox_id);
    json_decref(body);
    if (rc == LU_NOT_FOUND) {
        reply_error(req, 404, "not_found", "no such guest", "guest_id");
    } else if (rc == LU_OK && refusal == REPLY_NO_PHONE) {
        reply_error(req, 422, "guest_has_no_phone",
                    "the guest has no phone number to send to; add one first", "guest_id");
        rc = LU_INVALID;
    } else if (rc == LU_OK && refusal == REPLY_WINDOW_CLOSED) {
        reply_error(req, 422, "whatsapp_window_closed",
                    "WhatsApp allows a free-form message only within 24 hours of the guest's "
                    "last WhatsApp message; reply by SMS instead",
                    "channel");
        rc = LU_INVALID;
    }
    if (rc != LU_OK) {
        api_write_fail(&w, rc);
        return;
    }
    json_object_set_new(message, "outbox_id", json_string(outbox_id));
    api_write_commit(&w, 201, message);
    outbox_wake();
}
