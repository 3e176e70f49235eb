/*
 * replies.c — outbound replies in the messages table (SPEC §7): an
 * operator's SMS or WhatsApp reply joins the guest's thread as a `queued`
 * message and is queued in the outbox in the same transaction; the outbox
 * worker later sets its status and Twilio's sid (store_outbox_finish).
 * Rows are written through store/messages.h, the table's own module, so
 * inbound and outbound messages have one shape.
 */
#include <stdio.h>
#include <string.h>

#include "core/assert.h"
#include "core/limits.h"
#include "store/audit.h"
#include "store/messages.h"
#include "store/outbox.h"
#include "store/store_internal.h"

/* True when the guest wrote by WhatsApp within WHATSAPP_WINDOW_S of now. */
static enum lu_rc window_open(struct db_conn *conn, const char *guest_id, int64_t now_s,
                              bool *open)
{
    *open = false;
    struct db_param p[] = {P_TEXT(guest_id)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT created_at FROM messages WHERE guest_id = ? AND "
                            "channel = 'whatsapp' AND direction = 'inbound' "
                            "ORDER BY created_at DESC LIMIT 1",
                            p, 1, &rows, NULL);
    int64_t last = 0;
    if (rc == LU_OK && rows->nrows == 1 && clock_parse_rfc3339(db_rows_text(rows, 0, 0), &last)) {
        *open = now_s - last <= WHATSAPP_WINDOW_S;
    }
    db_rows_free(rows);
    return rc;
}

/* The thread of the guest's latest message on the channel (SMS and MMS are
 * one conversation, as intake threads them), or "" for a new thread; and
 * the guest's current or next booking as intake links one, or "". */
static enum lu_rc thread_find(struct db_conn *conn, const json_t *guest, const char *channel,
                              int64_t now_s, char thread[ID_BYTES_MAX],
                              char booking[ID_BYTES_MAX])
{
    static const char *const texts[] = {"sms", "mms"};
    static const char *const whatsapp[] = {"whatsapp"};
    bool sms = strcmp(channel, "sms") == 0;
    const char *guest_id = json_string_value(json_object_get(guest, "id"));
    struct thread_query q = {
        .guest_id = guest_id,
        .channels = sms ? texts : whatsapp,
        .nchannels = sms ? 2 : 1,
    };
    thread[0] = '\0';
    booking[0] = '\0';
    enum lu_rc rc = store_message_thread_latest(conn, &q, thread);
    if (rc == LU_NOT_FOUND) {
        thread[0] = '\0';
        rc = LU_OK;
    }
    if (rc != LU_OK) {
        return rc;
    }
    /* The phone may be shared by guests of other properties: the booking
     * counts only when the link lands on this guest. */
    struct contact_link link;
    const char *phone = json_string_value(json_object_get(guest, "phone"));
    rc = store_contact_link(conn, phone, NULL, now_s, &link);
    if (rc == LU_OK && strcmp(link.guest_id, guest_id) == 0) {
        snprintf(booking, ID_BYTES_MAX, "%s", link.booking_id);
    }
    return rc == LU_NOT_FOUND ? LU_OK : rc;
}

/* Inserts the message (its id chosen first: a new thread is named after
 * its first message), with its message.created audit event. */
static enum lu_rc message_insert(struct db_conn *conn, const char *actor, const json_t *guest,
                                 const struct reply_request *r, const char *to_addr,
                                 json_t **out)
{
    char id[ID_BYTES_MAX];
    char thread[ID_BYTES_MAX];
    char booking[ID_BYTES_MAX];
    enum lu_rc rc = id_new("msg_", id, sizeof id);
    if (rc == LU_OK) {
        rc = thread_find(conn, guest, r->channel, r->now_s, thread, booking);
    }
    if (rc != LU_OK) {
        return rc;
    }
    json_t *values = json_pack(
        "{s:O, s:O, s:s?, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:b}", "property_id",
        json_object_get(guest, "property_id"), "guest_id", json_object_get(guest, "id"),
        "booking_id", booking[0] ? booking : NULL, "thread_id", thread[0] ? thread : id,
        "channel", r->channel, "direction", "outbound", "provider", "twilio", "from_addr",
        r->from_addr, "to_addr", to_addr, "body", r->body, "status", "queued", "needs_human", 0);
    if (values == NULL) {
        return LU_NOMEM;
    }
    rc = store_message_insert(conn, actor, id, values, out);
    json_decref(values);
    return rc;
}

