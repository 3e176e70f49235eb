/*
 * store.h — the domain's queries, portable SQL over db.h. One file per
 * resource; records come back as jansson objects shaped as the API shows
 * them. The store knows nothing of HTTP: it returns lu_rc codes
 * (LU_NOT_FOUND, LU_STALE, LU_CONFLICT, LU_UNAVAILABLE) and the reply code
 * turns them into statuses.
 */
#ifndef LU_STORE_H
#define LU_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/rc.h"
#include "db/db.h"

/* Which properties a caller may see. Records elsewhere are "not found". */
struct scope {
    bool all;
    const char *const *property_ids; /* borrowed */
    size_t n;
};

/* A page of a list: data (owned array), and the cursor for the next page. */
struct page {
    json_t *data;
    bool has_more;
    char next[64];
    /* Set (owned: free) instead of data when the list was written straight
     * from its rows: the whole body, {"data":[…],"has_more":…,"next":…}. */
    char *text;
    size_t text_len;
};

/* No If-Match header. */
#define VERSION_ANY (-1)

/* Builds {"data":[…],"has_more":…,"next":…}; takes page->data (or parses
 * and frees page->text). */
json_t *page_to_json(struct page *page);

/* --- properties ------------------------------------------------------- */

/* Write functions run inside the caller's write transaction (api_write_*),
 * append their audit event, and never commit themselves. actor is
 * borrowed. */
enum lu_rc store_property_create(struct db_conn *conn, const char *actor, const char *name,
                                 const char *time_zone, json_t **out);
enum lu_rc store_property_get(struct db_conn *conn, const struct scope *scope, const char *id,
                              json_t **out);
enum lu_rc store_property_list(struct db_conn *conn, const struct scope *scope, int limit,
                               const char *after, struct page *out);
/* Applies the validated fields of changes (name, time_zone). expected is an
 * If-Match version or VERSION_ANY. An empty change returns the record as it
 * is, version unchanged. */
enum lu_rc store_property_update(struct db_conn *conn, const char *actor,
                                 const struct scope *scope, const char *id, const json_t *changes,
                                 int64_t expected, json_t **out);

/* --- guests ----------------------------------------------------------- */

/* fields: validated body (property_id, name, email, phone); email is stored
 * lower-cased. LU_NOT_FOUND when property_id is not visible in scope. */
enum lu_rc store_guest_create(struct db_conn *conn, const char *actor, const struct scope *scope,
                              const json_t *fields, json_t **out);
enum lu_rc store_guest_get(struct db_conn *conn, const struct scope *scope, const char *id,
                           json_t **out);
/* q (may be NULL) matches name (case-insensitive substring), email or phone. */
enum lu_rc store_guest_list(struct db_conn *conn, const struct scope *scope, const char *q,
                            int limit, const char *after, struct page *out);
enum lu_rc store_guest_update(struct db_conn *conn, const char *actor, const struct scope *scope,
                              const char *id, const json_t *changes, int64_t expected,
                              json_t **out);

/* --- bookings --------------------------------------------------------- */

struct booking_filter {
    const char *property_id;
    const char *status;
    const char *arriving_from; /* YYYY-MM-DD, inclusive */
    const char *arriving_to;   /* YYYY-MM-DD, inclusive */
    const char *guest_id;
};

/* fields: property_id, guest_id, check_in, check_out, total_cents,
 * currency, balance_due_on. The guest must be in the same property. */
enum lu_rc store_booking_create(struct db_conn *conn, const char *actor, const struct scope *scope,
                                const json_t *fields, json_t **out);
enum lu_rc store_booking_get(struct db_conn *conn, const struct scope *scope, const char *id,
                             json_t **out);
enum lu_rc store_booking_list(struct db_conn *conn, const struct scope *scope,
                              const struct booking_filter *f, int limit, const char *after,
                              struct page *out);
enum lu_rc store_booking_update(struct db_conn *conn, const char *actor,
                                const struct scope *scope, const char *id, const json_t *changes,
                                int64_t expected, json_t **out);

/* --- items ------------------------------------------------------------ */

