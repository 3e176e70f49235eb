/*
 * messages.h — the messages table (SPEC §7) and the lookups intake needs:
 * guests' inbound SMS, MMS, WhatsApp and email, and the outbound replies,
 * each in a thread; and the guest and booking a sender's phone or email
 * belongs to (contacts.c).
 *
 * A message belongs to the property of the guest it is linked to;
 * property_id NULL means unlinked (no guest matched). Scopes apply as to
 * every record: an unlinked message is seen only by a caller who sees all
 * properties (owner, service), because no property grants it. Records come
 * back as the API shows them, with media and attachments as JSON arrays.
 * The store knows nothing of HTTP.
 */
#ifndef LU_STORE_MESSAGES_H
#define LU_STORE_MESSAGES_H

#include <jansson.h>
#include <stdint.h>

#include "core/ids.h"
#include "store/store.h"

/* The id of the message stored under (provider, direction, provider_id)
 * into id_out: LU_OK, or LU_NOT_FOUND when there is none. */
enum lu_rc store_message_find_provider(struct db_conn *conn, const char *provider,
                                       const char *direction, const char *provider_id,
                                       char id_out[ID_BYTES_MAX]);

/*
 * Inserts a message under id (borrowed; "msg_…", chosen by the caller so
 * that a new thread's id can be its first message's). values (borrowed)
 * maps columns to values: every column but id, version and the times;
 * media and attachments as JSON arrays (or null). Runs inside the caller's
 * write transaction and appends "message.created" as actor. On LU_OK *out
 * is the record (owned). LU_CONFLICT when the provider id is already
 * stored (the unique index), LU_UNAVAILABLE, LU_NOMEM.
 */
enum lu_rc store_message_insert(struct db_conn *conn, const char *actor, const char *id,
                                const json_t *values, json_t **out);

/* The message when visible in scope (unlinked ones only to scope->all);
 * LU_NOT_FOUND otherwise. *out owned. */
enum lu_rc store_message_get(struct db_conn *conn, const struct scope *scope, const char *id,
                             json_t **out);

struct message_filter {
    const char *guest_id;
    const char *channel;
    const char *thread_id;
    const char *property_id;
    const char *direction;
    int linked; /* -1: any; 0: unlinked only; 1: linked only */
};

/* Visible messages matching f, oldest first (ids sort by time),
 * keyset-paginated by id. */
enum lu_rc store_message_list(struct db_conn *conn, const struct scope *scope,
                              const struct message_filter *f, int limit, const char *after,
                              struct page *out);

/* Where to look for a conversation's latest thread. */
struct thread_query {
    const char *guest_id;  /* the linked guest; NULL: unlinked, by from_addr */
    const char *from_addr; /* an unlinked sender's address, as stored */
    const char *const *channels; /* borrowed; 1 or 2 channel names */
    size_t nchannels;
    const char *since; /* RFC 3339 UTC: only messages created since; NULL: any */
};

/* The thread_id of the newest message matching q (for a guest: either
 * direction; for an unlinked sender: inbound from that address) into
 * thread_out: LU_OK, or LU_NOT_FOUND. */
enum lu_rc store_message_thread_latest(struct db_conn *conn, const struct thread_query *q,
                                       char thread_out[ID_BYTES_MAX]);

/* The thread of the message whose email Message-ID is email_id ("<…>",
 * also matched without its angle brackets): LU_OK, or LU_NOT_FOUND. */
enum lu_rc store_message_thread_of_email(struct db_conn *conn, const char *email_id,
                                         char thread_out[ID_BYTES_MAX]);

/* --- contacts (contacts.c) ------------------------------------------------ */

struct contact_link {
    char guest_id[ID_BYTES_MAX];
    char property_id[ID_BYTES_MAX];
    char booking_id[ID_BYTES_MAX]; /* "" when the guest has no current or next stay */
};

/*
 * The guest whose phone (E.164, borrowed, or NULL) or email (lower-case,
 * or NULL) this is, and that guest's current or next booking, judged on
 * the property's own calendar day at now_s. Several guests (in several
 * properties) may share a contact; the rule that picks one is in
 * contacts.c. LU_OK with *out filled, LU_NOT_FOUND when no guest matches,
 * LU_UNAVAILABLE.
 */
enum lu_rc store_contact_link(struct db_conn *conn, const char *phone, const char *email,
                              int64_t now_s, struct contact_link *out);

#endif
