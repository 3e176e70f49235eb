/*
 * test_focus_guard.c — unit tests for the focus truth guard
 * (src/focus/guard.c): which words claim a state and which record states
 * allow them; reply lines that call an item confirmed, done or paid against
 * its record are removed with their item (and the rest renumbered); and a
 * model's rewording is refused when it introduces an id, an amount, a
 * number, a clock time or a state the facts do not hold, or puts a claim
 * next to an item whose record does not allow it — while a faithful
 * rewording passes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "focus/focus_internal.h"

static json_t *item(const char *type, const char *id, const char *title, const char *state)
{
    json_t *it = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", type, "id", id, "title", title,
                           "state", state, "reason", "");
    assert_non_null(it);
    return it;
}

static json_t *line(const char *text, int index)
{
    return index >= 0 ? json_pack("{s:s, s:i}", "text", text, "item", index)
                      : json_pack("{s:s}", "text", text);
}

static void test_claims(void **state)
{
    (void)state;
    assert_int_equal(focus_claim_of("confirmed"), CLAIM_CONFIRMED);
    assert_int_equal(focus_claim_of("done"), CLAIM_DONE);
    assert_int_equal(focus_claim_of("completed"), CLAIM_DONE);
    assert_int_equal(focus_claim_of("paid"), CLAIM_PAID);
    assert_int_equal(focus_claim_of("unconfirmed"), CLAIM_NONE);
    assert_int_equal(focus_claim_of("unpaid"), CLAIM_NONE);
    assert_int_equal(focus_claim_of("requested"), CLAIM_NONE);

    assert_true(focus_claim_allowed(CLAIM_CONFIRMED, "concierge", "confirmed"));
    assert_false(focus_claim_allowed(CLAIM_CONFIRMED, "concierge", "requested"));
    assert_false(focus_claim_allowed(CLAIM_CONFIRMED, "maintenance", "in_progress"));
    assert_true(focus_claim_allowed(CLAIM_CONFIRMED, "arrival", "confirmed"));
    assert_true(focus_claim_allowed(CLAIM_DONE, "task", "done"));
    assert_false(focus_claim_allowed(CLAIM_DONE, "task", "in_progress"));
    assert_false(focus_claim_allowed(CLAIM_PAID, "payment_risk", "payment_failed"));
    assert_false(focus_claim_allowed(CLAIM_PAID, "arrival", "confirmed"));
    assert_true(focus_claim_allowed(CLAIM_NONE, "task", "requested"));
}

static void test_true_lines_pass(void **state)
{
    (void)state;
    json_t *items = json_pack("[o, o]", item("concierge", "itm_a", "Dinner", "requested"),
                              item("arrival", "bk_b", "Daniel Okafor arrives", "confirmed"));
    json_t *lines = json_pack("[o, o, o]", line("Here's what matters most right now:", -1),
                              line("1. Dinner for the Okafors is still unconfirmed.", 0),
                              line("2. Daniel Okafor arrives today; the booking is confirmed.", 1));
    assert_int_equal(focus_guard_lines(lines, items), 0);
    assert_int_equal(json_array_size(lines), 3);
    assert_int_equal(json_array_size(items), 2);
    json_decref(items);
    json_decref(lines);
}

static void test_false_claims_removed(void **state)
{
    (void)state;
    json_t *items = json_pack("[o, o, o]", item("concierge", "itm_a", "Dinner", "requested"),
                              item("task", "itm_b", "Linen", "in_progress"),
                              item("maintenance", "itm_c", "Leak", "requested"));
    json_t *lines = json_pack("[o, o, o, o, o]", line("Here's what matters most right now:", -1),
                              line("1. The dinner is confirmed.", 0), line("2. Linen is done.", 1),
                              line("3. Leak: urgent, not picked up yet.", 2),
                              line("Everything else is paid.", -1));
    /* Two item lines lie about their records, one itemless line claims. */
    assert_int_equal(focus_guard_lines(lines, items), 3);
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "id")),
                        "itm_c");
    assert_int_equal(json_array_size(lines), 2);
    const json_t *kept = json_array_get(lines, 1);
    assert_string_equal(json_string_value(json_object_get(kept, "text")),
                        "3. Leak: urgent, not picked up yet.");
    /* renumbered to the leak's new index */
    assert_int_equal(json_integer_value(json_object_get(kept, "item")), 0);
    json_decref(items);
    json_decref(lines);
}