struct item_filter {
    const char *kind;
    const char *state;
    const char *property_id;
    const char *booking_id;
    const char *assignee;
    const char *due_before; /* RFC 3339; items with due_at < this */
};

/* fields: kind, title, details, priority, guest_impacting, due_at,
 * assignee, booking_id, guest_id, property_id (taken from the booking when
 * booking_id is given). New items are always `requested`. */
enum lu_rc store_item_create(struct db_conn *conn, const char *actor, const struct scope *scope,
                             const json_t *fields, json_t **out);
enum lu_rc store_item_get(struct db_conn *conn, const struct scope *scope, const char *id,
                          json_t **out);
enum lu_rc store_item_list(struct db_conn *conn, const struct scope *scope,
                           const struct item_filter *f, int limit, const char *after,
                           struct page *out);
enum lu_rc store_item_update(struct db_conn *conn, const char *actor, const struct scope *scope,
                             const char *id, const json_t *changes, int64_t expected,
                             json_t **out);
/* Every transition of the item or booking, oldest first:
 * [{from, to, actor, evidence, note, at}]. */
enum lu_rc store_history(struct db_conn *conn, const char *entity_id, json_t **out);

/* --- transitions (items and bookings) --------------------------------- */

struct transition_request {
    const char *to;
    const char *evidence; /* may be NULL */
    const char *note;     /* may be NULL */
    int64_t expected;     /* If-Match or VERSION_ANY */
};

/* Why a transition was refused, when the result is LU_INVALID. */
struct transition_refusal {
    const char *code; /* "illegal_transition", "evidence_required", "note_required" */
    char message[200];
    char allowed[120]; /* "confirmed, cancelled, failed" */
};

/* Moves an item ("item") or booking ("booking") atomically against its
 * current state: LU_INVALID with *refusal filled for an illegal move or a
 * missing evidence/note (422); LU_STALE for a stale If-Match (412);
 * LU_CONFLICT when the record is already in `to` or changed underneath
 * (409). On LU_OK *out is the updated record. */
enum lu_rc store_transition(struct db_conn *conn, const char *actor, const struct scope *scope,
                            const char *entity_type, const char *id,
                            const struct transition_request *t, json_t **out,
                            struct transition_refusal *refusal);

/* --- today (today.c) and balances (balance.c) ------------------------- */

struct today_query {
    const char *property_id; /* NULL: every property in scope */
    const char *date;        /* YYYY-MM-DD in the property's (or operator's) zone */
    const char *day_end;     /* RFC 3339 UTC "…Z": the first instant of the next day */
};

/* The day's stays and due items in the properties in scope (or in
 * q->property_id alone, which the caller has found visible), owned:
 * {"arrivals","departures","in_house","items_due","truncated"}; each stay
 * carries "guest":{"id","name"} and "balance". The membership rules are in
 * today.c's opening comment. LU_UNAVAILABLE/LU_NOMEM on failure. */
enum lu_rc store_today(struct db_conn *conn, const struct scope *scope,
                       const struct today_query *q, json_t **out);

/* The open balance of a booking record (borrowed), owned:
 * {"total_cents","paid_cents","open_cents","currency"}. Every reader of a
 * balance goes through here; the Stripe ledger replaces its body. */
enum lu_rc store_booking_balance(struct db_conn *conn, const json_t *booking, json_t **out);

/* --- payments (payments.c, payments_apply.c): the Stripe ledger, §6 ---- */

struct ledger_event; /* ledger/ledger.h */

/* Stores ev (its raw body, borrowed, exactly as received) once in
 * stripe_financial_events and folds it into stripe_financial_records with
 * their audit events, inside the caller's write transaction. A known event
 * id writes nothing. *out (owned): {"received":true,"id","type",
 * "duplicate","records":[{"id","object","status","booking_id",
 * "booking_known"}]}. LU_TOO_LARGE when its payments exceed the apply
 * limits; database codes otherwise. */
enum lu_rc store_stripe_event_apply(struct db_conn *conn, const struct ledger_event *ev,
                                    const char *raw, json_t **out);

/* A visible booking's payment truth at now_s, owned: {"booking_id",
 * "property_id","currency","total_cents","received_cents","paid_cents",
 * "refunded_cents","open_cents","status","records":[…],"risks":[…]}.
 * LU_NOT_FOUND when absent or out of scope. */
