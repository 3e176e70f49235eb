/*
 * payments_apply.c — the webhook's write (SPEC §6): store a Stripe event
 * once and fold it into the records, inside the caller's write transaction
 * (api_write_begin/commit), so a 200 means both are committed together.
 *
 * The event's id is the primary key of stripe_financial_events: a repeated
 * delivery, concurrent or not, inserts nothing and changes nothing (the
 * database decides, not a check-then-insert). A new event's snapshots are
 * merged into their records with ledger_record_merge; then every record of
 * the payments they belong to is loaded (whole groups, as
 * ledger_bookings_resolve needs) and booking links are resolved; each
 * record that changed is written with one audit event ("payment.created"
 * or "payment.updated", actor "stripe"), and the payment summary of each
 * booking whose records changed is recomputed (payments_summary.c). It
 * never commits and never replies: errors are codes.
 */
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/audit.h"
#include "store/payments_internal.h"

/* Records one event may touch together with the rest of their payments. A
 * payment is a handful of objects; this bounds a hostile or broken group,
 * answered LU_TOO_LARGE (nothing written). */
#define APPLY_RECORDS_MAX 256
/* Group keys looked up per event: links go intent → charge → refund, so a
 * few rounds of lookups reach every member. */
#define APPLY_KEYS_MAX 512
#define APPLY_ROUNDS_MAX 4

#define AUDIT_ACTOR "stripe"

/* The records in play, as loaded (before) and as they become (recs). */
struct work_set {
    struct ledger_record *recs;
    struct ledger_record *before;
    int64_t *version;
    bool *existed;
    size_t n;
    size_t cap;                    /* slots allocated, at most APPLY_RECORDS_MAX */
    char (*keys)[LEDGER_ID_BYTES]; /* looked up already */
    size_t nkeys;
    size_t keys_cap;               /* at most APPLY_KEYS_MAX */
};

/* An event touches a handful of records; the arrays start this small and
 * double up to the caps. (Allocating the caps for every event was 58% of a
 * webhook's instructions: ~1.3 MB of fresh zeroed pages each time.) */
#define APPLY_SLOTS_FIRST 8

static void work_free(struct work_set *ws)
{
    free(ws->recs);
    free(ws->before);
    free(ws->version);
    free(ws->existed);
    free(ws->keys);
}

/* Grows *p (cap elements of size) to new_cap, zeroing the new part. */
static bool grow(void **p, size_t size, size_t cap, size_t new_cap)
{
    unsigned char *q = realloc(*p, new_cap * size);
    if (q == NULL) {
        return false;
    }
    memset(q + cap * size, 0, (new_cap - cap) * size);
    *p = q;
    return true;
}

/* Makes room for one more record: LU_TOO_LARGE at the cap. */
static enum lu_rc work_room(struct work_set *ws)
{
    if (ws->n < ws->cap) {
        return LU_OK;
    }
    if (ws->cap == APPLY_RECORDS_MAX) {
        return LU_TOO_LARGE;
    }
    size_t cap = ws->cap == 0 ? APPLY_SLOTS_FIRST : 2 * ws->cap;
    cap = cap > APPLY_RECORDS_MAX ? APPLY_RECORDS_MAX : cap;
    if (!grow((void **)&ws->recs, sizeof *ws->recs, ws->cap, cap) ||
        !grow((void **)&ws->before, sizeof *ws->before, ws->cap, cap) ||
        !grow((void **)&ws->version, sizeof *ws->version, ws->cap, cap) ||
        !grow((void **)&ws->existed, sizeof *ws->existed, ws->cap, cap)) {
        return LU_NOMEM; /* the arrays grown so far stay valid; work_free frees them */
    }
    ws->cap = cap;
    return LU_OK;
}

/* Makes room for one more looked-up key: LU_TOO_LARGE at the cap. */
static enum lu_rc work_key_room(struct work_set *ws)
{
    if (ws->nkeys < ws->keys_cap) {
        return LU_OK;
    }
    if (ws->keys_cap == APPLY_KEYS_MAX) {
        return LU_TOO_LARGE;
    }
    size_t cap = ws->keys_cap == 0 ? APPLY_SLOTS_FIRST : 2 * ws->keys_cap;
    cap = cap > APPLY_KEYS_MAX ? APPLY_KEYS_MAX : cap;
    if (!grow((void **)&ws->keys, sizeof *ws->keys, ws->keys_cap, cap)) {
        return LU_NOMEM;
    }
    ws->keys_cap = cap;
    return LU_OK;
}

static long work_find(const struct work_set *ws, const char *id)
{
    for (size_t i = 0; i < ws->n; i++) {
        if (strcmp(ws->recs[i].id, id) == 0) {
            return (long)i;
        }
    }
    return -1;
}

