/*
 * migrate.c — apply and revert the embedded migrations (see migrate.h).
 */
#include "db/migrate.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/embedded.h"
#include "core/log.h"

#define MIGRATIONS_MAX 256

struct migration {
    int version;
    char name[96];
    const struct embedded_file *up;
    const struct embedded_file *down;
};

static const char create_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";

/* Finds sql/<dialect>/NNNN_*.up.sql in the embedded table, in order. */
static int migrations_list(const char *dialect, struct migration *out, int cap)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "sql/%s/", dialect);
    size_t plen = strlen(prefix);
    int n = 0;
    for (size_t i = 0; i < embedded_files_count && n < cap; i++) {
        const char *name = embedded_files[i].name;
        size_t len = strlen(name);
        if (strncmp(name, prefix, plen) != 0 || len < plen + 12 ||
            strcmp(name + len - 7, ".up.sql") != 0) {
            continue;
        }
        const char *base = name + plen;
        struct migration *m = &out[n];
        m->version = (int)strtol(base, NULL, 10);
        size_t base_len = len - plen - 7;
        snprintf(m->name, sizeof m->name, "%.*s", (int)base_len, base);
        char down_name[256];
        snprintf(down_name, sizeof down_name, "%s%s.down.sql", prefix, m->name);
        m->up = &embedded_files[i];
        m->down = embedded_find(down_name);
        n++;
    }
    /* The embedded table is sorted by path and names start with four digits,
     * so the list is already in version order. */
    return n;
}

/* In a write transaction, so several processes starting at once (each
 * applying migrations) queue on the write lock instead of racing on the
 * catalog. */
static enum lu_rc ensure_table(struct db_conn *conn)
{
    enum lu_rc rc = db_begin(conn, true);
    if (rc != LU_OK) {
        return rc;
    }
    rc = db_exec(conn, create_table_sql, NULL, 0, NULL, NULL);
    if (rc != LU_OK) {
        db_rollback(conn);
        return rc;
    }
    return db_commit(conn);
}

static enum lu_rc is_applied(struct db_conn *conn, int version, bool *applied)
{
    struct db_rows *rows = NULL;
    struct db_param p[] = {P_INT(version)};
    enum lu_rc rc =
        db_exec(conn, "SELECT version FROM schema_migrations WHERE version = ?", p, 1, &rows, NULL);
    if (rc == LU_OK) {
        *applied = rows->nrows > 0;
    }
    db_rows_free(rows);
    return rc;
}

static enum lu_rc apply_one(struct db_conn *conn, const struct migration *m, bool *did)
{
    *did = false;
    enum lu_rc rc = db_begin(conn, true);
    if (rc != LU_OK) {
        return rc;
    }
    bool applied = false;
    rc = is_applied(conn, m->version, &applied);
    if (rc == LU_OK && !applied) {
        rc = db_exec_script(conn, (const char *)m->up->data);
        if (rc == LU_OK) {
            char now[RFC3339_BYTES];
            clock_format_utc(clock_now_s(), now);
            struct db_param p[] = {P_INT(m->version), P_TEXT(m->name), P_TEXT(now)};
            rc = db_exec(conn,
                         "INSERT INTO schema_migrations (version, name, applied_at) "
                         "VALUES (?, ?, ?)",
                         p, 3, NULL, NULL);
        }
        *did = rc == LU_OK;
    }
    if (rc == LU_OK) {
        rc = db_commit(conn);
    } else {
        db_rollback(conn);
    }
    return rc;
}

enum lu_rc migrate_up(struct db *db, int *applied_out, char *err, size_t cap)
{
    struct migration list[MIGRATIONS_MAX];
    int n = migrations_list(db_driver_of(db)->dialect, list, MIGRATIONS_MAX);
    struct db_conn *conn = db_acquire(db);
    if (conn == NULL) {
        snprintf(err, cap, "the database cannot be reached");
        return LU_UNAVAILABLE;
    }
    int applied = 0;
    enum lu_rc rc = ensure_table(conn);
    for (int i = 0; rc == LU_OK && i < n; i++) {
        bool did = false;
        rc = apply_one(conn, &list[i], &did);
        if (rc != LU_OK) {
            snprintf(err, cap, "migration %s failed", list[i].name);
        } else if (did) {
            applied++;
            log_msg(LOG_INFO, NULL, "applied migration %s", list[i].name);
        }
    }
    if (rc != LU_OK && err[0] == '\0') {
        snprintf(err, cap, "cannot create schema_migrations");
    }
    db_release(conn);
    if (applied_out != NULL) {
        *applied_out = applied;
    }
    return rc;
}

