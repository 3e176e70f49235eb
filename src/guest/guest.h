/*
 * guest.h — the guest agent (SPEC §8b): guests with a stay sign in by a
 * code sent to their email, and talk to Lucia about their own stay. What
 * they ask for lands in the operator's truth as `requested` items, never
 * promised.
 *
 * Used by src/api/guest.c and src/api/guest_auth.c only. Every function
 * that writes runs inside the caller's write transaction (api_write_*),
 * appends its audit events, and never commits; readers run on a borrowed
 * connection. A guest (struct guest_identity) sees only the records of its
 * own guest id: any other id is LU_NOT_FOUND, never LU_FORBIDDEN.
 *
 * Secrets: sign-in codes and guest tokens are stored only as SHA-256
 * digests; the code leaves the engine only in the email (whose outbox
 * payload is redacted once sent), the token only in the verify answer.
 */
#ifndef LU_GUEST_H
#define LU_GUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/ids.h"
#include "core/rc.h"
#include "db/db.h"
#include "kv/kv.h"
#include "store/store.h"

/* "gtk_" + 43 base64url characters + NUL. */
#define GUEST_TOKEN_TEXT_BYTES 48

/* The guest a token belongs to. */
struct guest_identity {
    char guest_id[ID_BYTES_MAX];
    char property_id[ID_BYTES_MAX];
    char token_id[ID_BYTES_MAX];
    char actor[ID_BYTES_MAX + 8]; /* "guest:gst_…", the audit actor */
};

/* ---- sign-in (signin.c) -------------------------------------------------- */

/*
 * A sign-in request for email (lower-cased, borrowed) at now_s. Always
 * writes one code row, so a known and an unknown address do the same
 * work; when the address belongs to a guest with a current or upcoming
 * booking (status neither cancelled nor checked_out, check_out on or after
 * yesterday in UTC), the new code goes into the outbox as an email
 * (*queued true) and the guest's earlier codes stop working. Codes live
 * cfg->guest_code_ttl_s. LU_UNAVAILABLE/LU_NOMEM/LU_IO: roll back.
 */
enum lu_rc guest_signin_request(struct db_conn *conn, const struct lu_config *cfg,
                                const char *email, int64_t now_s, bool *queued);

/* A successful verification: the token (owned by the struct, never logged). */
struct guest_grant {
    char token[GUEST_TOKEN_TEXT_BYTES];
    char expires_at[32];
    json_t *guest; /* {"id","name"}, owned: json_decref */
};

enum guest_verify_result {
    GUEST_VERIFY_OK = 0,
    GUEST_VERIFY_REFUSED, /* unknown, wrong, expired, used or superseded */
    GUEST_VERIFY_LOCKED,  /* the code took GUEST_CODE_WRONG_TRIES_MAX wrong tries */
};

/*
 * Checks code (six digits, borrowed) against email's newest live code at
 * now_s. A wrong code counts a try (write it even though the answer is a
 * refusal: commit). On GUEST_VERIFY_OK the code is used and a new token
 * (GUEST_TOKEN_TTL_S) is written and returned in *grant (clear with
 * guest_grant_clear).
 */
enum lu_rc guest_signin_verify(struct db_conn *conn, const char *email, const char *code,
                               int64_t now_s, enum guest_verify_result *result,
                               struct guest_grant *grant);
void guest_grant_clear(struct guest_grant *grant);

/* ---- tokens (signin.c) --------------------------------------------------- */

/* True when text has a guest token's shape ("gtk_" + 43 base64url). */
bool guest_token_shaped(const char *text);

/*
 * The identity of token text (borrowed) at now_s: LU_OK, or
 * LU_UNAUTHORIZED when unknown, expired or revoked. Compares digests in
 * constant time. Records the token's last use at most every
 * GUEST_TOKEN_TOUCH_S (its own short write; a failure there is ignored).
 */
enum lu_rc guest_token_resolve(struct db *db, const char *token, int64_t now_s,
                               struct guest_identity *out);

/* Revokes the token id (sign-out): LU_OK, LU_NOT_FOUND when not live. */
enum lu_rc guest_token_revoke(struct db_conn *conn, const char *actor, const char *token_id,
                              int64_t now_s);

/* Revokes every live token of guest_id (which the caller has found
 * visible): *count how many. */
enum lu_rc guest_tokens_revoke_all(struct db_conn *conn, const char *actor, const char *guest_id,
                                   const char *property_id, int64_t now_s, int64_t *count);

/* ---- the guest's own records (records.c) --------------------------------- */

/* GET /guest/me: {"guest":{"id","name","email"},"bookings":[…]}. */
enum lu_rc guest_me(struct db_conn *conn, const struct guest_identity *who, json_t **out);
/* One of the guest's bookings with its property's name. */
enum lu_rc guest_booking(struct db_conn *conn, const struct guest_identity *who, const char *id,
                         json_t **out);
/* {"booking_id","total_cents","paid_cents","refunded_cents","open_cents",
 * "currency","status"} from store_booking_payments. */
enum lu_rc guest_balance(struct db_conn *conn, const struct guest_identity *who, const char *id,
                         int64_t now_s, json_t **out);
/* The guest's items, newest first, as the chat shows them. */
enum lu_rc guest_items(struct db_conn *conn, const struct guest_identity *who, int limit,
                       const char *after, struct page *out);
enum lu_rc guest_item(struct db_conn *conn, const struct guest_identity *who, const char *id,
                      json_t **out);
/* {"id","messages":[…]}: one of the guest's threads, oldest first. */
enum lu_rc guest_thread(struct db_conn *conn, const struct guest_identity *who, const char *id,
                        json_t **out);

/* ---- the chat (chat.c) ------------------------------------------------- */

/* Continuity of one guest chat session, kept in the session store. */
struct guest_session {
    char id[ID_BYTES_MAX]; /* "ses_…" */
    json_t *state;         /* owned */
    bool found;
};

/*
 * Loads session_id (NULL: a new session) for who from kv with no
 * connection held: LU_OK; LU_INVALID for a malformed id; LU_NOT_FOUND when
 * it is another principal's session; LU_UNAVAILABLE.
 */
enum lu_rc guest_session_load(struct kv *kv, const struct guest_identity *who,
                              const char *session_id, struct guest_session *out);
/* Saves it with ttl_s (call after the commit, with no connection held). */
enum lu_rc guest_session_save(struct kv *kv, const struct guest_session *s, int ttl_s);
void guest_session_clear(struct guest_session *s);

/*
 * One turn inside the caller's write transaction: routes message
 * (borrowed, 1..2000 characters), composes the reply from who's records,
 * creates the `requested` item of a request or report (store path, audit,
 * change stream), stores the guest's words and the reply in the guest's
 * chat thread (needs_human on a human turn or a safety report), guards the
 * reply and updates s->state. *answer (owned) is the response body;
 * *route static.
 */
enum lu_rc guest_chat_turn(struct db_conn *conn, const struct guest_identity *who,
                           struct guest_session *s, const char *message, int64_t now_s,
                           json_t **answer, const char **route);

/* Appends lucia_guest_chat_turns_total{route} to /metrics text (owned,
 * grown with realloc; *len updated); returns the text. */
char *guest_metrics_append(char *text, size_t *len);
/* Counts one answered turn of route (static). */
void guest_metrics_turn(const char *route);

#endif
