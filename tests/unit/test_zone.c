/*
 * test_zone.c — unit tests for core/zone: the boundaries of a local day in
 * real IANA zones across DST changes (23- and 25-hour days in Los Angeles
 * and Rome, a midnight that never happens in Santiago, one that happens
 * twice in Havana, the southern hemisphere in Sydney), half-hour offsets
 * (Kolkata), dates near midnight and the new year, the POSIX rule footer on
 * its own and past the file's last transition, refusal of bad names, rules
 * and files (every truncation of a real file), and use from many threads.
 * Expected instants are written out as RFC 3339 so they can be checked by
 * hand against a timetable. Needs tzdata, as the server does.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/zone.h"

#define HOUR_S 3600

static int64_t at(const char *rfc3339)
{
    int64_t t = 0;
    assert_true(clock_parse_rfc3339(rfc3339, &t));
    return t;
}

static struct zone *open_zone(const char *name)
{
    struct zone *z = NULL;
    assert_int_equal(zone_open(name, &z), LU_OK);
    assert_non_null(z);
    return z;
}

/* Checks the day's bounds and returns its length in hours. */
static int64_t check_day(const struct zone *z, const char *date, const char *start, const char *end)
{
    int64_t s = 0, e = 0;
    assert_true(zone_day_bounds(z, date, &s, &e));
    char got_s[RFC3339_BYTES], got_e[RFC3339_BYTES];
    clock_format_utc(s, got_s);
    clock_format_utc(e, got_e);
    assert_string_equal(got_s, start);
    assert_string_equal(got_e, end);
    return (e - s) / HOUR_S;
}

static void check_date_of(const struct zone *z, const char *instant, const char *date)
{
    char out[ZONE_DATE_BYTES];
    zone_date_of(z, at(instant), out);
    assert_string_equal(out, date);
}

static void test_los_angeles_spring_forward(void **state)
{
    (void)state;
    struct zone *z = open_zone("America/Los_Angeles");
    assert_int_equal(check_day(z, "2026-03-07", "2026-03-07T08:00:00Z", "2026-03-08T08:00:00Z"),
                     24);
    /* 2026-03-08 02:00 PST becomes 03:00 PDT: a 23-hour day. */
    assert_int_equal(check_day(z, "2026-03-08", "2026-03-08T08:00:00Z", "2026-03-09T07:00:00Z"),
                     23);
    assert_int_equal(zone_offset_s(z, at("2026-03-08T09:59:59Z")), -8 * HOUR_S);
    assert_int_equal(zone_offset_s(z, at("2026-03-08T10:00:00Z")), -7 * HOUR_S);
    /* 02:30 never happens that night: the first instant past it is the
     * jump itself. */
    int64_t local = 0;
    assert_true(zone_date_local_s("2026-03-08", &local));
    assert_int_equal(zone_local_to_utc(z, local + 2 * HOUR_S + 1800), at("2026-03-08T10:00:00Z"));
    assert_int_equal(zone_local_to_utc(z, local + 3 * HOUR_S), at("2026-03-08T10:00:00Z"));
    zone_close(z);
}

static void test_los_angeles_fall_back(void **state)
{
    (void)state;
    struct zone *z = open_zone("America/Los_Angeles");
    /* 2026-11-01 02:00 PDT becomes 01:00 PST: a 25-hour day. */
    assert_int_equal(check_day(z, "2026-11-01", "2026-11-01T07:00:00Z", "2026-11-02T08:00:00Z"),
                     25);
    assert_int_equal(check_day(z, "2026-11-02", "2026-11-02T08:00:00Z", "2026-11-03T08:00:00Z"),
                     24);
    /* 01:30 happens twice; the earlier (PDT) one is taken. */
    int64_t local = 0;
    assert_true(zone_date_local_s("2026-11-01", &local));
    assert_int_equal(zone_local_to_utc(z, local + HOUR_S + 1800), at("2026-11-01T08:30:00Z"));
    /* Dinner at 19:30 on an ordinary evening. */
    assert_true(zone_date_local_s("2026-11-23", &local));
    assert_int_equal(zone_local_to_utc(z, local + 19 * HOUR_S + 1800), at("2026-11-24T03:30:00Z"));
    zone_close(z);
}

