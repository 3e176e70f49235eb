/*
 * test_focus_route.c — unit tests for focus routing (src/focus/route.c and
 * normalise.c): a table of labelled operator messages — the SPEC's own
 * sentences and natural paraphrases, short and long, polite and curt, with
 * typos, shorthand and missing apostrophes — each with the route a person
 * would expect. The test prints the table's size and accuracy and fails on
 * any miss, naming the message, the route taken and the scores. New
 * phrasings are added here first; a feature change that breaks one is a
 * regression.
 *
 * Also: normalisation on its own (contractions, punctuation, Unicode
 * apostrophes, typos), the tie rule, the don't-know path and the
 * classification of short follow-ups ("yes", "what else", "not now").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "focus/focus_internal.h"

struct labelled {
    const char *message;
    enum focus_route route;
};

#define G FOCUS_GREETING
#define H FOCUS_HUMAN_UTILITY
#define D FOCUS_DISTRESS
#define T FOCUS_PRIORITY_TRIAGE
#define P FOCUS_PAYMENT_RISK
#define C FOCUS_CONCIERGE_READINESS
#define M FOCUS_MAINTENANCE_FOCUS
#define O FOCUS_OFF_TOPIC

/* clang-format off */
static const struct labelled table[] = {
    /* greeting */
    {"Good morning", G},
    {"good morning lucia!", G},
    {"Morning!", G},
    {"mornin", G},
    {"gm", G},
    {"Hi Lucia", G},
    {"hello", G},
    {"hey there", G},
    {"Hey Lucia, I'm here", G},
    {"good afternoon", G},
    {"Good evening, Lucia", G},
    {"hiya", G},
    {"Buongiorno!", G},
    {"good mornign", G},
    {"helo", G},
    {"Hi!", G},
    {"morning lucia, back at it", G},
    {"Hello hello", G},
    {"Rise and shine", G},
    {"Good day to you", G},
    {"yo lucia", G},
    {"Ciao Lucia", G},
    {"Evening!", G},
    {"Hey, good morning!", G},
    {"Morning, starting my day", G},
    {"GOOD MORNING!!!", G},
    {"gud morning", G},

    /* human utility */
    {"How are you?", H},
    {"how are you doing today", H},
    {"How's it going?", H},
    {"hows it going lucia", H},
    {"thanks", H},
    {"Thank you!", H},
    {"thx", H},
    {"ty", H},
    {"thanks a lot, that helps", H},
    {"Cheers", H},
    {"appreciate it", H},
    {"Great job", H},
    {"you're the best", H},
    {"Who are you?", H},
    {"What can you do?", H},
    {"Are you a bot?", H},
    {"are you there?", H},
    {"bye", H},
    {"Good night Lucia", H},
    {"see you tomorrow", H},
    {"talk later", H},
    {"I'm feeling better now", H},
    {"I\xe2\x80\x99m ok now, thanks", H},
    {"how r u", H},
    {"thank u so much", H},
    {"Grazie mille", H},
    {"thnks lucia", H},

    /* distress */
    {"I'm overwhelmed", D},
    {"im overwhelmed", D},
    {"I am so overwhelmed right now", D},
    {"this is too much", D},
    {"It's all too much today", D},
    {"I'm stressed out", D},
    {"so stressed", D},
    {"I'm freaking out", D},
    {"I can't cope", D},
    {"i cant cope with all this", D},
    {"I'm drowning here", D},
    {"I'm losing my mind", D},
    {"I feel burnt out", D},
    {"I'm exhausted", D},
    {"I'm panicking", D},
    {"too many things at once", D},
    {"I don't know where to start, it's chaos", D},
    {"I'm swamped", D},
    {"help me, everything is happening at once", D},
    {"I can't keep up", D},
    {"ugh, what a nightmare of a day", D},
    {"I'm at my wits' end", D},
    {"overwelmed", D},
    {"feeling really anxious about today", D},
    {"I'm falling apart", D},
    {"So much to do and I can't think", D},
    {"I'm snowed under", D},
    {"I have guests arriving in an hour, a dinner not confirmed and a card that bounced, "
     "honestly I'm overwhelmed", D},
    {"im stresed", D},
    {"This is a lot, I have too much on my plate", D},

    /* priority triage */
    {"What matters most right now?", T},
    {"what matters most today", T},
    {"What should I do first?", T},
    {"what first?", T},
    {"whats most important", T},
    {"What's the priority this morning?", T},
    {"Where do I start?", T},
    {"what needs my attention", T},
    {"What's urgent?", T},
    {"give me the top priorities", T},
    {"What should I focus on today", T},
    {"Triage my day", T},
    {"what's on my plate today", T},
    {"what's next", T},
    {"anything urgent I should know about?", T},
    {"brief me on today", T},
    {"Catch me up", T},
    {"what do I need to handle first", T},
    {"who's arriving today?", T},
    {"any arrivals today", T},
    {"what are the most pressing things", T},
    {"Give me a rundown of the day", T},
    {"what needs me right now", T},
    {"prioritise for me please", T},
    {"What's waiting on me?", T},
    {"what should i tackle first", T},
    {"whats teh most importnat thing", T},
    {"top 3 things for today", T},
    {"what's the status today?", T},
    {"Anything I should worry about?", T},
    {"Good morning! What matters most today?", T},
    {"what do i have today", T},
    {"Urgent stuff?", T},
    {"waht matters most", T},
    {"priorites for today", T},
    {"Morning Lucia \xe2\x80\x94 long night, two arrivals today and a leak at the pool house. "
     "What should I deal with first?", T},
    {"who is checking out today", T},
    {"What's the one thing I should do right now?", T},

    /* payment risk */
    {"Show payment risks I need to handle now.", P},
    {"any payment problems?", P},
    {"Which payments failed?", P},
    {"who hasn't paid yet", P},
    {"unpaid balances", P},
    {"any declined cards", P},
    {"Stripe issues?", P},
    {"Show me the refunds", P},
    {"any disputes or chargebacks", P},
    {"who owes us money", P},
    {"outstanding balances", P},
    {"money at risk", P},
    {"what's overdue on payments", P},
    {"payment risk", P},
    {"paymnet risks pls", P},
    {"any failed charges today?", P},
    {"are there deposits missing", P},
    {"Has everyone paid?", P},
    {"billing problems", P},
    {"which guests still owe a balance", P},
    {"show me financial risks", P},
    {"any money issues I should know about", P},
    {"did Chiara's payment go through?", P},
    {"overpayments?", P},
    {"what about invoices", P},
    {"Cash flow risks right now", P},
    {"Quick one: any guests with failed payments or disputes I need to chase before check-in "
     "this afternoon?", P},
    {"paymnets failed?", P},

    /* concierge readiness */
    {"Show open concierge requests needing confirmation.", C},
    {"Which concierge requests are still unconfirmed?", C},
    {"any reservations not confirmed yet", C},
    {"is the dinner confirmed?", C},
    {"what guest requests are pending", C},
    {"Concierge status", C},
    {"any restaurant bookings waiting on confirmation", C},
    {"Show me unconfirmed requests", C},
    {"did the boat charter get confirmed", C},
    {"which transfers still need confirming", C},
    {"open concierge items", C},
    {"what's pending with concierge", C},
    {"conceirge requests", C},
    {"any spa or massage requests outstanding", C},
    {"dinner reservations for tonight?", C},
    {"what have guests asked for that isn't booked yet", C},
    {"any excursions to confirm", C},
    {"chef booking confirmed?", C},
    {"Are all the guest requests sorted?", C},
    {"which requests need me to confirm", C},
    {"airport pickups pending?", C},
    {"Show concierge requests", C},
    {"requests awaiting confirmation", C},
    {"Any tours or activities unconfirmed?", C},
    {"Has the restaurant confirmed the table for 4?", C},
    {"Could you please let me know which of tonight's dinner reservations haven't been "
     "confirmed by the restaurants yet?", C},
    {"consierge stuff waiting", C},

    /* maintenance focus */
    {"Any urgent maintenance issues today?", M},
    {"maintenance status", M},
    {"what's broken?", M},
    {"any leaks?", M},
    {"is anything broken at the villa", M},
    {"Urgent repairs today?", M},
    {"what needs fixing", M},
    {"Is the hot tub fixed yet?", M},
    {"Any plumbing problems", M},
    {"maintanence issues", M},
    {"What's the status of the AC repair", M},
    {"is the wifi working?", M},
    {"any guest-impacting maintenance today", M},
    {"Show open work orders", M},
    {"did the handyman come", M},
    {"anything leaking or flooding", M},
    {"what's wrong with the house", M},
    {"which repairs are overdue", M},
    {"Any safety issues I should know about?", M},
    {"hot water problems?", M},
    {"is the power back?", M},
    {"electrical issues?", M},
    {"anything out of order in the rooms", M},
    {"Any maintenance emergencies?", M},
    {"the toilet is clogged again", M},
    {"Before the Okafors arrive, is there anything in the house that's broken or leaking that "
     "I need to get fixed today?", M},
    {"urgnet maintenence", M},

    /* off topic, and the don't-know path (also off_topic) */
    {"What's the capital of France?", O},
    {"what is the capital of italy", O},
    {"Tell me a joke", O},
    {"write me a poem about the sea", O},
    {"who won the world cup", O},
    {"what's the weather tomorrow", O},
    {"What's a good recipe for lasagna?", O},
    {"who is the president of the US", O},
    {"explain quantum physics", O},
    {"what's bitcoin trading at", O},
    {"what's the meaning of life", O},
    {"translate hello into French", O},
    {"how tall is the Eiffel Tower", O},
    {"sing me a song", O},
    {"can you help with my homework", O},
    {"What's the population of Tokyo?", O},
    {"whats the captial of france", O},
    {"what year did the Titanic sink", O},
    {"Let's play a game", O},
    {"what's my horoscope", O},
    {"who was Napoleon", O},
    {"recommend a movie", O},
    {"what's the square root of 144", O},
    {"tell me a story", O},
    {"latest football scores", O},
    {"how far is the moon", O},
    {"asdfgh", O},
    {"hmm", O},
    {"banana", O},
    {"", O},
    {"?!", O},

    /* a later batch of paraphrases, written apart from the features */
    {"hey lucia, good to see you", G},
    {"Good morning team", G},
    {"hello again", G},
    {"Afternoon, Lucia", G},
    {"morning morning", G},
    {"hi hi", G},
    {"how's your day going?", H},
    {"many thanks!", H},
    {"thanks, that's all for now", H},
    {"nice one", H},
    {"what are you able to help with?", H},
    {"you doing ok?", H},
    {"cheers lucia, talk tomorrow", H},
    {"I'm completely overwhelmed with everything today", D},
    {"I can't do this anymore", D},
    {"everything's going wrong at once", D},
    {"I feel like I'm drowning", D},
    {"my head is spinning", D},
    {"I'm so behind on everything", D},
    {"I'm really stressed about tonight", D},
    {"it's too much for one person", D},
    {"so what's the most urgent thing?", T},
    {"which thing should I handle before anything else?", T},
    {"what are today's top items", T},
    {"tell me what's important this afternoon", T},
    {"what do I do now", T},
    {"what's first on the list", T},
    {"any fires to put out?", T},
    {"What's happening today?", T},
    {"who arrives today and is everything ready?", T},
    {"Did anyone's card get declined?", P},
    {"what payments are at risk", P},
    {"list the risky bookings money-wise", P},
    {"is any balance overdue", P},
    {"pending refunds?", P},
    {"any stripe failures", P},
    {"who still needs to pay", P},
    {"what concierge stuff is still open", C},
    {"has the restaurant gotten back to us", C},
    {"any bookings for guests still unconfirmed?", C},
    {"Is the boat trip for tomorrow confirmed?", C},
    {"what did guests ask for that we haven't confirmed", C},
    {"any dinner reservations still pending", C},
    {"is anything broken", M},
    {"any urgent repairs?", M},
    {"what maintenance is due today", M},
    {"is the leak sorted", M},
    {"did someone fix the hot tub", M},
    {"any problems in the houses today?", M},
    {"what's the tallest building in the world", O},
    {"write a haiku", O},
    {"who's going to win the election", O},
    {"what's 2+2", O},
    {"recommend me a book", O},
    {"what time is it in Tokyo", O},
};
/* clang-format on */
#define TABLE_SIZE (sizeof table / sizeof table[0])

