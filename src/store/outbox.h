/*
 * outbox.h — the store's half of outbound messaging (SPEC §7): the outbox
 * table every email, SMS and WhatsApp message is written to before anything
 * is sent, the waitlist, and guest email verification tokens.
 *
 * Writers (enqueue, waitlist, verification) run inside the caller's write
 * transaction like every store write and never commit. The worker's claim
 * is one statement on its own (a short transaction of its own); its finish
 * runs inside a write transaction the worker opens, because it may update
 * the message the row belongs to (with that message's audit event).
 *
 * The outbox's own state changes are not audited: they are a queue's
 * bookkeeping, many per message, and the rows themselves keep attempts,
 * errors and times. What the operator acts on (a message's status) is.
 */
#ifndef LU_STORE_OUTBOX_H
#define LU_STORE_OUTBOX_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/rc.h"
#include "db/db.h"
#include "store/store.h"

/* --- the outbox -------------------------------------------------------- */

struct outbox_new {
    const char *kind;            /* "waitlist_welcome", "email_verification", "guest_reply" */
    const char *channel;         /* "email" (sent by Resend), "sms" or "whatsapp" (Twilio) */
    const char *recipient;       /* an email address, "+E.164" or "whatsapp:+E.164" */
    const json_t *payload;       /* email {"subject","text"[,"html"]}, else {"body"};
                                    "redact":true blanks it once sent or failed */
    const char *idempotency_key; /* one per outbound message; UNIQUE, sent to Resend */
    const char *property_id;     /* may be NULL (the waitlist belongs to none) */
    const char *message_id;      /* the messages row of a reply, or NULL */
};

/* Queues n (borrowed) as a `queued` row due now; *id gets "ob_…".
 * LU_CONFLICT when idempotency_key is already queued (nothing written),
 * LU_TOO_LARGE past OUTBOX_PAYLOAD_BYTES_MAX. */
enum lu_rc store_outbox_enqueue(struct db_conn *conn, const struct outbox_new *n,
                                char id[ID_BYTES_MAX]);

/* What a worker may claim. */
struct outbox_claim_query {
    bool postgres;                 /* FOR UPDATE SKIP LOCKED, else SQLite's single writer */
    const char *const *channels;   /* borrowed: the channels whose provider is configured */
    size_t nchannels;              /* 0: nothing is claimed */
    int64_t now_ms;                /* epoch milliseconds */
    int64_t lease_ms;              /* how long the claim holds */
};

/* A claimed row, owned by the worker until store_outbox_claim_free. */
struct outbox_claim {
    char id[ID_BYTES_MAX];
    char claim[40]; /* this claim's token, in claimed_by */
    char *kind;
    char *channel;
    char *recipient;
    char *idempotency_key;
    char *message_id; /* NULL when none */
    json_t *payload;
    int attempts;       /* counting this one */
    bool lease_expired; /* taken over from a claim whose lease ran out */
};
void store_outbox_claim_free(struct outbox_claim *c);

/* Claims the most overdue row of q's channels — `queued` and due, or
 * `sending` past its lease (its process died mid-send) — with fewer than
 * OUTBOX_ATTEMPTS_MAX attempts: marks it `sending`, leased until now +
 * lease_ms, attempts + 1, in one statement, so no two claims (in any
 * process) get the same row while the lease holds. Not inside a
 * transaction. *found false when nothing is due. */
enum lu_rc store_outbox_claim(struct db_conn *conn, const struct outbox_claim_query *q,
                              struct outbox_claim *out, bool *found);

/* Rows `sending` past their lease that used every attempt: `failed`, with
 * the reason kept. Not inside a transaction. *changed (may be NULL) gets
 * how many. */
enum lu_rc store_outbox_expire(struct db_conn *conn, int64_t now_ms, int64_t *changed);

/* The earliest time (epoch ms) a row of q's channels comes due or its lease
 * runs out; *any false when there is none. */
enum lu_rc store_outbox_next_due(struct db_conn *conn, const struct outbox_claim_query *q,
                                 int64_t *due_ms, bool *any);

enum outbox_outcome { OUTBOX_SENT = 0, OUTBOX_RETRY, OUTBOX_FAILED };

struct outbox_result {
    enum outbox_outcome outcome;
    const char *provider_id;     /* SENT: Resend's id or Twilio's sid */
    const char *provider_status; /* SENT: Twilio's status ("queued", "accepted"); may be NULL */
    const char *from_addr;       /* SENT through Twilio: the sender number; may be NULL */
    const char *error;           /* RETRY, FAILED: why (no secrets); may be NULL on SENT */
    int64_t next_attempt_ms;     /* RETRY: when */
};

/*
 * Records a send's result, inside the caller's write transaction. SENT is
 * recorded whoever holds the claim now (a send that happened is a fact),
 * unless the row was already recorded sent; RETRY and FAILED only while c
 * still holds its claim. A terminal result (SENT, FAILED) also sets the
 * status of the row's message (c->message_id), with its audit event, and
 * blanks a payload marked "redact". *recorded false when the row had moved
 * on (another claim took over, or it was already sent): nothing written.
 */
