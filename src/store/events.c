/*
 * events.c — reading the change stream from audit_events (see events.h).
 *
 * Called by the stream only. It must never write, and it reads each
 * window of seqs at most once per call, so a caller's cost is bounded by
 * the limit and EVENTS_SCAN_SEQS whatever the log's size.
 */
#include "store/events.h"

#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "core/assert.h"
#include "store/store_internal.h"

static const struct column event_columns[] = {
    {"seq", COL_INT},          {"at", COL_TEXT},        {"action", COL_TEXT},
    {"entity_type", COL_TEXT}, {"entity_id", COL_TEXT}, {"property_id", COL_TEXT},
};
#define NCOLS (sizeof event_columns / sizeof event_columns[0])

enum lu_rc store_events_head(struct db_conn *conn, int64_t *seq)
{
    struct db_rows *rows = NULL;
    /* MAX over the integer primary key is one step down the b-tree. */
    enum lu_rc rc =
        db_exec(conn, "SELECT COALESCE(MAX(seq), 0) FROM audit_events", NULL, 0, &rows, NULL);
    if (rc == LU_OK) {
        *seq = rows->nrows > 0 ? db_rows_int(rows, 0, 0) : 0;
    }
    db_rows_free(rows);
    return rc;
}

/* The change's record: what it became, or what it was when it was
 * removed. Text that does not parse can only come from an edit outside
 * Lucia; it is passed on as the string it is, as /api/audit does. */
static json_t *event_data(const char *before, const char *after)
{
    const char *text = after != NULL ? after : before;
    if (text == NULL) {
        return json_null();
    }
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v != NULL ? v : json_string(text);
}

static enum lu_rc rows_to_events(const struct db_rows *rows, json_t *events)
{
    int before = db_rows_col(rows, "before_json");
    int after = db_rows_col(rows, "after_json");
    LU_ASSERT(before >= 0 && after >= 0);
    for (size_t r = 0; r < rows->nrows; r++) {
        json_t *event = row_to_json(rows, r, event_columns, NCOLS);
        json_t *data =
            event_data(db_rows_text(rows, r, (size_t)before), db_rows_text(rows, r, (size_t)after));
        if (event == NULL || data == NULL || json_object_set_new(event, "data", data) != 0) {
            if (event == NULL) {
                json_decref(data);
            }
            json_decref(event);
            return LU_NOMEM;
        }
        if (json_array_append_new(events, event) != 0) {
            return LU_NOMEM;
        }
    }
    return LU_OK;
}

enum lu_rc store_events_read(struct db_conn *conn, const struct scope *scope, int64_t after,
                             int limit, struct event_batch *out)
{
    LU_ASSERT(after >= 0 && limit >= 1);
    memset(out, 0, sizeof *out);
    out->next_after = after;
    /* The head is read first: every seq up to it is committed, so the
     * window may safely end there even when nothing in it is visible. */
    enum lu_rc rc = store_events_head(conn, &out->head);
    if (rc != LU_OK) {
        return rc;
    }
    int64_t end = out->head - after > EVENTS_SCAN_SEQS ? after + EVENTS_SCAN_SEQS : out->head;
    out->events = json_array();
    if (out->events == NULL) {
        return LU_NOMEM;
    }
    if (end <= after) {
        return LU_OK;
    }
    struct db_param params[AUTH_PROPERTIES_MAX + 3];
    size_t n = 0;
    char where[4096];
    rc = scope_clause(scope, "property_id", where, sizeof where, params, &n, AUTH_PROPERTIES_MAX);
    if (rc != LU_OK) {
        return rc;
    }
    char sql[4400];
    int len = snprintf(sql, sizeof sql,
                       "SELECT seq, at, action, entity_type, entity_id, property_id, "
                       "before_json, after_json FROM audit_events "
                       "WHERE seq > ? AND seq <= ? AND %s ORDER BY seq LIMIT ?",
                       where);
    LU_ASSERT(len > 0 && (size_t)len < sizeof sql);
    struct db_param window[] = {P_INT(after), P_INT(end)};
    /* The window's bounds come first in the SQL, so they go before the
     * scope's ids: shift those up by two. */
    memmove(params + 2, params, n * sizeof params[0]);
    params[0] = window[0];
    params[1] = window[1];
    n += 2;
    params[n++] = P_INT(limit);
    struct db_rows *rows = NULL;
    rc = db_exec(conn, sql, params, n, &rows, NULL);
    if (rc == LU_OK) {
        rc = rows_to_events(rows, out->events);
    }
    if (rc == LU_OK) {
        /* A full page may stop short of the window: go on after its last
         * row. Otherwise the whole window was examined. */
        out->next_after =
            rows->nrows == (size_t)limit ? db_rows_int(rows, rows->nrows - 1, 0) : end;
    }
    db_rows_free(rows);
    if (rc != LU_OK) {
        json_decref(out->events);
        out->events = NULL;
    }
    return rc;
}