/* Adds the stored records matching key (as id, payment intent or charge)
 * that are not in the set yet; *added counts them. */
static enum lu_rc work_load(struct db_conn *conn, struct work_set *ws, const char *key,
                            size_t *added)
{
    for (size_t i = 0; i < ws->nkeys; i++) {
        if (strcmp(ws->keys[i], key) == 0) {
            return LU_OK;
        }
    }
    enum lu_rc room = work_key_room(ws);
    if (room != LU_OK) {
        return room;
    }
    snprintf(ws->keys[ws->nkeys++], LEDGER_ID_BYTES, "%s", key);
    struct db_param p[] = {P_TEXT(key), P_TEXT(key), P_TEXT(key)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT " PAYMENT_RECORD_COLUMNS " FROM stripe_financial_records "
                            "WHERE id = ? OR payment_intent = ? OR charge = ? ORDER BY id",
                            p, 3, &rows, NULL);
    for (size_t r = 0; rc == LU_OK && r < rows->nrows; r++) {
        if (work_find(ws, db_rows_text(rows, r, 0)) >= 0) {
            continue;
        }
        rc = work_room(ws);
        if (rc != LU_OK) {
            break;
        }
        size_t i = ws->n++;
        payment_row_read(rows, r, &ws->recs[i], &ws->version[i]);
        ws->before[i] = ws->recs[i];
        ws->existed[i] = true;
        (*added)++;
    }
    db_rows_free(rows);
    return rc;
}

/* Merges one snapshot into its record, loading it first when stored. */
static enum lu_rc work_merge(struct db_conn *conn, struct work_set *ws,
                             const struct ledger_record *snap)
{
    size_t added = 0;
    enum lu_rc rc = work_find(ws, snap->id) >= 0 ? LU_OK : work_load(conn, ws, snap->id, &added);
    if (rc != LU_OK) {
        return rc;
    }
    long at = work_find(ws, snap->id);
    if (at < 0) {
        rc = work_room(ws);
        if (rc != LU_OK) {
            return rc;
        }
        at = (long)ws->n++;
        ws->existed[at] = false;
        ledger_record_merge(&ws->recs[at], true, snap);
        return LU_OK;
    }
    ledger_record_merge(&ws->recs[at], false, snap);
    return LU_OK;
}

/* Loads the rest of every group in the set, until nothing new comes. */
static enum lu_rc work_complete_groups(struct db_conn *conn, struct work_set *ws)
{
    for (int round = 0; round < APPLY_ROUNDS_MAX; round++) {
        size_t added = 0;
        size_t n = ws->n; /* records added this round are visited next round */
        enum lu_rc rc = LU_OK;
        for (size_t i = 0; rc == LU_OK && i < n; i++) {
            /* Copies: a load may grow ws->recs, moving what they point into. */
            char group[LEDGER_ID_BYTES], charge[LEDGER_ID_BYTES], id[LEDGER_ID_BYTES];
            snprintf(group, sizeof group, "%s", ledger_group_key(ws->recs, ws->n, i));
            snprintf(charge, sizeof charge, "%s", ws->recs[i].charge);
            snprintf(id, sizeof id, "%s", ws->recs[i].id);
            bool is_charge = ws->recs[i].kind == LEDGER_CHARGE;
            rc = work_load(conn, ws, group, &added);
            if (rc == LU_OK && charge[0] != '\0') {
                rc = work_load(conn, ws, charge, &added);
            }
            if (rc == LU_OK && is_charge) {
                rc = work_load(conn, ws, id, &added);
            }
        }
        if (rc != LU_OK || added == 0) {
            return rc;
        }
    }
    return LU_OK;
}

/* The property of booking_id into out ("" when Lucia has no such booking). */
static enum lu_rc booking_property(struct db_conn *conn, const char *booking_id, char *out,
                                   size_t cap)
{
    out[0] = '\0';
    if (booking_id[0] == '\0') {
        return LU_OK;
    }
    struct db_param p[] = {P_TEXT(booking_id)};
    struct db_rows *rows = NULL;
    enum lu_rc rc =
        db_exec(conn, "SELECT property_id FROM bookings WHERE id = ?", p, 1, &rows, NULL);
    if (rc == LU_OK && rows->nrows > 0) {
        snprintf(out, cap, "%s", db_rows_text(rows, 0, 0));
    }
    db_rows_free(rows);
    return rc;
}

static struct db_param opt(const char *s)
{
    return s[0] != '\0' ? P_TEXT(s) : P_NULL;
}

