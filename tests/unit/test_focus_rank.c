/*
 * test_focus_rank.c — unit tests for focus ranking and wording
 * (src/focus/rank.c, reply.c): the documented score (severity + time +
 * impact + money) on hand-made records at a fixed instant in Rome, the tie
 * rule (due time, then id), membership of each set, and the words a person
 * reads — money ("€2,900.00", "$18.50", "¥5,000", "CHF 12.00"), times
 * ("tonight at 19:30", "tomorrow at 09:30", "on Friday at …") and reasons
 * that never call a requested item confirmed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"
#include "focus/focus_internal.h"

static int64_t at(const char *rfc3339)
{
    int64_t t = 0;
    assert_true(clock_parse_rfc3339(rfc3339, &t));
    return t;
}

/* 2026-11-23 is a Monday; 15:00 in Rome is 14:00Z. */
#define NOW "2026-11-23T14:00:00Z"

struct fixture {
    struct focus_facts facts;
    struct focus_place place;
};

static void place_init(struct focus_facts *f, struct focus_place *p, struct zone *z)
{
    memset(f, 0, sizeof *f);
    memset(p, 0, sizeof *p);
    f->now_s = at(NOW);
    p->id = "prop_rome";
    p->name = "Villa Aurora";
    p->zone_name = "Europe/Rome";
    p->zone = z;
    zone_date_of(z, f->now_s, p->today);
    assert_string_equal(p->today, "2026-11-23");
    assert_true(zone_date_add(p->today, -1, p->yesterday));
    assert_true(zone_date_add(p->today, 1, p->tomorrow));
    int64_t ignored;
    assert_true(zone_day_bounds(z, p->today, &p->day_start_s, &p->day_end_s));
    assert_true(zone_day_bounds(z, p->tomorrow, &ignored, &p->tomorrow_end_s));
    f->places = p;
    f->nplaces = 1;
    f->risks_known = true;
}

static json_t *an_item(const char *id, const char *kind, const char *priority, bool guests,
                       const char *due, const char *state)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s?, s:s, s:s}", "id", id, "property_id",
                     "prop_rome", "kind", kind, "title", "T", "priority", priority,
                     "guest_impacting", guests, "due_at", due, "state", state, "guest_name",
                     "Daniel Okafor");
}

static struct focus_candidate cand(const struct focus_facts *f, enum focus_kind kind,
                                   const json_t *record, const char *id)
{
    struct focus_candidate c = {.kind = kind, .record = record, .place = &f->places[0], .id = id};
    focus_candidate_score(&c, f->now_s);
    return c;
}

static void test_scores(void **state)
{
    (void)state;
    struct zone *z = NULL;
    assert_int_equal(zone_open("Europe/Rome", &z), LU_OK);
    struct focus_facts f;
    struct focus_place p;
    place_init(&f, &p, z);

    /* urgent, guest-impacting, overdue, requested: 400 + 300 + 150 */
    json_t *leak =
        an_item("itm_1", "maintenance", "urgent", true, "2026-11-23T13:20:00Z", "requested");
    struct focus_candidate c = cand(&f, FOCUS_KIND_MAINTENANCE, leak, "itm_1");
    assert_int_equal(c.severity, 400);
    assert_int_equal(c.time, 300);
    assert_int_equal(c.impact, 150);
    assert_int_equal(c.score, 850);
    /* high concierge tonight at 19:30 Rome (18:30Z), guest-impacting: 250 + 180 + 150 */
    json_t *dinner =
        an_item("itm_2", "concierge", "high", true, "2026-11-23T18:30:00Z", "requested");
    c = cand(&f, FOCUS_KIND_CONCIERGE, dinner, "itm_2");
    assert_int_equal(c.score, 580);
    /* within two hours: 240 */
    json_t *soon = an_item("itm_3", "task", "normal", false, "2026-11-23T15:30:00Z", "requested");
    c = cand(&f, FOCUS_KIND_TASK, soon, "itm_3");
    assert_int_equal(c.time, 240);
    assert_int_equal(c.score, 360);
    /* in progress takes 80 off; tomorrow is 80 */
    json_t *tub =
        an_item("itm_4", "maintenance", "high", true, "2026-11-24T15:00:00Z", "in_progress");
    c = cand(&f, FOCUS_KIND_MAINTENANCE, tub, "itm_4");
    assert_int_equal(c.severity, 170);
    assert_int_equal(c.time, 80);
    /* no due time: 0 */
    json_t *none = an_item("itm_5", "task", "low", false, NULL, "confirmed");
    c = cand(&f, FOCUS_KIND_TASK, none, "itm_5");
    assert_int_equal(c.time, 0);
    assert_int_equal(c.severity, 0);
    /* a failed payment of €2,900: 300 + 240 + 0 + 100 */
    json_t *risk = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "booking_id", "bk_1",
                             "guest_name", "Chiara Benedetti", "reason", "payment_failed",
                             "amount_cents", (json_int_t)290000, "currency", "eur", "since",
                             "2026-11-23T09:00:00Z", "property_id", "prop_rome");
    c = cand(&f, FOCUS_KIND_PAYMENT, risk, "bk_1");
    assert_int_equal(c.severity, 300);
    assert_int_equal(c.time, 240);
    assert_int_equal(c.money, 100);
    assert_int_equal(c.score, 640);
    /* an arrival: 150 + 180 + 150 */
    json_t *stay = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", "bk_2", "property_id",
                             "prop_rome", "check_in", "2026-11-23", "check_out", "2026-11-30",
                             "status", "confirmed", "guest_name", "Daniel Okafor");
    c = cand(&f, FOCUS_KIND_ARRIVAL, stay, "bk_2");
    assert_int_equal(c.score, 480);

    json_decref(leak);
    json_decref(dinner);
    json_decref(soon);
    json_decref(tub);
    json_decref(none);
    json_decref(risk);
    json_decref(stay);
    zone_close(z);
}

