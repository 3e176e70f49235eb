/*
 * intake.h — guests' inbound messages (SPEC §7): Twilio SMS, MMS and
 * WhatsApp (form-encoded, X-Twilio-Signature) and Postmark email (JSON),
 * parsed and verified, linked to a guest and that guest's current or next
 * booking, threaded, triaged by fixed rules into `requested` items, and
 * stored once per provider message id.
 *
 * Called by the webhook handlers (api/webhooks.c), which own HTTP: this
 * module knows the providers' formats, never replies, never logs contact
 * details, and never confirms anything — the items it creates are always
 * `requested`.
 *
 *   twilio.c    form bodies, the Twilio signature, a Twilio message
 *   postmark.c  a Postmark inbound message
 *   link.c      phone and email normalisation
 *   triage.c    the rules that turn words into an item (table in the file)
 *   intake.c    dedupe, link, thread, triage and store, in one transaction
 */
#ifndef LU_INTAKE_H
#define LU_INTAKE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/ids.h"
#include "core/limits.h"
#include "core/rc.h"
#include "db/db.h"

/* --- form bodies (twilio.c) --------------------------------------------- */

struct form_pair {
    const char *name; /* decoded, NUL-terminated; points into form.buf */
    size_t name_len;  /* may be shorter than the buffer if %00 was sent */
    const char *value;
    size_t value_len;
};

struct form {
    struct form_pair pairs[INTAKE_FORM_PARAMS_MAX];
    size_t n;
    char *buf; /* owned: intake_form_free */
};

/*
 * Parses an application/x-www-form-urlencoded body (borrowed, len bytes):
 * pairs split on '&', name and value on the first '=', '+' is a space,
 * %XX is a byte (a malformed escape stays as written, as browsers and
 * Python do). Empty segments are skipped; "name" alone has an empty value,
 * which is kept (Twilio signs blank parameters too). On LU_OK *out holds
 * the pairs in body order; LU_TOO_LARGE past INTAKE_FORM_PARAMS_MAX,
 * LU_NOMEM. Free with intake_form_free whatever the result.
 */
enum lu_rc intake_form_parse(const char *body, size_t len, struct form *out);
void intake_form_free(struct form *f);

/* The first value of name, or NULL. Borrowed from f. */
const char *intake_form_get(const struct form *f, const char *name);

/* --- Twilio's request signature (twilio.c) ------------------------------ */

/* base64 of a 20-byte HMAC-SHA1 (28 characters) and its NUL. */
#define TWILIO_SIGNATURE_BYTES 29

/*
 * Twilio's X-Twilio-Signature for url (the full URL Twilio requested,
 * query included) and the POST parameters of f: base64(HMAC-SHA1(token,
 * url + name1 + value1 + name2 + value2 …)) with the pairs sorted by name,
 * then by value (byte order, which is code point order in UTF-8), exactly
 * as Twilio's RequestValidator.compute_signature. LU_NOMEM on allocation
 * failure.
 */
enum lu_rc intake_twilio_signature(const char *token, const char *url, const struct form *f,
                                   char out[TWILIO_SIGNATURE_BYTES]);

/*
 * True when signature matches url or url's other port form (Twilio's
 * RequestValidator.validate also accepts "https://host:443/…" for
 * "https://host/…" and the reverse, because Twilio's own signing is not
 * consistent about the port). Compared in constant time. False for a NULL
 * or empty token or signature.
 */
bool intake_twilio_verify(const char *token, const char *url, const struct form *f,
                          const char *signature);

/* --- one inbound message, as the providers describe it ------------------ */

struct intake_message {
    const char *provider;    /* "twilio" or "postmark" (static) */
    const char *channel;     /* "sms", "mms", "whatsapp" or "email" (static) */
    const char *provider_id; /* MessageSid / Postmark MessageID */
    const char *from_addr;   /* as received: "+1415…", "whatsapp:+1415…", an email */
    const char *to_addr;
    const char *subject; /* email only; may be NULL */
    const char *body;    /* may be NULL or empty (a photo alone) */
    const json_t *media;       /* [{url, content_type}] or NULL */
    const json_t *attachments; /* [{name, content_type, size}] or NULL */
    const char *email_message_id; /* "<…>" or NULL */
    const char *in_reply_to;      /* "<…>" or NULL */
    const char *references;       /* the raw References header, or NULL */
};

/*
 * Reads a Twilio message webhook's parameters (borrowed; m borrows from f
 * and from *media). Channel: whatsapp when From starts "whatsapp:", mms
 * when NumMedia > 0, else sms. *media (owned, json_decref; NULL when no
 * media) lists MediaUrl{n}/MediaContentType{n} for n < NumMedia. LU_INVALID
 * with *field naming the parameter when MessageSid (or SmsSid) or From is
 * missing or NumMedia is not 0..INTAKE_MEDIA_MAX; LU_NOMEM.
 */
