/*
 * intake.c — one inbound message stored (see intake.h): dedupe, link,
 * thread, triage, item, message — all inside the caller's write
 * transaction, so a crash or a database error leaves either the whole
 * message (with its item and audit events) or nothing, and the provider's
 * retry finds the same state.
 *
 * Threads (thread_id is the id of a thread's first message):
 *  - SMS and MMS share a thread per guest (one phone conversation);
 *    WhatsApp has its own per guest. Either direction continues it, so a
 *    reply sent from Lucia and the guest's answer stay together. An
 *    unlinked sender's texts thread per sender address and channel.
 *  - An email joins the thread of the first message its In-Reply-To, then
 *    its References (newest first), name by Message-ID; else the guest's
 *    open email thread — the one whose latest email (either direction) is
 *    at most INTAKE_EMAIL_THREAD_OPEN_DAYS old — or, unlinked, the
 *    sender's; else it starts a thread. A reply into a thread does not
 *    change who the message is linked to: linking is by sender only.
 *
 * needs_human: set for an unlinked message (no property, so no item: a
 * person must look at it in the inbox), and when triage says a person
 * should read it now (safety words, or the guest asks for a person).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/clock.h"
#include "intake/intake.h"
#include "store/messages.h"
#include "store/store.h"

#define TRUNCATED_MARKER "\n[truncated by Lucia]"
#define ELLIPSIS "\xE2\x80\xA6"

/* A copy of s cut to at most max bytes (marker included) at a character
 * boundary, with marker appended when cut. Owned; NULL for a NULL s. *oom
 * is set when allocation fails. */
