/*
 * test_clock.c — unit tests for core/clock: strict YYYY-MM-DD dates (leap
 * years, impossible days, junk), RFC 3339 parsing with zones and fractions,
 * formatting and its round trip, and the time zone name check (which must
 * refuse paths). The zone tests need tzdata, as the server itself does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"

/* 2026-11-23T17:05:00Z, the example of SPEC §3. */
#define SPEC_EXAMPLE_S INT64_C(1795453500)

static void test_date_valid(void **state)
{
    (void)state;
    assert_true(clock_date_valid("2026-11-23"));
    assert_true(clock_date_valid("2026-01-01"));
    assert_true(clock_date_valid("2026-12-31"));
    assert_true(clock_date_valid("2026-04-30"));
    assert_true(clock_date_valid("2026-01-31"));
    assert_true(clock_date_valid("1900-01-01"));
    assert_true(clock_date_valid("9999-12-31"));
}

static void test_date_leap_years(void **state)
{
    (void)state;
    assert_true(clock_date_valid("2024-02-29"));
    assert_false(clock_date_valid("2023-02-29"));
    assert_true(clock_date_valid("2023-02-28"));
    assert_false(clock_date_valid("2024-02-30"));
    /* Centuries are leap only when divisible by 400. */
    assert_true(clock_date_valid("2000-02-29"));
    assert_false(clock_date_valid("1900-02-29"));
    assert_false(clock_date_valid("2100-02-29"));
}

static void test_date_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "2026-13-01",
        "2026-00-10",
        "2026-01-00",
        "2026-01-32",
        "2026-04-31",
        "2026-06-31",
        "2026-1-01",
        "2026-01-1",
        "26-01-01",
        "2026/01/01",
        "2026-01-01x",
        "2026-01-01 ",
        " 2026-01-01",
        "2026-01-01T00:00:00Z",
        "",
        "20260101",
        "abcd-ef-gh",
        "2026-0a-01",
        "+026-01-01",
        "-026-01-01",
        "2026--1-01",
        "0000-01-01",
        "1899-12-31",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (clock_date_valid(bad[i])) {
            fail_msg("\"%s\" was accepted as a date", bad[i]);
        }
    }
    assert_false(clock_date_valid(NULL));
}

/* Parses s and expects epoch seconds want. */
static void expect_time(const char *s, int64_t want)
{
    int64_t got = 0;
    if (!clock_parse_rfc3339(s, &got)) {
        fail_msg("\"%s\" was refused", s);
    }
    if (got != want) {
        fail_msg("\"%s\" gave %lld, want %lld", s, (long long)got, (long long)want);
    }
}

static void test_parse_utc(void **state)
{
    (void)state;
    expect_time("1970-01-01T00:00:00Z", 0);
    expect_time("2000-01-01T00:00:00Z", INT64_C(946684800));
    expect_time("2026-11-23T17:05:00Z", SPEC_EXAMPLE_S);
    expect_time("2024-02-29T12:00:00Z", INT64_C(1709208000));
    expect_time("1900-01-01T00:00:00Z", INT64_C(-2208988800));
    expect_time("1969-12-31T23:59:59Z", -1);
    expect_time("9999-12-31T23:59:59Z", INT64_C(253402300799));
}

static void test_parse_offsets(void **state)
{
    (void)state;
    /* The same instant written in several zones. */
    expect_time("2026-11-23T18:05:00+01:00", SPEC_EXAMPLE_S);
    expect_time("2026-11-23T09:05:00-08:00", SPEC_EXAMPLE_S);
    expect_time("2026-11-23T22:35:00+05:30", SPEC_EXAMPLE_S);
    expect_time("2026-11-23T17:05:00+00:00", SPEC_EXAMPLE_S);
    expect_time("2026-11-23T17:05:00-00:00", SPEC_EXAMPLE_S);
    /* An offset moves the date across midnight and the year. */
    expect_time("2026-01-01T00:00:00+01:00", INT64_C(1767222000));
    expect_time("2025-12-31T15:00:00-08:00", INT64_C(1767222000));
    expect_time("2026-11-24T16:50:00+23:45", SPEC_EXAMPLE_S);
}

static void test_parse_fractions(void **state)
{
    (void)state;
    /* Fractions are accepted and dropped: the result is whole seconds. */
    expect_time("2026-11-23T17:05:00.5Z", SPEC_EXAMPLE_S);
    expect_time("2026-11-23T17:05:00.123Z", SPEC_EXAMPLE_S);
    expect_time("2026-11-23T17:05:00.999999999Z", SPEC_EXAMPLE_S);
    expect_time("2026-11-23T18:05:00.250+01:00", SPEC_EXAMPLE_S);
    int64_t t = 0;
    assert_false(clock_parse_rfc3339("2026-11-23T17:05:00.Z", &t));
    assert_false(clock_parse_rfc3339("2026-11-23T17:05:00.1234567890Z", &t));
    assert_false(clock_parse_rfc3339("2026-11-23T17:05:00,5Z", &t));
    assert_false(clock_parse_rfc3339("2026-11-23T17:05:00.5.5Z", &t));
}

static void test_parse_lowercase(void **state)
{
    (void)state;
    expect_time("2026-11-23t17:05:00z", SPEC_EXAMPLE_S);
    expect_time("2026-11-23t17:05:00Z", SPEC_EXAMPLE_S);
    expect_time("2026-11-23T17:05:00z", SPEC_EXAMPLE_S);
}

