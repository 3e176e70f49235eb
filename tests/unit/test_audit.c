/*
 * test_audit.c — unit tests for store/audit and store/audit_verify.
 *
 * audit_hash: a known answer computed outside Lucia (Python's hashlib over
 * the definition in audit.h), determinism, every field changing the hash,
 * NULL apart from "", and the length prefixes (moving a character from one
 * field to the next changes the hash). audit_chain_verify: on a real,
 * migrated SQLite file in a temp folder — an empty log, a clean log longer
 * than one read batch, and each kind of tampering named at the right row.
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

#include "db_fixture.h"

#include "db/db.h"
#include "db/migrate.h"
#include "store/audit.h"
#include "store/audit_verify.h"

#define NFIELDS 10

/* The fields in audit.h's order. */
static const char *const BASE[NFIELDS] = {
    AUDIT_GENESIS,
    "aud_01j0000000000000000000000",
    "2026-11-23T17:05:00Z",
    "service",
    "property.created",
    "property",
    "prop_01j0000000000000000000000",
    "prop_01j0000000000000000000000",
    NULL,
    "{\"name\":\"Villa Aurora\"}",
};

/* sha256 of "64:000…0" "29:aud_…" … "-" "23:{…}", from Python's hashlib. */
#define BASE_HASH "8459300fe32e4027888034bf4d8483f0bdd39fef68ba271abe838e5346621679"

static void hash_of(const char *const f[NFIELDS], char out[AUDIT_HASH_HEX])
{
    audit_hash(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], out);
}

static void test_hash_known_answer(void **state)
{
    (void)state;
    char h[AUDIT_HASH_HEX];
    hash_of(BASE, h);
    assert_string_equal(h, BASE_HASH);
}

static void test_hash_deterministic(void **state)
{
    (void)state;
    char a[AUDIT_HASH_HEX];
    char b[AUDIT_HASH_HEX];
    hash_of(BASE, a);
    hash_of(BASE, b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 64);
    for (size_t i = 0; i < 64; i++) {
        assert_non_null(strchr("0123456789abcdef", a[i]));
    }
}

static void test_hash_every_field_counts(void **state)
{
    (void)state;
    char base[AUDIT_HASH_HEX];
    hash_of(BASE, base);
    for (size_t i = 0; i < NFIELDS; i++) {
        const char *f[NFIELDS];
        memcpy(f, BASE, sizeof f);
        char changed[128];
        snprintf(changed, sizeof changed, "%sx", BASE[i] ? BASE[i] : "");
        f[i] = changed;
        char h[AUDIT_HASH_HEX];
        hash_of(f, h);
        assert_string_not_equal(h, base);
    }
}

static void test_hash_null_is_not_empty(void **state)
{
    (void)state;
    char with_null[AUDIT_HASH_HEX];
    char with_empty[AUDIT_HASH_HEX];
    char with_dash[AUDIT_HASH_HEX];
    const char *f[NFIELDS];
    memcpy(f, BASE, sizeof f);
    for (size_t i = 7; i < NFIELDS; i++) { /* property_id, before, after may be NULL */
        f[i] = NULL;
        hash_of(f, with_null);
        f[i] = "";
        hash_of(f, with_empty);
        f[i] = "-";
        hash_of(f, with_dash);
        assert_string_not_equal(with_null, with_empty);
        assert_string_not_equal(with_null, with_dash);
        assert_string_not_equal(with_empty, with_dash);
        f[i] = BASE[i];
    }
}

/* "ab" + "c" and "a" + "bc" concatenate alike; the length prefixes keep
 * them apart, for every pair of neighbouring fields. */
static void test_hash_length_prefixed(void **state)
{
    (void)state;
    for (size_t i = 0; i + 1 < NFIELDS; i++) {
        const char *f[NFIELDS];
        memcpy(f, BASE, sizeof f);
        char h1[AUDIT_HASH_HEX];
        char h2[AUDIT_HASH_HEX];
        f[i] = "ab";
        f[i + 1] = "c";
        hash_of(f, h1);
        f[i] = "a";
        f[i + 1] = "bc";
        hash_of(f, h2);
        assert_string_not_equal(h1, h2);
        /* A length written into the content cannot fake a boundary either. */
        f[i] = "a1:b";
        f[i + 1] = "";
        hash_of(f, h1);
        f[i] = "a";
        f[i + 1] = "b";
        hash_of(f, h2);
        assert_string_not_equal(h1, h2);
    }
}

/* --- audit_chain_verify on a real SQLite file ---------------------------- */

static int fixture_setup(void **state)
{
    return db_fixture_setup(state, "audit", false);
}

/* Appends n events in one transaction, for two properties and a guest so
 * the log is not all one kind. */
static void append(struct fixture *fx, int n)
{
    struct db_conn *conn = db_acquire(fx->db);
    assert_non_null(conn);
    assert_int_equal(db_begin(conn, true), LU_OK);
    for (int i = 0; i < n; i++) {
        json_t *after = json_pack("{s:i, s:s}", "n", i, "name", "Villa Aurora");
        assert_non_null(after);
        struct audit_entry e = {
            .actor = "service",
            .action = i % 3 == 2 ? "guest.created" : "property.updated",
            .entity_type = i % 3 == 2 ? "guest" : "property",
            .entity_id = i % 2 ? "prop_b" : "prop_a",
            .property_id = i % 5 == 4 ? NULL : (i % 2 ? "prop_b" : "prop_a"),
            .before = i % 3 == 2 ? NULL : after,
            .after = after,
        };
        int64_t seq = 0;
        assert_int_equal(audit_append(conn, &e, &seq), LU_OK);
        assert_true(seq > 0);
        json_decref(after);
    }
    assert_int_equal(db_commit(conn), LU_OK);
    db_release(conn);
}

