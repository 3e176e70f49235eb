/*
 * test_guest_route.c — unit tests for guest routing (src/guest/route.c over
 * focus/normalise.c) and the guest truth guard (src/guest/guard.c).
 *
 * The labelled table holds guest messages — paraphrases, typos, casing,
 * punctuation, polite and terse forms, several per route, and the tricky
 * negatives ("no need for dinner, thanks", "the AC is fine now") — each
 * with the route a person would expect. The test prints the accuracy
 * ("guest routing: N/N correct (100.0%)") and fails on any miss, naming the
 * message, the route taken and the scores. Every message is distinct
 * (checked). A new phrasing is added here first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guest/guest_internal.h"

struct labelled {
    const char *message;
    enum guest_route route;
};

#define S GUEST_STAY_INFO
#define B GUEST_BALANCE
#define C GUEST_CONCIERGE_REQUEST
#define M GUEST_MAINTENANCE_REPORT
#define R GUEST_MY_REQUESTS
#define H GUEST_HUMAN
#define O GUEST_OFF_TOPIC

/* clang-format off */
static const struct labelled table[] = {
    /* stay_info */
    {"What time is check-in?", S},
    {"what time is checkout", S},
    {"When can we check in?", S},
    {"when do we have to leave on the last day", S},
    {"What are my dates?", S},
    {"how many nights is our booking", S},
    {"Which villa are we staying at?", S},
    {"where are we staying", S},
    {"CHECK OUT TIME??", S},
    {"chekout time pls", S},
    {"Could you remind me of our stay details?", S},
    {"what time can we arrive", S},
    {"When is our departure?", S},
    {"is my booking from the 12th?", S},
    {"what's the name of the property", S},
    {"check in time", S},
    {"until when are we booked", S},
    {"Hi, what time do we need to check out on Sunday?", S},

    /* balance */
    {"What is my balance?", B},
    {"how much do I still owe", B},
    {"Have I paid everything?", B},
    {"how much is left to pay", B},
    {"Did my deposit go through?", B},
    {"what's outstanding on my bill", B},
    {"Do we owe anything?", B},
    {"payment status", B},
    {"balance?", B},
    {"How much was I charged?", B},
    {"can you send me the invoice", B},
    {"is the payment done", B},
    {"what's the total for our stay", B},
    {"did you get my payment", B},
    {"how much do we have to pay still", B},
    {"blance owing?", B},

    /* concierge_request */
    {"Can you book dinner for 4 tonight at 8pm?", C},
    {"could you book us a table for two at a nice restaurant", C},
    {"We'd like a private chef on Saturday", C},
    {"please arrange an airport transfer for Friday morning", C},
    {"Can we get a taxi to the beach at 10?", C},
    {"book a massage for two tomorrow afternoon", C},
    {"I would like to rent a boat for the day", C},
    {"can you organise a wine tasting", C},
    {"we need a babysitter tomorrow evening", C},
    {"Could we have extra towels please?", C},
    {"can we get a late checkout", C},
    {"is an early check in possible? we land at 9am", C},
    {"pls book dinnr for 2 at 7:30", C},
    {"Can you recommend and reserve a restaurant for tonight?", C},
    {"we want a cooking class", C},
    {"Need a driver to pick us up from the airport at 6pm", C},
    {"could you arrange flowers and a cake for my wife's birthday", C},
    {"book us a boat tour", C},
    {"can someone bring more pillows", C},
    {"Would love breakfast delivered tomorrow at 9", C},

    /* maintenance_report */
    {"The AC is broken", M},
    {"the air conditioning isn't working", M},
    {"There's no hot water in the shower", M},
    {"wifi is not working", M},
    {"The toilet is clogged", M},
    {"there is a leak under the kitchen sink", M},
    {"the AC doesnt work", M},
    {"Help, there is water flooding the bathroom!", M},
    {"I smell gas in the kitchen", M},
    {"we are locked out", M},
    {"There's smoke coming from the oven", M},
    {"no power in the villa", M},
    {"the TV won't turn on", M},
    {"the fridge stopped working", M},
    {"the pool is dirty", M},
    {"there are ants in the kitchen", M},
    {"the front door lock is stuck", M},
    {"The heating is not working and it's freezing", M},
    {"internet keeps dropping", M},
    {"a light bulb is out in the bedroom", M},
    {"the shower is leaking", M},
    {"EMERGENCY fire in the kitchen", M},
    {"the dishwasher is broken", M},
    {"can you fix the wifi", M},

    /* my_requests */
    {"Is my dinner confirmed?", R},
    {"is it confirmed?", R},
    {"any update?", R},
    {"and the AC?", R},
    {"what about the taxi?", R},
    {"What's the status of my requests?", R},
    {"has anyone confirmed the boat?", R},
    {"Any news on the massage?", R},
    {"is someone coming to fix the AC?", R},
    {"still waiting on the plumber", R},
    {"what have I asked for so far", R},
    {"is the transfer booked?", R},
    {"Did you book the restaurant yet?", R},
    {"any updates on my request", R},
    {"is it done?", R},
    {"have you heard back about the chef", R},
    {"status of my requests please", R},
    {"Is the dinner booked?", R},
    {"what happened with the wifi repair", R},

    /* human */
    {"I want to speak to a human", H},
    {"can I talk to the manager", H},
    {"please call me", H},
    {"I'd like to complain about the noise from next door", H},
    {"real person please", H},
    {"no need for dinner, thanks", H},
    {"the AC is fine now", H},
    {"never mind about the taxi", H},
    {"cancel the massage please", H},
    {"what's the wifi password?", H},
    {"what is the door code", H},
    {"can we extend our stay by one night?", H},
    {"I want a refund", H},
    {"we're really not happy with the cleaning", H},
    {"forget about the boat", H},
    {"the wifi works now, thanks", H},
    {"How do I contact the host?", H},
    {"We no longer need the transfer", H},

    /* off_topic */
    {"What's the capital of France?", O},
    {"tell me a joke", O},
    {"who won the football last night", O},
    {"write me a poem", O},
    {"what's the weather tomorrow", O},
    {"hi", O},
    {"hello lucia", O},
    {"thanks!", O},
    {"what is the meaning of life", O},
    {"Can you help with my homework?", O},
    {"what's bitcoin trading at", O},
    {"who is the president", O},
    {"good morning!", O},
    {"asdfgh", O},
    {"translate hello into Italian", O},
};
/* clang-format on */

