/*
 * messages.c — the messages table (see messages.h): insert with its audit
 * event, read and list in scope, and the thread lookups intake uses.
 * Written by intake (inbound) and the outbox (outbound); both go through
 * the same columns, so the table has one shape for every channel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/limits.h"
#include "store/audit.h"
#include "store/messages.h"
#include "store/store_internal.h"

#define MESSAGE_SQL_BYTES_MAX 2048
#define MESSAGE_VALUES_MAX 24

static const struct column message_columns[] = {
    {"id", COL_TEXT},          {"property_id", COL_TEXT},    {"guest_id", COL_TEXT},
    {"booking_id", COL_TEXT},  {"thread_id", COL_TEXT},      {"channel", COL_TEXT},
    {"direction", COL_TEXT},   {"provider", COL_TEXT},       {"provider_id", COL_TEXT},
    {"from_addr", COL_TEXT},   {"to_addr", COL_TEXT},        {"subject", COL_TEXT},
    {"body", COL_TEXT},        {"media", COL_TEXT},          {"attachments", COL_TEXT},
    {"email_message_id", COL_TEXT}, {"in_reply_to", COL_TEXT}, {"status", COL_TEXT},
    {"item_id", COL_TEXT},     {"needs_human", COL_BOOL},    {"version", COL_INT},
    {"created_at", COL_TEXT},  {"updated_at", COL_TEXT},
};

static const struct table_def message_table = {
    .table = "messages",
    .id_prefix = "msg_",
    .entity_type = "message",
    .cols = message_columns,
    .ncols = sizeof message_columns / sizeof message_columns[0],
    .select_sql = "SELECT id, property_id, guest_id, booking_id, thread_id, channel, direction, "
                  "provider, provider_id, from_addr, to_addr, subject, body, media, attachments, "
                  "email_message_id, in_reply_to, status, item_id, needs_human, version, "
                  "created_at, updated_at FROM messages",
};

/* media and attachments are stored as JSON text and shown as arrays; a
 * NULL or unreadable value shows as an empty array. */
static enum lu_rc shape(json_t *record)
{
    static const char *const fields[] = {"media", "attachments"};
    for (size_t i = 0; i < 2; i++) {
        const char *text = json_string_value(json_object_get(record, fields[i]));
        json_t *v = text ? json_loads(text, 0, NULL) : NULL;
        if (!json_is_array(v)) {
            json_decref(v);
            v = json_array();
        }
        if (v == NULL || json_object_set_new(record, fields[i], v) != 0) {
            return LU_NOMEM;
        }
    }
    return LU_OK;
}

enum lu_rc store_message_find_provider(struct db_conn *conn, const char *provider,
                                       const char *direction, const char *provider_id,
                                       char id_out[ID_BYTES_MAX])
{
    struct db_param p[] = {P_TEXT(provider), P_TEXT(direction), P_TEXT(provider_id)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT id FROM messages WHERE provider = ? AND direction = ? "
                            "AND provider_id = ?",
                            p, 3, &rows, NULL);
    if (rc == LU_OK) {
        if (rows->nrows == 0) {
            rc = LU_NOT_FOUND;
        } else {
            snprintf(id_out, ID_BYTES_MAX, "%s", db_rows_text(rows, 0, 0));
        }
    }
    db_rows_free(rows);
    return rc;
}

/* The db parameter for one value: arrays and objects as JSON text (kept
 * in *text, freed by the caller), scalars as they are. */
static enum lu_rc value_param(const json_t *v, struct db_param *p, char **text)
{
    *text = NULL;
    if (json_is_array(v) || json_is_object(v)) {
        *text = json_dumps(v, JSON_COMPACT);
        if (*text == NULL) {
            return LU_NOMEM;
        }
        *p = P_TEXT(*text);
        return LU_OK;
    }
    *p = json_param(v);
    return LU_OK;
}

static enum lu_rc insert_row(struct db_conn *conn, const char *id, const json_t *values)
{
    char now[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    char sql[MESSAGE_SQL_BYTES_MAX];
    size_t len = (size_t)snprintf(sql, sizeof sql,
                                  "INSERT INTO messages (id, version, created_at, updated_at");
    struct db_param params[MESSAGE_VALUES_MAX + 3];
    char *texts[MESSAGE_VALUES_MAX] = {0};
    size_t n = 0;
    params[n++] = P_TEXT(id);
    params[n++] = P_TEXT(now);
    params[n++] = P_TEXT(now);
    enum lu_rc rc = LU_OK;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)values, key, v)
    {
        LU_ASSERT(n < MESSAGE_VALUES_MAX + 3);
        len += (size_t)snprintf(sql + len, sizeof sql - len, ", %s", key);
        if (rc == LU_OK) {
            rc = value_param(v, &params[n], &texts[n - 3]);
        }
        n++;
    }
    len += (size_t)snprintf(sql + len, sizeof sql - len, ") VALUES (?, 1, ?, ?");
    for (size_t i = 3; i < n; i++) {
        len += (size_t)snprintf(sql + len, sizeof sql - len, ", ?");
    }
    len += (size_t)snprintf(sql + len, sizeof sql - len, ")");
    LU_ASSERT(len < sizeof sql);
    if (rc == LU_OK) {
        rc = db_exec(conn, sql, params, n, NULL, NULL);
    }
    for (size_t i = 0; i < MESSAGE_VALUES_MAX; i++) {
        free(texts[i]);
    }
    return rc;
}