static void tamper(struct fixture *fx, const char *sql)
{
    struct db_conn *conn = db_acquire(fx->db);
    assert_non_null(conn);
    int64_t changed = 0;
    assert_int_equal(db_exec(conn, sql, NULL, 0, NULL, &changed), LU_OK);
    assert_true(changed >= 1);
    db_release(conn);
}

static void expect_broken(struct fixture *fx, int64_t seq, const char *what)
{
    struct audit_verify_report r;
    assert_int_equal(audit_chain_verify(fx->db, &r), LU_OK);
    assert_false(r.ok);
    assert_int_equal(r.bad_seq, seq);
    assert_non_null(strstr(r.message, what));
    char at[64];
    snprintf(at, sizeof at, " seq %lld (", (long long)seq);
    assert_non_null(strstr(r.message, at));
}

static void test_verify_empty(void **state)
{
    struct fixture *fx = *state;
    struct audit_verify_report r;
    assert_int_equal(audit_chain_verify(fx->db, &r), LU_OK);
    assert_true(r.ok);
    assert_int_equal(r.events, 0);
    assert_string_equal(r.message, "audit chain ok: 0 events");
}

static void test_verify_clean_across_batches(void **state)
{
    struct fixture *fx = *state;
    int n = 2 * AUDIT_VERIFY_BATCH_ROWS + 7;
    append(fx, n);
    struct audit_verify_report r;
    assert_int_equal(audit_chain_verify(fx->db, &r), LU_OK);
    assert_true(r.ok);
    assert_int_equal(r.events, n);
    char want[64];
    snprintf(want, sizeof want, "audit chain ok: %d events", n);
    assert_string_equal(r.message, want);
}

static void test_verify_edited(void **state)
{
    struct fixture *fx = *state;
    append(fx, 6);
    tamper(fx, "UPDATE audit_events SET after_json = '{\"n\":99}' WHERE seq = 3");
    expect_broken(fx, 3, "hash mismatch");
}

static void test_verify_edited_actor(void **state)
{
    struct fixture *fx = *state;
    append(fx, 6);
    tamper(fx, "UPDATE audit_events SET actor = 'someone_else' WHERE seq = 5");
    expect_broken(fx, 5, "hash mismatch");
}

static void test_verify_removed_middle(void **state)
{
    struct fixture *fx = *state;
    append(fx, 6);
    tamper(fx, "DELETE FROM audit_events WHERE seq = 3");
    expect_broken(fx, 4, "prev_hash mismatch");
}

static void test_verify_removed_first(void **state)
{
    struct fixture *fx = *state;
    append(fx, 4);
    tamper(fx, "DELETE FROM audit_events WHERE seq = 1");
    expect_broken(fx, 2, "genesis");
}

static void test_verify_removed_across_batch(void **state)
{
    struct fixture *fx = *state;
    append(fx, AUDIT_VERIFY_BATCH_ROWS + 5);
    char sql[96];
    snprintf(sql, sizeof sql, "DELETE FROM audit_events WHERE seq = %d",
             AUDIT_VERIFY_BATCH_ROWS + 1);
    tamper(fx, sql);
    expect_broken(fx, AUDIT_VERIFY_BATCH_ROWS + 2, "prev_hash mismatch");
}

static void test_verify_removed_end(void **state)
{
    struct fixture *fx = *state;
    append(fx, 6);
    tamper(fx, "DELETE FROM audit_events WHERE seq >= 5");
    expect_broken(fx, 4, "removed from the end");
}

static void test_verify_removed_all(void **state)
{
    struct fixture *fx = *state;
    append(fx, 3);
    tamper(fx, "DELETE FROM audit_events");
    struct audit_verify_report r;
    assert_int_equal(audit_chain_verify(fx->db, &r), LU_OK);
    assert_false(r.ok);
    assert_non_null(strstr(r.message, "removed from the end"));
}

static void test_verify_head_missing(void **state)
{
    struct fixture *fx = *state;
    append(fx, 3);
    tamper(fx, "DELETE FROM audit_head");
    expect_broken(fx, 3, "audit_head is missing");
}

static void test_verify_reordered(void **state)
{
    struct fixture *fx = *state;
    append(fx, 6);
    /* Swap rows 3 and 4 whole: each still hashes to itself, but neither
     * links to the row before it any more. */
    tamper(fx, "UPDATE audit_events SET seq = -4 WHERE seq = 4");
    tamper(fx, "UPDATE audit_events SET seq = 4 WHERE seq = 3");
    tamper(fx, "UPDATE audit_events SET seq = 3 WHERE seq = -4");
    expect_broken(fx, 3, "prev_hash mismatch");
}

#define FX(t) cmocka_unit_test_setup_teardown(t, fixture_setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_known_answer),
        cmocka_unit_test(test_hash_deterministic),
        cmocka_unit_test(test_hash_every_field_counts),
        cmocka_unit_test(test_hash_null_is_not_empty),
        cmocka_unit_test(test_hash_length_prefixed),
        FX(test_verify_empty),
        FX(test_verify_clean_across_batches),
        FX(test_verify_edited),
        FX(test_verify_edited_actor),
        FX(test_verify_removed_middle),
        FX(test_verify_removed_first),
        FX(test_verify_removed_across_batch),
        FX(test_verify_removed_end),
        FX(test_verify_removed_all),
        FX(test_verify_head_missing),
        FX(test_verify_reordered),
    };
    return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
