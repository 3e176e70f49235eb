/*
 * audit_read.c — listing audit events for /api/audit (see audit_read.h).
 *
 * Called by the API's audit handler only. It must never write: the audit
 * log is changed by audit_append alone, inside the transaction of the change
 * it records.
 */
#include "store/audit_read.h"

#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "core/assert.h"
#include "core/limits.h"
#include "store/store_internal.h"

/* The columns shown as they are stored; before and after are added parsed. */
static const struct column head_columns[] = {
    {"id", COL_TEXT},        {"seq", COL_INT},          {"at", COL_TEXT},
    {"actor", COL_TEXT},     {"action", COL_TEXT},      {"entity_type", COL_TEXT},
    {"entity_id", COL_TEXT}, {"property_id", COL_TEXT},
};
static const struct column hash_columns[] = {
    {"prev_hash", COL_TEXT},
    {"hash", COL_TEXT},
};
#define NHEAD (sizeof head_columns / sizeof head_columns[0])
#define NHASH (sizeof hash_columns / sizeof hash_columns[0])

#define SELECT_EVENT                                                                               \
    "SELECT seq, id, at, actor, action, entity_type, entity_id, property_id, before_json, "        \
    "after_json, prev_hash, hash FROM audit_events"

/* The stored JSON text as a value. Text that does not parse can only come
 * from an edit outside Lucia; it is shown as the string it is rather than
 * hidden, and `lucia audit verify` names the row. */
static json_t *json_of(const char *text)
{
    if (text == NULL) {
        return json_null();
    }
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(text);
}

static enum lu_rc set_json(json_t *obj, const char *key, const char *text)
{
    json_t *v = json_of(text);
    if (v == NULL || json_object_set_new(obj, key, v) != 0) {
        return LU_NOMEM;
    }
    return LU_OK;
}

static json_t *event_to_json(const struct db_rows *rows, size_t r)
{
    json_t *obj = row_to_json(rows, r, head_columns, NHEAD);
    if (obj == NULL) {
        return NULL;
    }
    int before = db_rows_col(rows, "before_json");
    int after = db_rows_col(rows, "after_json");
    LU_ASSERT(before >= 0 && after >= 0);
    json_t *hashes = row_to_json(rows, r, hash_columns, NHASH);
    if (hashes == NULL || set_json(obj, "before", db_rows_text(rows, r, (size_t)before)) != LU_OK ||
        set_json(obj, "after", db_rows_text(rows, r, (size_t)after)) != LU_OK ||
        json_object_update(obj, hashes) != 0) {
        json_decref(hashes);
        json_decref(obj);
        return NULL;
    }
    json_decref(hashes);
    return obj;
}

static enum lu_rc rows_to_events(const struct db_rows *rows, int limit, struct page *out)
{
    memset(out, 0, sizeof *out);
    out->data = json_array();
    if (out->data == NULL) {
        return LU_NOMEM;
    }
    size_t shown = rows->nrows > (size_t)limit ? (size_t)limit : rows->nrows;
    for (size_t r = 0; r < shown; r++) {
        json_t *event = event_to_json(rows, r);
        if (event == NULL || json_array_append_new(out->data, event) != 0) {
            json_decref(out->data);
            out->data = NULL;
            return LU_NOMEM;
        }
    }
    out->has_more = rows->nrows > (size_t)limit;
    if (out->has_more) {
        /* The cursor is the seq: ids are unique but the log's order is seq. */
        snprintf(out->next, sizeof out->next, "%lld", (long long)db_rows_int(rows, shown - 1, 0));
    }
    return LU_OK;
}

enum lu_rc store_audit_list(struct db_conn *conn, const struct scope *scope,
                            const struct audit_filter *filter, int limit, int64_t after_seq,
                            struct page *out)
{
    LU_ASSERT(limit >= 1 && limit <= LIST_LIMIT_MAX && after_seq >= 0);
    struct db_param params[AUTH_PROPERTIES_MAX + 4];
    size_t n = 0;
    char where[4096];
    enum lu_rc rc =
        scope_clause(scope, "property_id", where, sizeof where, params, &n, AUTH_PROPERTIES_MAX);
    if (rc != LU_OK) {
        return rc;
    }
    /* Only the filters given become SQL, so an entity filter can use the
     * (entity_id, seq) index instead of walking the whole log. */
    char sql[4700];
    int len = snprintf(sql, sizeof sql,
                       SELECT_EVENT " WHERE %s%s%s AND seq > ? "
                                    "ORDER BY seq LIMIT ?",
                       where, filter->entity_id ? " AND entity_id = ?" : "",
                       filter->since ? " AND at >= ?" : "");
    LU_ASSERT(len > 0 && (size_t)len < sizeof sql);
    if (filter->entity_id != NULL) {
        params[n++] = P_TEXT(filter->entity_id);
    }
    if (filter->since != NULL) {
        params[n++] = P_TEXT(filter->since);
    }
    params[n++] = P_INT(after_seq);
    params[n++] = P_INT(limit + 1);
    struct db_rows *rows = NULL;
    rc = db_exec(conn, sql, params, n, &rows, NULL);
    if (rc == LU_OK) {
        rc = rows_to_events(rows, limit, out);
    }
    db_rows_free(rows);
    return rc;
}
