/*
 * items.c — concierge requests, maintenance and tasks (SPEC §5), their
 * history, and the transition engine shared with bookings.
 */
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/store_internal.h"
#include "store/truth.h"

static const struct column item_columns[] = {
    {"id", COL_TEXT},          {"property_id", COL_TEXT},  {"kind", COL_TEXT},
    {"title", COL_TEXT},       {"details", COL_TEXT},      {"priority", COL_TEXT},
    {"guest_impacting", COL_BOOL}, {"due_at", COL_TEXT},   {"assignee", COL_TEXT},
    {"booking_id", COL_TEXT},  {"guest_id", COL_TEXT},     {"state", COL_TEXT},
    {"version", COL_INT},      {"created_at", COL_TEXT},   {"updated_at", COL_TEXT},
};

const struct table_def item_table = {
    .table = "items",
    .id_prefix = "itm_",
    .entity_type = "item",
    .cols = item_columns,
    .ncols = sizeof item_columns / sizeof item_columns[0],
    .select_sql = "SELECT id, property_id, kind, title, details, priority, guest_impacting, "
                  "due_at, assignee, booking_id, guest_id, state, version, created_at, "
                  "updated_at FROM items",
};

/*
 * Settles property_id from the booking (an item given a booking takes its
 * property) and checks every reference is visible and in that property.
 * LU_NOT_FOUND for an invisible reference, LU_INVALID for a mismatch.
 */
static enum lu_rc references_check(struct db_conn *conn, const struct scope *scope,
                                   json_t *values)
{
    json_t *booking_id = json_object_get(values, "booking_id");
    const char *property_id = json_string_value(json_object_get(values, "property_id"));
    enum lu_rc rc = LU_OK;
    if (json_is_string(booking_id)) {
        json_t *booking = NULL;
        rc = store_booking_get(conn, scope, json_string_value(booking_id), &booking);
        if (rc != LU_OK) {
            return rc;
        }
        const char *bp = json_string_value(json_object_get(booking, "property_id"));
        if (property_id != NULL && strcmp(property_id, bp) != 0) {
            rc = LU_INVALID;
        } else if (property_id == NULL) {
            json_object_set(values, "property_id", json_object_get(booking, "property_id"));
            if (!json_is_string(json_object_get(values, "guest_id"))) {
                json_object_set(values, "guest_id", json_object_get(booking, "guest_id"));
            }
        }
        json_decref(booking);
        property_id = json_string_value(json_object_get(values, "property_id"));
    }
    if (rc != LU_OK) {
        return rc;
    }
    if (property_id == NULL) {
        return LU_INVALID;
    }
    json_t *property = NULL;
    rc = store_property_get(conn, scope, property_id, &property);
    json_decref(property);
    json_t *guest_id = json_object_get(values, "guest_id");
    if (rc == LU_OK && json_is_string(guest_id)) {
        json_t *guest = NULL;
        rc = store_guest_get(conn, scope, json_string_value(guest_id), &guest);
        if (rc == LU_OK &&
            strcmp(json_string_value(json_object_get(guest, "property_id")), property_id) != 0) {
            rc = LU_INVALID;
        }
        json_decref(guest);
    }
    return rc;
}

enum lu_rc store_item_create(struct db_conn *conn, const char *actor, const struct scope *scope,
                             const json_t *fields, json_t **out)
{
    json_t *values = json_deep_copy(fields);
    if (values == NULL) {
        return LU_NOMEM;
    }
    enum lu_rc rc = references_check(conn, scope, values);
    if (rc == LU_OK) {
        rc = record_insert(conn, actor, &item_table, values, out);
    }
    json_decref(values);
    return rc;
}

enum lu_rc store_item_get(struct db_conn *conn, const struct scope *scope, const char *id,
                          json_t **out)
{
    return record_visible(conn, &item_table, scope, id, out);
}

enum lu_rc store_item_list(struct db_conn *conn, const struct scope *scope,
                           const struct item_filter *f, int limit, const char *after,
                           struct page *out)
{
    char where[512] = "1=1";
    struct db_param p[6];
    size_t n = 0;
    struct {
        const char *value;
        const char *sql;
    } conds[] = {
        {f->kind, " AND kind = ?"},           {f->state, " AND state = ?"},
        {f->property_id, " AND property_id = ?"}, {f->booking_id, " AND booking_id = ?"},
        {f->assignee, " AND assignee = ?"},   {f->due_before, " AND due_at < ?"},
    };
    for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++) {
        if (conds[i].value != NULL) {
            strncat(where, conds[i].sql, sizeof where - strlen(where) - 1);
            p[n++] = P_TEXT(conds[i].value);
        }
    }
    return record_list_text(conn, &item_table, scope, where, p, n, limit, after, out);
}