enum lu_rc store_booking_payments(struct db_conn *conn, const struct scope *scope,
                                  const char *booking_id, int64_t now_s, json_t **out);

/* Every current risk of the bookings in scope (or of property_id alone,
 * which the caller has found visible), most severe first, owned array of
 * {booking_id, guest_name, reason, amount_cents, currency, since, detail}.
 * *truncated when more bookings than the store judges per call. */
enum lu_rc store_payment_risks(struct db_conn *conn, const struct scope *scope,
                               const char *property_id, int64_t now_s, json_t **out,
                               bool *truncated);

/* Records no known booking claims (no booking_id, or one Lucia does not
 * have), by id after `after`, owned {"data","has_more","next"}. For
 * principals that see every property. */
enum lu_rc store_payments_unlinked(struct db_conn *conn, int limit, const char *after,
                                   json_t **out);

/* --- operator focus (focus.c): the day's facts and the transcripts ----- */

/* The properties in scope, or property_id alone (NULL: all in scope), as
 * [{"id","name","time_zone"}] ordered by id, owned. */
enum lu_rc store_focus_properties(struct db_conn *conn, const struct scope *scope,
                                  const char *property_id, json_t **out);

/* Open items (requested, confirmed, in_progress) in scope that are due
 * before due_before (RFC 3339 UTC), plus every concierge item still
 * `requested` whatever its due time; each item record with "guest_name"
 * (or null). Owned array, at most FOCUS_FACT_ROWS_MAX; *truncated when
 * there were more. */
enum lu_rc store_focus_items(struct db_conn *conn, const struct scope *scope,
                             const char *property_id, const char *due_before, json_t **out,
                             bool *truncated);

/* Bookings in scope, not cancelled, that check in or check out between
 * date_from and date_to (YYYY-MM-DD, inclusive); each booking record with
 * "guest_name". Owned array, capped and flagged as store_focus_items. */
enum lu_rc store_focus_stays(struct db_conn *conn, const struct scope *scope,
                             const char *property_id, const char *date_from, const char *date_to,
                             json_t **out, bool *truncated);

/* The visible records among ids (borrowed, n of them; duplicates fine) of
 * items (bookings false) or bookings, owned: an object from id to record.
 * Ids that do not exist or are out of scope are simply absent. One query
 * per FOCUS_LOOKUP_CHUNK ids. */
enum lu_rc store_focus_lookup(struct db_conn *conn, const struct scope *scope, bool bookings,
                              const char *const *ids, size_t n, json_t **out);

/* The owner (user sub) of a focus session into owner (cap bytes):
 * LU_NOT_FOUND when no turn of it was ever recorded. */
enum lu_rc store_focus_session_owner(struct db_conn *conn, const char *session_id, char *owner,
                                     size_t cap);

/* One recorded turn, all borrowed. */
struct focus_turn_row {
    const char *session_id;
    const char *user_sub;
    const char *message;
    const char *route;
    const char *reply;
    const char *cited_ids; /* a JSON array as text */
    const char *model;
};

/* Appends a turn inside the caller's write transaction, creating the
 * session row on its first turn; *turn_no is the turn's number (from 1).
 * LU_NOT_FOUND when the session belongs to another user; LU_TOO_LARGE past
 * FOCUS_SESSION_TURNS_MAX turns. */
enum lu_rc store_focus_turn_append(struct db_conn *conn, const struct focus_turn_row *row,
                                   int64_t *turn_no);

/* The user's sessions, oldest first, keyset-paginated by id:
 * {"id","turns","last_route","created_at","updated_at"}. */
enum lu_rc store_focus_session_list(struct db_conn *conn, const char *user_sub, int limit,
                                    const char *after, struct page *out);

/* One of the user's sessions with every turn, owned: the list's fields and
 * "transcript":[{"turn","message","route","reply","cited_ids","model","at"}].
 * LU_NOT_FOUND for an unknown id or another user's session. */
enum lu_rc store_focus_session_get(struct db_conn *conn, const char *user_sub,
                                   const char *session_id, json_t **out);

#endif