static void test_labelled_table(void **state)
{
    (void)state;
    size_t right = 0;
    size_t per_route[FOCUS_ROUTES] = {0};
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        struct focus_pick pick;
        focus_route_pick(table[i].message, &pick);
        per_route[table[i].route]++;
        if (pick.route == table[i].route) {
            right++;
            continue;
        }
        struct focus_text t;
        char joined[512];
        focus_text_normalise(table[i].message, &t);
        focus_text_join(&t, joined, sizeof joined);
        printf("MISROUTED \"%s\" [%s]: expected %s, got %s; scores", table[i].message, joined,
               focus_route_name(table[i].route), focus_route_name(pick.route));
        for (int r = 0; r < FOCUS_ROUTES; r++) {
            printf(" %s=%d", focus_route_name((enum focus_route)r), pick.scores[r]);
        }
        printf("\n");
    }
    printf("focus routing: %zu labelled messages, %zu right, accuracy %.1f%%\n", TABLE_SIZE, right,
           100.0 * (double)right / (double)TABLE_SIZE);
    for (int r = 0; r < FOCUS_ROUTES; r++) {
        printf("  %-20s %zu messages\n", focus_route_name((enum focus_route)r), per_route[r]);
        assert_true(per_route[r] >= 15); /* every route has real variety */
    }
    assert_true(TABLE_SIZE >= 150);
    assert_int_equal(right, TABLE_SIZE);
}

