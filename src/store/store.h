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
};

/* No If-Match header. */
#define VERSION_ANY (-1)

/* Builds {"data":[…],"has_more":…,"next":…}; takes page->data. */
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

#endif