/* INSERT or UPDATE of every column; the version is bumped on update. */
static enum lu_rc record_store(struct db_conn *conn, const struct ledger_record *r, bool existed,
                               const char *now)
{
    struct db_param p[] = {
        opt(r->booking_id),
        opt(r->metadata_booking_id),
        opt(r->payment_intent),
        opt(r->charge),
        P_INT(r->amount),
        P_INT(r->amount_received),
        P_INT(r->amount_refunded),
        opt(r->currency),
        opt(r->status),
        opt(r->payment_status),
        opt(r->failure_code),
        opt(r->failure_message),
        opt(r->reason),
        P_INT(r->object_created),
        P_INT(r->status_created),
        P_TEXT(r->status_event_id),
        P_TEXT(now),
        P_TEXT(r->id),
        P_TEXT(ledger_kind_name(r->kind)),
        P_TEXT(now),
    };
    if (existed) {
        return db_exec(conn,
                       "UPDATE stripe_financial_records SET booking_id = ?, "
                       "metadata_booking_id = ?, payment_intent = ?, charge = ?, amount = ?, "
                       "amount_received = ?, amount_refunded = ?, currency = ?, status = ?, "
                       "payment_status = ?, failure_code = ?, failure_message = ?, reason = ?, "
                       "object_created = ?, status_created = ?, status_event_id = ?, "
                       "updated_at = ?, version = version + 1 WHERE id = ?",
                       p, 18, NULL, NULL);
    }
    return db_exec(conn,
                   "INSERT INTO stripe_financial_records (booking_id, metadata_booking_id, "
                   "payment_intent, charge, amount, amount_received, amount_refunded, "
                   "currency, status, payment_status, failure_code, failure_message, reason, "
                   "object_created, status_created, status_event_id, updated_at, id, object, "
                   "created_at, version) VALUES "
                   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                   p, 20, NULL, NULL);
}

/* Writes record i of the set when it is new or changed, with its audit
 * event; *wrote says whether it did. */
static enum lu_rc work_write(struct db_conn *conn, const struct work_set *ws, size_t i,
                             const char *now, bool *wrote)
{
    const struct ledger_record *r = &ws->recs[i];
    char why[8];
    *wrote = false;
    if (ws->existed[i] && ledger_record_same(&ws->before[i], r, why, sizeof why)) {
        return LU_OK;
    }
    *wrote = true;
    char property[LEDGER_ID_BYTES];
    enum lu_rc rc = booking_property(conn, r->booking_id, property, sizeof property);
    if (rc == LU_OK) {
        rc = record_store(conn, r, ws->existed[i], now);
    }
    if (rc != LU_OK) {
        return rc;
    }
    json_t *before =
        ws->existed[i] ? payment_record_json(&ws->before[i], ws->version[i], NULL, NULL) : NULL;
    json_t *after = payment_record_json(r, ws->existed[i] ? ws->version[i] + 1 : 1, NULL, NULL);
    struct audit_entry e = {
        .actor = AUDIT_ACTOR,
        .action = ws->existed[i] ? "payment.updated" : "payment.created",
        .entity_type = "payment",
        .entity_id = r->id,
        .property_id = property[0] ? property : NULL,
        .before = before,
        .after = after,
    };
    rc = after != NULL && (before != NULL || !ws->existed[i]) ? audit_append(conn, &e, NULL)
                                                              : LU_NOMEM;
    json_decref(before);
    json_decref(after);
    return rc;
}