static void test_tie_rule(void **state)
{
    (void)state;
    struct zone *z = NULL;
    assert_int_equal(zone_open("Europe/Rome", &z), LU_OK);
    struct focus_facts f;
    struct focus_place p;
    place_init(&f, &p, z);
    json_t *a = an_item("itm_b", "task", "normal", false, "2026-11-23T16:00:00Z", "requested");
    json_t *b = an_item("itm_a", "task", "normal", false, "2026-11-23T17:00:00Z", "requested");
    json_t *c2 = an_item("itm_c", "task", "normal", false, "2026-11-23T16:00:00Z", "requested");
    struct focus_candidate ca = cand(&f, FOCUS_KIND_TASK, a, "itm_b");
    struct focus_candidate cb = cand(&f, FOCUS_KIND_TASK, b, "itm_a");
    struct focus_candidate cc = cand(&f, FOCUS_KIND_TASK, c2, "itm_c");
    assert_int_equal(ca.score, cb.score);
    /* equal score: the earlier due time first, whatever the id */
    assert_true(focus_candidate_cmp(&ca, &cb) < 0);
    assert_true(focus_candidate_cmp(&cb, &ca) > 0);
    /* equal score and due time: the smaller id first */
    assert_true(focus_candidate_cmp(&ca, &cc) < 0);
    assert_int_equal(focus_candidate_cmp(&ca, &ca), 0);
    json_decref(a);
    json_decref(b);
    json_decref(c2);
    zone_close(z);
}

static void test_sets(void **state)
{
    (void)state;
    struct zone *z = NULL;
    assert_int_equal(zone_open("Europe/Rome", &z), LU_OK);
    struct focus_facts f;
    struct focus_place p;
    place_init(&f, &p, z);
    f.items = json_pack(
        "[o, o, o, o, o, o, o]",
        an_item("itm_leak", "maintenance", "urgent", true, "2026-11-23T13:20:00Z", "requested"),
        an_item("itm_dinner", "concierge", "high", true, "2026-11-23T18:30:00Z", "requested"),
        an_item("itm_boat", "concierge", "normal", true, "2026-11-24T08:30:00Z", "confirmed"),
        an_item("itm_later", "concierge", "normal", true, "2026-12-20T08:30:00Z", "requested"),
        an_item("itm_drip", "maintenance", "normal", false, "2026-11-23T10:00:00Z", "requested"),
        an_item("itm_hamper", "task", "normal", false, "2026-11-22T16:00:00Z", "requested"),
        an_item("itm_linen", "task", "normal", false, "2026-11-23T20:00:00Z", "requested"));
    f.stays = json_array();
    f.risks = json_array();
    struct focus_list l;
    assert_int_equal(focus_list_build(&f, FOCUS_SET_TRIAGE, &l), LU_OK);
    /* leak, dinner, overdue hamper; not the confirmed boat, the dinner next
     * month, the routine drip or the routine linen later today */
    assert_int_equal(l.n, 3);
    assert_string_equal(l.c[0].id, "itm_leak");
    assert_string_equal(l.c[1].id, "itm_dinner");
    assert_string_equal(l.c[2].id, "itm_hamper");
    focus_list_free(&l);
    assert_int_equal(focus_list_build(&f, FOCUS_SET_CONCIERGE, &l), LU_OK);
    assert_int_equal(l.n, 2); /* requested only, soonest first */
    assert_string_equal(l.c[0].id, "itm_dinner");
    assert_string_equal(l.c[1].id, "itm_later");
    focus_list_free(&l);
    assert_int_equal(focus_list_build(&f, FOCUS_SET_MAINTENANCE, &l), LU_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.c[0].id, "itm_leak");
    focus_list_free(&l);
    json_decref(f.items);
    json_decref(f.stays);
    json_decref(f.risks);
    zone_close(z);
}