enum lu_rc intake_twilio_message(const struct form *f, struct intake_message *m, json_t **media,
                                 const char **field);

/* True when the parameters are a delivery-status callback for a message
 * Lucia sent (MessageStatus/SmsStatus other than "received"), not a
 * guest's message. */
bool intake_twilio_is_status(const struct form *f);

/*
 * Reads a Postmark inbound message (borrowed JSON object; m borrows from it
 * and from *attachments). Unknown fields are ignored: it is Postmark's
 * format, not our API. from_addr is FromFull.Email (else the address in
 * From); body is StrippedTextReply when it has text, else TextBody; the
 * Message-ID, In-Reply-To and References headers come from Headers[].
 * *attachments (owned; NULL when none) keeps Name, ContentType and
 * ContentLength of each attachment, never its Content. LU_INVALID with
 * *field for a missing MessageID or sender or a malformed field,
 * LU_TOO_LARGE past INTAKE_ATTACHMENTS_MAX, LU_NOMEM.
 */
enum lu_rc intake_postmark_message(const json_t *payload, struct intake_message *m,
                                   json_t **attachments, const char **field);

/* --- contact normalisation (link.c) ------------------------------------- */

/* "+" and 8 to 15 digits, and a NUL. */
#define INTAKE_PHONE_BYTES 17

/*
 * A phone as guests store it (E.164): "whatsapp:" and "sms:" prefixes,
 * spaces, dots, dashes and parentheses dropped; a leading "00" read as "+".
 * False when what remains is not "+" and 8 to 15 digits (first not 0): a
 * number without its country cannot be matched safely.
 */
bool intake_phone_normalise(const char *in, char out[INTAKE_PHONE_BYTES]);

/* Up to RFC 5321's 254 characters, and a NUL. */
#define INTAKE_EMAIL_BYTES 255

/* An email lower-cased and trimmed; "Name <a@b.c>" gives "a@b.c". False
 * when there is no plausible address. */
bool intake_email_normalise(const char *in, char out[INTAKE_EMAIL_BYTES]);

/* --- triage (triage.c) --------------------------------------------------- */

enum triage_kind { TRIAGE_NONE = 0, TRIAGE_MAINTENANCE, TRIAGE_CONCIERGE };

struct triage_result {
    enum triage_kind kind;
    const char *priority; /* "urgent", "high" or "normal"; NULL for none */
    bool guest_impacting;
    bool needs_human; /* a person should read it now (safety, or asks for one) */
    const char *rule; /* the phrase that decided (static), for logs and tests */
};

/* Applies the rules (documented in triage.c) to a message's subject (may
 * be NULL) and body (may be NULL). Deterministic; no allocation. */
void intake_triage_classify(const char *subject, const char *body, struct triage_result *out);

/* The kind as an item kind: "maintenance", "concierge", or NULL. */
const char *intake_triage_kind_name(enum triage_kind kind);

/*
 * An item title from the message: the subject (without Re:/Fwd:) when it
 * has words, else the body's first sentence; whitespace collapsed, cut at
 * a word boundary with "…" to at most INTAKE_TITLE_BYTES_MAX bytes, never
 * inside a UTF-8 character. "Message from a guest" when both are empty.
 */
void intake_triage_title(const char *subject, const char *body, char *out, size_t cap);

/* --- storing (intake.c) --------------------------------------------------- */

struct intake_outcome {
    bool duplicate; /* the provider id was stored before: nothing written */
    bool linked;    /* a guest matched */
    char message_id[ID_BYTES_MAX];
    char thread_id[ID_BYTES_MAX];
    char item_id[ID_BYTES_MAX]; /* "" when triage made no item */
};

/*
 * Stores m inside the caller's open write transaction (api_write_begin):
 * once per (provider, provider_id) — a repeat is LU_OK with
 * out->duplicate and nothing written — linked by normalised phone or
 * email to a guest and the guest's current or next booking (rules in
 * store/contacts.c), threaded (rules in intake.c), and, when linked and
 * actionable, with a `requested` item whose id the message keeps. Each
 * record written appends its audit event as actor (borrowed, e.g.
 * "intake:twilio"). LU_UNAVAILABLE/LU_CONFLICT/LU_NOMEM from the store: the
 * caller rolls back.
 */
enum lu_rc intake_message_store(struct db_conn *conn, const char *actor,
                                const struct intake_message *m, struct intake_outcome *out);

#endif
