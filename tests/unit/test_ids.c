/*
 * test_ids.c — unit tests for core/ids: the shape of a new id (prefix plus 26
 * lower-case Crockford base32 characters), id_valid's refusals, uniqueness
 * over 10,000 ids, creation-time ordering, and the time carried in the id.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/ids.h"

#define CROCKFORD "0123456789abcdefghjkmnpqrstvwxyz"
#define UNIQUE_COUNT 10000

/* SPEC §3's prefixes. */
static const char *const PREFIXES[] = {"prop_", "gst_", "bk_", "itm_", "msg_",
                                       "ses_",  "wl_",  "ob_", "aud_"};
#define PREFIXES_LEN (sizeof PREFIXES / sizeof PREFIXES[0])

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
        /* Interrupted: sleep the rest. */
    }
}

static void expect_shape(const char *prefix, const char *id)
{
    size_t plen = strlen(prefix);
    assert_int_equal(strlen(id), plen + ID_BODY_CHARS);
    assert_memory_equal(id, prefix, plen);
    for (const char *p = id + plen; *p; p++) {
        if (strchr(CROCKFORD, *p) == NULL) {
            fail_msg("id %s has '%c' outside the alphabet", id, *p);
        }
    }
    assert_true(id_valid(prefix, id));
}

static void test_new_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < PREFIXES_LEN; i++) {
        char id[ID_BYTES_MAX];
        assert_int_equal(id_new(PREFIXES[i], id, sizeof id), LU_OK);
        expect_shape(PREFIXES[i], id);
    }
}

static void test_new_exact_capacity(void **state)
{
    (void)state;
    /* prefix + body + NUL is enough; the byte after it stays untouched. */
    char buf[5 + ID_BODY_CHARS + 2];
    memset(buf, '#', sizeof buf);
    assert_int_equal(id_new("prop_", buf, 5 + ID_BODY_CHARS + 1), LU_OK);
    expect_shape("prop_", buf);
    assert_int_equal(buf[sizeof buf - 1], '#');
}

/* Decodes the first 10 body characters: milliseconds since the epoch. */
static uint64_t id_time_ms(const char *body)
{
    uint64_t ms = 0;
    for (int i = 0; i < 10; i++) {
        const char *at = strchr(CROCKFORD, body[i]);
        assert_non_null(at);
        ms = (ms << 5) | (uint64_t)(at - CROCKFORD);
    }
    return ms;
}

static void test_time_in_id(void **state)
{
    (void)state;
    struct timespec before;
    struct timespec after;
    char id[ID_BYTES_MAX];
    clock_gettime(CLOCK_REALTIME, &before);
    assert_int_equal(id_new("bk_", id, sizeof id), LU_OK);
    clock_gettime(CLOCK_REALTIME, &after);
    uint64_t lo = (uint64_t)before.tv_sec * 1000u + (uint64_t)before.tv_nsec / 1000000u;
    uint64_t hi = (uint64_t)after.tv_sec * 1000u + (uint64_t)after.tv_nsec / 1000000u;
    uint64_t ms = id_time_ms(id + 3);
    assert_true(ms >= lo);
    assert_true(ms <= hi);
}

static void test_valid_accepts(void **state)
{
    (void)state;
    assert_true(id_valid("prop_", "prop_01hx0000000000000000000000"));
    assert_true(id_valid("prop_", "prop_0123456789abcdefghjkmnpqrs"));
    assert_true(id_valid("gst_", "gst_tvwxyz0123456789abcdefghjk"));
    assert_true(id_valid("bk_", "bk_zzzzzzzzzzzzzzzzzzzzzzzzzz"));
}

static void test_valid_rejects(void **state)
{
    (void)state;
    char id[ID_BYTES_MAX];
    assert_int_equal(id_new("prop_", id, sizeof id), LU_OK);
    /* Wrong or missing prefix. */
    assert_false(id_valid("gst_", id));
    assert_false(id_valid("prop_", id + 5));
    assert_false(id_valid("prop_", "Prop_0123456789abcdefghjkmnpqrs"));
    assert_false(id_valid("prop_", "prop0123456789abcdefghjkmnpqrs"));
    assert_false(id_valid("prop_", "prop__123456789abcdefghjkmnpqrs"));
    /* Wrong length. */
    assert_false(id_valid("prop_", "prop_0123456789abcdefghjkmnpqr"));
    assert_false(id_valid("prop_", "prop_0123456789abcdefghjkmnpqrst"));
    assert_false(id_valid("prop_", "prop_"));
    assert_false(id_valid("prop_", ""));
    assert_false(id_valid("prop_", NULL));
    /* Characters outside the lower-case Crockford alphabet. */
    static const char bad_chars[] = "ilouILOUABCZ-_.~/%+ \t\n\x7f\xc3";
    for (size_t i = 0; i < sizeof bad_chars - 1; i++) {
        char copy[ID_BYTES_MAX];
        memcpy(copy, id, sizeof copy);
        copy[5 + (i % ID_BODY_CHARS)] = bad_chars[i];
        if (id_valid("prop_", copy)) {
            fail_msg("id with byte 0x%02x was accepted", (unsigned char)bad_chars[i]);
        }
    }
    /* An embedded NUL makes it short. */
    char cut[ID_BYTES_MAX];
    memcpy(cut, id, sizeof cut);
    cut[10] = '\0';
    assert_false(id_valid("prop_", cut));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void test_unique(void **state)
{
    (void)state;
    char(*ids)[ID_BYTES_MAX] = calloc(UNIQUE_COUNT, sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < UNIQUE_COUNT; i++) {
        assert_int_equal(id_new("itm_", ids[i], sizeof ids[i]), LU_OK);
        assert_true(id_valid("itm_", ids[i]));
    }
    qsort(ids, UNIQUE_COUNT, sizeof *ids, cmp_str);
    for (size_t i = 1; i < UNIQUE_COUNT; i++) {
        if (strcmp(ids[i - 1], ids[i]) == 0) {
            fail_msg("duplicate id %s", ids[i]);
        }
    }
    free(ids);
}

static void test_time_order(void **state)
{
    (void)state;
    char prev[ID_BYTES_MAX];
    assert_int_equal(id_new("msg_", prev, sizeof prev), LU_OK);
    for (int i = 0; i < 50; i++) {
        sleep_ms(2);
        char next[ID_BYTES_MAX];
        assert_int_equal(id_new("msg_", next, sizeof next), LU_OK);
        if (strcmp(prev, next) >= 0) {
            fail_msg("%s made after %s sorts before it", next, prev);
        }
        memcpy(prev, next, sizeof prev);
    }
}

static void test_random_bytes(void **state)
{
    (void)state;
    unsigned char a[32];
    unsigned char b[32];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    assert_int_equal(random_bytes(a, sizeof a), LU_OK);
    assert_int_equal(random_bytes(b, sizeof b), LU_OK);
    /* Two 256-bit draws are equal with probability 2^-256. */
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(random_bytes(a, 0), LU_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_format),    cmocka_unit_test(test_new_exact_capacity),
        cmocka_unit_test(test_time_in_id),    cmocka_unit_test(test_valid_accepts),
        cmocka_unit_test(test_valid_rejects), cmocka_unit_test(test_unique),
        cmocka_unit_test(test_time_order),    cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests_name("ids", tests, NULL, NULL);
}