static void test_rome(void **state)
{
    (void)state;
    struct zone *z = open_zone("Europe/Rome");
    assert_int_equal(check_day(z, "2026-01-15", "2026-01-14T23:00:00Z", "2026-01-15T23:00:00Z"),
                     24);
    assert_int_equal(check_day(z, "2026-07-15", "2026-07-14T22:00:00Z", "2026-07-15T22:00:00Z"),
                     24);
    /* Last Sundays of March and October. */
    assert_int_equal(check_day(z, "2026-03-29", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"),
                     23);
    assert_int_equal(check_day(z, "2026-10-25", "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"),
                     25);
    zone_close(z);
}

static void test_kolkata_half_hour(void **state)
{
    (void)state;
    struct zone *z = open_zone("Asia/Kolkata");
    assert_int_equal(check_day(z, "2026-11-23", "2026-11-22T18:30:00Z", "2026-11-23T18:30:00Z"),
                     24);
    assert_int_equal(check_day(z, "2026-03-08", "2026-03-07T18:30:00Z", "2026-03-08T18:30:00Z"),
                     24);
    assert_int_equal(zone_offset_s(z, at("2026-06-01T00:00:00Z")), 5 * HOUR_S + 1800);
    zone_close(z);
}

static void test_dates_near_midnight(void **state)
{
    (void)state;
    struct zone *la = open_zone("America/Los_Angeles");
    check_date_of(la, "2026-11-24T07:59:59Z", "2026-11-23");
    check_date_of(la, "2026-11-24T08:00:00Z", "2026-11-24");
    check_date_of(la, "2026-03-09T06:59:59Z", "2026-03-08");
    check_date_of(la, "2026-03-09T07:00:00Z", "2026-03-09");
    zone_close(la);
    struct zone *in = open_zone("Asia/Kolkata");
    check_date_of(in, "2026-11-22T18:29:59Z", "2026-11-22");
    check_date_of(in, "2026-11-22T18:30:00Z", "2026-11-23");
    zone_close(in);
    struct zone *rome = open_zone("Europe/Rome");
    check_date_of(rome, "2026-12-31T22:59:59Z", "2026-12-31");
    check_date_of(rome, "2026-12-31T23:00:00Z", "2027-01-01");
    zone_close(rome);
    struct zone *utc = open_zone("UTC");
    check_date_of(utc, "2024-02-29T23:59:59Z", "2024-02-29");
    check_date_of(utc, "2024-03-01T00:00:00Z", "2024-03-01");
    zone_close(utc);
}

static void test_midnight_gap_and_overlap(void **state)
{
    (void)state;
    /* Santiago springs forward at 24:00 on the first Saturday of September:
     * 2026-09-06 starts at 01:00 -03. */
    struct zone *z = open_zone("America/Santiago");
    assert_int_equal(check_day(z, "2026-09-06", "2026-09-06T04:00:00Z", "2026-09-07T03:00:00Z"),
                     23);
    zone_close(z);
    /* Havana falls back at 01:00 to 00:00: midnight happens twice, and the
     * day starts at the first. */
    z = open_zone("America/Havana");
    assert_int_equal(check_day(z, "2026-11-01", "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z"),
                     25);
    zone_close(z);
}

static void test_southern_hemisphere(void **state)
{
    (void)state;
    /* Sydney leaves DST on the first Sunday of April at 03:00 AEDT. */
    struct zone *z = open_zone("Australia/Sydney");
    assert_int_equal(check_day(z, "2026-04-05", "2026-04-04T13:00:00Z", "2026-04-05T14:00:00Z"),
                     25);
    assert_int_equal(check_day(z, "2026-10-04", "2026-10-03T14:00:00Z", "2026-10-04T13:00:00Z"),
                     23);
    assert_int_equal(check_day(z, "2026-01-10", "2026-01-09T13:00:00Z", "2026-01-10T13:00:00Z"),
                     24);
    zone_close(z);
}

static void test_rule_alone(void **state)
{
    (void)state;
    struct zone *z = NULL;
    assert_int_equal(zone_open_rule("PST8PDT,M3.2.0,M11.1.0", &z), LU_OK);
    check_day(z, "2026-03-08", "2026-03-08T08:00:00Z", "2026-03-09T07:00:00Z");
    check_day(z, "2026-11-01", "2026-11-01T07:00:00Z", "2026-11-02T08:00:00Z");
    zone_close(z);
    assert_int_equal(zone_open_rule("CET-1CEST,M3.5.0,M10.5.0/3", &z), LU_OK);
    check_day(z, "2026-03-29", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z");
    check_day(z, "2026-10-25", "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z");
    zone_close(z);
    assert_int_equal(zone_open_rule("<+0530>-5:30", &z), LU_OK);
    check_day(z, "2026-11-23", "2026-11-22T18:30:00Z", "2026-11-23T18:30:00Z");
    zone_close(z);
    assert_int_equal(zone_open_rule("AEST-10AEDT,M10.1.0,M4.1.0/3", &z), LU_OK);
    check_day(z, "2026-04-05", "2026-04-04T13:00:00Z", "2026-04-05T14:00:00Z");
    zone_close(z);
    /* Julian-day forms: DST from day 60 to day 300 (no leap day counted). */
    assert_int_equal(zone_open_rule("XST3XDT,J60/0,J300/0", &z), LU_OK);
    check_day(z, "2026-03-01", "2026-03-01T03:00:00Z", "2026-03-02T02:00:00Z");
    zone_close(z);
}

static void test_past_last_transition(void **state)
{
    (void)state;
    /* Fat files stop listing transitions in 2037; the footer rule goes on. */
    struct zone *z = open_zone("America/Los_Angeles");
    assert_int_equal(check_day(z, "2050-03-13", "2050-03-13T08:00:00Z", "2050-03-14T07:00:00Z"),
                     23);
    assert_int_equal(check_day(z, "2050-11-06", "2050-11-06T07:00:00Z", "2050-11-07T08:00:00Z"),
                     25);
    zone_close(z);
}

static void test_bad_names_and_rules(void **state)
{
    (void)state;
    struct zone *z = NULL;
    assert_int_equal(zone_open("Mars/Olympus", &z), LU_NOT_FOUND);
    assert_int_equal(zone_open("../../etc/passwd", &z), LU_NOT_FOUND);
    assert_int_equal(zone_open("", &z), LU_NOT_FOUND);
    assert_int_equal(zone_open("zone.tab", &z), LU_NOT_FOUND);
    static const char *const bad[] = {
        "",
        "P8",
        "PST",
        "PST8PDT,M3.2",
        "EST5EDT,M13.1.0,M11.1.0",
        "EST5EDT,M3.6.0,M11.1.0",
        "EST5EDT,M3.2.7,M11.1.0",
        "EST5EDT,J0,J100",
        "EST5EDT,M3.2.0/200,M11.1.0",
        "<+05",
        "EST5EDT,M3.2.0,M11.1.0x",
        "EST25",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        z = NULL;
        if (zone_open_rule(bad[i], &z) != LU_INVALID) {
            fail_msg("rule accepted: \"%s\"", bad[i]);
        }
        assert_null(z);
    }
    struct zone *ok = open_zone("Europe/Rome");
    int64_t s = 0, e = 0;
    assert_false(zone_day_bounds(ok, "2026-02-30", &s, &e));
    assert_false(zone_day_bounds(ok, "today", &s, &e));
    zone_close(ok);
}

static unsigned char *file_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *buf = malloc(ZONE_FILE_BYTES_MAX);
    assert_non_null(buf);
    *len = fread(buf, 1, ZONE_FILE_BYTES_MAX, f);
    fclose(f);
    return buf;
}

static void test_truncated_files(void **state)
{
    (void)state;
    size_t len = 0;
    unsigned char *buf = file_bytes("/usr/share/zoneinfo/Europe/Rome", &len);
    struct zone *z = NULL;
    assert_int_equal(zone_open_tzif(buf, len, &z), LU_OK);
    zone_close(z);
    /* Every shorter prefix is refused cleanly (ASan watches the reads). */
    for (size_t n = 0; n < len; n++) {
        z = NULL;
        assert_int_not_equal(zone_open_tzif(buf, n, &z), LU_OK);
        assert_null(z);
    }
    /* Bytes that are not TZif are refused. */
    unsigned char *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, buf, len);
    memcpy(copy, "TZjf", 4);
    assert_int_equal(zone_open_tzif(copy, len, &z), LU_INVALID);
    free(copy);
    free(buf);
}

