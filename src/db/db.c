/*
 * db.c — the connection pool and the driver-neutral half of the query layer
 * (see db.h). Drivers only talk to their database; timing, pooling and row
 * ownership live here once.
 */
#include "db/db.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/limits.h"
#include "core/log.h"

struct db_conn {
    struct db *db;
    void *handle; /* NULL until connected, and again after a lost connection */
    bool in_use;
};

struct db {
    const struct db_driver *driver;
    char *target;
    int size;
    struct db_conn *conns;
    pthread_mutex_t lock;
    pthread_cond_t freed;
};

const double db_timing_bounds_s[12] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                       0.01,   0.025,   0.05,   0.1,   0.5,    1.0};
static pthread_mutex_t timing_lock = PTHREAD_MUTEX_INITIALIZER;
static struct db_timing timing;

static void timing_add(double ms)
{
    double s = ms / 1000.0;
    pthread_mutex_lock(&timing_lock);
    timing.calls++;
    timing.seconds += s;
    for (int i = 0; i < 12; i++) {
        if (s <= db_timing_bounds_s[i]) {
            timing.buckets[i]++;
        }
    }
    pthread_mutex_unlock(&timing_lock);
}

void db_timing_get(struct db_timing *out)
{
    pthread_mutex_lock(&timing_lock);
    *out = timing;
    pthread_mutex_unlock(&timing_lock);
}

enum lu_rc db_open(const struct db_driver *driver, const char *target, int pool_size,
                   struct db **out, char *err, size_t err_cap)
{
    LU_ASSERT(driver != NULL && target != NULL && pool_size >= 1 && pool_size <= DB_POOL_MAX);
    struct db *db = calloc(1, sizeof *db);
    if (db == NULL) {
        return LU_NOMEM;
    }
    db->driver = driver;
    db->size = pool_size;
    db->target = strdup(target);
    db->conns = calloc((size_t)pool_size, sizeof *db->conns);
    if (db->target == NULL || db->conns == NULL) {
        free(db->target);
        free(db->conns);
        free(db);
        return LU_NOMEM;
    }
    pthread_mutex_init(&db->lock, NULL);
    pthread_cond_init(&db->freed, NULL);
    for (int i = 0; i < pool_size; i++) {
        db->conns[i].db = db;
    }
    enum lu_rc rc = driver->connect(target, &db->conns[0].handle, err, err_cap);
    if (rc != LU_OK) {
        db_close(db);
        return rc;
    }
    *out = db;
    return LU_OK;
}

void db_close(struct db *db)
{
    if (db == NULL) {
        return;
    }
    for (int i = 0; i < db->size; i++) {
        LU_ASSERT(!db->conns[i].in_use);
        if (db->conns[i].handle != NULL) {
            db->driver->disconnect(db->conns[i].handle);
        }
    }
    pthread_cond_destroy(&db->freed);
    pthread_mutex_destroy(&db->lock);
    free(db->conns);
    free(db->target);
    free(db);
}

const struct db_driver *db_driver_of(const struct db *db)
{
    return db->driver;
}

static struct db_conn *take_free(struct db *db)
{
    /* Prefer a connection that is already open. */
    for (int i = 0; i < db->size; i++) {
        if (!db->conns[i].in_use && db->conns[i].handle != NULL) {
            return &db->conns[i];
        }
    }
    for (int i = 0; i < db->size; i++) {
        if (!db->conns[i].in_use) {
            return &db->conns[i];
        }
    }
    return NULL;
}