static char *bounded_copy(const char *s, size_t max, const char *marker, bool *oom)
{
    if (s == NULL) {
        return NULL;
    }
    size_t n = strlen(s);
    size_t mlen = strlen(marker);
    LU_ASSERT(max > mlen);
    bool cut = n > max;
    if (cut) {
        n = max - mlen;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    char *copy = malloc(n + (cut ? mlen : 0) + 1);
    if (copy == NULL) {
        *oom = true;
        return NULL;
    }
    memcpy(copy, s, n);
    if (cut) {
        memcpy(copy + n, marker, mlen);
        n += mlen;
    }
    copy[n] = '\0';
    return copy;
}

/* --- email ids ----------------------------------------------------------- */

/* The next "<…>" id in *cursor (advanced past it) as "<…>" in out; a value
 * with no angle brackets at all is one bare id. False when none is left. */
static bool email_id_next(const char **cursor, char out[INTAKE_EMAIL_ID_BYTES_MAX + 1])
{
    const char *s = *cursor;
    while (s != NULL && *s) {
        const char *lt = strchr(s, '<');
        if (lt == NULL) {
            break;
        }
        const char *gt = strchr(lt, '>');
        if (gt == NULL) {
            break;
        }
        size_t n = (size_t)(gt - lt) + 1;
        s = gt + 1;
        if (n > 2 && n <= INTAKE_EMAIL_ID_BYTES_MAX) {
            memcpy(out, lt, n);
            out[n] = '\0';
            *cursor = s;
            return true;
        }
    }
    *cursor = NULL;
    return false;
}

/* The first id of a header value, as "<…>": a bare value is wrapped. */
static bool email_id_first(const char *value, char out[INTAKE_EMAIL_ID_BYTES_MAX + 1])
{
    if (value == NULL) {
        return false;
    }
    const char *cursor = value;
    if (strchr(value, '<') != NULL) {
        return email_id_next(&cursor, out);
    }
    while (*value == ' ' || *value == '\t') {
        value++;
    }
    size_t n = strcspn(value, " \t\r\n");
    if (n == 0 || n + 2 > INTAKE_EMAIL_ID_BYTES_MAX) {
        return false;
    }
    out[0] = '<';
    memcpy(out + 1, value, n);
    out[n + 1] = '>';
    out[n + 2] = '\0';
    return true;
}

/* The thread an In-Reply-To or References id points to. */
static enum lu_rc thread_by_reference(struct db_conn *conn, const struct intake_message *m,
                                      char thread_out[ID_BYTES_MAX])
{
    char id[INTAKE_EMAIL_ID_BYTES_MAX + 1];
    if (email_id_first(m->in_reply_to, id)) {
        enum lu_rc rc = store_message_thread_of_email(conn, id, thread_out);
        if (rc != LU_NOT_FOUND) {
            return rc;
        }
    }
    if (m->references == NULL) {
        return LU_NOT_FOUND;
    }
    /* References lists the oldest ancestor first; the newest is the best
     * guess, so the ids are tried from the end. */
    const char *starts[INTAKE_REFERENCES_MAX];
    size_t n = 0;
    const char *cursor = m->references;
    const char *before = cursor;
    while (n < INTAKE_REFERENCES_MAX && email_id_next(&cursor, id)) {
        starts[n++] = before;
        before = cursor;
    }
    for (size_t i = n; i > 0; i--) {
        const char *at = starts[i - 1];
        if (!email_id_next(&at, id)) {
            continue;
        }
        enum lu_rc rc = store_message_thread_of_email(conn, id, thread_out);
        if (rc != LU_NOT_FOUND) {
            return rc;
        }
    }
    return LU_NOT_FOUND;
}

/* --- threads --------------------------------------------------------------- */

static enum lu_rc thread_find(struct db_conn *conn, const struct intake_message *m,
                              const char *guest_id, const char *from_addr,
                              char thread_out[ID_BYTES_MAX])
{
    static const char *const texts[] = {"sms", "mms"};
    static const char *const whatsapp[] = {"whatsapp"};
    static const char *const email[] = {"email"};
    struct thread_query q = {.guest_id = guest_id, .from_addr = from_addr};
    char since[RFC3339_BYTES];
    if (strcmp(m->channel, "email") == 0) {
        enum lu_rc rc = thread_by_reference(conn, m, thread_out);
        if (rc != LU_NOT_FOUND) {
            return rc;
        }
        clock_format_utc(clock_now_s() - (int64_t)INTAKE_EMAIL_THREAD_OPEN_DAYS * 86400, since);
        q.channels = email;
        q.nchannels = 1;
        q.since = since;
    } else if (strcmp(m->channel, "whatsapp") == 0) {
        q.channels = whatsapp;
        q.nchannels = 1;
    } else {
        q.channels = texts;
        q.nchannels = 2;
    }
    return store_message_thread_latest(conn, &q, thread_out);
}

/* --- the item ---------------------------------------------------------------- */

static enum lu_rc item_create(struct db_conn *conn, const char *actor,
                              const struct intake_message *m, const struct contact_link *link,
                              const struct triage_result *t, char item_out[ID_BYTES_MAX])
{
    char title[INTAKE_TITLE_BYTES_MAX + 1];
    intake_triage_title(m->subject, m->body, title, sizeof title);
    bool oom = false;
    const char *words = m->body != NULL && m->body[0] != '\0' ? m->body : m->subject;
    char *details = bounded_copy(words, TEXT_BYTES_MAX, " " ELLIPSIS, &oom);
    if (oom) {
        return LU_NOMEM;
    }
    json_t *fields = json_pack(
        "{s:s, s:s, s:s, s:s?, s:s, s:b, s:s?, s:s}", "property_id", link->property_id, "kind",
        intake_triage_kind_name(t->kind), "title", title, "details", details, "priority",
        t->priority, "guest_impacting", t->guest_impacting, "booking_id",
        link->booking_id[0] ? link->booking_id : NULL, "guest_id", link->guest_id);
    free(details);
    if (fields == NULL) {
        return LU_NOMEM;
    }
    /* Intake acts for the engine, which sees every property. */
    struct scope all = {.all = true};
    json_t *item = NULL;
    enum lu_rc rc = store_item_create(conn, actor, &all, fields, &item);
    json_decref(fields);
    if (rc == LU_OK) {
        snprintf(item_out, ID_BYTES_MAX, "%s", json_string_value(json_object_get(item, "id")));
    }
    json_decref(item);
    return rc;
}

/* --- the message --------------------------------------------------------------- */

struct texts {
    char *from_addr;
    char *to_addr;
    char *subject;
    char *body;
};

static void texts_free(struct texts *t)
{
    free(t->from_addr);
    free(t->to_addr);
    free(t->subject);
    free(t->body);
}

static enum lu_rc texts_bound(const struct intake_message *m, const char *email,
                              struct texts *t)
{
    bool oom = false;
    t->from_addr = bounded_copy(email ? email : m->from_addr, INTAKE_ADDRESS_BYTES_MAX, ELLIPSIS,
                                &oom);
    t->to_addr = bounded_copy(m->to_addr, INTAKE_ADDRESS_BYTES_MAX, ELLIPSIS, &oom);
    t->subject = bounded_copy(m->subject, INTAKE_SUBJECT_BYTES_MAX, ELLIPSIS, &oom);
    t->body = bounded_copy(m->body, INTAKE_BODY_BYTES_MAX, TRUNCATED_MARKER, &oom);
    return oom ? LU_NOMEM : LU_OK;
}

static enum lu_rc message_insert(struct db_conn *conn, const char *actor,
                                 const struct intake_message *m, const struct texts *t,
                                 const struct contact_link *link, bool needs_human,
                                 const struct intake_outcome *out)
{
    char message_id[INTAKE_EMAIL_ID_BYTES_MAX + 1];
    char in_reply_to[INTAKE_EMAIL_ID_BYTES_MAX + 1];
    bool has_id = email_id_first(m->email_message_id, message_id);
    bool has_reply = email_id_first(m->in_reply_to, in_reply_to);
    bool linked = link->guest_id[0] != '\0';
    json_t *values = json_pack(
        "{s:s?, s:s?, s:s?, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:O?, s:O?, "
        "s:s?, s:s?, s:s, s:s?, s:b}",
        "property_id", linked ? link->property_id : NULL, "guest_id",
        linked ? link->guest_id : NULL, "booking_id",
        linked && link->booking_id[0] ? link->booking_id : NULL, "thread_id", out->thread_id,
        "channel", m->channel, "direction", "inbound", "provider", m->provider, "provider_id",
        m->provider_id, "from_addr", t->from_addr, "to_addr", t->to_addr, "subject", t->subject,
        "body", t->body, "media", m->media, "attachments", m->attachments, "email_message_id",
        has_id ? message_id : NULL, "in_reply_to", has_reply ? in_reply_to : NULL, "status",
        "received", "item_id", out->item_id[0] ? out->item_id : NULL, "needs_human",
        needs_human);
    if (values == NULL) {
        return LU_NOMEM;
    }
    json_t *record = NULL;
    enum lu_rc rc = store_message_insert(conn, actor, out->message_id, values, &record);
    json_decref(values);
    json_decref(record);
    return rc;
}

/* Finds the guest by the sender's normalised phone or email. *email gets
 * the normalised email (for from_addr) when the channel is email. */
static enum lu_rc link_sender(struct db_conn *conn, const struct intake_message *m,
                              char email[INTAKE_EMAIL_BYTES], struct contact_link *link)
{
    memset(link, 0, sizeof *link);
    email[0] = '\0';
    enum lu_rc rc = LU_NOT_FOUND;
    if (strcmp(m->channel, "email") == 0) {
        if (intake_email_normalise(m->from_addr, email)) {
            rc = store_contact_link(conn, NULL, email, clock_now_s(), link);
        }
    } else {
        char phone[INTAKE_PHONE_BYTES];
        if (intake_phone_normalise(m->from_addr, phone)) {
            rc = store_contact_link(conn, phone, NULL, clock_now_s(), link);
        }
    }
    if (rc == LU_NOT_FOUND) {
        memset(link, 0, sizeof *link);
        return LU_OK;
    }
    return rc;
}

enum lu_rc intake_message_store(struct db_conn *conn, const char *actor,
                                const struct intake_message *m, struct intake_outcome *out)
{
    LU_ASSERT(m->provider != NULL && m->channel != NULL && m->provider_id != NULL);
    LU_ASSERT(m->from_addr != NULL);
    memset(out, 0, sizeof *out);
    enum lu_rc rc =
        store_message_find_provider(conn, m->provider, "inbound", m->provider_id,
                                    out->message_id);
    if (rc == LU_OK) {
        out->duplicate = true;
        return LU_OK;
    }
    if (rc != LU_NOT_FOUND) {
        return rc;
    }
    char email[INTAKE_EMAIL_BYTES];
    struct contact_link link;
    rc = link_sender(conn, m, email, &link);
    if (rc != LU_OK) {
        return rc;
    }
    out->linked = link.guest_id[0] != '\0';
    struct texts t = {0};
    rc = texts_bound(m, email[0] ? email : NULL, &t);
    if (rc == LU_OK) {
        rc = id_new("msg_", out->message_id, sizeof out->message_id) == LU_OK ? LU_OK : LU_IO;
    }
    if (rc == LU_OK) {
        rc = thread_find(conn, m, out->linked ? link.guest_id : NULL, t.from_addr,
                         out->thread_id);
        if (rc == LU_NOT_FOUND) {
            snprintf(out->thread_id, sizeof out->thread_id, "%s", out->message_id);
            rc = LU_OK;
        }
    }
    struct triage_result triage = {0};
    intake_triage_classify(m->subject, m->body, &triage);
    if (rc == LU_OK && out->linked && triage.kind != TRIAGE_NONE) {
        rc = item_create(conn, actor, m, &link, &triage, out->item_id);
    }
    if (rc == LU_OK) {
        rc = message_insert(conn, actor, m, &t, &link, !out->linked || triage.needs_human, out);
    }
    texts_free(&t);
    return rc;
}
