/*
 * db.h — the query layer every store function uses, over a driver per
 * database (SQLite now; PostgreSQL fills the same table later).
 *
 * SQL is written once, portable between PostgreSQL and SQLite: `?`
 * placeholders (a driver translates them if its database wants `$n`),
 * RETURNING, ON CONFLICT. Dialect-specific DDL lives only in the per-dialect
 * migration files under sql/<dialect>/.
 *
 * Results are materialised: db_exec returns every row as text, which keeps
 * ownership simple (one db_rows_free) and is bounded by DB_ROWS_MAX.
 * A connection is used by one thread at a time, between db_acquire and
 * db_release.
 */
#ifndef LU_DB_H
#define LU_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

enum db_type { DB_NULL = 0, DB_TEXT, DB_INT };

struct db_param {
    enum db_type type;
    const char *text; /* borrowed; DB_TEXT */
    int64_t i;        /* DB_INT */
};

/* Text, or SQL NULL when s is NULL. */
static inline struct db_param db_param_text(const char *s)
{
    return (struct db_param){.type = s ? DB_TEXT : DB_NULL, .text = s};
}
#define P_TEXT(s) db_param_text(s)
#define P_INT(v) ((struct db_param){.type = DB_INT, .i = (v)})
#define P_NULL ((struct db_param){.type = DB_NULL})

struct db_rows {
    size_t nrows;
    size_t ncols;
    char **names; /* ncols column names */
    char **cells; /* nrows * ncols; NULL for SQL NULL */
};

/* The driver table: one per database. Handles are the driver's own. */
struct db_driver {
    const char *name;    /* "sqlite", "postgres" */
    const char *dialect; /* folder under sql/ */
    enum lu_rc (*connect)(const char *target, void **handle, char *err, size_t err_cap);
    void (*disconnect)(void *handle);
    /* Runs one statement. rows may be NULL when the caller wants none;
     * changes (may be NULL) receives the number of rows written. */
    enum lu_rc (*exec)(void *handle, const char *sql, const struct db_param *params, size_t n,
                       struct db_rows **rows, int64_t *changes);
    /* Runs a script of several statements with no parameters (migrations). */
    enum lu_rc (*exec_script)(void *handle, const char *sql);
    enum lu_rc (*begin)(void *handle, bool write);
    enum lu_rc (*commit)(void *handle);
    enum lu_rc (*rollback)(void *handle);
    /* The driver's last error text, for logs; never contains parameters. */
    const char *(*last_error)(void *handle);
    /* True when the connection is lost: the pool closes it on release and
     * connects afresh on the next acquire. */
    bool (*broken)(void *handle);
};

struct db;      /* a pool of connections to one database */
struct db_conn; /* one pooled connection */

/* Opens a pool of pool_size connections to target (a file path for SQLite,
 * a URL for PostgreSQL). Connects one at once so a bad target fails here.
 * Owned: db_close. */
enum lu_rc db_open(const struct db_driver *driver, const char *target, int pool_size,
                   struct db **out, char *err, size_t err_cap);
void db_close(struct db *db);

const struct db_driver *db_driver_of(const struct db *db);

/* Borrows a connection, waiting up to DB_BUSY_TIMEOUT_MS. NULL when none
 * came free or the database cannot be reached (answer 503). */
struct db_conn *db_acquire(struct db *db);
void db_release(struct db_conn *conn);

enum lu_rc db_exec(struct db_conn *conn, const char *sql, const struct db_param *params, size_t n,
                   struct db_rows **rows, int64_t *changes);
enum lu_rc db_exec_script(struct db_conn *conn, const char *sql);
enum lu_rc db_begin(struct db_conn *conn, bool write);
enum lu_rc db_commit(struct db_conn *conn);
/* Safe to call after any failure; errors are logged, not returned. */
void db_rollback(struct db_conn *conn);

/* Round trip "SELECT 1": LU_OK or LU_UNAVAILABLE. */
enum lu_rc db_ping(struct db *db);

/* Row access. Borrowed pointers live until db_rows_free. */
const char *db_rows_text(const struct db_rows *rows, size_t row, size_t col);
int64_t db_rows_int(const struct db_rows *rows, size_t row, size_t col);
int db_rows_col(const struct db_rows *rows, const char *name); /* -1 when absent */
void db_rows_free(struct db_rows *rows);

/* Materialised-row builder for drivers. */
struct db_rows *db_rows_new(size_t ncols);
enum lu_rc db_rows_set_name(struct db_rows *rows, size_t col, const char *name);
/* Appends a row of ncols cells (copied; NULL stays NULL). LU_TOO_LARGE past
 * DB_ROWS_MAX. */
enum lu_rc db_rows_push(struct db_rows *rows, const char *const *cells, const size_t *lens);

/* Total time spent inside the database, for /metrics. */
struct db_timing {
    uint64_t calls;
    double seconds;
    uint64_t buckets[12]; /* upper bounds in db_timing_bounds_s */
};
extern const double db_timing_bounds_s[12];
void db_timing_get(struct db_timing *out);

extern const struct db_driver db_sqlite_driver;
extern const struct db_driver db_pg_driver;

#endif