#define TABLE_SIZE (sizeof table / sizeof table[0])

static void test_labelled_table(void **state)
{
    (void)state;
    size_t right = 0;
    size_t per_route[GUEST_ROUTES] = {0};
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        for (size_t k = 0; k < i; k++) {
            assert_string_not_equal(table[i].message, table[k].message); /* distinct */
        }
        per_route[table[i].route]++;
        struct guest_pick pick;
        guest_route_pick(table[i].message, &pick);
        if (pick.route == table[i].route) {
            right++;
            continue;
        }
        printf("MISROUTED \"%s\": expected %s, got %s; scores", table[i].message,
               guest_route_name(table[i].route), guest_route_name(pick.route));
        for (int r = 0; r < GUEST_ROUTES; r++) {
            printf(" %s=%d", guest_route_name((enum guest_route)r), pick.scores[r]);
        }
        printf("\n");
    }
    printf("guest routing: %zu/%zu correct (%.1f%%)\n", right, TABLE_SIZE,
           100.0 * (double)right / (double)TABLE_SIZE);
    for (int r = 0; r < GUEST_ROUTES; r++) {
        printf("  %-20s %zu messages\n", guest_route_name((enum guest_route)r), per_route[r]);
        assert_true(per_route[r] >= 10); /* several per route */
    }
    assert_true(TABLE_SIZE >= 120);
    assert_int_equal(right, TABLE_SIZE);
}

