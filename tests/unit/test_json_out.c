/*
 * test_json_out.c — unit tests for the reply JSON writer (http/json_out.c):
 * on thousands of generated documents (every escape, control characters,
 * multi-byte and invalid UTF-8, NUL inside strings and keys, extreme
 * integers, reals, nesting) its bytes are exactly jansson's
 * json_dumps(JSON_COMPACT), and it fails where jansson fails (and also on
 * a key that is not UTF-8, where jansson writes broken JSON). And list
 * pages streamed straight from database rows (store/common.c,
 * rows_write_page) are byte for byte the pages built as jansson objects
 * (rows_to_page, page_to_json) and dumped, on generated rows of every
 * table the API lists this way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/json_out.h"
#include "store/store_internal.h"

#define DOCUMENTS 3000

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13; /* xorshift64: deterministic across runs */
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* Pieces strings are made of: plain text, every escape, control bytes,
 * DEL, valid UTF-8 of 2, 3 and 4 bytes, and (rarely) invalid bytes. */
static const char *const pieces[] = {
    "Villa", " Aurora", "/", "\"", "\\", "\b", "\f", "\n", "\r", "\t", "\x01", "\x1f", "\x7f",
    "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "itm_01m84m27hc7axntc5nr0fqbpsk", "19:30",
};
static const char *const bad[] = {"\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf5\x80\x80\x80", "\xff",
                                  "\xe2\x82"};

static size_t make_text(char *buf, size_t cap, bool allow_bad)
{
    size_t len = 0;
    uint32_t n = rnd(8);
    for (uint32_t i = 0; i < n; i++) {
        const char *p = pieces[rnd(sizeof pieces / sizeof pieces[0])];
        size_t plen = strlen(p);
        if (allow_bad && rnd(40) == 0) {
            p = bad[rnd(sizeof bad / sizeof bad[0])];
            plen = strlen(p);
        }
        if (rnd(30) == 0) {
            p = "\0";
            plen = 1; /* a NUL inside the string */
        }
        if (len + plen >= cap) {
            break;
        }
        memcpy(buf + len, p, plen);
        len += plen;
    }
    buf[len] = '\0';
    return len;
}

static json_t *make_value(int depth, bool allow_bad)
{
    uint32_t kind = rnd(depth > 4 ? 6 : 8);
    char text[256];
    switch (kind) {
    case 0: return json_null();
    case 1: return json_boolean(rnd(2));
    case 2: {
        static const json_int_t edge[] = {0, -1, 1, INT64_MAX, INT64_MIN, 42, 1000000000000LL};
        return json_integer(rnd(3) ? (json_int_t)rnd(100000) - 50000 : edge[rnd(7)]);
    }
    case 3: {
        static const double reals[] = {0.5, -2.25, 1e300, 3.0, 0.1, 123456.789};
        return json_real(reals[rnd(6)]);
    }
    case 4:
    case 5: {
        size_t len = make_text(text, sizeof text, allow_bad);
        return json_stringn_nocheck(text, len);
    }
    case 6: {
        json_t *a = json_array();
        uint32_t n = rnd(5);
        for (uint32_t i = 0; i < n; i++) {
            json_array_append_new(a, make_value(depth + 1, allow_bad));
        }
        return a;
    }
    default: {
        json_t *o = json_object();
        uint32_t n = rnd(6);
        for (uint32_t i = 0; i < n; i++) {
            /* Keys stay valid: see test_edges for an invalid one. */
            size_t len = make_text(text, sizeof text, false);
            json_object_setn_new_nocheck(o, text, len, make_value(depth + 1, allow_bad));
        }
        return o;
    }
    }
}

/* The sorted writer against json_dumps(COMPACT | SORT_KEYS | ENCODE_ANY). */
static void check_same_sorted(const json_t *doc)
{
    char *want = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    size_t len = 0;
    char *got = json_out_dump_sorted(doc, &len);
    if (want == NULL) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(got, want, len + 1);
    free(got);
    free(want);
}

static void check_same(const json_t *doc)
{
    check_same_sorted(doc);
    char *want = json_dumps(doc, JSON_COMPACT);
    size_t len = 0;
    char *got = json_out_dump(doc, &len);
    if (want == NULL) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(got, want, len + 1);
    free(got);
    free(want);
}

static void test_same_bytes_as_jansson(void **state)
{
    (void)state;
    for (int i = 0; i < DOCUMENTS; i++) {
        json_t *doc = rnd(2) ? json_object() : json_array();
        uint32_t n = rnd(6) + 1;
        for (uint32_t k = 0; k < n; k++) {
            json_t *v = make_value(1, false);
            if (json_is_object(doc)) {
                char key[16];
                snprintf(key, sizeof key, "k%u", k);
                json_object_set_new(doc, key, v);
            } else {
                json_array_append_new(doc, v);
            }
        }
        check_same(doc);
        json_decref(doc);
    }
}

