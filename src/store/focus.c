/*
 * focus.c — the store's half of operator focus (SPEC §8): the facts of the
 * operator's day that src/focus/ ranks (open items, today's stays, the
 * visible properties), and the durable transcript of each focus session.
 *
 * Called by src/focus/ (facts, transcripts) and src/api/focus.c (the
 * transcript reads). It only selects and records: which item "needs you",
 * in which zone a day ends and what a reply says are src/focus/'s. The
 * queries read through the indexes of migration 0008 (kind, state, due_at;
 * check_in; check_out) and the older items_due (state, due_at), so one
 * answer costs a few index range scans however large the history grows.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "core/assert.h"
#include "core/clock.h"
#include "core/limits.h"
#include "store/store.h"
#include "store/store_internal.h"

#define FOCUS_SQL_BYTES_MAX 8192
/* Parameters of a fact query besides the scope's property ids. */
#define FOCUS_PARAMS_MAX 8

/* The scope clause over column, its parameters first in params. */
static enum lu_rc scoped(const struct scope *scope, const char *column, const char *property_id,
                         char *sql, size_t cap, struct db_param *params, size_t *n)
{
    char clause[4096];
    enum lu_rc rc = scope_clause(scope, column, clause, sizeof clause, params, n,
                                 AUTH_PROPERTIES_MAX + FOCUS_PARAMS_MAX);
    if (rc != LU_OK) {
        return rc;
    }
    if (property_id != NULL) {
        snprintf(sql, cap, "%s AND %s = ?", clause, column);
        params[(*n)++] = P_TEXT(property_id);
    } else {
        snprintf(sql, cap, "%s", clause);
    }
    return LU_OK;
}