static enum lu_rc newest_applied(struct db_conn *conn, int *version)
{
    struct db_rows *rows = NULL;
    enum lu_rc rc =
        db_exec(conn, "SELECT MAX(version) FROM schema_migrations", NULL, 0, &rows, NULL);
    if (rc == LU_OK) {
        const char *v = rows->nrows ? db_rows_text(rows, 0, 0) : NULL;
        *version = v ? (int)strtol(v, NULL, 10) : 0;
    }
    db_rows_free(rows);
    return rc;
}

static enum lu_rc revert_one(struct db_conn *conn, const struct migration *m)
{
    enum lu_rc rc = db_begin(conn, true);
    if (rc != LU_OK) {
        return rc;
    }
    rc = db_exec_script(conn, (const char *)m->down->data);
    if (rc == LU_OK) {
        struct db_param p[] = {P_INT(m->version)};
        rc = db_exec(conn, "DELETE FROM schema_migrations WHERE version = ?", p, 1, NULL, NULL);
    }
    if (rc == LU_OK) {
        return db_commit(conn);
    }
    db_rollback(conn);
    return rc;
}

enum lu_rc migrate_down(struct db *db, int count, int *reverted_out, char *err, size_t cap)
{
    struct migration list[MIGRATIONS_MAX];
    int n = migrations_list(db_driver_of(db)->dialect, list, MIGRATIONS_MAX);
    struct db_conn *conn = db_acquire(db);
    if (conn == NULL) {
        snprintf(err, cap, "the database cannot be reached");
        return LU_UNAVAILABLE;
    }
    int reverted = 0;
    enum lu_rc rc = ensure_table(conn);
    while (rc == LU_OK && reverted < count) {
        int version = 0;
        rc = newest_applied(conn, &version);
        if (rc != LU_OK || version == 0) {
            break;
        }
        const struct migration *m = NULL;
        for (int i = 0; i < n; i++) {
            if (list[i].version == version) {
                m = &list[i];
            }
        }
        if (m == NULL || m->down == NULL) {
            snprintf(err, cap, "migration %04d has no down file in this binary", version);
            rc = LU_INVALID;
            break;
        }
        rc = revert_one(conn, m);
        if (rc != LU_OK) {
            snprintf(err, cap, "reverting %s failed", m->name);
            break;
        }
        log_msg(LOG_INFO, NULL, "reverted migration %s", m->name);
        reverted++;
    }
    db_release(conn);
    if (reverted_out != NULL) {
        *reverted_out = reverted;
    }
    return rc;
}

enum lu_rc migrate_status(struct db *db, FILE *out, int *pending_out, char *err, size_t cap)
{
    struct migration list[MIGRATIONS_MAX];
    int n = migrations_list(db_driver_of(db)->dialect, list, MIGRATIONS_MAX);
    struct db_conn *conn = db_acquire(db);
    if (conn == NULL) {
        snprintf(err, cap, "the database cannot be reached");
        return LU_UNAVAILABLE;
    }
    int pending = 0;
    enum lu_rc rc = ensure_table(conn);
    for (int i = 0; rc == LU_OK && i < n; i++) {
        struct db_rows *rows = NULL;
        struct db_param p[] = {P_INT(list[i].version)};
        rc = db_exec(conn, "SELECT applied_at FROM schema_migrations WHERE version = ?", p, 1,
                     &rows, NULL);
        if (rc == LU_OK) {
            bool applied = rows->nrows > 0;
            pending += applied ? 0 : 1;
            fprintf(out, "%04d  %-40s %s\n", list[i].version, list[i].name,
                    applied ? db_rows_text(rows, 0, 0) : "pending");
        }
        db_rows_free(rows);
    }
    db_release(conn);
    if (rc != LU_OK) {
        snprintf(err, cap, "cannot read schema_migrations");
    }
    if (pending_out != NULL) {
        *pending_out = pending;
    }
    return rc;
}