static void check_normal(const char *message, const char *expected)
{
    struct focus_text t;
    char joined[512];
    focus_text_normalise(message, &t);
    focus_text_join(&t, joined, sizeof joined);
    assert_string_equal(joined, expected);
}

static void test_normalise(void **state)
{
    (void)state;
    check_normal("What's the capital of France?", "what is the capital of france");
    check_normal("I'm OVERWHELMED!!!", "i am overwhelmed");
    check_normal("I\xe2\x80\x99m fine \xe2\x80\x94 thanks", "i am fine thanks");
    check_normal("can't won't shouldn't", "can not will not should not");
    check_normal("we're they've you'll she'd", "we are they have you will she would");
    check_normal("Okafor's dinner", "okafor dinner");
    check_normal("it's here", "it is here");
    check_normal("im dont cant whats", "i am do not can not what is");
    check_normal("thx u r great", "thanks you are great");
    check_normal("sooooo helllo", "soo hello");
    check_normal("paymnet maintanence conceirge", "payment maintenance concierge");
    check_normal("maintenence", "maintenance");
    check_normal("overwhelmd", "overwhelmed");
    check_normal("importnat priorites", "important priorities");
    check_normal("'quoted' words", "quoted words");
    check_normal("", "");
    check_normal("   ", "");
    check_normal("caf\xc3\xa9 perch\xc3\xa9", "caf\xc3\xa9 perch\xc3\xa9");
    check_normal("19:30 for 4", "19 30 for 4");
    /* protected words stay as they are */
    check_normal("leaning pain matter", "leaning pain matter");
}