enum lu_rc store_focus_properties(struct db_conn *conn, const struct scope *scope,
                                  const char *property_id, json_t **out)
{
    struct db_param params[AUTH_PROPERTIES_MAX + FOCUS_PARAMS_MAX];
    size_t n = 0;
    char where[4200];
    enum lu_rc rc = scoped(scope, "id", property_id, where, sizeof where, params, &n);
    if (rc != LU_OK) {
        return rc;
    }
    char sql[FOCUS_SQL_BYTES_MAX];
    snprintf(sql, sizeof sql,
             "SELECT id, name, time_zone FROM properties WHERE %s ORDER BY id LIMIT ?", where);
    params[n++] = P_INT(FOCUS_FACT_ROWS_MAX);
    struct db_rows *rows = NULL;
    rc = db_exec(conn, sql, params, n, &rows, NULL);
    if (rc != LU_OK) {
        return rc;
    }
    static const struct column cols[] = {
        {"id", COL_TEXT}, {"name", COL_TEXT}, {"time_zone", COL_TEXT}};
    json_t *list = json_array();
    for (size_t r = 0; list != NULL && r < rows->nrows; r++) {
        json_t *p = row_to_json(rows, r, cols, 3);
        if (p == NULL || json_array_append_new(list, p) != 0) {
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

/* "SELECT x.<col>, …, g.name AS guest_name FROM <table> x <join> guests g"
 * from the table's own column list. */
static void joined_select(const struct table_def *def, const char *join, char *sql, size_t cap)
{
    int len = snprintf(sql, cap, "SELECT ");
    for (size_t i = 0; i < def->ncols; i++) {
        len += snprintf(sql + len, cap - (size_t)len, "x.%s, ", def->cols[i].name);
    }
    snprintf(sql + len, cap - (size_t)len,
             "g.name AS guest_name FROM %s x %s guests g ON g.id = x.guest_id", def->table, join);
}

/*
 * Runs one fact query (select + where + scope + order) and appends its rows
 * to list, skipping ids already in seen (an object used as a set). The
 * query asks for one row more than the room left, to know it was cut.
 * (Reading the ids first and then the kept rows by id cut SQLite's cost by
 * a third on the x100 bench data, but made PostgreSQL 2-3x slower, as did
 * the ids in a subquery: measured, so it stays one query.)
 */
static enum lu_rc facts_append(struct db_conn *conn, const struct table_def *def, const char *join,
                               const char *where, struct db_param *params, size_t n,
                               const char *scope_sql, json_t *list, json_t *seen, bool *truncated)
{
    size_t room = FOCUS_FACT_ROWS_MAX - json_array_size(list);
    char sql[FOCUS_SQL_BYTES_MAX];
    if (room == 0) {
        /* The list is full: whether this query has any row at all is all
         * that is left to know, and needs no order. */
        int len = snprintf(sql, sizeof sql, "SELECT 1 FROM %s x WHERE (%s) AND %s LIMIT 1",
                           def->table, where, scope_sql);
        LU_ASSERT(len > 0 && (size_t)len < sizeof sql);
        struct db_rows *any = NULL;
        enum lu_rc rc = db_exec(conn, sql, params, n, &any, NULL);
        if (rc == LU_OK && any->nrows > 0) {
            *truncated = true;
        }
        db_rows_free(any);
        return rc;
    }
    char select[2048];
    joined_select(def, join, select, sizeof select);
    int len = snprintf(sql, sizeof sql, "%s WHERE (%s) AND %s ORDER BY x.id LIMIT ?", select, where,
                       scope_sql);
    LU_ASSERT(len > 0 && (size_t)len < sizeof sql);
    params[n++] = P_INT((int64_t)room + 1);
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn, sql, params, n, &rows, NULL);
    if (rc != LU_OK) {
        return rc;
    }
    int name_col = db_rows_col(rows, "guest_name");
    LU_ASSERT(name_col >= 0);
    for (size_t r = 0; rc == LU_OK && r < rows->nrows; r++) {
        if (json_array_size(list) >= FOCUS_FACT_ROWS_MAX) {
            *truncated = true;
            break;
        }
        json_t *rec = row_to_json(rows, r, def->cols, def->ncols);
        const char *name = db_rows_text(rows, r, (size_t)name_col);
        if (rec == NULL ||
            json_object_set_new(rec, "guest_name", name ? json_string(name) : json_null())) {
            json_decref(rec);
            rc = LU_NOMEM;
            break;
        }
        const char *id = json_string_value(json_object_get(rec, "id"));
        if (json_object_get(seen, id) != NULL) {
            json_decref(rec);
            continue;
        }
        if (json_object_set_new(seen, id, json_true()) != 0 ||
            json_array_append_new(list, rec) != 0) {
            rc = LU_NOMEM;
        }
    }
    if (rows->nrows > room) {
        /* The query hit its limit: rows past it (after any duplicates
         * skipped above) were not read. */
        *truncated = true;
    }
    db_rows_free(rows);
    return rc;
}

/* Runs the listed where clauses (each with its text parameters) into one
 * deduplicated list. */
struct fact_query {
    const char *where;
    const char *args[4];
    size_t nargs;
};

static enum lu_rc facts_collect(struct db_conn *conn, const struct scope *scope,
                                const char *property_id, const struct table_def *def,
                                const char *join, const struct fact_query *queries, size_t nq,
                                json_t **out, bool *truncated)
{
    json_t *list = json_array();
    json_t *seen = json_object();
    enum lu_rc rc = list && seen ? LU_OK : LU_NOMEM;
    *truncated = false;
    for (size_t q = 0; rc == LU_OK && q < nq; q++) {
        struct db_param params[AUTH_PROPERTIES_MAX + FOCUS_PARAMS_MAX];
        size_t n = 0;
        LU_ASSERT(queries[q].nargs <= 4);
        for (size_t a = 0; a < queries[q].nargs; a++) {
            params[n++] = P_TEXT(queries[q].args[a]);
        }
        char scope_sql[4200];
        rc = scoped(scope, "x.property_id", property_id, scope_sql, sizeof scope_sql, params, &n);
        if (rc == LU_OK) {
            rc = facts_append(conn, def, join, queries[q].where, params, n, scope_sql, list, seen,
                              truncated);
        }
    }
    json_decref(seen);
    if (rc != LU_OK) {
        json_decref(list);
        return rc;
    }
    *out = list;
    return LU_OK;
}

enum lu_rc store_focus_items(struct db_conn *conn, const struct scope *scope,
                             const char *property_id, const char *due_before, json_t **out,
                             bool *truncated)
{
    LU_ASSERT(due_before != NULL && out != NULL && truncated != NULL);
    /* Two range scans: open items due before the horizon (items_open_due
     * of migration 0010, in its own words), and concierge requests still
     * waiting whatever their time (items_kind_state_due). An item in both
     * is kept once. */
    const struct fact_query queries[] = {
        {"(x.state IN ('requested', 'confirmed', 'in_progress')) = TRUE AND "
         "x.due_at IS NOT NULL AND x.due_at < ?",
         {due_before},
         1},
        {"x.kind = 'concierge' AND x.state = 'requested'", {NULL}, 0},
    };
    return facts_collect(conn, scope, property_id, &item_table, "LEFT JOIN", queries, 2, out,
                         truncated);
}

enum lu_rc store_focus_stays(struct db_conn *conn, const struct scope *scope,
                             const char *property_id, const char *date_from, const char *date_to,
                             json_t **out, bool *truncated)
{
    LU_ASSERT(date_from != NULL && date_to != NULL && out != NULL && truncated != NULL);
    const struct fact_query queries[] = {
        {"x.status <> 'cancelled' AND x.check_in >= ? AND x.check_in <= ?",
         {date_from, date_to},
         2},
        {"x.status <> 'cancelled' AND x.check_out >= ? AND x.check_out <= ?",
         {date_from, date_to},
         2},
    };
    return facts_collect(conn, scope, property_id, &booking_table, "JOIN", queries, 2, out,
                         truncated);
}

/* Ids per lookup query. Every query has exactly this many placeholders (a
 * short chunk repeats its first id), so PostgreSQL prepares one statement
 * per table, not one per chunk size. */
#define FOCUS_LOOKUP_CHUNK 100

enum lu_rc store_focus_lookup(struct db_conn *conn, const struct scope *scope, bool bookings,
                              const char *const *ids, size_t n, json_t **out)
{
    LU_ASSERT(scope != NULL && out != NULL && (n == 0 || ids != NULL));
    const struct table_def *def = bookings ? &booking_table : &item_table;
    char sql[FOCUS_SQL_BYTES_MAX];
    int len = snprintf(sql, sizeof sql, "%s WHERE id IN (", def->select_sql);
    for (size_t i = 0; i < FOCUS_LOOKUP_CHUNK; i++) {
        len += snprintf(sql + len, sizeof sql - (size_t)len, "%s?", i ? "," : "");
    }
    LU_ASSERT(len > 0 && (size_t)len + 2 < sizeof sql);
    snprintf(sql + len, sizeof sql - (size_t)len, ")");
    json_t *found = json_object();
    enum lu_rc rc = found ? LU_OK : LU_NOMEM;
    for (size_t at = 0; rc == LU_OK && at < n; at += FOCUS_LOOKUP_CHUNK) {
        struct db_param params[FOCUS_LOOKUP_CHUNK];
        for (size_t i = 0; i < FOCUS_LOOKUP_CHUNK; i++) {
            params[i] = P_TEXT(at + i < n ? ids[at + i] : ids[at]);
        }
        struct db_rows *rows = NULL;
        rc = db_exec(conn, sql, params, FOCUS_LOOKUP_CHUNK, &rows, NULL);
        for (size_t r = 0; rc == LU_OK && r < rows->nrows; r++) {
            json_t *rec = row_to_json(rows, r, def->cols, def->ncols);
            if (rec == NULL) {
                rc = LU_NOMEM;
            } else if (!scope_sees(scope, json_string_value(json_object_get(rec, "property_id")))) {
                json_decref(rec);
            } else if (json_object_set_new(found, json_string_value(json_object_get(rec, "id")),
                                           rec) != 0) {
                rc = LU_NOMEM;
            }
        }
        db_rows_free(rows);
    }
    if (rc != LU_OK) {
        json_decref(found);
        return rc;
    }
    *out = found;
    return LU_OK;
}

/* ---- transcripts --------------------------------------------------------- */

enum lu_rc store_focus_session_owner(struct db_conn *conn, const char *session_id, char *owner,
                                     size_t cap)
{
    struct db_param p[] = {P_TEXT(session_id)};
    struct db_rows *rows = NULL;
    enum lu_rc rc =
        db_exec(conn, "SELECT user_sub FROM focus_sessions WHERE id = ?", p, 1, &rows, NULL);
    if (rc == LU_OK && rows->nrows == 0) {
        rc = LU_NOT_FOUND;
    } else if (rc == LU_OK) {
        snprintf(owner, cap, "%s", db_rows_text(rows, 0, 0));
    }
    db_rows_free(rows);
    return rc;
}

/* Creates the session row (turn 1) or moves it to its next turn. */
static enum lu_rc session_advance(struct db_conn *conn, const struct focus_turn_row *row,
                                  const char *now, int64_t *turn_no)
{
    struct db_param p[] = {P_TEXT(row->session_id)};
    struct db_rows *rows = NULL;
    enum lu_rc rc =
        db_exec(conn, "SELECT user_sub, turns FROM focus_sessions WHERE id = ?", p, 1, &rows, NULL);
    if (rc != LU_OK) {
        return rc;
    }
    if (rows->nrows == 0) {
        db_rows_free(rows);
        struct db_param ins[] = {P_TEXT(row->session_id), P_TEXT(row->user_sub), P_TEXT(row->route),
                                 P_TEXT(now), P_TEXT(now)};
        *turn_no = 1;
        return db_exec(conn,
                       "INSERT INTO focus_sessions (id, user_sub, turns, last_route, created_at, "
                       "updated_at) VALUES (?, ?, 1, ?, ?, ?)",
                       ins, 5, NULL, NULL);
    }
    bool mine = strcmp(db_rows_text(rows, 0, 0), row->user_sub) == 0;
    int64_t turns = db_rows_int(rows, 0, 1);
    db_rows_free(rows);
    if (!mine) {
        return LU_NOT_FOUND; /* another user's session: it does not exist for this one */
    }
    if (turns >= FOCUS_SESSION_TURNS_MAX) {
        return LU_TOO_LARGE;
    }
    struct db_param up[] = {P_INT(turns + 1), P_TEXT(row->route), P_TEXT(now),
                            P_TEXT(row->session_id), P_INT(turns)};
    int64_t changed = 0;
    rc = db_exec(conn,
                 "UPDATE focus_sessions SET turns = ?, last_route = ?, updated_at = ? "
                 "WHERE id = ? AND turns = ?",
                 up, 5, NULL, &changed);
    if (rc == LU_OK && changed != 1) {
        rc = LU_CONFLICT; /* a concurrent turn took this number */
    }
    *turn_no = turns + 1;
    return rc;
}

enum lu_rc store_focus_turn_append(struct db_conn *conn, const struct focus_turn_row *row,
                                   int64_t *turn_no)
{
    LU_ASSERT(row != NULL && row->session_id != NULL && row->user_sub != NULL);
    LU_ASSERT(row->message != NULL && row->route != NULL && row->reply != NULL);
    LU_ASSERT(row->cited_ids != NULL && row->model != NULL && turn_no != NULL);
    char now[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    enum lu_rc rc = session_advance(conn, row, now, turn_no);
    if (rc != LU_OK) {
        return rc;
    }
    struct db_param p[] = {P_TEXT(row->session_id), P_INT(*turn_no),    P_TEXT(row->user_sub),
                           P_TEXT(row->message),    P_TEXT(row->route), P_TEXT(row->reply),
                           P_TEXT(row->cited_ids),  P_TEXT(row->model), P_TEXT(now)};
    return db_exec(conn,
                   "INSERT INTO focus_turns (session_id, turn_no, user_sub, message, route, "
                   "reply, cited_ids, model, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   p, 9, NULL, NULL);
}

static const struct column session_columns[] = {
    {"id", COL_TEXT},         {"turns", COL_INT},       {"last_route", COL_TEXT},
    {"created_at", COL_TEXT}, {"updated_at", COL_TEXT},
};
#define SESSION_COLUMNS (sizeof session_columns / sizeof session_columns[0])

enum lu_rc store_focus_session_list(struct db_conn *conn, const char *user_sub, int limit,
                                    const char *after, struct page *out)
{
    LU_ASSERT(user_sub != NULL && limit >= 1 && out != NULL);
    struct db_param p[] = {P_TEXT(user_sub), P_TEXT(after ? after : ""), P_INT(limit + 1)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT id, turns, last_route, created_at, updated_at "
                            "FROM focus_sessions WHERE user_sub = ? AND id > ? "
                            "ORDER BY id LIMIT ?",
                            p, 3, &rows, NULL);
    if (rc == LU_OK) {
        rc = rows_to_page(rows, limit, session_columns, SESSION_COLUMNS, out);
    }
    db_rows_free(rows);
    return rc;
}

/* The turns of a session as an array, oldest first, owned. */
static enum lu_rc turns_read(struct db_conn *conn, const char *session_id, json_t **out)
{
    struct db_param p[] = {P_TEXT(session_id), P_INT(FOCUS_SESSION_TURNS_MAX)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT turn_no AS turn, message, route, reply, cited_ids, model, "
                            "created_at AS at FROM focus_turns WHERE session_id = ? "
                            "ORDER BY turn_no LIMIT ?",
                            p, 2, &rows, NULL);
    if (rc != LU_OK) {
        return rc;
    }
    static const struct column cols[] = {
        {"turn", COL_INT},   {"message", COL_TEXT}, {"route", COL_TEXT},
        {"reply", COL_TEXT}, {"model", COL_TEXT},   {"at", COL_TEXT},
    };
    int cited_col = db_rows_col(rows, "cited_ids");
    LU_ASSERT(cited_col >= 0);
    json_t *list = json_array();
    for (size_t r = 0; list != NULL && r < rows->nrows; r++) {
        json_t *turn = row_to_json(rows, r, cols, sizeof cols / sizeof cols[0]);
        const char *text = db_rows_text(rows, r, (size_t)cited_col);
        json_error_t error;
        json_t *cited = json_loads(text ? text : "[]", 0, &error);
        if (!json_is_array(cited)) {
            /* Only store_focus_turn_append writes the column. */
            json_decref(cited);
            cited = json_array();
        }
        if (turn == NULL || json_object_set_new(turn, "cited_ids", cited) != 0 ||
            json_array_append_new(list, turn) != 0) {
            json_decref(turn);
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

enum lu_rc store_focus_session_get(struct db_conn *conn, const char *user_sub,
                                   const char *session_id, json_t **out)
{
    LU_ASSERT(user_sub != NULL && session_id != NULL && out != NULL);
    struct db_param p[] = {P_TEXT(session_id), P_TEXT(user_sub)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT id, turns, last_route, created_at, updated_at "
                            "FROM focus_sessions WHERE id = ? AND user_sub = ?",
                            p, 2, &rows, NULL);
    if (rc != LU_OK) {
        return rc;
    }
    if (rows->nrows == 0) {
        db_rows_free(rows);
        return LU_NOT_FOUND;
    }
    json_t *session = row_to_json(rows, 0, session_columns, SESSION_COLUMNS);
    db_rows_free(rows);
    if (session == NULL) {
        return LU_NOMEM;
    }
    json_t *turns = NULL;
    rc = turns_read(conn, session_id, &turns);
    if (rc == LU_OK && json_object_set_new(session, "transcript", turns) != 0) {
        rc = LU_NOMEM;
    }
    if (rc != LU_OK) {
        json_decref(session);
        return rc;
    }
    *out = session;
    return LU_OK;
}
