/*
 * properties.c — the properties table: create, read, list, update.
 *
 * Updates are optimistic: the UPDATE names the version it read, so two
 * concurrent PATCHes cannot both apply to the same version.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "core/clock.h"
#include "core/ids.h"
#include "store/store.h"
#include "store/audit.h"
#include "store/store_internal.h"

static const struct column property_columns[] = {
    {"id", COL_TEXT},      {"name", COL_TEXT},       {"time_zone", COL_TEXT},
    {"version", COL_INT},  {"created_at", COL_TEXT}, {"updated_at", COL_TEXT},
};
#define NCOLS (sizeof property_columns / sizeof property_columns[0])
#define SELECT_PROPERTY "SELECT id, name, time_zone, version, created_at, updated_at FROM properties"

static enum lu_rc fetch_one(struct db_conn *conn, const char *id, json_t **out)
{
    struct db_rows *rows = NULL;
    struct db_param p[] = {P_TEXT(id)};
    enum lu_rc rc = db_exec(conn, SELECT_PROPERTY " WHERE id = ?", p, 1, &rows, NULL);
    if (rc == LU_OK) {
        if (rows->nrows == 0) {
            rc = LU_NOT_FOUND;
        } else {
            *out = row_to_json(rows, 0, property_columns, NCOLS);
            rc = *out ? LU_OK : LU_NOMEM;
        }
    }
    db_rows_free(rows);
    return rc;
}

enum lu_rc store_property_create(struct db_conn *conn, const char *actor, const char *name,
                                 const char *time_zone, json_t **out)
{
    char id[ID_BYTES_MAX];
    if (id_new("prop_", id, sizeof id) != LU_OK) {
        return LU_IO;
    }
    char now[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    struct db_param p[] = {P_TEXT(id), P_TEXT(name), P_TEXT(time_zone), P_TEXT(now), P_TEXT(now)};
    enum lu_rc rc = db_exec(conn,
                            "INSERT INTO properties (id, name, time_zone, version, created_at, "
                            "updated_at) VALUES (?, ?, ?, 1, ?, ?)",
                            p, 5, NULL, NULL);
    json_t *record = NULL;
    if (rc == LU_OK) {
        rc = fetch_one(conn, id, &record);
    }
    if (rc == LU_OK) {
        struct audit_entry e = {.actor = actor, .action = "property.created",
                                .entity_type = "property", .entity_id = id, .property_id = id,
                                .after = record};
        rc = audit_append(conn, &e, NULL);
    }
    if (rc != LU_OK) {
        json_decref(record);
        return rc;
    }
    *out = record;
    return LU_OK;
}

enum lu_rc store_property_get(struct db_conn *conn, const struct scope *scope, const char *id,
                              json_t **out)
{
    /* Checking the scope before the query means an invisible id costs no
     * lookup and answers exactly like a missing one. */
    if (!scope->all) {
        bool seen = false;
        for (size_t i = 0; i < scope->n && !seen; i++) {
            seen = strcmp(scope->property_ids[i], id) == 0;
        }
        if (!seen) {
            return LU_NOT_FOUND;
        }
    }
    return fetch_one(conn, id, out);
}

enum lu_rc store_property_list(struct db_conn *conn, const struct scope *scope, int limit,
                               const char *after, struct page *out)
{
    struct db_param params[AUTH_PROPERTIES_MAX + 2];
    size_t n = 0;
    char where[4096];
    enum lu_rc rc = scope_clause(scope, "id", where, sizeof where, params, &n,
                                 AUTH_PROPERTIES_MAX);
    if (rc != LU_OK) {
        return rc;
    }
    char sql[4400];
    snprintf(sql, sizeof sql, SELECT_PROPERTY " WHERE %s AND id > ? ORDER BY id LIMIT ?", where);
    params[n++] = P_TEXT(after ? after : "");
    params[n++] = P_INT(limit + 1);
    struct db_rows *rows = NULL;
    rc = db_exec(conn, sql, params, n, &rows, NULL);
    if (rc == LU_OK) {
        rc = rows_write_page(rows, limit, property_columns, NCOLS, out);
    }
    db_rows_free(rows);
    return rc;
}

static enum lu_rc apply_update(struct db_conn *conn, const char *id, const json_t *changes,
                               int64_t version)
{
    json_t *name = json_object_get(changes, "name");
    json_t *tz = json_object_get(changes, "time_zone");
    char now[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    struct db_param p[] = {
        P_TEXT(name ? json_string_value(name) : NULL),
        P_TEXT(tz ? json_string_value(tz) : NULL),
        P_TEXT(now),
        P_TEXT(id),
        P_INT(version),
    };
    int64_t changed = 0;
    enum lu_rc rc = db_exec(conn,
                            "UPDATE properties SET name = COALESCE(?, name), "
                            "time_zone = COALESCE(?, time_zone), version = version + 1, "
                            "updated_at = ? WHERE id = ? AND version = ?",
                            p, 5, NULL, &changed);
    if (rc == LU_OK && changed != 1) {
        rc = LU_CONFLICT;
    }
    return rc;
}

enum lu_rc store_property_update(struct db_conn *conn, const char *actor,
                                 const struct scope *scope, const char *id, const json_t *changes,
                                 int64_t expected, json_t **out)
{
    json_t *before = NULL;
    enum lu_rc rc = store_property_get(conn, scope, id, &before);
    if (rc != LU_OK) {
        return rc;
    }
    int64_t version = json_integer_value(json_object_get(before, "version"));
    if (expected != VERSION_ANY && expected != version) {
        json_decref(before);
        return LU_STALE;
    }
    if (json_object_size(changes) == 0) {
        *out = before; /* nothing to change: not a write, no audit event */
        return LU_OK;
    }
    json_t *after = NULL;
    rc = apply_update(conn, id, changes, version);
    if (rc == LU_OK) {
        rc = fetch_one(conn, id, &after);
    }
    if (rc == LU_OK) {
        struct audit_entry e = {.actor = actor, .action = "property.updated",
                                .entity_type = "property", .entity_id = id, .property_id = id,
                                .before = before, .after = after};
        rc = audit_append(conn, &e, NULL);
    }
    json_decref(before);
    if (rc != LU_OK) {
        json_decref(after);
        return rc;
    }
    *out = after;
    return LU_OK;
}
