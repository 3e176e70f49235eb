/*
 * test_truth.c — the truth-state machines (store/truth.c), pair by pair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/truth.h"

static const char *const item_states[] = {"requested", "confirmed", "in_progress",
                                          "done",      "cancelled", "failed"};
static const char *const booking_states[] = {"requested", "confirmed", "checked_in",
                                             "checked_out", "cancelled"};

static bool in(const char *const pairs[][2], size_t n, const char *from, const char *to)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(pairs[i][0], from) == 0 && strcmp(pairs[i][1], to) == 0) {
            return true;
        }
    }
    return false;
}

static void test_item_pairs(void **state)
{
    (void)state;
    static const char *const legal[][2] = {
        {"requested", "confirmed"}, {"confirmed", "in_progress"}, {"in_progress", "done"},
        {"requested", "cancelled"}, {"confirmed", "cancelled"},   {"in_progress", "cancelled"},
        {"requested", "failed"},    {"confirmed", "failed"},      {"in_progress", "failed"}};
    for (size_t f = 0; f < 6; f++) {
        for (size_t t = 0; t < 6; t++) {
            bool want = in(legal, 9, item_states[f], item_states[t]);
            assert_int_equal(truth_move_legal(TRUTH_ITEM, item_states[f], item_states[t]), want);
        }
    }
    assert_false(truth_move_legal(TRUTH_ITEM, "requested", "checked_in"));
}

static void test_booking_pairs(void **state)
{
    (void)state;
    static const char *const legal[][2] = {{"requested", "confirmed"},
                                           {"confirmed", "checked_in"},
                                           {"checked_in", "checked_out"},
                                           {"requested", "cancelled"},
                                           {"confirmed", "cancelled"}};
    for (size_t f = 0; f < 5; f++) {
        for (size_t t = 0; t < 5; t++) {
            bool want = in(legal, 5, booking_states[f], booking_states[t]);
            assert_int_equal(truth_move_legal(TRUTH_BOOKING, booking_states[f], booking_states[t]),
                             want);
        }
    }
    assert_false(truth_move_legal(TRUTH_BOOKING, "confirmed", "done"));
}

static void test_allowed_lists(void **state)
{
    (void)state;
    char out[120];
    truth_moves_allowed(TRUTH_ITEM, "requested", out, sizeof out);
    assert_string_equal(out, "confirmed, cancelled, failed");
    truth_moves_allowed(TRUTH_ITEM, "done", out, sizeof out);
    assert_string_equal(out, "");
    truth_moves_allowed(TRUTH_BOOKING, "checked_in", out, sizeof out);
    assert_string_equal(out, "checked_out");
}

static void test_rules_and_states(void **state)
{
    (void)state;
    assert_true(truth_needs_evidence("confirmed"));
    assert_true(truth_needs_evidence("done"));
    assert_false(truth_needs_evidence("in_progress"));
    assert_true(truth_needs_note("cancelled"));
    assert_true(truth_needs_note("failed"));
    assert_false(truth_needs_note("done"));
    assert_true(truth_state_known(TRUTH_ITEM, "in_progress"));
    assert_false(truth_state_known(TRUTH_ITEM, "checked_in"));
    assert_false(truth_state_known(TRUTH_BOOKING, NULL));
    assert_true(truth_state_final(TRUTH_ITEM, "done"));
    assert_true(truth_state_final(TRUTH_BOOKING, "checked_out"));
    assert_false(truth_state_final(TRUTH_ITEM, "requested"));
    assert_false(truth_state_final(TRUTH_ITEM, "bogus"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_item_pairs),
        cmocka_unit_test(test_booking_pairs),
        cmocka_unit_test(test_allowed_lists),
        cmocka_unit_test(test_rules_and_states),
    };
    return cmocka_run_group_tests_name("truth", tests, NULL, NULL);
}