static void test_long_and_odd_input(void **state)
{
    (void)state;
    char big[FOCUS_MESSAGE_CHARS_MAX * 2 + 1];
    for (size_t i = 0; i < sizeof big - 1; i++) {
        big[i] = i % 7 == 6 ? ' ' : "overwhelmed"[i % 11];
    }
    big[sizeof big - 1] = '\0';
    struct focus_text t;
    focus_text_normalise(big, &t);
    assert_true(t.n <= FOCUS_TOKENS_MAX);
    char word[200];
    memset(word, 'a', sizeof word - 1);
    word[sizeof word - 1] = '\0';
    focus_text_normalise(word, &t);
    assert_int_equal(t.n, 1);
    assert_true(strlen(t.words[0]) < FOCUS_TOKEN_BYTES);
    /* invalid UTF-8 and control bytes do not break anything */
    focus_text_normalise("\xff\xfe hi \x01\x02 there \xe2\x80", &t);
    struct focus_pick pick;
    focus_route_pick("\xff\xfe hi \x01\x02 there \xe2\x80", &pick);
    assert_int_equal(pick.route, FOCUS_GREETING);
}

static void test_tie_rule_and_dont_know(void **state)
{
    (void)state;
    struct focus_pick pick;
    /* "help" alone is too weak for any route: the don't-know path. */
    focus_route_pick("help", &pick);
    assert_false(pick.known);
    assert_int_equal(pick.route, FOCUS_OFF_TOPIC);
    focus_route_pick("what about the Smiths", &pick);
    assert_false(pick.known);
    /* A known off_topic message is known. */
    focus_route_pick("tell me a joke", &pick);
    assert_true(pick.known);
    assert_int_equal(pick.route, FOCUS_OFF_TOPIC);
    /* Equal scores: distress before triage ("anxious" 7, "triage" 7). */
    focus_route_pick("anxious triage", &pick);
    assert_int_equal(pick.scores[FOCUS_DISTRESS], pick.scores[FOCUS_PRIORITY_TRIAGE]);
    assert_int_equal(pick.route, FOCUS_DISTRESS);
    /* Equal scores: payment before concierge ("payment" 7, "unconfirmed" 7). */
    focus_route_pick("payment unconfirmed", &pick);
    assert_int_equal(pick.scores[FOCUS_PAYMENT_RISK], pick.scores[FOCUS_CONCIERGE_READINESS]);
    assert_int_equal(pick.route, FOCUS_PAYMENT_RISK);
    /* Greeting noticed even when triage wins. */
    focus_route_pick("Good morning! What matters most today?", &pick);
    assert_int_equal(pick.route, FOCUS_PRIORITY_TRIAGE);
    assert_true(pick.greeted);
}