enum lu_rc store_outbox_finish(struct db_conn *conn, const struct outbox_claim *c,
                               const struct outbox_result *r, int64_t now_ms, bool *recorded);

struct outbox_filter {
    const char *state;   /* queued, sending, sent, failed; NULL: any */
    const char *channel; /* email, sms, whatsapp; NULL: any */
    const char *kind;    /* NULL: any */
};

/* Lists rows by id (creation order), keyset-paginated, without payloads
 * (they may hold a verification link): id, kind, channel, provider,
 * recipient, subject (email), state, attempts, next_attempt_at,
 * claimed_until, provider_id, provider_status, last_error, idempotency_key,
 * message_id, property_id, sent_at, created_at, updated_at. Every row: the
 * route is for owners and the service key. */
enum lu_rc store_outbox_list(struct db_conn *conn, const struct outbox_filter *f, int limit,
                             const char *after, struct page *out);

/* How many rows are in each state, for /metrics: counts[0..3] are queued,
 * sending, sent, failed. */
enum lu_rc store_outbox_counts(struct db_conn *conn, int64_t counts[4]);

/* Epoch milliseconds now, and their "2026-11-23T17:05:00.250Z" form, the
 * one form of next_attempt_at and claimed_until (text order is time order
 * on SQLite). */
int64_t outbox_now_ms(void);
void outbox_time_format(int64_t ms, char out[RFC3339_BYTES]);

/* --- the waitlist (waitlist.c) ----------------------------------------- */

/* Adds email (already validated and lower-cased) with optional name and
 * source. *created true with *entry {id,email,name,source,created_at}
 * (owned) for a new address, with its audit event; false (and *entry NULL)
 * when the address is already listed, nothing written. */
enum lu_rc store_waitlist_join(struct db_conn *conn, const char *actor, const char *email,
                               const char *name, const char *source, bool *created,
                               json_t **entry);

/* --- guest email verification (verify.c) ------------------------------- */

/* Records a verification token for the guest (visible in scope) and its
 * current email: token_hash is the token's SHA-256 in hex, expires_s epoch
 * seconds. *guest gets the guest record (owned), *id the verification's id.
 * LU_NOT_FOUND for an unseen guest, LU_INVALID when the guest has no email. */
enum lu_rc store_verification_create(struct db_conn *conn, const char *actor,
                                     const struct scope *scope, const char *guest_id,
                                     const char *token_hash, int64_t expires_s, json_t **guest,
                                     char id[ID_BYTES_MAX]);

enum verification_refusal {
    VERIFY_OK = 0,
    VERIFY_UNKNOWN,       /* no such token */
    VERIFY_USED,          /* used once already */
    VERIFY_EXPIRED,       /* past expires_at */
    VERIFY_EMAIL_CHANGED, /* the guest's email is no longer the one it was sent to */
};

/* Uses the token whose SHA-256 is token_hash, once: marks it used and sets
 * the guest's email_verified_at (a guest.updated audit event). LU_OK with
 * *refusal VERIFY_OK and *guest (owned) on success; LU_OK with another
 * refusal and nothing written when the token cannot be used. */
enum lu_rc store_verification_use(struct db_conn *conn, const char *token_hash, int64_t now_s,
                                  enum verification_refusal *refusal, json_t **guest);

/* --- replies to guests (replies.c) -------------------------------------- */

struct reply_request {
    const char *guest_id;
    const char *channel;   /* "sms" or "whatsapp" */
    const char *body;      /* validated: 1..MESSAGE_BODY_BYTES_MAX */
    const char *from_addr; /* the configured sender for the channel, or NULL */
    int64_t now_s;
};

enum reply_refusal {
    REPLY_OK = 0,
    REPLY_NO_PHONE,      /* the guest has no phone number */
    REPLY_WINDOW_CLOSED, /* WhatsApp, and no inbound WhatsApp message in 24 h */
};

/*
 * Writes an outbound reply into the guest's (visible in scope) thread on
 * that channel — the thread of the guest's latest message there, or a new
 * one — as a `queued` message with its audit event, and queues it in the
 * outbox, in the caller's write transaction. LU_OK with *refusal REPLY_OK,
 * *message (owned) and *outbox_id; LU_OK with another refusal and nothing
 * written; LU_NOT_FOUND for an unseen guest.
 */
enum lu_rc store_reply_create(struct db_conn *conn, const char *actor, const struct scope *scope,
                              const struct reply_request *r, enum reply_refusal *refusal,
                              json_t **message, char outbox_id[ID_BYTES_MAX]);

/* Sets an outbound message's status ("sent" or "failed") and, when given,
 * its provider id and sender, with a message.updated audit event. Called
 * by store_outbox_finish. */
enum lu_rc store_message_outbound_settle(struct db_conn *conn, const char *message_id,
                                         const char *status, const char *provider_id,
                                         const char *from_addr);

#endif