static void check_money(int64_t minor, const char *cur, const char *expected)
{
    char out[64];
    focus_money_format(minor, cur, out, sizeof out);
    assert_string_equal(out, expected);
}

static void test_money(void **state)
{
    (void)state;
    check_money(290000, "eur",
                "\xe2\x82\xac"
                "2,900.00");
    check_money(1850, "usd", "$18.50");
    check_money(5, "USD", "$0.05");
    check_money(123456789, "gbp",
                "\xc2\xa3"
                "1,234,567.89");
    check_money(5000, "jpy",
                "\xc2\xa5"
                "5,000");
    check_money(1200, "chf", "CHF 12.00");
    check_money(-2500, "eur",
                "-\xe2\x82\xac"
                "25.00");
    check_money(0, "usd", "$0.00");
}

static void check_when(const struct zone *z, const char *t, bool drop, const char *expected)
{
    char out[128];
    focus_when_format(z, at(t), at(NOW), drop, out, sizeof out);
    assert_string_equal(out, expected);
}

static void test_when(void **state)
{
    (void)state;
    struct zone *z = NULL;
    assert_int_equal(zone_open("Europe/Rome", &z), LU_OK);
    check_when(z, "2026-11-23T18:30:00Z", false, "tonight at 19:30");
    check_when(z, "2026-11-23T09:00:00Z", false, "today at 10:00");
    check_when(z, "2026-11-23T13:20:00Z", true, "14:20");
    check_when(z, "2026-11-24T08:30:00Z", false, "tomorrow at 09:30");
    check_when(z, "2026-11-22T16:00:00Z", false, "yesterday at 17:00");
    check_when(z, "2026-11-27T08:30:00Z", false, "on Friday at 09:30");
    check_when(z, "2026-12-03T08:30:00Z", false, "on 3 December at 09:30");
    check_when(z, "2026-11-12T08:30:00Z", false, "on 12 November at 09:30");
    /* 23:30Z on the 23rd is already the 24th in Rome */
    check_when(z, "2026-11-23T23:30:00Z", false, "tomorrow at 00:30");
    zone_close(z);
}

static void test_reasons(void **state)
{
    (void)state;
    struct zone *z = NULL;
    assert_int_equal(zone_open("Europe/Rome", &z), LU_OK);
    struct focus_facts f;
    struct focus_place p;
    place_init(&f, &p, z);
    json_t *dinner =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "id", "itm_d", "property_id",
                  "prop_rome", "kind", "concierge", "title", "Dinner for 4 at Da Adolfo",
                  "priority", "high", "guest_impacting", 1, "due_at", "2026-11-23T18:30:00Z",
                  "state", "requested", "guest_name", "Ann Quinn");
    struct focus_candidate c = cand(&f, FOCUS_KIND_CONCIERGE, dinner, "itm_d");
    char reason[600];
    focus_reason(&c, f.now_s, false, reason, sizeof reason);
    assert_string_equal(reason, "Dinner for 4 at Da Adolfo for the Quinns, tonight at 19:30, is "
                                "still unconfirmed.");
    focus_reason(&c, f.now_s, true, reason, sizeof reason);
    assert_non_null(strstr(reason, "at Villa Aurora"));
    /* overdue and still requested */
    json_object_set_new(dinner, "due_at", json_string("2026-11-22T12:00:00Z"));
    c = cand(&f, FOCUS_KIND_CONCIERGE, dinner, "itm_d");
    focus_reason(&c, f.now_s, false, reason, sizeof reason);
    assert_string_equal(reason, "Dinner for 4 at Da Adolfo for the Quinns was due yesterday at "
                                "13:00 and still unconfirmed.");
    /* a guest whose surname ends in s */
    json_object_set_new(dinner, "guest_name", json_string("Harriet Moss"));
    c = cand(&f, FOCUS_KIND_CONCIERGE, dinner, "itm_d");
    focus_reason(&c, f.now_s, false, reason, sizeof reason);
    assert_non_null(strstr(reason, "for the Mosses"));

    json_t *risk = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "booking_id", "bk_1",
                             "guest_name", "Chiara Benedetti", "reason", "payment_failed",
                             "amount_cents", (json_int_t)290000, "currency", "eur", "since",
                             "2026-11-23T09:00:00Z", "property_id", "prop_rome");
    c = cand(&f, FOCUS_KIND_PAYMENT, risk, "bk_1");
    focus_reason(&c, f.now_s, false, reason, sizeof reason);
    assert_string_equal(reason, "Chiara Benedetti's last payment failed: \xe2\x82\xac"
                                "2,900.00 is still open.");
    /* no claim word in any reason for these states */
    assert_null(strstr(reason, "paid"));
    json_decref(dinner);
    json_decref(risk);
    zone_close(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores), cmocka_unit_test(test_tie_rule),
        cmocka_unit_test(test_sets),   cmocka_unit_test(test_money),
        cmocka_unit_test(test_when),   cmocka_unit_test(test_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