enum lu_rc store_reply_create(struct db_conn *conn, const char *actor, const struct scope *scope,
                              const struct reply_request *r, enum reply_refusal *refusal,
                              json_t **message, char outbox_id[ID_BYTES_MAX])
{
    *refusal = REPLY_OK;
    bool whatsapp = strcmp(r->channel, "whatsapp") == 0;
    LU_ASSERT(whatsapp || strcmp(r->channel, "sms") == 0);
    json_t *guest = NULL;
    enum lu_rc rc = store_guest_get(conn, scope, r->guest_id, &guest);
    if (rc != LU_OK) {
        return rc;
    }
    const char *phone = json_string_value(json_object_get(guest, "phone"));
    bool open = true;
    if (phone == NULL || phone[0] == '\0') {
        *refusal = REPLY_NO_PHONE;
    } else if (whatsapp) {
        rc = window_open(conn, r->guest_id, r->now_s, &open);
        if (rc == LU_OK && !open) {
            *refusal = REPLY_WINDOW_CLOSED;
        }
    }
    if (rc != LU_OK || *refusal != REPLY_OK) {
        json_decref(guest);
        return rc;
    }
    char to[64];
    snprintf(to, sizeof to, "%s%s", whatsapp ? "whatsapp:" : "", phone);
    json_t *record = NULL;
    rc = message_insert(conn, actor, guest, r, to, &record);
    json_decref(guest);
    json_t *payload = rc == LU_OK ? json_pack("{s:s}", "body", r->body) : NULL;
    if (rc == LU_OK && payload == NULL) {
        rc = LU_NOMEM;
    }
    if (rc == LU_OK) {
        const char *message_id = json_string_value(json_object_get(record, "id"));
        char key[ID_BYTES_MAX + 16];
        snprintf(key, sizeof key, "message:%s", message_id);
        struct outbox_new n = {
            .kind = "guest_reply",
            .channel = r->channel,
            .recipient = to,
            .payload = payload,
            .idempotency_key = key,
            .property_id = json_string_value(json_object_get(record, "property_id")),
            .message_id = message_id,
        };
        rc = store_outbox_enqueue(conn, &n, outbox_id);
    }
    json_decref(payload);
    if (rc != LU_OK) {
        json_decref(record);
        return rc;
    }
    *message = record;
    return LU_OK;
}

enum lu_rc store_message_outbound_settle(struct db_conn *conn, const char *message_id,
                                         const char *status, const char *provider_id,
                                         const char *from_addr)
{
    const struct scope all = {.all = true};
    json_t *before = NULL;
    json_t *after = NULL;
    enum lu_rc rc = store_message_get(conn, &all, message_id, &before);
    if (rc != LU_OK) {
        return rc;
    }
    char now[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    struct db_param p[] = {P_TEXT(status), P_TEXT(provider_id), P_TEXT(from_addr), P_TEXT(now),
                           P_TEXT(message_id)};
    rc = db_exec(conn,
                 "UPDATE messages SET status = ?, provider_id = COALESCE(?, provider_id), "
                 "from_addr = COALESCE(?, from_addr), version = version + 1, updated_at = ? "
                 "WHERE id = ? AND direction = 'outbound'",
                 p, 5, NULL, NULL);
    if (rc == LU_OK) {
        rc = store_message_get(conn, &all, message_id, &after);
    }
    if (rc == LU_OK) {
        struct audit_entry e = {
            .actor = "outbox",
            .action = "message.updated",
            .entity_type = "message",
            .entity_id = message_id,
            .property_id = json_string_value(json_object_get(after, "property_id")),
            .before = before,
            .after = after,
        };
        rc = audit_append(conn, &e, NULL);
    }
    json_decref(before);
    json_decref(after);
    return rc;
}
