/*
 * guests.c — guests of a property. Emails are kept lower-case and phones in
 * E.164 so intake can link a message to its guest by plain equality.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_internal.h"

static const struct column guest_columns[] = {
    {"id", COL_TEXT},    {"property_id", COL_TEXT}, {"name", COL_TEXT},
    {"email", COL_TEXT}, {"phone", COL_TEXT},       {"version", COL_INT},
    {"created_at", COL_TEXT}, {"updated_at", COL_TEXT}, {"email_verified_at", COL_TEXT},
};

const struct table_def guest_table = {
    .table = "guests",
    .id_prefix = "gst_",
    .entity_type = "guest",
    .cols = guest_columns,
    .ncols = sizeof guest_columns / sizeof guest_columns[0],
    .select_sql = "SELECT id, property_id, name, email, phone, version, created_at, updated_at, "
                  "email_verified_at FROM guests",
};

/* A copy of fields with the email lower-cased. Owned. */
static json_t *normalised(const json_t *fields)
{
    json_t *copy = json_deep_copy(fields);
    json_t *email = copy ? json_object_get(copy, "email") : NULL;
    if (json_is_string(email)) {
        char *lower = strdup(json_string_value(email));
        if (lower == NULL) {
            json_decref(copy);
            return NULL;
        }
        for (char *p = lower; *p; p++) {
            *p = (char)tolower((unsigned char)*p);
        }
        json_object_set_new(copy, "email", json_string(lower));
        free(lower);
    }
    return copy;
}

enum lu_rc store_guest_create(struct db_conn *conn, const char *actor, const struct scope *scope,
                              const json_t *fields, json_t **out)
{
    const char *property_id = json_string_value(json_object_get(fields, "property_id"));
    json_t *property = NULL;
    enum lu_rc rc = store_property_get(conn, scope, property_id, &property);
    json_decref(property);
    if (rc != LU_OK) {
        return rc;
    }
    json_t *values = normalised(fields);
    if (values == NULL) {
        return LU_NOMEM;
    }
    rc = record_insert(conn, actor, &guest_table, values, out);
    json_decref(values);
    return rc;
}

enum lu_rc store_guest_get(struct db_conn *conn, const struct scope *scope, const char *id,
                           json_t **out)
{
    return record_visible(conn, &guest_table, scope, id, out);
}

enum lu_rc store_guest_list(struct db_conn *conn, const struct scope *scope, const char *q,
                            int limit, const char *after, struct page *out)
{
    if (q == NULL || q[0] == '\0') {
        return record_list_text(conn, &guest_table, scope, NULL, NULL, 0, limit, after, out);
    }
    /* LIKE with the user's text escaped, so % and _ match themselves. */
    char pattern[NAME_PATTERN_BYTES];
    size_t len = 0;
    pattern[len++] = '%';
    for (const char *p = q; *p && len < sizeof pattern - 3; p++) {
        if (*p == '%' || *p == '_' || *p == '\\') {
            pattern[len++] = '\\';
        }
        pattern[len++] = (char)tolower((unsigned char)*p);
    }
    pattern[len++] = '%';
    pattern[len] = '\0';
    struct db_param p[] = {P_TEXT(pattern), P_TEXT(pattern), P_TEXT(pattern)};
    return record_list_text(conn, &guest_table, scope,
                            "LOWER(name) LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\' "
                            "OR phone LIKE ? ESCAPE '\\'",
                            p, 3, limit, after, out);
}

enum lu_rc store_guest_update(struct db_conn *conn, const char *actor, const struct scope *scope,
                              const char *id, const json_t *changes, int64_t expected,
                              json_t **out)
{
    json_t *values = normalised(changes);
    if (values == NULL) {
        return LU_NOMEM;
    }
    /* A verified address stays verified only while it is the address
     * (store/verify.c): a new email clears email_verified_at. */
    const json_t *email = json_object_get(values, "email");
    json_t *current = NULL;
    enum lu_rc rc = email ? record_visible(conn, &guest_table, scope, id, &current) : LU_OK;
    if (rc == LU_OK && current != NULL &&
        !json_equal(email, json_object_get(current, "email"))) {
        json_object_set_new(values, "email_verified_at", json_null());
    }
    json_decref(current);
    if (rc == LU_OK) {
        rc = record_update(conn, actor, &guest_table, scope, id, values, expected, out);
    }
    json_decref(values);
    return rc;
}