struct db_conn *db_acquire(struct db *db)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += DB_BUSY_TIMEOUT_MS / 1000;

    pthread_mutex_lock(&db->lock);
    struct db_conn *conn = NULL;
    while ((conn = take_free(db)) == NULL) {
        if (pthread_cond_timedwait(&db->freed, &db->lock, &deadline) == ETIMEDOUT) {
            break;
        }
    }
    if (conn != NULL) {
        conn->in_use = true;
    }
    pthread_mutex_unlock(&db->lock);
    if (conn == NULL) {
        log_msg(LOG_WARN, NULL, "no database connection came free in %d ms", DB_BUSY_TIMEOUT_MS);
        return NULL;
    }
    if (conn->handle == NULL) {
        char err[256];
        if (db->driver->connect(db->target, &conn->handle, err, sizeof err) != LU_OK) {
            log_msg(LOG_WARN, NULL, "database connect failed: %s", err);
            conn->handle = NULL;
            db_release(conn);
            return NULL;
        }
    }
    return conn;
}

void db_release(struct db_conn *conn)
{
    if (conn == NULL) {
        return;
    }
    struct db *db = conn->db;
    if (conn->handle != NULL && db->driver->broken(conn->handle)) {
        /* Closed outside the lock: a dead server can make this slow. */
        log_msg(LOG_WARN, NULL, "database connection lost; it will be reopened");
        db->driver->disconnect(conn->handle);
        conn->handle = NULL;
    }
    pthread_mutex_lock(&db->lock);
    LU_ASSERT(conn->in_use);
    conn->in_use = false;
    pthread_cond_signal(&db->freed);
    pthread_mutex_unlock(&db->lock);
}

enum lu_rc db_exec(struct db_conn *conn, const char *sql, const struct db_param *params, size_t n,
                   struct db_rows **rows, int64_t *changes)
{
    LU_ASSERT(conn != NULL && conn->in_use && conn->handle != NULL);
    if (rows != NULL) {
        *rows = NULL;
    }
    double start = clock_mono_ms();
    enum lu_rc rc = conn->db->driver->exec(conn->handle, sql, params, n, rows, changes);
    timing_add(clock_mono_ms() - start);
    if (rc != LU_OK && rc != LU_CONFLICT) {
        log_msg(rc == LU_UNAVAILABLE ? LOG_WARN : LOG_ERROR, NULL, "database: %s (%s)",
                conn->db->driver->last_error(conn->handle), lu_rc_name(rc));
    }
    return rc;
}

enum lu_rc db_exec_script(struct db_conn *conn, const char *sql)
{
    LU_ASSERT(conn != NULL && conn->in_use && conn->handle != NULL);
    enum lu_rc rc = conn->db->driver->exec_script(conn->handle, sql);
    if (rc != LU_OK) {
        log_msg(LOG_ERROR, NULL, "database script: %s",
                conn->db->driver->last_error(conn->handle));
    }
    return rc;
}

enum lu_rc db_begin(struct db_conn *conn, bool write)
{
    LU_ASSERT(conn != NULL && conn->in_use && conn->handle != NULL);
    double start = clock_mono_ms();
    enum lu_rc rc = conn->db->driver->begin(conn->handle, write);
    timing_add(clock_mono_ms() - start);
    return rc;
}

enum lu_rc db_commit(struct db_conn *conn)
{
    LU_ASSERT(conn != NULL && conn->in_use && conn->handle != NULL);
    double start = clock_mono_ms();
    enum lu_rc rc = conn->db->driver->commit(conn->handle);
    timing_add(clock_mono_ms() - start);
    if (rc != LU_OK) {
        log_msg(LOG_WARN, NULL, "commit failed: %s", conn->db->driver->last_error(conn->handle));
        db_rollback(conn);
    }
    return rc;
}

void db_rollback(struct db_conn *conn)
{
    LU_ASSERT(conn != NULL && conn->in_use && conn->handle != NULL);
    if (conn->db->driver->rollback(conn->handle) != LU_OK) {
        log_msg(LOG_WARN, NULL, "rollback: %s", conn->db->driver->last_error(conn->handle));
    }
}

