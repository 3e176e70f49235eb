/*
 * bookings.c — stays: a guest in a property between two dates, with its
 * money and its status (SPEC §5). Status changes only through
 * store_transition.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_internal.h"

static const struct column booking_columns[] = {
    {"id", COL_TEXT},          {"property_id", COL_TEXT}, {"guest_id", COL_TEXT},
    {"check_in", COL_TEXT},    {"check_out", COL_TEXT},   {"total_cents", COL_INT},
    {"currency", COL_TEXT},    {"balance_due_on", COL_TEXT}, {"status", COL_TEXT},
    {"version", COL_INT},      {"created_at", COL_TEXT},  {"updated_at", COL_TEXT},
};

const struct table_def booking_table = {
    .table = "bookings",
    .id_prefix = "bk_",
    .entity_type = "booking",
    .cols = booking_columns,
    .ncols = sizeof booking_columns / sizeof booking_columns[0],
    .select_sql = "SELECT id, property_id, guest_id, check_in, check_out, total_cents, currency, "
                  "balance_due_on, status, version, created_at, updated_at FROM bookings",
};

/* A copy of fields with the currency lower-cased, as Stripe writes it. */
static json_t *normalised(const json_t *fields)
{
    json_t *copy = json_deep_copy(fields);
    json_t *cur = copy ? json_object_get(copy, "currency") : NULL;
    if (json_is_string(cur)) {
        char lower[8];
        snprintf(lower, sizeof lower, "%s", json_string_value(cur));
        for (char *p = lower; *p; p++) {
            *p = (char)tolower((unsigned char)*p);
        }
        json_object_set_new(copy, "currency", json_string(lower));
    }
    return copy;
}

/* The guest must exist, be visible, and stay at the same property. */
static enum lu_rc guest_check(struct db_conn *conn, const struct scope *scope,
                              const char *guest_id, const char *property_id)
{
    json_t *guest = NULL;
    enum lu_rc rc = store_guest_get(conn, scope, guest_id, &guest);
    if (rc == LU_OK &&
        strcmp(json_string_value(json_object_get(guest, "property_id")), property_id) != 0) {
        rc = LU_INVALID;
    }
    json_decref(guest);
    return rc;
}

enum lu_rc store_booking_create(struct db_conn *conn, const char *actor, const struct scope *scope,
                                const json_t *fields, json_t **out)
{
    const char *property_id = json_string_value(json_object_get(fields, "property_id"));
    json_t *property = NULL;
    enum lu_rc rc = store_property_get(conn, scope, property_id, &property);
    json_decref(property);
    if (rc != LU_OK) {
        return rc;
    }
    rc = guest_check(conn, scope, json_string_value(json_object_get(fields, "guest_id")),
                     property_id);
    if (rc != LU_OK) {
        return rc;
    }
    json_t *values = normalised(fields);
    if (values == NULL) {
        return LU_NOMEM;
    }
    rc = record_insert(conn, actor, &booking_table, values, out);
    json_decref(values);
    return rc;
}

enum lu_rc store_booking_get(struct db_conn *conn, const struct scope *scope, const char *id,
                             json_t **out)
{
    return record_visible(conn, &booking_table, scope, id, out);
}

enum lu_rc store_booking_list(struct db_conn *conn, const struct scope *scope,
                              const struct booking_filter *f, int limit, const char *after,
                              struct page *out)
{
    char where[512] = "1=1";
    struct db_param p[5];
    size_t n = 0;
    struct {
        const char *value;
        const char *sql;
    } conds[] = {
        {f->property_id, " AND property_id = ?"}, {f->status, " AND status = ?"},
        {f->arriving_from, " AND check_in >= ?"}, {f->arriving_to, " AND check_in <= ?"},
        {f->guest_id, " AND guest_id = ?"},
    };
    for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++) {
        if (conds[i].value != NULL) {
            strncat(where, conds[i].sql, sizeof where - strlen(where) - 1);
            p[n++] = P_TEXT(conds[i].value);
        }
    }
    return record_list_text(conn, &booking_table, scope, where, p, n, limit, after, out);
}

enum lu_rc store_booking_update(struct db_conn *conn, const char *actor,
                                const struct scope *scope, const char *id, const json_t *changes,
                                int64_t expected, json_t **out)
{
    json_t *current = NULL;
    enum lu_rc rc = store_booking_get(conn, scope, id, &current);
    if (rc != LU_OK) {
        return rc;
    }
    /* The dates must stay in order after the change, and a new guest must
     * belong to the booking's property. */
    json_t *in = json_object_get(changes, "check_in");
    json_t *outd = json_object_get(changes, "check_out");
    const char *check_in = json_string_value(in ? in : json_object_get(current, "check_in"));
    const char *check_out = json_string_value(outd ? outd : json_object_get(current, "check_out"));
    if (strcmp(check_out, check_in) <= 0) {
        rc = LU_INVALID;
    }
    json_t *guest = json_object_get(changes, "guest_id");
    if (rc == LU_OK && guest != NULL) {
        rc = guest_check(conn, scope, json_string_value(guest),
                         json_string_value(json_object_get(current, "property_id")));
    }
    json_decref(current);
    if (rc != LU_OK) {
        return rc;
    }
    json_t *values = normalised(changes);
    if (values == NULL) {
        return LU_NOMEM;
    }
    rc = record_update(conn, actor, &booking_table, scope, id, values, expected, out);
    json_decref(values);
    return rc;
}
