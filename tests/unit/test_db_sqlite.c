/*
 * test_db_sqlite.c — unit tests for the SQLite driver's statement cache and
 * group commit (src/db/db_sqlite.c), on a real file in a temp folder:
 * results stay right when statements are evicted and reused; concurrent
 * write transactions share commits yet each one's db_commit returns only
 * once its row is visible to an independent connection; a rollback or a
 * constraint failure takes only its own request's work out of a batch;
 * lone writes outside a transaction are durable on return; a second write
 * on a thread already inside one fails fast; a handle released inside a
 * write transaction does not stop the writers after it; result rows keep
 * every cell (NULL, empty, long) in their one block per row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>

#include "core/clock.h"
#include "core/limits.h"
#include "db/db.h"

#define THREADS 8
#define WRITES_PER_THREAD 150

struct fixture {
    char dir[64];
    char path[128];
    struct db *db;
};

static int fixture_setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/lucia-unit-dbsqlite-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof fx->path, "%s/lucia.db", fx->dir);
    char err[256] = "";
    assert_int_equal(db_open(&db_sqlite_driver, fx->path, THREADS + 2, &fx->db, err, sizeof err),
                     LU_OK);
    struct db_conn *conn = db_acquire(fx->db);
    assert_non_null(conn);
    assert_int_equal(db_exec(conn, "CREATE TABLE t (id TEXT PRIMARY KEY, v INTEGER NOT NULL)",
                             NULL, 0, NULL, NULL),
                     LU_OK);
    db_release(conn);
    *state = fx;
    return 0;
}

static int fixture_teardown(void **state)
{
    struct fixture *fx = *state;
    db_close(fx->db);
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", fx->path, suffixes[i]);
        (void)unlink(p); /* -wal and -shm may already be gone */
    }
    (void)rmdir(fx->dir);
    free(fx);
    return 0;
}

/* Rows matching sql (a COUNT) seen by a connection of its own, outside
 * the pool: what another process would see. */