/* Sorted dumps of objects whose keys share prefixes, differ in length and
 * hold NULs and UTF-8 (the order is bytes, then length), and of bare
 * scalars (ENCODE_ANY), as the audit chain stores them. */
static void test_sorted_same_bytes_as_jansson(void **state)
{
    (void)state;
    static const char *const keys[] = {"a", "ab", "abc", "b", "B", "_", "id", "id_", "\xc3\xa9",
                                       "z", "version", "property_id", "after", ""};
    for (int i = 0; i < DOCUMENTS; i++) {
        json_t *doc = json_object();
        uint32_t n = rnd(40) + 1; /* past the 32 members kept on the stack */
        for (uint32_t k = 0; k < n; k++) {
            char key[64];
            size_t len;
            if (rnd(2)) {
                len = (size_t)snprintf(key, sizeof key, "%s", keys[rnd(14)]);
            } else {
                len = make_text(key, sizeof key, false);
            }
            if (rnd(10) == 0 && len + 2 < sizeof key) {
                key[len++] = '\0'; /* a NUL inside the key */
                key[len++] = 'x';
            }
            json_object_setn_new_nocheck(doc, key, len, make_value(1, false));
        }
        check_same_sorted(doc);
        json_decref(doc);
        json_t *scalar = make_value(5, false); /* depth 5: never a container */
        check_same_sorted(scalar);
        json_decref(scalar);
    }
}

static void test_fails_where_jansson_fails(void **state)
{
    (void)state;
    int failed = 0;
    for (int i = 0; i < DOCUMENTS; i++) {
        json_t *doc = json_array();
        json_array_append_new(doc, make_value(1, true));
        json_array_append_new(doc, make_value(1, true));
        char *want = json_dumps(doc, JSON_COMPACT);
        failed += want == NULL;
        free(want);
        check_same(doc);
        json_decref(doc);
    }
    assert_true(failed > 0); /* the generator did reach invalid UTF-8 */
}

static void test_edges(void **state)
{
    (void)state;
    size_t len = 0;
    /* Bare scalars and NULL are refused, as json_dumps without ENCODE_ANY. */
    json_t *s = json_string("x");
    assert_null(json_out_dump(s, &len));
    json_decref(s);
    assert_null(json_out_dump(NULL, &len));
    json_t *empty = json_pack("{s:{}, s:[]}", "o", "a");
    check_same(empty);
    json_decref(empty);
    /* A reply-sized page: 500 records of 16 fields. */
    json_t *page = json_array();
    for (int i = 0; i < 500; i++) {
        json_array_append_new(page, json_pack("{s:s, s:s, s:i, s:b, s:n, s:s}", "id",
                                              "itm_01m84m27hc7axntc5nr0fqbpsk", "title",
                                              "Dinner for 4 at Da Adolfo, \"terrace\"", "version",
                                              i, "guest_impacting", i % 2, "due_at", "details",
                                              "line one\nline two\ttabbed \xe2\x82\xac"));
    }
    check_same(page);
    json_decref(page);
    /* A key that is not UTF-8 fails the dump. (jansson 2.14 ignores the
     * failure for keys and writes broken JSON; a 503 is better.) */
    json_t *badkey = json_object();
    json_object_setn_new_nocheck(badkey, "\xc3", 1, json_null());
    assert_null(json_out_dump(badkey, &len));
    json_decref(badkey);
    /* Nesting past the cap is refused rather than recursed into. */
    json_t *deep = json_array();
    json_t *cur = deep;
    for (int i = 0; i < JSON_OUT_DEPTH_MAX + 2; i++) {
        json_t *next = json_array();
        json_array_append_new(cur, next);
        cur = next;
    }
    assert_null(json_out_dump(deep, &len));
    json_decref(deep);
}

/* --- list pages streamed from rows ------------------------------------- */

#define ROW_PAGES 600

/* A cell for a column of the given type: mostly what the database holds,
 * sometimes what it should not (text in an integer column, "007", a
 * boolean of 2), so both paths' conversions are compared too. */
static const char *make_cell(enum column_type type, char *buf, size_t cap, bool allow_bad)
{
    if (rnd(6) == 0) {
        return NULL;
    }
    if (type == COL_INT) {
        static const char *const odd[] = {"0",  "-1", "9223372036854775807", "-9223372036854775808",
                                          "007", "12abc", "", "x", " 5", "1e3"};
        if (rnd(4) == 0) {
            return odd[rnd(sizeof odd / sizeof odd[0])];
        }
        snprintf(buf, cap, "%d", (int)rnd(2000000) - 1000000);
        return buf;
    }
    if (type == COL_BOOL) {
        static const char *const b[] = {"0", "1", "2", "-1", "t", ""};
        return b[rnd(sizeof b / sizeof b[0])];
    }
    size_t len = make_text(buf, cap, allow_bad);
    (void)len; /* a cell ends at its first NUL, as database text does */
    return buf;
}

