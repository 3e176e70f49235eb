/*
 * db_fixture.h — a migrated SQLite database in a fresh temp directory, as
 * a cmocka fixture, for the unit tests that exercise the store on a real
 * file (test_audit.c, test_events.c, test_outbox.c). Include after
 * <cmocka.h>.
 */
#ifndef LU_TEST_DB_FIXTURE_H
#define LU_TEST_DB_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "db/db.h"
#include "db/migrate.h"

struct fixture {
    char dir[64];
    char path[128];
    struct db *db;
    struct db_conn *conn; /* held for the test when asked for, else NULL */
};

/* A cmocka setup body: /tmp/lucia-unit-<name>-XXXXXX/lucia.db, migrated
 * up, with one connection acquired when with_conn. */
static inline int db_fixture_setup(void **state, const char *name, bool with_conn)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/lucia-unit-%s-XXXXXX", name);
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof fx->path, "%s/lucia.db", fx->dir);
    char err[256] = "";
    assert_int_equal(db_open(&db_sqlite_driver, fx->path, 1, &fx->db, err, sizeof err), LU_OK);
    int applied = 0;
    assert_int_equal(migrate_up(fx->db, &applied, err, sizeof err), LU_OK);
    if (with_conn) {
        fx->conn = db_acquire(fx->db);
        assert_non_null(fx->conn);
    }
    *state = fx;
    return 0;
}

static inline int fixture_teardown(void **state)
{
    struct fixture *fx = *state;
    if (fx->conn != NULL) {
        db_release(fx->conn);
    }
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

#endif