enum lu_rc db_ping(struct db *db)
{
    struct db_conn *conn = db_acquire(db);
    if (conn == NULL) {
        return LU_UNAVAILABLE;
    }
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn, "SELECT 1", NULL, 0, &rows, NULL);
    db_rows_free(rows);
    db_release(conn);
    return rc == LU_OK ? LU_OK : LU_UNAVAILABLE;
}

/* --- materialised rows ------------------------------------------------- */

struct db_rows *db_rows_new(size_t ncols)
{
    struct db_rows *rows = calloc(1, sizeof *rows);
    if (rows == NULL) {
        return NULL;
    }
    rows->ncols = ncols;
    rows->names = calloc(ncols ? ncols : 1, sizeof *rows->names);
    if (rows->names == NULL) {
        free(rows);
        return NULL;
    }
    return rows;
}

enum lu_rc db_rows_set_name(struct db_rows *rows, size_t col, const char *name)
{
    LU_ASSERT(col < rows->ncols);
    rows->names[col] = strdup(name);
    return rows->names[col] ? LU_OK : LU_NOMEM;
}

enum lu_rc db_rows_push(struct db_rows *rows, const char *const *cells, const size_t *lens)
{
    if (rows->nrows >= DB_ROWS_MAX) {
        return LU_TOO_LARGE;
    }
    /* Grow by doubling the row capacity, tracked implicitly by powers of 2. */
    size_t n = rows->nrows;
    if ((n & (n - 1)) == 0) {
        size_t cap = n == 0 ? 1 : n * 2;
        char **grown = realloc(rows->cells, (cap * rows->ncols + 1) * sizeof *grown);
        if (grown == NULL) {
            return LU_NOMEM;
        }
        rows->cells = grown;
    }
    /* One block per row holds every non-NULL cell, each NUL-terminated; the
     * row's first non-NULL cell points at its start (db_rows_free). One
     * malloc per row instead of one per cell: 9% of a list request. */
    size_t total = 0;
    for (size_t c = 0; c < rows->ncols; c++) {
        if (cells[c] != NULL) {
            if (lens[c] >= SIZE_MAX / 2 - total) {
                return LU_TOO_LARGE;
            }
            total += lens[c] + 1;
        }
    }
    char *block = NULL;
    if (total > 0) {
        block = malloc(total);
        if (block == NULL) {
            return LU_NOMEM;
        }
    }
    char **dst = rows->cells + n * rows->ncols;
    size_t at = 0;
    for (size_t c = 0; c < rows->ncols; c++) {
        dst[c] = NULL;
        if (cells[c] != NULL) {
            dst[c] = block + at;
            memcpy(dst[c], cells[c], lens[c]);
            dst[c][lens[c]] = '\0';
            at += lens[c] + 1;
        }
    }
    rows->nrows++;
    return LU_OK;
}

const char *db_rows_text(const struct db_rows *rows, size_t row, size_t col)
{
    LU_ASSERT(row < rows->nrows && col < rows->ncols);
    return rows->cells[row * rows->ncols + col];
}

int64_t db_rows_int(const struct db_rows *rows, size_t row, size_t col)
{
    const char *s = db_rows_text(rows, row, col);
    return s == NULL ? 0 : strtoll(s, NULL, 10);
}

int db_rows_col(const struct db_rows *rows, const char *name)
{
    for (size_t c = 0; c < rows->ncols; c++) {
        if (strcmp(rows->names[c], name) == 0) {
            return (int)c;
        }
    }
    return -1;
}

void db_rows_free(struct db_rows *rows)
{
    if (rows == NULL) {
        return;
    }
    for (size_t r = 0; r < rows->nrows; r++) {
        char **row = rows->cells + r * rows->ncols;
        for (size_t c = 0; c < rows->ncols; c++) {
            if (row[c] != NULL) {
                free(row[c]); /* the row's block (db_rows_push) */
                break;
            }
        }
    }
    for (size_t c = 0; c < rows->ncols; c++) {
        free(rows->names[c]);
    }
    free(rows->cells);
    free(rows->names);
    free(rows);
}
