/*
 * today.c — the operator's day (GET /api/today): who arrives, who leaves,
 * who is in the house, and what is due, read from the records alone. The
 * handler settles the zone, the date and the day's end; this file only
 * selects.
 *
 * Membership, for a day D (stay dates are the property's calendar dates):
 *   arrivals    check_in = D, status not cancelled.
 *   departures  check_out = D, status not cancelled.
 *   in_house    status neither cancelled nor checked_out, and either
 *               check_in < D < check_out (a night in the middle of the
 *               stay), or status checked_in with check_out < D (the record
 *               says the guest is still in after the check-out date).
 *               Today's arrivals and departures are not repeated here:
 *               each booking is in at most one of the three lists, so the
 *               counts add up to the bookings that touch the day.
 *   items_due   state not done, cancelled or failed, with a due_at before
 *               the first instant of D + 1 in the zone: due on D or
 *               overdue. Items with no due_at are not "due".
 * Stays come ordered by guest name then id, items by due_at then id. Each
 * list holds at most TODAY_LIST_MAX entries; a longer one is cut and named
 * in "truncated", never cut silently.
 *
 * Past days reflect today's statuses: a stay checked out since is not
 * shown in the house on a past night.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "core/assert.h"
#include "store/payments_internal.h"
#include "store/store.h"
#include "store/store_internal.h"

/* Entries per list. A boutique property has a handful a day; overdue items
 * pile up only when nobody closes them, and 500 of those is already a
 * backlog the operator must hear about ("truncated") rather than scroll. */
#define TODAY_LIST_MAX 500

#define TODAY_SQL_BYTES_MAX 8192
#define TODAY_PARAMS_MAX 4

struct today_list {
    const char *name;  /* the answer's key */
    bool stays;        /* bookings joined to guests, or items */
    const char *where; /* over b.* (stays) or the items table, with ? */
    size_t nparams;    /* how many times the where names the date */
    const char *order;
};

static const struct today_list lists[] = {
    {"arrivals", true, "b.check_in = ? AND b.status <> 'cancelled'", 1, "g.name, b.id"},
    {"departures", true, "b.check_out = ? AND b.status <> 'cancelled'", 1, "g.name, b.id"},
    {"in_house", true,
     "b.status NOT IN ('cancelled', 'checked_out') AND ((b.check_in < ? AND b.check_out > ?) "
     "OR (b.status = 'checked_in' AND b.check_out < ?))",
     3, "g.name, b.id"},
    /* Open (not done, cancelled or failed), in the words of the
     * items_open_due expression index (migration 0010), which walks them
     * in due order and stops at the limit. */
    {"items_due", false,
     "(state IN ('requested', 'confirmed', 'in_progress')) = TRUE AND due_at IS NOT NULL AND "
     "due_at < ?",
     1, "due_at, id"},
};

/* "SELECT b.<col>, …, g.name AS guest_name, <payment summary> FROM bookings
 * b JOIN guests g LEFT JOIN booking_payment_summaries s" from the booking
 * table's own column list, so a new booking column shows up here without
 * an edit. */
static void stays_select(char *sql, size_t cap)
{
    int len = snprintf(sql, cap, "SELECT ");
    for (size_t i = 0; i < booking_table.ncols; i++) {
        len += snprintf(sql + len, cap - (size_t)len, "b.%s, ", booking_table.cols[i].name);
    }
    snprintf(sql + len, cap - (size_t)len,
             "g.name AS guest_name, s.records AS summary_records, s.money_currency AS "
             "summary_currency, s.paid_cents AS summary_paid FROM bookings b JOIN guests g ON "
             "g.id = b.guest_id LEFT JOIN booking_payment_summaries s ON s.booking_id = b.id");
}

/* The stay's balance from its payment summary when the summary's money is
 * in the booking's currency (nothing received, or summed in it); else
 * from its records. */
static enum lu_rc stay_balance(struct db_conn *conn, const struct db_rows *rows, size_t r,
                               const json_t *stay, json_t **out)
{
    int records = db_rows_col(rows, "summary_records");
    int money = db_rows_col(rows, "summary_currency");
    int paid = db_rows_col(rows, "summary_paid");
    LU_ASSERT(records >= 0 && money >= 0 && paid >= 0);
    const char *currency = json_string_value(json_object_get(stay, "currency"));
    const char *summed = db_rows_text(rows, r, (size_t)money);
    bool known =
        db_rows_text(rows, r, (size_t)records) != NULL && summed != NULL && currency != NULL;
    if (!known || (db_rows_int(rows, r, (size_t)records) > 0 && strcmp(summed, currency) != 0)) {
        return store_booking_balance(conn, stay, out);
    }
    *out = payment_balance_json(json_integer_value(json_object_get(stay, "total_cents")), currency,
                                db_rows_int(rows, r, (size_t)paid));
    return *out ? LU_OK : LU_NOMEM;
}