static void test_parse_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        /* hours, minutes, seconds out of range */
        "2026-11-23T24:00:00Z",
        "2026-11-23T25:00:00Z",
        "2026-11-23T23:60:00Z",
        "2026-11-23T23:59:60Z",
        "2026-11-23T99:00:00Z",
        /* a missing or malformed zone */
        "2026-11-23T17:05:00",
        "2026-11-23T17:05:00+01",
        "2026-11-23T17:05:00+0100",
        "2026-11-23T17:05:00+1:00",
        "2026-11-23T17:05:00+24:00",
        "2026-11-23T17:05:00+01:60",
        "2026-11-23T17:05:00 Z",
        "2026-11-23T17:05:00UTC",
        "2026-11-23T17:05:00+",
        /* junk after the zone */
        "2026-11-23T17:05:00Zx",
        "2026-11-23T17:05:00Z ",
        "2026-11-23T17:05:00+01:00x",
        /* a bad date or separator */
        "2026-02-30T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-11-23 17:05:00Z",
        "2026-11-23X17:05:00Z",
        "2026-11-23T17-05-00Z",
        "2026-11-23T17:05Z",
        "2026-11-23T1:05:00Z",
        "2026-11-23",
        "",
        "1899-12-31T23:59:59Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 0;
        if (clock_parse_rfc3339(bad[i], &t)) {
            fail_msg("\"%s\" was accepted as %lld", bad[i], (long long)t);
        }
    }
    int64_t t = 0;
    assert_false(clock_parse_rfc3339(NULL, &t));
}

static void test_format_utc(void **state)
{
    (void)state;
    char out[RFC3339_BYTES];
    clock_format_utc(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    clock_format_utc(SPEC_EXAMPLE_S, out);
    assert_string_equal(out, "2026-11-23T17:05:00Z");
    clock_format_utc(INT64_C(1709208000), out);
    assert_string_equal(out, "2024-02-29T12:00:00Z");
    clock_format_utc(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59Z");
    clock_format_utc(INT64_C(253402300799), out);
    assert_string_equal(out, "9999-12-31T23:59:59Z");
}

static void test_format_parse_round_trip(void **state)
{
    (void)state;
    /* From 1900 to 9999 in odd steps, so every month, day and hour comes up. */
    const int64_t first = INT64_C(-2208988800);
    const int64_t last = INT64_C(253402300799);
    const int64_t step = INT64_C(86400 * 37 + 3600 * 5 + 60 * 7 + 11);
    size_t checked = 0;
    for (int64_t t = first; t <= last; t += step) {
        char out[RFC3339_BYTES];
        clock_format_utc(t, out);
        assert_int_equal(strlen(out), 20);
        int64_t back = 0;
        if (!clock_parse_rfc3339(out, &back) || back != t) {
            fail_msg("%lld formatted as %s did not come back", (long long)t, out);
        }
        char date[11];
        memcpy(date, out, 10);
        date[10] = '\0';
        assert_true(clock_date_valid(date));
        checked++;
    }
    assert_true(checked > 70000);
    char out[RFC3339_BYTES];
    int64_t now = clock_now_s();
    clock_format_utc(now, out);
    int64_t back = 0;
    assert_true(clock_parse_rfc3339(out, &back));
    assert_int_equal(back, now);
}

static void test_zone_valid(void **state)
{
    (void)state;
    assert_true(clock_zone_valid("Europe/Rome"));
    assert_true(clock_zone_valid("UTC"));
    assert_true(clock_zone_valid("America/Los_Angeles"));
    assert_true(clock_zone_valid("America/Argentina/Buenos_Aires"));
    assert_true(clock_zone_valid("Etc/GMT+5"));
    assert_true(clock_zone_valid("America/Port-au-Prince"));
}

static void test_zone_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Nope/Nowhere",
        "Europe//Rome",
        "leapseconds",
        "zone.tab",
        "localtime",
        "",
        "/etc/passwd",
        "../x",
        "..",
        "Europe/../Europe/Rome",
        "../../../../etc/passwd",
        "Europe",
        "Europe/",
        "Europe/Rome/",
        "europe/rome",
        "Europe/Rome ",
        " Europe/Rome",
        "Europe/Rome\n",
        "Europe\\Rome",
        "zone.tab",
        "tzdata.zi",
        "Europe/Rome%00",
        "$HOME",
        "Europe/Ro*",
        /* Longer than any real zone name. */
        "America/Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (clock_zone_valid(bad[i])) {
            fail_msg("\"%s\" was accepted as a time zone", bad[i]);
        }
    }
    assert_false(clock_zone_valid(NULL));
}

static void test_mono_clock(void **state)
{
    (void)state;
    double a = clock_mono_ms();
    double b = clock_mono_ms();
    assert_true(b >= a);
    /* The wall clock is after 2024 and before 2100 on any machine running this. */
    int64_t now = clock_now_s();
    assert_true(now > INT64_C(1704067200));
    assert_true(now < INT64_C(4102444800));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_valid),      cmocka_unit_test(test_date_leap_years),
        cmocka_unit_test(test_date_invalid),    cmocka_unit_test(test_parse_utc),
        cmocka_unit_test(test_parse_offsets),   cmocka_unit_test(test_parse_fractions),
        cmocka_unit_test(test_parse_lowercase), cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_format_utc),      cmocka_unit_test(test_format_parse_round_trip),
        cmocka_unit_test(test_zone_valid),      cmocka_unit_test(test_zone_invalid),
        cmocka_unit_test(test_mono_clock),
    };
    return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
