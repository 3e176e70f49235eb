/*
 * waitlist.c — the public waitlist (SPEC §7). One row per address: the
 * UNIQUE email decides "new" or "already listed" in the database, so two
 * processes (or two requests) signing one address up at once queue one
 * welcome between them. The caller queues the welcome in the same
 * transaction (api/waitlist.c).
 */
#include <string.h>

#include "core/assert.h"
#include "store/audit.h"
#include "store/outbox.h"
#include "store/store_internal.h"

enum lu_rc store_waitlist_join(struct db_conn *conn, const char *actor, const char *email,
                               const char *name, const char *source, bool *created,
                               json_t **entry)
{
    LU_ASSERT(email != NULL && email[0] != '\0');
    *created = false;
    *entry = NULL;
    char id[ID_BYTES_MAX];
    enum lu_rc rc = id_new("wl_", id, sizeof id);
    if (rc != LU_OK) {
        return rc;
    }
    char now[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    struct db_param p[] = {P_TEXT(id), P_TEXT(email), P_TEXT(name), P_TEXT(source), P_TEXT(now)};
    int64_t changed = 0;
    rc = db_exec(conn,
                 "INSERT INTO waitlist (id, email, name, source, created_at) "
                 "VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
                 p, 5, NULL, &changed);
    if (rc != LU_OK || changed == 0) {
        return rc;
    }
    json_t *after = json_pack("{s:s, s:s, s:s?, s:s?, s:s}", "id", id, "email", email, "name",
                              name, "source", source, "created_at", now);
    if (after == NULL) {
        return LU_NOMEM;
    }
    struct audit_entry e = {
        .actor = actor,
        .action = "waitlist.created",
        .entity_type = "waitlist",
        .entity_id = id,
        .property_id = NULL,
        .before = NULL,
        .after = after,
    };
    rc = audit_append(conn, &e, NULL);
    if (rc != LU_OK) {
        json_decref(after);
        return rc;
    }
    *created = true;
    *entry = after;
    return LU_OK;
}
