/*
 * postmark.c — Postmark's inbound email webhook read as one inbound
 * message (see intake.h). The payload is Postmark's documented inbound
 * JSON: MessageID, From/FromFull, To, Subject, TextBody,
 * StrippedTextReply, Headers [{Name, Value}] and Attachments [{Name,
 * Content, ContentType, ContentLength}]. Fields we do not use are ignored
 * (it is the provider's format, which grows), and an optional field of an
 * unexpected type is treated as absent rather than losing the email.
 * Attachment bytes (Content) are never copied: only name, type and size.
 */
#include <string.h>
#include <strings.h>

#include "intake/intake.h"

static const char *text_of(const json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static bool has_words(const char *s)
{
    for (; s != NULL && *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') {
            return true;
        }
    }
    return false;
}

/* Message-ID, In-Reply-To and References from Headers[]; the first of
 * each name wins, as a mail reader would take it. */
static void headers_read(const json_t *headers, struct intake_message *m)
{
    if (!json_is_array(headers)) {
        return;
    }
    size_t n = json_array_size(headers);
    for (size_t i = 0; i < n && i < INTAKE_EMAIL_HEADERS_MAX; i++) {
        const json_t *h = json_array_get(headers, i);
        const char *name = json_string_value(json_object_get(h, "Name"));
        const char *value = text_of(h, "Value");
        if (name == NULL || value == NULL) {
            continue;
        }
        if (strcasecmp(name, "Message-ID") == 0 && m->email_message_id == NULL) {
            m->email_message_id = value;
        } else if (strcasecmp(name, "In-Reply-To") == 0 && m->in_reply_to == NULL) {
            m->in_reply_to = value;
        } else if (strcasecmp(name, "References") == 0 && m->references == NULL) {
            m->references = value;
        }
    }
}

static enum lu_rc attachments_read(const json_t *list, json_t **out)
{
    *out = NULL;
    if (!json_is_array(list) || json_array_size(list) == 0) {
        return LU_OK;
    }
    if (json_array_size(list) > INTAKE_ATTACHMENTS_MAX) {
        return LU_TOO_LARGE;
    }
    json_t *kept = json_array();
    for (size_t i = 0; kept != NULL && i < json_array_size(list); i++) {
        const json_t *a = json_array_get(list, i);
        json_t *size = json_object_get(a, "ContentLength");
        json_t *item = json_pack("{s:s?, s:s?, s:O?}", "name", text_of(a, "Name"),
                                 "content_type", text_of(a, "ContentType"), "size",
                                 json_is_integer(size) ? size : NULL);
        if (item == NULL || json_array_append_new(kept, item) != 0) {
            json_decref(kept);
            kept = NULL;
        }
    }
    if (kept == NULL) {
        return LU_NOMEM;
    }
    *out = kept;
    return LU_OK;
}

enum lu_rc intake_postmark_message(const json_t *payload, struct intake_message *m,
                                   json_t **attachments, const char **field)
{
    memset(m, 0, sizeof *m);
    *attachments = NULL;
    *field = NULL;
    m->provider = "postmark";
    m->channel = "email";
    if (!json_is_object(payload)) {
        *field = "MessageID";
        return LU_INVALID;
    }
    m->provider_id = text_of(payload, "MessageID");
    if (m->provider_id == NULL || strlen(m->provider_id) > INTAKE_PROVIDER_ID_BYTES_MAX) {
        *field = "MessageID";
        return LU_INVALID;
    }
    m->from_addr = text_of(json_object_get(payload, "FromFull"), "Email");
    if (m->from_addr == NULL) {
        m->from_addr = text_of(payload, "From");
    }
    if (m->from_addr == NULL) {
        *field = "FromFull";
        return LU_INVALID;
    }
    m->to_addr = text_of(payload, "To");
    if (m->to_addr == NULL) {
        m->to_addr = text_of(payload, "OriginalRecipient");
    }
    m->subject = text_of(payload, "Subject");
    const char *stripped = text_of(payload, "StrippedTextReply");
    m->body = has_words(stripped) ? stripped : text_of(payload, "TextBody");
    headers_read(json_object_get(payload, "Headers"), m);
    enum lu_rc rc = attachments_read(json_object_get(payload, "Attachments"), attachments);
    if (rc == LU_TOO_LARGE) {
        *field = "Attachments";
    }
    m->attachments = *attachments;
    return rc;
}