static int64_t outside_count(sqlite3 *raw, const char *sql, const char *id)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(raw, sql, -1, &st, NULL), SQLITE_OK);
    if (id != NULL) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    }
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static sqlite3 *outside_open(const struct fixture *fx)
{
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open_v2(fx->path, &raw, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(raw, DB_BUSY_TIMEOUT_MS);
    return raw;
}

static int64_t pool_count(struct db_conn *conn, const char *sql)
{
    struct db_rows *rows = NULL;
    assert_int_equal(db_exec(conn, sql, NULL, 0, &rows, NULL), LU_OK);
    int64_t n = db_rows_int(rows, 0, 0);
    db_rows_free(rows);
    return n;
}

/* More distinct statements than the cache holds, twice over: evicted ones
 * are prepared again and every answer is still its own. */
static void test_statement_cache_evicts_and_reuses(void **state)
{
    struct fixture *fx = *state;
    struct db_conn *conn = db_acquire(fx->db);
    assert_non_null(conn);
    for (int round = 0; round < 3; round++) {
        for (int k = 0; k < DB_STATEMENTS_CACHED_MAX * 2; k++) {
            char sql[64];
            snprintf(sql, sizeof sql, "SELECT ? + %d, ?", k);
            struct db_param p[] = {P_INT(round * 1000), P_TEXT(round == 1 ? NULL : "x")};
            struct db_rows *rows = NULL;
            /* A call with fewer parameters leaves the rest NULL, not stale. */
            assert_int_equal(db_exec(conn, sql, p, round == 2 ? 1 : 2, &rows, NULL), LU_OK);
            assert_int_equal(rows->nrows, 1);
            assert_int_equal(db_rows_int(rows, 0, 0), round * 1000 + k);
            if (round == 0) {
                assert_string_equal(db_rows_text(rows, 0, 1), "x");
            } else {
                assert_null(db_rows_text(rows, 0, 1));
            }
            db_rows_free(rows);
        }
    }
    /* A bad statement is an error, and the next one is fine. */
    assert_int_not_equal(db_exec(conn, "SELEC 1", NULL, 0, NULL, NULL), LU_OK);
    assert_int_equal(pool_count(conn, "SELECT COUNT(*) FROM t"), 0);
    db_release(conn);
}

struct writer_arg {
    struct fixture *fx;
    int thread;
    int committed;
    int failures;
};

/* Each transaction inserts one row; every third one is rolled back, every
 * seventh also tries a duplicate key first (a constraint failure inside
 * the transaction, which must not spoil it). After each commit the row
 * must already be visible from outside. */
static void *writer_main(void *p)
{
    struct writer_arg *a = p;
    sqlite3 *raw = outside_open(a->fx);
    for (int i = 0; i < WRITES_PER_THREAD; i++) {
        struct db_conn *conn = db_acquire(a->fx->db);
        if (conn == NULL) {
            a->failures++;
            continue;
        }
        char id[32];
        snprintf(id, sizeof id, "w%d-%d", a->thread, i);
        struct db_param ins[] = {P_TEXT(id), P_INT(i)};
        bool ok = db_begin(conn, true) == LU_OK;
        ok = ok && db_exec(conn, "INSERT INTO t (id, v) VALUES (?, ?)", ins, 2, NULL, NULL) == LU_OK;
        if (ok && i % 7 == 0) {
            ok = db_exec(conn, "INSERT INTO t (id, v) VALUES (?, ?)", ins, 2, NULL, NULL) ==
                 LU_CONFLICT;
        }
        if (!ok) {
            a->failures++;
            db_rollback(conn);
        } else if (i % 3 == 0) {
            db_rollback(conn);
        } else if (db_commit(conn) == LU_OK) {
            a->committed++;
            if (outside_count(raw, "SELECT COUNT(*) FROM t WHERE id = ?", id) != 1) {
                a->failures++; /* db_commit returned before its COMMIT */
            }
        } else {
            a->failures++;
        }
        db_release(conn);
    }
    sqlite3_close(raw);
    return NULL;
}

static void test_group_commit_keeps_each_request_whole(void **state)
{
    struct fixture *fx = *state;
    pthread_t threads[THREADS];
    struct writer_arg args[THREADS];
    for (int t = 0; t < THREADS; t++) {
        args[t] = (struct writer_arg){.fx = fx, .thread = t};
        assert_int_equal(pthread_create(&threads[t], NULL, writer_main, &args[t]), 0);
    }
    int committed = 0;
    for (int t = 0; t < THREADS; t++) {
        assert_int_equal(pthread_join(threads[t], NULL), 0);
        assert_int_equal(args[t].failures, 0);
        committed += args[t].committed;
    }
    int expected = 0;
    for (int i = 0; i < WRITES_PER_THREAD; i++) {
        expected += i % 3 != 0;
    }
    assert_int_equal(committed, THREADS * expected);
    sqlite3 *raw = outside_open(fx);
    assert_int_equal(outside_count(raw, "SELECT COUNT(*) FROM t", NULL), THREADS * expected);
    /* Not one rolled-back row got in with its batch. */
    assert_int_equal(outside_count(raw, "SELECT COUNT(*) FROM t WHERE v % 3 = 0", NULL), 0);
    sqlite3_close(raw);
}

struct lone_arg {
    struct fixture *fx;
    int thread;
    int failures;
};

/* Writes outside any transaction: each is durable when db_exec returns. */
static void *lone_main(void *p)
{
    struct lone_arg *a = p;
    sqlite3 *raw = outside_open(a->fx);
    for (int i = 0; i < WRITES_PER_THREAD; i++) {
        struct db_conn *conn = db_acquire(a->fx->db);
        if (conn == NULL) {
            a->failures++;
            continue;
        }
        char id[32];
        snprintf(id, sizeof id, "l%d-%d", a->thread, i);
        struct db_param ins[] = {P_TEXT(id), P_INT(i)};
        int64_t changes = 0;
        struct db_rows *rows = NULL;
        if (db_exec(conn, "INSERT INTO t (id, v) VALUES (?, ?) RETURNING id", ins, 2, &rows,
                    &changes) != LU_OK ||
            changes != 1 || rows->nrows != 1 || strcmp(db_rows_text(rows, 0, 0), id) != 0 ||
            outside_count(raw, "SELECT COUNT(*) FROM t WHERE id = ?", id) != 1) {
            a->failures++;
        }
        db_rows_free(rows);
        /* The same key again: a conflict, and nothing else changes. */
        if (db_exec(conn, "INSERT INTO t (id, v) VALUES (?, ?)", ins, 2, NULL, NULL) !=
            LU_CONFLICT) {
            a->failures++;
        }
        db_release(conn);
    }
    sqlite3_close(raw);
    return NULL;
}

static void test_lone_writes_are_durable_on_return(void **state)
{
    struct fixture *fx = *state;
    pthread_t threads[THREADS];
    struct lone_arg args[THREADS];
    for (int t = 0; t < THREADS; t++) {
        args[t] = (struct lone_arg){.fx = fx, .thread = t};
        assert_int_equal(pthread_create(&threads[t], NULL, lone_main, &args[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        assert_int_equal(pthread_join(threads[t], NULL), 0);
        assert_int_equal(args[t].failures, 0);
    }
    sqlite3 *raw = outside_open(fx);
    assert_int_equal(outside_count(raw, "SELECT COUNT(*) FROM t", NULL),
                     THREADS * WRITES_PER_THREAD);
    sqlite3_close(raw);
}

/* A write transaction reads its own work; other handles read committed
 * data only, and see the work once the commit returned. */
static void test_isolation_until_commit(void **state)
{
    struct fixture *fx = *state;
    struct db_conn *w = db_acquire(fx->db);
    struct db_conn *r = db_acquire(fx->db);
    assert_non_null(w);
    assert_non_null(r);
    assert_int_equal(db_begin(w, true), LU_OK);
    struct db_param ins[] = {P_TEXT("iso"), P_INT(1)};
    assert_int_equal(db_exec(w, "INSERT INTO t (id, v) VALUES (?, ?)", ins, 2, NULL, NULL), LU_OK);
    assert_int_equal(pool_count(w, "SELECT COUNT(*) FROM t"), 1);
    assert_int_equal(pool_count(r, "SELECT COUNT(*) FROM t"), 0);
    assert_int_equal(db_commit(w), LU_OK);
    assert_int_equal(pool_count(r, "SELECT COUNT(*) FROM t"), 1);
    /* A rolled-back transaction leaves nothing. */
    struct db_param ins2[] = {P_TEXT("gone"), P_INT(2)};
    assert_int_equal(db_begin(w, true), LU_OK);
    assert_int_equal(db_exec(w, "INSERT INTO t (id, v) VALUES (?, ?)", ins2, 2, NULL, NULL),
                     LU_OK);
    db_rollback(w);
    assert_int_equal(pool_count(r, "SELECT COUNT(*) FROM t"), 1);
    db_release(r);
    db_release(w);
}

/* A thread inside a write transaction that writes through a second handle
 * would wait for itself: it fails at once, and the first goes on. */
static void test_second_write_on_one_thread_fails_fast(void **state)
{
    struct fixture *fx = *state;
    struct db_conn *a = db_acquire(fx->db);
    struct db_conn *b = db_acquire(fx->db);
    assert_int_equal(db_begin(a, true), LU_OK);
    double t0 = clock_mono_ms();
    struct db_param ins[] = {P_TEXT("nested"), P_INT(1)};
    assert_int_equal(db_exec(b, "INSERT INTO t (id, v) VALUES (?, ?)", ins, 2, NULL, NULL),
                     LU_UNAVAILABLE);
    assert_int_equal(db_begin(b, true), LU_UNAVAILABLE);
    assert_true(clock_mono_ms() - t0 < 1000.0);
    assert_int_equal(db_exec(a, "INSERT INTO t (id, v) VALUES (?, ?)", ins, 2, NULL, NULL), LU_OK);
    assert_int_equal(db_commit(a), LU_OK);
    assert_int_equal(pool_count(b, "SELECT COUNT(*) FROM t"), 1);
    db_release(b);
    db_release(a);
}

/* A caller that releases its handle inside a write transaction (a bug)
 * gets it rolled back instead of stopping every later writer. */
static void test_release_inside_write_rolls_back(void **state)
{
    struct fixture *fx = *state;
    struct db_conn *a = db_acquire(fx->db);
    assert_int_equal(db_begin(a, true), LU_OK);
    struct db_param ins[] = {P_TEXT("leaked"), P_INT(1)};
    assert_int_equal(db_exec(a, "INSERT INTO t (id, v) VALUES (?, ?)", ins, 2, NULL, NULL), LU_OK);
    db_release(a);
    struct db_conn *b = db_acquire(fx->db);
    struct db_param ins2[] = {P_TEXT("after"), P_INT(2)};
    assert_int_equal(db_begin(b, true), LU_OK);
    assert_int_equal(db_exec(b, "INSERT INTO t (id, v) VALUES (?, ?)", ins2, 2, NULL, NULL),
                     LU_OK);
    assert_int_equal(db_commit(b), LU_OK);
    assert_int_equal(pool_count(b, "SELECT COUNT(*) FROM t WHERE id = 'leaked'"), 0);
    assert_int_equal(pool_count(b, "SELECT COUNT(*) FROM t WHERE id = 'after'"), 1);
    db_release(b);
}

/* Result rows share one block per row (db.c): NULLs first, in the middle
 * and everywhere, empty text, long text and integers all come back as
 * they were stored, and freeing the rows leaves nothing behind (ASan). */
static void test_rows_keep_every_cell(void **state)
{
    struct fixture *fx = *state;
    struct db_conn *conn = db_acquire(fx->db);
    assert_int_equal(db_exec(conn, "CREATE TABLE cells (n INTEGER, a TEXT, b TEXT, c TEXT)", NULL,
                             0, NULL, NULL),
                     LU_OK);
    char long_text[3000];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    const char *rows_in[][3] = {
        {NULL, "second", ""}, {NULL, NULL, NULL}, {"", "", ""}, {"first", NULL, long_text},
        {"a", "b", "c"},
    };
    size_t nrows = sizeof rows_in / sizeof rows_in[0];
    for (size_t r = 0; r < nrows; r++) {
        struct db_param p[] = {P_INT((int64_t)r), P_TEXT(rows_in[r][0]), P_TEXT(rows_in[r][1]),
                               P_TEXT(rows_in[r][2])};
        assert_int_equal(
            db_exec(conn, "INSERT INTO cells (n, a, b, c) VALUES (?, ?, ?, ?)", p, 4, NULL, NULL),
            LU_OK);
    }
    struct db_rows *rows = NULL;
    assert_int_equal(db_exec(conn, "SELECT a, b, n, c FROM cells ORDER BY n", NULL, 0, &rows, NULL),
                     LU_OK);
    assert_int_equal(rows->nrows, nrows);
    for (size_t r = 0; r < nrows; r++) {
        const size_t col_of[3] = {0, 1, 3};
        for (size_t k = 0; k < 3; k++) {
            const char *got = db_rows_text(rows, r, col_of[k]);
            if (rows_in[r][k] == NULL) {
                assert_null(got);
            } else {
                assert_non_null(got);
                assert_string_equal(got, rows_in[r][k]);
            }
        }
        assert_int_equal(db_rows_int(rows, r, 2), (int64_t)r);
    }
    db_rows_free(rows);
    db_release(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_statement_cache_evicts_and_reuses, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_group_commit_keeps_each_request_whole, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_lone_writes_are_durable_on_return, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_isolation_until_commit, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_second_write_on_one_thread_fails_fast, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_release_inside_write_rolls_back, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_rows_keep_every_cell, fixture_setup,
                                        fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