enum lu_rc store_item_update(struct db_conn *conn, const char *actor, const struct scope *scope,
                             const char *id, const json_t *changes, int64_t expected,
                             json_t **out)
{
    json_t *current = NULL;
    enum lu_rc rc = store_item_get(conn, scope, id, &current);
    if (rc != LU_OK) {
        return rc;
    }
    /* A changed booking or guest must still fit the item's property. */
    json_t *check = json_pack("{s:O}", "property_id", json_object_get(current, "property_id"));
    json_decref(current);
    if (check == NULL) {
        return LU_NOMEM;
    }
    json_t *b = json_object_get(changes, "booking_id");
    json_t *g = json_object_get(changes, "guest_id");
    if (json_is_string(b)) {
        json_object_set(check, "booking_id", b);
    }
    if (json_is_string(g)) {
        json_object_set(check, "guest_id", g);
    }
    if (json_is_string(b) || json_is_string(g)) {
        rc = references_check(conn, scope, check);
    }
    json_decref(check);
    if (rc != LU_OK) {
        return rc;
    }
    return record_update(conn, actor, &item_table, scope, id, changes, expected, out);
}

enum lu_rc store_history(struct db_conn *conn, const char *entity_id, json_t **out)
{
    struct db_param p[] = {P_TEXT(entity_id)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT from_state AS \"from\", to_state AS \"to\", actor, evidence, "
                            "note, at FROM transitions WHERE entity_id = ? ORDER BY seq",
                            p, 1, &rows, NULL);
    if (rc != LU_OK) {
        return rc;
    }
    static const struct column cols[] = {{"from", COL_TEXT},     {"to", COL_TEXT},
                                         {"actor", COL_TEXT},    {"evidence", COL_TEXT},
                                         {"note", COL_TEXT},     {"at", COL_TEXT}};
    json_t *list = json_array();
    for (size_t r = 0; list != NULL && r < rows->nrows; r++) {
        json_t *row = row_to_json(rows, r, cols, 6);
        if (row == NULL || json_array_append_new(list, row) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    db_rows_free(rows);
    if (list == NULL) {
        return LU_NOMEM;
    }
    *out = list;
    return LU_OK;
}

static bool blank(const char *s)
{
    if (s == NULL) {
        return true;
    }
    for (; *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
            return false;
        }
    }
    return true;
}

static enum lu_rc refuse(struct transition_refusal *r, const char *code, const char *message)
{
    r->code = code;
    snprintf(r->message, sizeof r->message, "%s", message);
    return LU_INVALID;
}

enum lu_rc store_transition(struct db_conn *conn, const char *actor, const struct scope *scope,
                            const char *entity_type, const char *id,
                            const struct transition_request *t, json_t **out,
                            struct transition_refusal *refusal)
{
    bool item = strcmp(entity_type, "item") == 0;
    const struct table_def *def = item ? &item_table : &booking_table;
    enum truth_machine m = item ? TRUTH_ITEM : TRUTH_BOOKING;
    const char *column = item ? "state" : "status";
    memset(refusal, 0, sizeof *refusal);

    json_t *before = NULL;
    enum lu_rc rc = record_visible(conn, def, scope, id, &before);
    if (rc != LU_OK) {
        return rc;
    }
    int64_t version = json_integer_value(json_object_get(before, "version"));
    const char *from = json_string_value(json_object_get(before, column));
    truth_moves_allowed(m, from, refusal->allowed, sizeof refusal->allowed);
    if (t->expected != VERSION_ANY && t->expected != version) {
        rc = LU_STALE;
    } else if (strcmp(from, t->to) == 0) {
        /* Two concurrent identical moves: the loser finds the winner's
         * state and gets a conflict, not an illegal-transition error. */
        rc = LU_CONFLICT;
    } else if (!truth_move_legal(m, from, t->to)) {
        char msg[200];
        snprintf(msg, sizeof msg, "cannot move from %s to %s; allowed: %s", from, t->to,
                 refusal->allowed[0] ? refusal->allowed : "none");
        rc = refuse(refusal, "illegal_transition", msg);
    } else if (truth_needs_evidence(t->to) && blank(t->evidence)) {
        rc = refuse(refusal, "evidence_required",
                    "moving to confirmed or done needs evidence: who confirmed, a confirmation "
                    "number, or what shows it is done");
    } else if (truth_needs_note(t->to) && blank(t->note)) {
        rc = refuse(refusal, "note_required", "moving to cancelled or failed needs a note");
    }
    if (rc == LU_OK) {
        rc = record_transition(conn, actor, def, column, before, t->to, t->evidence, t->note,
                               out);
    }
    json_decref(before);
    return rc;
}
