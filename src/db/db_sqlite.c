/*
 * db_sqlite.c — the SQLite driver: the embedded default (SPEC §1).
 *
 * Every connection runs in WAL mode with synchronous=FULL, so a COMMIT that
 * returned is on disk: "2xx means committed" holds across kill -9 and power
 * loss. Write transactions start with BEGIN IMMEDIATE so two writers queue on
 * the busy timeout instead of deadlocking on a lock upgrade. A busy or full
 * database is LU_UNAVAILABLE (503, safe to retry); a constraint is
 * LU_CONFLICT; anything else is our bug and logged as such.
 */
#include <errno.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/limits.h"
#include "db/db.h"

struct sqlite_handle {
    sqlite3 *db;
    char error[256];
};

static enum lu_rc map_error(struct sqlite_handle *h, int code)
{
    snprintf(h->error, sizeof h->error, "%s", sqlite3_errmsg(h->db));
    switch (code & 0xff) {
    case SQLITE_CONSTRAINT: return LU_CONFLICT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL: return LU_UNAVAILABLE;
    default: return LU_IO;
    }
}

/* Creates the folder of the database file, one level, as `./var` needs. */
static void make_parent_dir(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL) {
        return;
    }
    const char *dir = dirname(copy);
    if (strcmp(dir, ".") != 0 && strcmp(dir, "/") != 0) {
        /* An existing folder is fine; any other failure shows at open. */
        (void)mkdir(dir, 0750);
    }
    free(copy);
}

static enum lu_rc sq_connect(const char *target, void **out, char *err, size_t cap)
{
    struct sqlite_handle *h = calloc(1, sizeof *h);
    if (h == NULL) {
        return LU_NOMEM;
    }
    make_parent_dir(target);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int code = sqlite3_open_v2(target, &h->db, flags, NULL);
    if (code != SQLITE_OK) {
        snprintf(err, cap, "cannot open SQLite database %s: %s", target,
                 h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(code));
        sqlite3_close(h->db);
        free(h);
        return LU_UNAVAILABLE;
    }
    sqlite3_busy_timeout(h->db, DB_BUSY_TIMEOUT_MS);
    static const char setup[] = "PRAGMA journal_mode=WAL;"
                                "PRAGMA synchronous=FULL;"
                                "PRAGMA foreign_keys=ON;";
    char *msg = NULL;
    if (sqlite3_exec(h->db, setup, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, cap, "cannot set up SQLite database %s: %s", target, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(h->db);
        free(h);
        return LU_UNAVAILABLE;
    }
    *out = h;
    return LU_OK;
}

static void sq_disconnect(void *handle)
{
    struct sqlite_handle *h = handle;
    sqlite3_close(h->db);
    free(h);
}

static enum lu_rc bind_all(struct sqlite_handle *h, sqlite3_stmt *st, const struct db_param *p,
                           size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int idx = (int)i + 1;
        int code = SQLITE_OK;
        switch (p[i].type) {
        case DB_NULL: code = sqlite3_bind_null(st, idx); break;
        case DB_INT: code = sqlite3_bind_int64(st, idx, p[i].i); break;
        case DB_TEXT: code = sqlite3_bind_text(st, idx, p[i].text, -1, SQLITE_STATIC); break;
        }
        if (code != SQLITE_OK) {
            return map_error(h, code);
        }
    }
    return LU_OK;
}

static enum lu_rc collect_row(sqlite3_stmt *st, struct db_rows *rows)
{
    const char *cells[64];
    size_t lens[64];
    for (size_t c = 0; c < rows->ncols; c++) {
        cells[c] = (const char *)sqlite3_column_text(st, (int)c);
        lens[c] = (size_t)sqlite3_column_bytes(st, (int)c);
    }
    return db_rows_push(rows, cells, lens);
}

static enum lu_rc sq_exec(void *handle, const char *sql, const struct db_param *params, size_t n,
                          struct db_rows **rows_out, int64_t *changes)
{
    struct sqlite_handle *h = handle;
    sqlite3_stmt *st = NULL;
    int code = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);
    if (code != SQLITE_OK) {
        return map_error(h, code);
    }
    enum lu_rc rc = bind_all(h, st, params, n);
    struct db_rows *rows = NULL;
    size_t ncols = (size_t)sqlite3_column_count(st);
    if (rc == LU_OK && rows_out != NULL) {
        rows = ncols <= 64 ? db_rows_new(ncols) : NULL;
        rc = rows == NULL ? LU_NOMEM : LU_OK;
        for (size_t c = 0; rc == LU_OK && c < ncols; c++) {
            rc = db_rows_set_name(rows, c, sqlite3_column_name(st, (int)c));
        }
    }
    while (rc == LU_OK) {
        code = sqlite3_step(st);
        if (code == SQLITE_DONE) {
            break;
        }
        if (code != SQLITE_ROW) {
            rc = map_error(h, code);
            break;
        }
        if (rows != NULL) {
            rc = collect_row(st, rows);
        }
    }
    sqlite3_finalize(st);
    if (rc != LU_OK) {
        db_rows_free(rows);
        return rc;
    }
    if (changes != NULL) {
        *changes = sqlite3_changes64(h->db);
    }
    if (rows_out != NULL) {
        *rows_out = rows;
    }
    return LU_OK;
}

static enum lu_rc sq_exec_script(void *handle, const char *sql)
{
    struct sqlite_handle *h = handle;
    char *msg = NULL;
    int code = sqlite3_exec(h->db, sql, NULL, NULL, &msg);
    if (code != SQLITE_OK) {
        snprintf(h->error, sizeof h->error, "%s", msg ? msg : sqlite3_errstr(code));
        sqlite3_free(msg);
        return (code & 0xff) == SQLITE_BUSY ? LU_UNAVAILABLE : LU_IO;
    }
    return LU_OK;
}

static enum lu_rc simple(struct sqlite_handle *h, const char *sql)
{
    int code = sqlite3_exec(h->db, sql, NULL, NULL, NULL);
    return code == SQLITE_OK ? LU_OK : map_error(h, code);
}

static enum lu_rc sq_begin(void *handle, bool write)
{
    return simple(handle, write ? "BEGIN IMMEDIATE" : "BEGIN");
}

static enum lu_rc sq_commit(void *handle)
{
    return simple(handle, "COMMIT");
}

static enum lu_rc sq_rollback(void *handle)
{
    struct sqlite_handle *h = handle;
    if (sqlite3_get_autocommit(h->db)) {
        return LU_OK; /* nothing open: a failed COMMIT may already have ended it */
    }
    return simple(h, "ROLLBACK");
}

static const char *sq_last_error(void *handle)
{
    return ((struct sqlite_handle *)handle)->error;
}

static bool sq_broken(void *handle)
{
    (void)handle;
    return false; /* a file does not go away between calls */
}

const struct db_driver db_sqlite_driver = {
    .name = "sqlite",
    .dialect = "sqlite",
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .exec = sq_exec,
    .exec_script = sq_exec_script,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .last_error = sq_last_error,
    .broken = sq_broken,
};
