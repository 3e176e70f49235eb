/*
 * verify.c — guest email verification tokens (SPEC §7). A token is made and
 * mailed by api/verify.c; only its SHA-256 reaches the database. Using one
 * marks it used and stamps the guest's email_verified_at, in one write
 * transaction, so a token works exactly once even when two clicks race.
 */
#include <string.h>

#include "core/assert.h"
#include "store/audit.h"
#include "store/outbox.h"
#include "store/store_internal.h"

enum lu_rc store_verification_create(struct db_conn *conn, const char *actor,
                                     const struct scope *scope, const char *guest_id,
                                     const char *token_hash, int64_t expires_s, json_t **guest,
                                     char id[ID_BYTES_MAX])
{
    LU_ASSERT(token_hash != NULL && strlen(token_hash) == 64);
    json_t *record = NULL;
    enum lu_rc rc = record_visible(conn, &guest_table, scope, guest_id, &record);
    if (rc != LU_OK) {
        return rc;
    }
    const char *email = json_string_value(json_object_get(record, "email"));
    const char *property_id = json_string_value(json_object_get(record, "property_id"));
    if (email == NULL || email[0] == '\0') {
        json_decref(record);
        return LU_INVALID;
    }
    rc = id_new("ver_", id, ID_BYTES_MAX);
    char now[RFC3339_BYTES];
    char expires[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    clock_format_utc(expires_s, expires);
    struct db_param p[] = {P_TEXT(id),         P_TEXT(guest_id), P_TEXT(property_id),
                           P_TEXT(email),      P_TEXT(token_hash), P_TEXT(expires),
                           P_TEXT(now)};
    if (rc == LU_OK) {
        rc = db_exec(conn,
                     "INSERT INTO email_verifications (id, guest_id, property_id, email, "
                     "token_hash, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     p, 7, NULL, NULL);
    }
    /* The audit event names the guest and the expiry, never the token. */
    json_t *after = rc == LU_OK ? json_pack("{s:s, s:s, s:s, s:s}", "id", id, "guest_id",
                                            guest_id, "expires_at", expires, "created_at", now)
                                : NULL;
    if (rc == LU_OK && after == NULL) {
        rc = LU_NOMEM;
    }
    if (rc == LU_OK) {
        struct audit_entry e = {
            .actor = actor,
            .action = "email_verification.created",
            .entity_type = "email_verification",
            .entity_id = id,
            .property_id = property_id,
            .after = after,
        };
        rc = audit_append(conn, &e, NULL);
    }
    json_decref(after);
    if (rc != LU_OK) {
        json_decref(record);
        return rc;
    }
    *guest = record;
    return LU_OK;
}

/* The refusal for a stored token row, or VERIFY_OK. */
static enum verification_refusal refusal_of(const struct db_rows *rows, const json_t *guest,
                                            int64_t now_s)
{
    if (db_rows_text(rows, 0, 3) != NULL) {
        return VERIFY_USED;
    }
    int64_t expires = 0;
    if (!clock_parse_rfc3339(db_rows_text(rows, 0, 2), &expires) || now_s >= expires) {
        return VERIFY_EXPIRED;
    }
    const char *sent_to = db_rows_text(rows, 0, 4);
    const char *email = json_string_value(json_object_get(guest, "email"));
    if (email == NULL || strcmp(email, sent_to) != 0) {
        return VERIFY_EMAIL_CHANGED;
    }
    return VERIFY_OK;
}

enum lu_rc store_verification_use(struct db_conn *conn, const char *token_hash, int64_t now_s,
                                  enum verification_refusal *refusal, json_t **guest)
{
    *refusal = VERIFY_UNKNOWN;
    *guest = NULL;
    struct db_param p[] = {P_TEXT(token_hash)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT id, guest_id, expires_at, used_at, email "
                            "FROM email_verifications WHERE token_hash = ?",
                            p, 1, &rows, NULL);
    if (rc != LU_OK || rows->nrows == 0) {
        db_rows_free(rows);
        return rc;
    }
    json_t *record = NULL;
    rc = record_fetch(conn, &guest_table, db_rows_text(rows, 0, 1), &record);
    if (rc == LU_OK) {
        *refusal = refusal_of(rows, record, now_s);
    }
    char now[RFC3339_BYTES];
    clock_format_utc(now_s, now);
    if (rc == LU_OK && *refusal == VERIFY_OK) {
        struct db_param u[] = {P_TEXT(now), P_TEXT(db_rows_text(rows, 0, 0))};
        int64_t changed = 0;
        rc = db_exec(conn,
                     "UPDATE email_verifications SET used_at = ? WHERE id = ? AND used_at IS NULL",
                     u, 2, NULL, &changed);
        if (rc == LU_OK && changed != 1) {
            rc = LU_CONFLICT; /* a concurrent use won; the write lock makes this rare */
        }
    }
    db_rows_free(rows);
    if (rc != LU_OK || *refusal != VERIFY_OK) {
        json_decref(record);
        return rc;
    }
    const struct scope all = {.all = true};
    json_t *changes = json_pack("{s:s}", "email_verified_at", now);
    json_t *after = NULL;
    rc = changes ? record_update(conn, "verify-link", &guest_table, &all,
                                 json_string_value(json_object_get(record, "id")), changes,
                                 VERSION_ANY, &after)
                 : LU_NOMEM;
    json_decref(changes);
    json_decref(record);
    if (rc != LU_OK) {
        return rc;
    }
    *guest = after;
    return LU_OK;
}