static void test_follow_ups(void **state)
{
    (void)state;
    static const struct {
        const char *message;
        enum focus_follow follow;
    } cases[] = {
        {"yes", FOLLOW_CONTINUE},
        {"Yes please", FOLLOW_CONTINUE},
        {"ok", FOLLOW_CONTINUE},
        {"okay", FOLLOW_CONTINUE},
        {"sure, go ahead", FOLLOW_CONTINUE},
        {"yep", FOLLOW_CONTINUE},
        {"done", FOLLOW_CONTINUE},
        {"ok, I'm ready", FOLLOW_CONTINUE},
        {"next", FOLLOW_NEXT},
        {"what else", FOLLOW_NEXT},
        {"What else?", FOLLOW_NEXT},
        {"ok next", FOLLOW_NEXT},
        {"next one please", FOLLOW_NEXT},
        {"and then?", FOLLOW_NONE},
        {"what's next", FOLLOW_NEXT},
        {"done, next", FOLLOW_NEXT},
        {"more", FOLLOW_NEXT},
        {"no", FOLLOW_DECLINE},
        {"not now", FOLLOW_DECLINE},
        {"no thanks", FOLLOW_DECLINE},
        {"not yet", FOLLOW_DECLINE},
        {"later", FOLLOW_DECLINE},
        {"ok thanks", FOLLOW_NONE},
        {"thanks", FOLLOW_NONE},
        {"what matters most right now", FOLLOW_NONE},
        {"yes the dinner is booked at the restaurant", FOLLOW_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct focus_pick pick;
        focus_route_pick(cases[i].message, &pick);
        if (pick.follow != cases[i].follow) {
            printf("follow of \"%s\": expected %d, got %d\n", cases[i].message, cases[i].follow,
                   pick.follow);
        }
        assert_int_equal(pick.follow, cases[i].follow);
    }
}

static void test_social_kinds(void **state)
{
    (void)state;
    struct focus_pick pick;
    focus_route_pick("how are you?", &pick);
    assert_int_equal(pick.social, SOCIAL_HOW_ARE_YOU);
    focus_route_pick("thanks so much", &pick);
    assert_int_equal(pick.social, SOCIAL_THANKS);
    focus_route_pick("who are you", &pick);
    assert_int_equal(pick.social, SOCIAL_WHO);
    focus_route_pick("good night", &pick);
    assert_int_equal(pick.social, SOCIAL_BYE);
    focus_route_pick("I feel better now", &pick);
    assert_int_equal(pick.social, SOCIAL_BETTER);
    focus_route_pick("what matters most", &pick);
    assert_int_equal(pick.social, SOCIAL_NONE);
}

static void test_route_names(void **state)
{
    (void)state;
    for (int r = 0; r < FOCUS_ROUTES; r++) {
        enum focus_route back;
        assert_true(focus_route_parse(focus_route_name((enum focus_route)r), &back));
        assert_int_equal(back, r);
    }
    enum focus_route none;
    assert_false(focus_route_parse("weather", &none));
    assert_false(focus_route_parse(NULL, &none));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labelled_table),     cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_long_and_odd_input), cmocka_unit_test(test_tie_rule_and_dont_know),
        cmocka_unit_test(test_follow_ups),         cmocka_unit_test(test_social_kinds),
        cmocka_unit_test(test_route_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