static struct db_rows *make_rows(const struct column *cols, size_t ncols, size_t nrows,
                                 bool drop_column, bool allow_bad)
{
    /* drop_column leaves the last listed column out of the result: it
     * reads as null on both paths. */
    size_t have = drop_column && ncols > 1 ? ncols - 1 : ncols;
    struct db_rows *rows = db_rows_new(have + 1);
    assert_non_null(rows);
    for (size_t c = 0; c < have; c++) {
        assert_int_equal(db_rows_set_name(rows, c, cols[c].name), LU_OK);
    }
    assert_int_equal(db_rows_set_name(rows, have, "unlisted"), LU_OK);
    static char bufs[PAGE_COLUMNS_MAX + 1][256];
    for (size_t r = 0; r < nrows; r++) {
        const char *cells[PAGE_COLUMNS_MAX + 1];
        size_t lens[PAGE_COLUMNS_MAX + 1];
        for (size_t c = 0; c <= have; c++) {
            enum column_type type = c < have ? cols[c].type : COL_TEXT;
            if (c < have && strcmp(cols[c].name, "id") == 0) {
                snprintf(bufs[c], sizeof bufs[c], "itm_%06zu\"%s", r, rnd(2) ? "\xc3\xa9" : "");
                cells[c] = bufs[c]; /* the cursor is never NULL */
            } else {
                cells[c] = make_cell(type, bufs[c], sizeof bufs[c], allow_bad);
            }
            lens[c] = cells[c] ? strlen(cells[c]) : 0;
        }
        assert_int_equal(db_rows_push(rows, cells, lens), LU_OK);
    }
    return rows;
}

/* Streams a page of rows and builds it the jansson way; same bytes, or the
 * same failure. */
static void check_page(const struct db_rows *rows, int limit, const struct column *cols,
                       size_t ncols)
{
    struct page built;
    enum lu_rc built_rc = rows_to_page((struct db_rows *)rows, limit, cols, ncols, &built);
    struct page streamed;
    enum lu_rc streamed_rc = rows_write_page(rows, limit, cols, ncols, &streamed);
    assert_int_equal(streamed_rc, built_rc);
    assert_null(streamed.data);
    if (built_rc != LU_OK) {
        assert_null(streamed.text);
        return;
    }
    assert_non_null(streamed.text);
    assert_int_equal(streamed.has_more, built.has_more);
    assert_string_equal(streamed.next, built.next);
    json_t *body = page_to_json(&built);
    size_t len = 0;
    char *want = json_out_dump(body, &len);
    char *jansson = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    assert_non_null(want);
    assert_int_equal(streamed.text_len, len);
    assert_memory_equal(streamed.text, want, len + 1);
    assert_string_equal(streamed.text, jansson); /* and jansson's own bytes */
    /* A streamed page read back as an object is the same page. */
    json_t *parsed = page_to_json(&streamed);
    assert_non_null(parsed);
    assert_null(streamed.text);
    char *again = json_out_dump(parsed, &len);
    assert_string_equal(again, want);
    json_decref(parsed);
    free(again);
    free(jansson);
    free(want);
}

static void test_rows_streamed_as_built(void **state)
{
    (void)state;
    static const struct column mixed[] = {
        {"id", COL_TEXT},   {"count", COL_INT},    {"flag", COL_BOOL}, {"name", COL_TEXT},
        {"note", COL_TEXT}, {"version", COL_INT},  {"quote\"d", COL_TEXT},
    };
    const struct table_def *tables[] = {&item_table, &booking_table, &guest_table};
    int failed = 0;
    for (int i = 0; i < ROW_PAGES; i++) {
        const struct column *cols = mixed;
        size_t ncols = sizeof mixed / sizeof mixed[0];
        uint32_t t = rnd(4);
        if (t < 3) {
            cols = tables[t]->cols;
            ncols = tables[t]->ncols;
        }
        bool allow_bad = rnd(8) == 0;
        struct db_rows *rows = make_rows(cols, ncols, rnd(12), rnd(5) == 0, allow_bad);
        int limit = (int)rnd(12) + 1;
        struct page probe;
        if (rows_write_page(rows, limit, cols, ncols, &probe) != LU_OK) {
            failed++;
        }
        free(probe.text);
        check_page(rows, limit, cols, ncols);
        db_rows_free(rows);
    }
    assert_true(failed > 0); /* invalid UTF-8 in a row was reached: both fail */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes_as_jansson),
        cmocka_unit_test(test_fails_where_jansson_fails),
        cmocka_unit_test(test_sorted_same_bytes_as_jansson),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_rows_streamed_as_built),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