struct thread_job {
    const char *zone;
    const char *date;
    int64_t hours;
    int failures;
};

static void *thread_run(void *arg)
{
    struct thread_job *job = arg;
    for (int i = 0; i < 200; i++) {
        struct zone *z = NULL;
        int64_t s = 0, e = 0;
        if (zone_open(job->zone, &z) != LU_OK || !zone_day_bounds(z, job->date, &s, &e) ||
            (e - s) / HOUR_S != job->hours) {
            job->failures++;
        }
        zone_close(z);
    }
    return NULL;
}

static void test_many_threads(void **state)
{
    (void)state;
    struct thread_job jobs[] = {
        {"America/Los_Angeles", "2026-03-08", 23, 0}, {"America/Los_Angeles", "2026-11-01", 25, 0},
        {"Europe/Rome", "2026-03-29", 23, 0},         {"Asia/Kolkata", "2026-03-29", 24, 0},
        {"Europe/Rome", "2026-10-25", 25, 0},         {"Australia/Sydney", "2026-04-05", 25, 0},
    };
    enum { N = sizeof jobs / sizeof jobs[0] };
    pthread_t threads[N];
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, thread_run, &jobs[i]), 0);
    }
    for (size_t i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
    }
}

static void test_date_arithmetic(void **state)
{
    (void)state;
    char out[ZONE_DATE_BYTES];
    assert_true(zone_date_add("2026-12-31", 1, out));
    assert_string_equal(out, "2027-01-01");
    assert_true(zone_date_add("2024-02-28", 1, out));
    assert_string_equal(out, "2024-02-29");
    assert_true(zone_date_add("2026-03-01", -1, out));
    assert_string_equal(out, "2026-02-28");
    assert_true(zone_date_add("2026-01-10", -40, out));
    assert_string_equal(out, "2025-12-01");
    assert_false(zone_date_add("2026-13-01", 1, out));
    int64_t local = 0;
    assert_true(zone_date_local_s("1970-01-02", &local));
    assert_int_equal(local, 86400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_los_angeles_spring_forward),
        cmocka_unit_test(test_los_angeles_fall_back),
        cmocka_unit_test(test_rome),
        cmocka_unit_test(test_kolkata_half_hour),
        cmocka_unit_test(test_dates_near_midnight),
        cmocka_unit_test(test_midnight_gap_and_overlap),
        cmocka_unit_test(test_southern_hemisphere),
        cmocka_unit_test(test_rule_alone),
        cmocka_unit_test(test_past_last_transition),
        cmocka_unit_test(test_bad_names_and_rules),
        cmocka_unit_test(test_truncated_files),
        cmocka_unit_test(test_many_threads),
        cmocka_unit_test(test_date_arithmetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