enum lu_rc store_message_insert(struct db_conn *conn, const char *actor, const char *id,
                                const json_t *values, json_t **out)
{
    LU_ASSERT(id != NULL && strncmp(id, "msg_", 4) == 0);
    enum lu_rc rc = insert_row(conn, id, values);
    json_t *record = NULL;
    if (rc == LU_OK) {
        rc = record_fetch(conn, &message_table, id, &record);
    }
    if (rc == LU_OK) {
        rc = shape(record);
    }
    if (rc == LU_OK) {
        struct audit_entry e = {
            .actor = actor,
            .action = "message.created",
            .entity_type = message_table.entity_type,
            .entity_id = id,
            .property_id = json_string_value(json_object_get(record, "property_id")),
            .after = record,
        };
        rc = audit_append(conn, &e, NULL);
    }
    if (rc != LU_OK) {
        json_decref(record);
        return rc;
    }
    *out = record;
    return LU_OK;
}

enum lu_rc store_message_get(struct db_conn *conn, const struct scope *scope, const char *id,
                             json_t **out)
{
    json_t *record = NULL;
    enum lu_rc rc = record_visible(conn, &message_table, scope, id, &record);
    if (rc == LU_OK) {
        rc = shape(record);
    }
    if (rc != LU_OK) {
        json_decref(record);
        return rc;
    }
    *out = record;
    return LU_OK;
}

enum lu_rc store_message_list(struct db_conn *conn, const struct scope *scope,
                              const struct message_filter *f, int limit, const char *after,
                              struct page *out)
{
    char where[512] = "1=1";
    struct db_param p[5];
    size_t n = 0;
    struct {
        const char *value;
        const char *sql;
    } conds[] = {
        {f->guest_id, " AND guest_id = ?"},       {f->channel, " AND channel = ?"},
        {f->thread_id, " AND thread_id = ?"},     {f->property_id, " AND property_id = ?"},
        {f->direction, " AND direction = ?"},
    };
    for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++) {
        if (conds[i].value != NULL) {
            strncat(where, conds[i].sql, sizeof where - strlen(where) - 1);
            p[n++] = P_TEXT(conds[i].value);
        }
    }
    if (f->linked == 0) {
        strncat(where, " AND property_id IS NULL", sizeof where - strlen(where) - 1);
    } else if (f->linked == 1) {
        strncat(where, " AND property_id IS NOT NULL", sizeof where - strlen(where) - 1);
    }
    enum lu_rc rc = record_list(conn, &message_table, scope, where, p, n, limit, after, out);
    for (size_t i = 0; rc == LU_OK && i < json_array_size(out->data); i++) {
        rc = shape(json_array_get(out->data, i));
    }
    if (rc != LU_OK && out->data != NULL) {
        json_decref(out->data);
        out->data = NULL;
    }
    return rc;
}

static enum lu_rc first_thread(struct db_conn *conn, const char *sql,
                               const struct db_param *p, size_t n, char thread_out[ID_BYTES_MAX])
{
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn, sql, p, n, &rows, NULL);
    if (rc == LU_OK) {
        if (rows->nrows == 0) {
            rc = LU_NOT_FOUND;
        } else {
            snprintf(thread_out, ID_BYTES_MAX, "%s", db_rows_text(rows, 0, 0));
        }
    }
    db_rows_free(rows);
    return rc;
}

enum lu_rc store_message_thread_latest(struct db_conn *conn, const struct thread_query *q,
                                       char thread_out[ID_BYTES_MAX])
{
    LU_ASSERT(q->nchannels >= 1 && q->nchannels <= 2);
    LU_ASSERT(q->guest_id != NULL || q->from_addr != NULL);
    struct db_param p[4];
    size_t n = 0;
    char sql[MESSAGE_SQL_BYTES_MAX];
    if (q->guest_id != NULL) {
        p[n++] = P_TEXT(q->guest_id);
    } else {
        p[n++] = P_TEXT(q->from_addr);
    }
    p[n++] = P_TEXT(q->channels[0]);
    p[n++] = P_TEXT(q->channels[q->nchannels - 1]);
    if (q->since != NULL) {
        p[n++] = P_TEXT(q->since);
    }
    snprintf(sql, sizeof sql,
             "SELECT thread_id FROM messages WHERE %s AND channel IN (?, ?)%s "
             "ORDER BY id DESC LIMIT 1",
             q->guest_id != NULL ? "guest_id = ?"
                                 : "guest_id IS NULL AND from_addr = ? AND direction = 'inbound'",
             q->since != NULL ? " AND created_at >= ?" : "");
    return first_thread(conn, sql, p, n, thread_out);
}

enum lu_rc store_message_thread_of_email(struct db_conn *conn, const char *email_id,
                                         char thread_out[ID_BYTES_MAX])
{
    /* Stored ids are "<…>"; a writer that kept them bare is matched too. */
    size_t len = strlen(email_id);
    char bare[INTAKE_EMAIL_ID_BYTES_MAX + 1] = "";
    if (len >= 2 && email_id[0] == '<' && email_id[len - 1] == '>' &&
        len - 2 < sizeof bare) {
        memcpy(bare, email_id + 1, len - 2);
        bare[len - 2] = '\0';
    }
    struct db_param p[] = {P_TEXT(email_id), P_TEXT(bare[0] ? bare : email_id)};
    return first_thread(conn,
                        "SELECT thread_id FROM messages WHERE email_message_id IN (?, ?) "
                        "ORDER BY id LIMIT 1",
                        p, 2, thread_out);
}