static enum lu_rc event_insert(struct db_conn *conn, const struct ledger_event *ev, const char *raw,
                               bool *inserted)
{
    char now[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    struct db_param p[] = {
        P_TEXT(ev->id),       P_TEXT(ev->type),   P_INT(ev->created),   P_INT(ev->livemode ? 1 : 0),
        opt(ev->api_version), opt(ev->object_id), opt(ev->object_type), P_TEXT(raw),
        P_TEXT(now)};
    int64_t changed = 0;
    enum lu_rc rc = db_exec(conn,
                            "INSERT INTO stripe_financial_events (id, type, created, livemode, "
                            "api_version, object_id, object_type, payload, received_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                            p, 9, NULL, &changed);
    *inserted = rc == LU_OK && changed == 1;
    return rc;
}

/* {"id","object","status","booking_id","booking_known"} of the event's
 * own objects, for the webhook's answer; warns about unknown bookings. */
static enum lu_rc apply_summary(struct db_conn *conn, const struct ledger_event *ev,
                                const struct work_set *ws, const struct ledger_record *snaps,
                                size_t nsnaps, json_t *list)
{
    for (size_t s = 0; s < nsnaps; s++) {
        long at = work_find(ws, snaps[s].id);
        LU_ASSERT(at >= 0);
        const struct ledger_record *r = &ws->recs[at];
        char property[LEDGER_ID_BYTES];
        enum lu_rc rc = booking_property(conn, r->booking_id, property, sizeof property);
        if (rc != LU_OK) {
            return rc;
        }
        bool known = property[0] != '\0';
        if (r->booking_id[0] != '\0' && !known) {
            log_msg(LOG_WARN, NULL,
                    "stripe event %s: %s names booking %.64s, which Lucia does not know; kept "
                    "and listed in GET /api/payments/unlinked",
                    ev->id, r->id, r->booking_id);
        }
        json_t *entry = json_pack("{s:s, s:s, s:s?, s:s?, s:b}", "id", r->id, "object",
                                  ledger_kind_name(r->kind), "status",
                                  r->status[0] ? r->status : NULL, "booking_id",
                                  r->booking_id[0] ? r->booking_id : NULL, "booking_known", known);
        if (entry == NULL || json_array_append_new(list, entry) != 0) {
            return LU_NOMEM;
        }
    }
    return LU_OK;
}

/* Refreshes the payment summary of every booking a written record belongs
 * to, or belonged to before this event (a record can move to another
 * booking when its group's link resolves), each once. */
static enum lu_rc summaries_refresh(struct db_conn *conn, const struct work_set *ws,
                                    const bool *wrote)
{
    for (size_t i = 0; i < ws->n; i++) {
        for (int side = 0; side < 2; side++) {
            const char *id = side == 0 ? ws->recs[i].booking_id : ws->before[i].booking_id;
            if (!wrote[i] || id[0] == '\0' || (side == 1 && !ws->existed[i])) {
                continue;
            }
            bool done = side == 1 && strcmp(id, ws->recs[i].booking_id) == 0;
            for (size_t j = 0; j < i && !done; j++) {
                done = wrote[j] && (strcmp(id, ws->recs[j].booking_id) == 0 ||
                                    (ws->existed[j] && strcmp(id, ws->before[j].booking_id) == 0));
            }
            enum lu_rc rc = done ? LU_OK : payment_summary_refresh(conn, id);
            if (rc != LU_OK) {
                return rc;
            }
        }
    }
    return LU_OK;
}

/* Merges, completes the groups, resolves bookings, writes what changed
 * and the summaries of the bookings it changed. */
static enum lu_rc apply_fold(struct db_conn *conn, struct work_set *ws,
                             const struct ledger_record *snaps, size_t nsnaps)
{
    enum lu_rc rc = LU_OK;
    for (size_t s = 0; rc == LU_OK && s < nsnaps; s++) {
        rc = work_merge(conn, ws, &snaps[s]);
    }
    if (rc == LU_OK) {
        rc = work_complete_groups(conn, ws);
    }
    if (rc == LU_OK) {
        rc = ledger_bookings_resolve(ws->recs, ws->n, NULL);
    }
    char now[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    bool wrote[APPLY_RECORDS_MAX] = {false};
    for (size_t i = 0; rc == LU_OK && i < ws->n; i++) {
        rc = work_write(conn, ws, i, now, &wrote[i]);
    }
    if (rc == LU_OK) {
        rc = summaries_refresh(conn, ws, wrote);
    }
    return rc;
}

enum lu_rc store_stripe_event_apply(struct db_conn *conn, const struct ledger_event *ev,
                                    const char *raw, json_t **out)
{
    LU_ASSERT(conn != NULL && ev != NULL && ev->object != NULL && raw != NULL && out != NULL);
    bool inserted = false;
    enum lu_rc rc = event_insert(conn, ev, raw, &inserted);
    if (rc != LU_OK) {
        return rc;
    }
    json_t *records = json_array();
    struct ledger_record *snaps = calloc(LEDGER_SNAPSHOTS_MAX, sizeof *snaps);
    struct work_set ws;
    memset(&ws, 0, sizeof ws);
    /* The first slots up front: the fold never sees NULL arrays. */
    rc = records && snaps ? work_room(&ws) : LU_NOMEM;
    rc = rc == LU_OK ? work_key_room(&ws) : rc;
    if (rc == LU_OK && inserted) {
        size_t nsnaps = ledger_event_snapshots(ev, snaps, LEDGER_SNAPSHOTS_MAX);
        rc = apply_fold(conn, &ws, snaps, nsnaps);
        if (rc == LU_OK) {
            rc = apply_summary(conn, ev, &ws, snaps, nsnaps, records);
        }
    }
    work_free(&ws);
    free(snaps);
    if (rc == LU_OK) {
        *out = json_pack("{s:b, s:s, s:s, s:b, s:o}", "received", 1, "id", ev->id, "type", ev->type,
                         "duplicate", !inserted, "records", records);
        return *out ? LU_OK : LU_NOMEM;
    }
    json_decref(records);
    return rc;
}