static json_t *scenario_items(void)
{
    json_t *dinner =
        item("concierge", "itm_01dinner0000000000000000", "Dinner for 4 at Da Adolfo", "requested");
    json_object_set_new(dinner, "reason",
                        json_string("Dinner for 4 at Da Adolfo for the Okafors, tonight at "
                                    "19:30, is still unconfirmed."));
    json_t *boat =
        item("concierge", "itm_01boat00000000000000000", "Boat charter to Capri", "confirmed");
    json_t *risk = item("payment_risk", "bk_01chiara0000000000000000",
                        "Chiara Benedetti: payment failed", "payment_failed");
    return json_pack("[o, o, o]", dinner, boat, risk);
}

static const char rule_reply[] =
    "Here's what matters most right now:\n"
    "1. Dinner for 4 at Da Adolfo for the Okafors, tonight at 19:30, is still unconfirmed.\n"
    "2. Chiara Benedetti's last payment failed: \xe2\x82\xac"
    "2,900.00 is still open.\n"
    "3. Boat charter to Capri for the Harts, tomorrow at 09:30, is confirmed.\n"
    "9 things need you today.";

static void check_rewording(const char *rewording, bool expected, const char *why_part)
{
    json_t *items = scenario_items();
    char why[200];
    bool ok = focus_guard_rewording(rule_reply, items, rewording, why, sizeof why);
    if (ok != expected) {
        printf("rewording \"%s\": expected %s, got %s (%s)\n", rewording,
               expected ? "pass" : "refusal", ok ? "pass" : "refusal", why);
    }
    assert_int_equal(ok, expected);
    if (!expected && why_part != NULL) {
        if (strstr(why, why_part) == NULL) {
            printf("why: %s\n", why);
        }
        assert_non_null(strstr(why, why_part));
    }
    json_decref(items);
}

static void test_rewording_faithful(void **state)
{
    (void)state;
    check_rewording(rule_reply, true, NULL);
    char prefixed[1024];
    snprintf(prefixed, sizeof prefixed, "Here you go. %s", rule_reply);
    check_rewording(prefixed, true, NULL);
    check_rewording("Top of the list: the dinner for 4 at Da Adolfo tonight at 19:30 is still "
                    "unconfirmed. Then Chiara Benedetti: her last payment failed and "
                    "\xe2\x82\xac"
                    "2,900 is still open. The Capri boat tomorrow at 09:30 is "
                    "confirmed. Nine things need you today.",
                    true, NULL);
}

static void test_rewording_refused(void **state)
{
    (void)state;
    check_rewording("", false, "empty");
    check_rewording("   \n ", false, "empty");
    /* a state the dinner's record does not have */
    check_rewording("The dinner for 4 at Da Adolfo tonight at 19:30 is confirmed.", false,
                    "confirmed");
    /* paid: no record says so */
    check_rewording("Chiara Benedetti has paid. The dinner is still unconfirmed.", false, "paid");
    /* a claim about no item */
    check_rewording("Everything is done.", false, "done");
    /* a new amount, a new time, a new count */
    check_rewording("Chiara owes \xe2\x82\xac"
                    "3,100.00.",
                    false, "3100");
    check_rewording("The dinner at 20:00 is still unconfirmed.", false, "20:00");
    check_rewording("Ten things need you today.", false, "ten");
    check_rewording("12 things need you today.", false, "12");
    /* an id that is not in the facts */
    check_rewording("See itm_01zzzzzzzzzzzzzzzzzzzzzzzz for the dinner.", false, "id");
    /* the ids in the facts are fine */
    check_rewording("The dinner (itm_01dinner0000000000000000) is still unconfirmed.", true, NULL);
    /* a state word no fact holds */
    check_rewording("The dinner was cancelled.", false, "cancelled");
    check_rewording("Chiara's card was refunded.", false, "refunded");
    /* amount_cents as a number must not pass for an amount */
    check_rewording("Chiara owes 290000.", false, "290000");
    /* far longer than the reply */
    char long_text[4096];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    check_rewording(long_text, false, "longer");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_true_lines_pass),
        cmocka_unit_test(test_false_claims_removed),
        cmocka_unit_test(test_rewording_faithful),
        cmocka_unit_test(test_rewording_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