/* Follow-ups refer back; new requests and reports do not. */
static void test_follow_up(void **state)
{
    (void)state;
    struct guest_pick pick;
    guest_route_pick("and the AC?", &pick);
    assert_int_equal(pick.route, GUEST_MY_REQUESTS);
    assert_true(pick.follow_up);
    guest_route_pick("any update?", &pick);
    assert_true(pick.follow_up);
    guest_route_pick("and the AC is broken too", &pick);
    assert_int_equal(pick.route, GUEST_MAINTENANCE_REPORT);
    assert_false(pick.follow_up);
    guest_route_pick("can you book dinner for tonight", &pick);
    assert_false(pick.follow_up);
}

static void test_tones(void **state)
{
    (void)state;
    struct guest_pick pick;
    guest_route_pick("no need for dinner, thanks", &pick);
    assert_int_equal(pick.tone, TONE_RESOLVED);
    guest_route_pick("what's the wifi password", &pick);
    assert_int_equal(pick.tone, TONE_INFO);
    guest_route_pick("hello!", &pick);
    assert_int_equal(pick.tone, TONE_GREETING);
    guest_route_pick("thank you", &pick);
    assert_int_equal(pick.tone, TONE_THANKS);
    guest_route_pick("", &pick);
    assert_int_equal(pick.route, GUEST_OFF_TOPIC);
}

static void test_route_names(void **state)
{
    (void)state;
    for (int r = 0; r < GUEST_ROUTES; r++) {
        enum guest_route back;
        assert_true(guest_route_parse(guest_route_name((enum guest_route)r), &back));
        assert_int_equal(back, r);
    }
    enum guest_route unused;
    assert_false(guest_route_parse("greeting", &unused));
    assert_false(guest_route_parse(NULL, &unused));
}

/* The guard: claims need records; negations and quoted guest words do not
 * claim. */
static void test_guard(void **state)
{
    (void)state;
    assert_true(guest_guard_line_ok("It is not yet confirmed.", "item", "requested"));
    assert_true(guest_guard_line_ok("passed to the team, not yet confirmed", "item", "requested"));
    assert_false(guest_guard_line_ok("Your dinner is confirmed.", "item", "requested"));
    assert_true(guest_guard_line_ok("Your dinner is confirmed.", "item", "confirmed"));
    assert_false(guest_guard_line_ok("Your dinner is confirmed.", NULL, NULL));
    assert_false(guest_guard_line_ok("The leak is fixed and done.", "item", "in_progress"));
    assert_true(guest_guard_line_ok("done at 7:05 PM.", "item", "done"));
    assert_false(guest_guard_line_ok("It is paid in full.", "payment", "partially_paid"));
    assert_true(guest_guard_line_ok("It is paid in full.", "payment", "paid"));
    assert_true(guest_guard_line_ok("\"we already paid, book dinner\": passed to the team", "item",
                                    "requested"));
    assert_true(guest_guard_line_ok("The taxi isn't confirmed yet.", "item", "requested"));
    /* A negation ends with its sentence. */
    assert_false(guest_guard_line_ok("Not now. It is confirmed.", "item", "requested"));

    json_t *lines =
        json_pack("[{s:s, s:i}, {s:s, s:i}, {s:s}]", "text", "A is confirmed.", "item", 0, "text",
                  "B is confirmed.", "item", 1, "text", "Everything is done.");
    json_t *items = json_pack("[{s:s, s:s}, {s:s, s:s}]", "type", "item", "state", "confirmed",
                              "type", "item", "state", "requested");
    assert_int_equal(guest_guard_lines(lines, items), 2);
    assert_int_equal(json_array_size(lines), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 0), "text")),
                        "A is confirmed.");
    json_decref(lines);
    json_decref(items);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labelled_table), cmocka_unit_test(test_follow_up),
        cmocka_unit_test(test_tones),          cmocka_unit_test(test_route_names),
        cmocka_unit_test(test_guard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
