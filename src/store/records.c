/*
 * records.c — what every mutable resource shares (see store_internal.h):
 * fetch, scope, insert, optimistic update, transition and list, each write
 * with its audit event inside the caller's transaction.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "core/assert.h"
#include "core/clock.h"
#include "core/ids.h"
#include "store/audit.h"
#include "store/store_internal.h"

#define SQL_BYTES_MAX 8192
#define RECORD_COLUMNS_MAX 32

struct db_param json_param(const json_t *v)
{
    if (json_is_string(v)) {
        return P_TEXT(json_string_value(v));
    }
    if (json_is_integer(v)) {
        return P_INT(json_integer_value(v));
    }
    if (json_is_boolean(v)) {
        return P_INT(json_is_true(v) ? 1 : 0);
    }
    LU_ASSERT(v == NULL || json_is_null(v));
    return P_NULL;
}

bool scope_sees(const struct scope *scope, const char *property_id)
{
    if (scope->all) {
        return true;
    }
    for (size_t i = 0; property_id != NULL && i < scope->n; i++) {
        if (strcmp(scope->property_ids[i], property_id) == 0) {
            return true;
        }
    }
    return false;
}

enum lu_rc record_fetch(struct db_conn *conn, const struct table_def *def, const char *id,
                        json_t **out)
{
    char sql[SQL_BYTES_MAX];
    snprintf(sql, sizeof sql, "%s WHERE id = ?", def->select_sql);
    struct db_param p[] = {P_TEXT(id)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn, sql, p, 1, &rows, NULL);
    if (rc == LU_OK) {
        if (rows->nrows == 0) {
            rc = LU_NOT_FOUND;
        } else {
            *out = row_to_json(rows, 0, def->cols, def->ncols);
            rc = *out ? LU_OK : LU_NOMEM;
        }
    }
    db_rows_free(rows);
    return rc;
}

enum lu_rc record_visible(struct db_conn *conn, const struct table_def *def,
                          const struct scope *scope, const char *id, json_t **out)
{
    json_t *record = NULL;
    enum lu_rc rc = record_fetch(conn, def, id, &record);
    if (rc != LU_OK) {
        return rc;
    }
    if (!scope_sees(scope, json_string_value(json_object_get(record, "property_id")))) {
        json_decref(record);
        return LU_NOT_FOUND;
    }
    *out = record;
    return LU_OK;
}

static enum lu_rc audit_change(struct db_conn *conn, const char *actor,
                               const struct table_def *def, const char *verb,
                               const json_t *before, const json_t *after)
{
    const json_t *any = after ? after : before;
    char action[64];
    snprintf(action, sizeof action, "%s.%s", def->entity_type, verb);
    struct audit_entry e = {
        .actor = actor,
        .action = action,
        .entity_type = def->entity_type,
        .entity_id = json_string_value(json_object_get(any, "id")),
        .property_id = json_string_value(json_object_get(any, "property_id")),
        .before = before,
        .after = after,
    };
    return audit_append(conn, &e, NULL);
}

enum lu_rc record_insert(struct db_conn *conn, const char *actor, const struct table_def *def,
                         const json_t *values, json_t **out)
{
    char id[ID_BYTES_MAX];
    if (id_new(def->id_prefix, id, sizeof id) != LU_OK) {
        return LU_IO;
    }
    char now[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    char sql[SQL_BYTES_MAX];
    int len = snprintf(sql, sizeof sql, "INSERT INTO %s (id, version, created_at, updated_at",
                       def->table);
    struct db_param params[RECORD_COLUMNS_MAX + 3];
    size_t n = 0;
    params[n++] = P_TEXT(id);
    params[n++] = P_TEXT(now);
    params[n++] = P_TEXT(now);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)values, key, v)
    {
        LU_ASSERT(n < RECORD_COLUMNS_MAX + 3);
        len += snprintf(sql + len, sizeof sql - (size_t)len, ", %s", key);
        params[n++] = json_param(v);
    }
    len += snprintf(sql + len, sizeof sql - (size_t)len, ") VALUES (?, 1, ?, ?");
    for (size_t i = 3; i < n; i++) {
        len += snprintf(sql + len, sizeof sql - (size_t)len, ", ?");
    }
    snprintf(sql + len, sizeof sql - (size_t)len, ")");
    LU_ASSERT((size_t)len + 2 < sizeof sql);
    enum lu_rc rc = db_exec(conn, sql, params, n, NULL, NULL);
    json_t *record = NULL;
    if (rc == LU_OK) {
        rc = record_fetch(conn, def, id, &record);
    }
    if (rc == LU_OK) {
        rc = audit_change(conn, actor, def, "created", NULL, record);
    }
    if (rc != LU_OK) {
        json_decref(record);
        return rc;
    }
    *out = record;
    return LU_OK;
}

enum lu_rc record_update(struct db_conn *conn, const char *actor, const struct table_def *def,
                         const struct scope *scope, const char *id, const json_t *changes,
                         int64_t expected, json_t **out)
{
    json_t *before = NULL;
    enum lu_rc rc = record_visible(conn, def, scope, id, &before);
    if (rc != LU_OK) {
        return rc;
    }
    int64_t version = json_integer_value(json_object_get(before, "version"));
    if (expected != VERSION_ANY && expected != version) {
        json_decref(before);
        return LU_STALE;
    }
    if (json_object_size(changes) == 0) {
        *out = before;
        return LU_OK;
    }
    char now[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    char sql[SQL_BYTES_MAX];
    int len = snprintf(sql, sizeof sql, "UPDATE %s SET version = version + 1, updated_at = ?",
                       def->table);
    struct db_param params[RECORD_COLUMNS_MAX + 3];
    size_t n = 0;
    params[n++] = P_TEXT(now);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)changes, key, v)
    {
        LU_ASSERT(n < RECORD_COLUMNS_MAX + 1);
        len += snprintf(sql + len, sizeof sql - (size_t)len, ", %s = ?", key);
        params[n++] = json_param(v);
    }
    snprintf(sql + len, sizeof sql - (size_t)len, " WHERE id = ? AND version = ?");
    params[n++] = P_TEXT(id);
    params[n++] = P_INT(version);
    int64_t changed = 0;
    rc = db_exec(conn, sql, params, n, NULL, &changed);
    if (rc == LU_OK && changed != 1) {
        rc = LU_CONFLICT;
    }
    json_t *after = NULL;
    if (rc == LU_OK) {
        rc = record_fetch(conn, def, id, &after);
    }
    if (rc == LU_OK) {
        rc = audit_change(conn, actor, def, "updated", before, after);
    }
    json_decref(before);
    if (rc != LU_OK) {
        json_decref(after);
        return rc;
    }
    *out = after;
    return LU_OK;
}

enum lu_rc record_transition(struct db_conn *conn, const char *actor, const struct table_def *def,
                             const char *state_column, json_t *before, const char *to,
                             const char *evidence, const char *note, json_t **out)
{
    const char *id = json_string_value(json_object_get(before, "id"));
    const char *from = json_string_value(json_object_get(before, state_column));
    int64_t version = json_integer_value(json_object_get(before, "version"));
    char now[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE %s SET %s = ?, version = version + 1, updated_at = ? "
             "WHERE id = ? AND version = ? AND %s = ?",
             def->table, state_column, state_column);
    struct db_param p[] = {P_TEXT(to), P_TEXT(now), P_TEXT(id), P_INT(version), P_TEXT(from)};
    int64_t changed = 0;
    enum lu_rc rc = db_exec(conn, sql, p, 5, NULL, &changed);
    if (rc == LU_OK && changed != 1) {
        return LU_CONFLICT;
    }
    if (rc == LU_OK) {
        struct db_param t[] = {P_TEXT(id),       P_TEXT(from), P_TEXT(to), P_TEXT(actor),
                               P_TEXT(evidence), P_TEXT(note), P_TEXT(now)};
        rc = db_exec(conn,
                     "INSERT INTO transitions (entity_id, from_state, to_state, actor, evidence, "
                     "note, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     t, 7, NULL, NULL);
    }
    json_t *after = NULL;
    if (rc == LU_OK) {
        rc = record_fetch(conn, def, id, &after);
    }
    if (rc == LU_OK) {
        rc = audit_change(conn, actor, def, "transitioned", before, after);
    }
    if (rc != LU_OK) {
        json_decref(after);
        return rc;
    }
    *out = after;
    return LU_OK;
}

/* The rows of one page (limit + 1 of them, to tell whether more follow). */
static enum lu_rc list_rows(struct db_conn *conn, const struct table_def *def,
                            const struct scope *scope, const char *where,
                            const struct db_param *params, size_t nparams, int limit,
                            const char *after, struct db_rows **rows)
{
    struct db_param all[AUTH_PROPERTIES_MAX + RECORD_COLUMNS_MAX + 2];
    LU_ASSERT(nparams <= RECORD_COLUMNS_MAX);
    size_t n = 0;
    for (size_t i = 0; i < nparams; i++) {
        all[n++] = params[i];
    }
    char scope_sql[4096];
    enum lu_rc rc = scope_clause(scope, "property_id", scope_sql, sizeof scope_sql, all, &n,
                                 AUTH_PROPERTIES_MAX + RECORD_COLUMNS_MAX);
    if (rc != LU_OK) {
        return rc;
    }
    char sql[SQL_BYTES_MAX];
    snprintf(sql, sizeof sql, "%s WHERE (%s) AND %s AND id > ? ORDER BY id LIMIT ?",
             def->select_sql, where ? where : "1=1", scope_sql);
    all[n++] = P_TEXT(after ? after : "");
    all[n++] = P_INT(limit + 1);
    return db_exec(conn, sql, all, n, rows, NULL);
}

enum lu_rc record_list(struct db_conn *conn, const struct table_def *def,
                       const struct scope *scope, const char *where,
                       const struct db_param *params, size_t nparams, int limit,
                       const char *after, struct page *out)
{
    struct db_rows *rows = NULL;
    enum lu_rc rc = list_rows(conn, def, scope, where, params, nparams, limit, after, &rows);
    if (rc == LU_OK) {
        rc = rows_to_page(rows, limit, def->cols, def->ncols, out);
    }
    db_rows_free(rows);
    return rc;
}

enum lu_rc record_list_text(struct db_conn *conn, const struct table_def *def,
                            const struct scope *scope, const char *where,
                            const struct db_param *params, size_t nparams, int limit,
                            const char *after, struct page *out)
{
    struct db_rows *rows = NULL;
    enum lu_rc rc = list_rows(conn, def, scope, where, params, nparams, limit, after, &rows);
    if (rc == LU_OK) {
        rc = rows_write_page(rows, limit, def->cols, def->ncols, out);
    }
    db_rows_free(rows);
    return rc;
}