static enum lu_rc list_query(struct db_conn *conn, const struct scope *scope,
                             const struct today_query *q, const struct today_list *l,
                             struct db_rows **rows)
{
    struct db_param params[TODAY_PARAMS_MAX + AUTH_PROPERTIES_MAX + 2];
    size_t n = 0;
    LU_ASSERT(l->nparams <= TODAY_PARAMS_MAX);
    const char *value = strcmp(l->name, "items_due") == 0 ? q->day_end : q->date;
    for (size_t i = 0; i < l->nparams; i++) {
        params[n++] = P_TEXT(value);
    }
    const char *column = l->stays ? "b.property_id" : "property_id";
    char scope_sql[4096];
    enum lu_rc rc = scope_clause(scope, column, scope_sql, sizeof scope_sql, params, &n,
                                 TODAY_PARAMS_MAX + AUTH_PROPERTIES_MAX);
    if (rc != LU_OK) {
        return rc;
    }
    char select[2048];
    if (l->stays) {
        stays_select(select, sizeof select);
    } else {
        snprintf(select, sizeof select, "%s", item_table.select_sql);
    }
    char property_sql[64] = "";
    if (q->property_id != NULL) {
        snprintf(property_sql, sizeof property_sql, " AND %s = ?", column);
        params[n++] = P_TEXT(q->property_id);
    }
    char sql[TODAY_SQL_BYTES_MAX];
    int len = snprintf(sql, sizeof sql, "%s WHERE (%s) AND %s%s ORDER BY %s LIMIT ?", select,
                       l->where, scope_sql, property_sql, l->order);
    LU_ASSERT(len > 0 && (size_t)len < sizeof sql);
    params[n++] = P_INT(TODAY_LIST_MAX + 1);
    return db_exec(conn, sql, params, n, rows, NULL);
}

/* A stay: the booking, its guest's id and name, its balance. Owned. */
static enum lu_rc stay_entry(struct db_conn *conn, const struct db_rows *rows, size_t r,
                             json_t **out)
{
    json_t *stay = row_to_json(rows, r, booking_table.cols, booking_table.ncols);
    if (stay == NULL) {
        return LU_NOMEM;
    }
    int name_col = db_rows_col(rows, "guest_name");
    LU_ASSERT(name_col >= 0);
    json_t *balance = NULL;
    enum lu_rc rc = stay_balance(conn, rows, r, stay, &balance);
    /* json_object_set_new takes the value even when it fails. */
    if (rc == LU_OK && json_object_set_new(stay, "balance", balance) != 0) {
        rc = LU_NOMEM;
    }
    if (rc == LU_OK) {
        json_t *guest = json_pack("{s:O, s:s?}", "id", json_object_get(stay, "guest_id"), "name",
                                  db_rows_text(rows, r, (size_t)name_col));
        if (json_object_set_new(stay, "guest", guest) != 0) {
            rc = LU_NOMEM;
        }
    }
    if (rc != LU_OK) {
        json_decref(stay);
        return rc;
    }
    *out = stay;
    return LU_OK;
}

/* Appends up to TODAY_LIST_MAX rows to list; *cut when there were more. */
static enum lu_rc list_fill(struct db_conn *conn, const struct today_list *l,
                            const struct db_rows *rows, json_t *list, bool *cut)
{
    size_t shown = rows->nrows > TODAY_LIST_MAX ? TODAY_LIST_MAX : rows->nrows;
    *cut = rows->nrows > TODAY_LIST_MAX;
    for (size_t r = 0; r < shown; r++) {
        json_t *entry = NULL;
        enum lu_rc rc = LU_OK;
        if (l->stays) {
            rc = stay_entry(conn, rows, r, &entry);
        } else {
            entry = row_to_json(rows, r, item_table.cols, item_table.ncols);
            rc = entry ? LU_OK : LU_NOMEM;
        }
        if (rc != LU_OK) {
            return rc;
        }
        if (json_array_append_new(list, entry) != 0) {
            return LU_NOMEM;
        }
    }
    return LU_OK;
}

enum lu_rc store_today(struct db_conn *conn, const struct scope *scope, const struct today_query *q,
                       json_t **out)
{
    LU_ASSERT(q->date != NULL && q->day_end != NULL && out != NULL);
    json_t *answer = json_object();
    json_t *truncated = json_array();
    enum lu_rc rc = answer && truncated ? LU_OK : LU_NOMEM;
    for (size_t i = 0; rc == LU_OK && i < sizeof lists / sizeof lists[0]; i++) {
        struct db_rows *rows = NULL;
        json_t *list = json_array();
        bool cut = false;
        rc = list ? list_query(conn, scope, q, &lists[i], &rows) : LU_NOMEM;
        if (rc == LU_OK) {
            rc = list_fill(conn, &lists[i], rows, list, &cut);
        }
        db_rows_free(rows);
        if (rc == LU_OK && json_object_set_new(answer, lists[i].name, list) != 0) {
            rc = LU_NOMEM;
        } else if (rc != LU_OK) {
            json_decref(list);
        }
        if (rc == LU_OK && cut && json_array_append_new(truncated, json_string(lists[i].name))) {
            rc = LU_NOMEM;
        }
    }
    if (rc == LU_OK && json_object_set_new(answer, "truncated", truncated) != 0) {
        rc = LU_NOMEM;
    } else if (rc != LU_OK) {
        json_decref(truncated);
    }
    if (rc != LU_OK) {
        json_decref(answer);
        return rc;
    }
    *out = answer;
    return LU_OK;
}
