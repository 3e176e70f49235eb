/*
 * route.c — which of SPEC §8b's seven guest routes a message asks for,
 * decided by rules alone: no network, no model, no state. Continuity ("is
 * it confirmed?" after a request) is chat.c's, which reads follow_up.
 *
 * How a guest message is routed:
 *   1. focus/normalise.c turns it into words (case, punctuation,
 *      contractions, shorthand such as "ac" → "air conditioning", typos).
 *   2. Every feature below that occurs adds its weight to its route. A
 *      feature is a keyword or a phrase of consecutive words; a final '*'
 *      lets a word run on ("leak*": leak, leaks, leaking); a leading '^'
 *      anchors the phrase at the first word. A feature counts once.
 *      Weights: 8–9 settles the route alone ("locked out", "speak to a
 *      human"); 6–7 a strong word ("broken", "balance", "dinner"); 3–5 a
 *      suggestive one; 1–2 context that tips a close call.
 *   3. Resolutions ("no need for dinner", "the AC is fine now", "never
 *      mind", "cancel") are updates for the team, never new requests:
 *      when one occurs, concierge_request and maintenance_report score 0
 *      and the message goes to human (tone RESOLVED), which flags the
 *      thread for a person.
 *   4. The highest total wins if it reaches GUEST_ROUTE_SCORE_MIN, else
 *      off_topic. Ties go to the earlier route in this order:
 *      maintenance_report, human, my_requests, concierge_request, balance,
 *      stay_info, off_topic — a fault a guest lives with comes first, a
 *      person asked for next, and asking about a request beats repeating
 *      it (a duplicate item is worse than a status answer).
 *   5. A short message that opens with "and" / "what about" / "how about"
 *      and names no fault or request verb ("and the AC?") asks about an
 *      earlier request: my_requests, follow_up.
 */
#include <stdio.h>
#include <string.h>

#include "core/assert.h"
#include "guest/guest_internal.h"

struct feature {
    const char *pattern;
    enum guest_route route;
    int weight;
    enum guest_tone tone;
};

#define S GUEST_STAY_INFO
#define B GUEST_BALANCE
#define C GUEST_CONCIERGE_REQUEST
#define M GUEST_MAINTENANCE_REPORT
#define R GUEST_MY_REQUESTS
#define H GUEST_HUMAN
#define O GUEST_OFF_TOPIC

/* clang-format off */
static const struct feature features[] = {
    /* stay_info: dates, times, the property */
    {"check in*", S, 5, 0}, {"checkin*", S, 5, 0}, {"check out*", S, 5, 0},
    {"checkout*", S, 5, 0}, {"checking in", S, 4, 0}, {"checking out", S, 4, 0},
    {"what time", S, 3, 0}, {"arriv*", S, 4, 0}, {"get there", S, 3, 0}, {"get in", S, 2, 0},
    {"leave", S, 3, 0}, {"leaving", S, 3, 0}, {"depart*", S, 4, 0}, {"dates", S, 5, 0},
    {"my stay", S, 4, 0}, {"our stay", S, 4, 0}, {"the stay", S, 3, 0},
    {"my booking", S, 5, 0}, {"our booking", S, 5, 0}, {"my reservation", S, 5, 0},
    {"our reservation", S, 5, 0}, {"how many nights", S, 7, 0}, {"nights", S, 4, 0},
    {"where are we staying", S, 7, 0}, {"where am i staying", S, 7, 0},
    {"which villa", S, 6, 0}, {"which property", S, 6, 0}, {"which house", S, 6, 0},
    {"name of the", S, 3, 0}, {"property", S, 3, 0}, {"villa", S, 2, 0}, {"staying", S, 3, 0},
    {"when do we", S, 2, 0}, {"when can we", S, 2, 0}, {"when do i", S, 2, 0},
    {"when can i", S, 2, 0}, {"until when", S, 9, 0}, {"last day", S, 5, 0},
    {"first day", S, 4, 0}, {"how long", S, 3, 0}, {"booked until", S, 6, 0},
    {"booked from", S, 6, 0}, {"details of", S, 2, 0}, {"stay details", S, 6, 0},

    /* balance: what Stripe says is paid and open */
    {"balance*", B, 7, 0}, {"owe*", B, 7, 0}, {"owing", B, 7, 0}, {"pay", B, 4, 0},
    {"paid", B, 5, 0}, {"paying", B, 4, 0}, {"payment*", B, 7, 0}, {"deposit*", B, 6, 0},
    {"bill", B, 5, 0}, {"invoice*", B, 6, 0}, {"how much", B, 4, 0}, {"outstanding", B, 6, 0},
    {"left to pay", B, 7, 0}, {"still to pay", B, 7, 0}, {"remaining", B, 3, 0},
    {"charge*", B, 4, 0}, {"charged", B, 5, 0}, {"receipt*", B, 6, 0}, {"cost", B, 3, 0},
    {"total", B, 3, 0}, {"total for", B, 5, 0}, {"money", B, 4, 0}, {"card", B, 3, 0}, {"amount", B, 4, 0},
    {"due", B, 2, 0}, {"stripe", B, 6, 0}, {"settle*", B, 4, 0}, {"price", B, 3, 0},

    /* concierge_request: something arranged for the guest */
    {"dinner*", C, 6, 0}, {"lunch", C, 5, 0}, {"breakfast", C, 5, 0},
    {"restaurant*", C, 6, 0}, {"table for", C, 6, 0}, {"book a table", C, 7, 0},
    {"reservation", C, 4, 0}, {"chef", C, 6, 0}, {"transfer*", C, 5, 0}, {"taxi", C, 6, 0},
    {"cab", C, 5, 0}, {"airport", C, 4, 0}, {"pickup", C, 5, 0}, {"pick us up", C, 6, 0},
    {"pick me up", C, 6, 0}, {"driver", C, 5, 0}, {"boat*", C, 6, 0}, {"yacht", C, 6, 0},
    {"massage*", C, 6, 0}, {"spa", C, 5, 0}, {"tour*", C, 5, 0}, {"excursion*", C, 6, 0},
    {"wine tasting", C, 7, 0}, {"tasting", C, 4, 0}, {"babysit*", C, 6, 0}, {"nanny", C, 6, 0},
    {"flowers", C, 5, 0}, {"cake", C, 5, 0}, {"champagne", C, 5, 0}, {"wine", C, 3, 0},
    {"groceries", C, 6, 0}, {"grocery", C, 6, 0}, {"towels", C, 5, 0}, {"pillow*", C, 5, 0},
    {"blanket*", C, 5, 0}, {"crib", C, 5, 0}, {"cot", C, 4, 0}, {"high chair", C, 5, 0},
    {"cleaning", C, 4, 0}, {"housekeeping", C, 5, 0}, {"late check out", C, 9, 0},
    {"late checkout", C, 9, 0}, {"early check in", C, 9, 0}, {"early checkin", C, 9, 0},
    {"can you book", C, 6, 0}, {"could you book", C, 6, 0}, {"please book", C, 6, 0},
    {"book us", C, 6, 0}, {"book me", C, 6, 0}, {"book", C, 3, 0}, {"arrange", C, 5, 0},
    {"organi*", C, 4, 0}, {"would like", C, 2, 0}, {"we want", C, 1, 0}, {"i want", C, 1, 0},
    {"can we get", C, 3, 0}, {"could we get", C, 3, 0}, {"could we have", C, 3, 0},
    {"can we have", C, 3, 0}, {"can i get", C, 3, 0}, {"we need", C, 1, 0},
    {"recommend*", C, 4, 0}, {"bike*", C, 5, 0}, {"car rental", C, 6, 0}, {"rent a car", C, 6, 0},
    {"tickets", C, 5, 0}, {"cooking class", C, 6, 0}, {"lesson*", C, 4, 0}, {"surf*", C, 4, 0},
    {"snorkel*", C, 5, 0}, {"diving", C, 5, 0}, {"hike", C, 4, 0}, {"guide", C, 4, 0},
    {"reserve", C, 5, 0}, {"birthday", C, 3, 0}, {"anniversary", C, 3, 0},
    {"private chef", C, 2, 0}, {"tonight", C, 1, 0}, {"tomorrow", C, 1, 0},

    /* maintenance_report: something wrong in the house */
    {"broken", M, 7, 0}, {"broke", M, 6, 0}, {"not working", M, 7, 0},
    {"does not work", M, 7, 0}, {"do not work", M, 7, 0}, {"stopped working", M, 7, 0},
    {"is not working", M, 2, 0}, {"will not", M, 3, 0}, {"can not connect", M, 7, 0},
    {"leak*", M, 7, 0}, {"air conditioning", M, 4, 0}, {"aircon", M, 4, 0}, {"heating", M, 4, 0},
    {"heater", M, 4, 0}, {"hot water", M, 5, 0}, {"no water", M, 7, 0}, {"wifi", M, 4, 0},
    {"wi fi", M, 4, 0}, {"internet", M, 4, 0}, {"toilet*", M, 5, 0}, {"shower", M, 4, 0},
    {"clogged", M, 7, 0}, {"blocked", M, 5, 0}, {"flood*", M, 8, 0}, {"fire", M, 8, 0},
    {"gas", M, 6, 0}, {"smoke", M, 7, 0}, {"smoking", M, 3, 0}, {"locked out", M, 9, 0},
    {"no power", M, 9, 0}, {"power", M, 4, 0}, {"electricity", M, 5, 0},
    {"emergenc*", M, 8, 0}, {"fix*", M, 6, 0}, {"repair*", M, 6, 0}, {"dripping", M, 6, 0},
    {"noise", M, 4, 0}, {"noisy", M, 4, 0}, {"too hot", M, 5, 0}, {"too cold", M, 5, 0},
    {"freezing", M, 4, 0}, {"mold", M, 6, 0}, {"mould", M, 6, 0}, {"cockroach*", M, 6, 0},
    {"ants", M, 5, 0}, {"bugs", M, 5, 0}, {"mosquito*", M, 4, 0}, {"mice", M, 6, 0},
    {"turn on", M, 3, 0}, {"tv", M, 3, 0}, {"television", M, 3, 0}, {"remote", M, 3, 0},
    {"fridge", M, 4, 0}, {"oven", M, 4, 0}, {"stove", M, 4, 0}, {"dishwasher", M, 4, 0},
    {"washing machine", M, 4, 0}, {"door", M, 3, 0}, {"lock", M, 3, 0}, {"key", M, 3, 0},
    {"keys", M, 3, 0}, {"light*", M, 3, 0}, {"bulb", M, 5, 0}, {"pool", M, 3, 0},
    {"dirty", M, 4, 0}, {"smell*", M, 4, 0}, {"stink*", M, 5, 0}, {"problem*", M, 4, 0},
    {"issue*", M, 4, 0}, {"damage*", M, 5, 0}, {"cracked", M, 6, 0}, {"dead", M, 3, 0},
    {"no signal", M, 6, 0}, {"slow", M, 2, 0}, {"keeps", M, 2, 0}, {"beeping", M, 5, 0},
    {"alarm", M, 4, 0}, {"sparks", M, 8, 0}, {"sparking", M, 8, 0}, {"burning", M, 6, 0},
    {"carbon monoxide", M, 9, 0}, {"burst", M, 7, 0}, {"overflow*", M, 6, 0},
    {"pipe*", M, 4, 0}, {"drain", M, 4, 0}, {"sink", M, 4, 0}, {"hob", M, 4, 0},
    {"cold shower", M, 5, 0}, {"no hot", M, 6, 0}, {"can not get in", M, 9, 0},
    {"can not open", M, 6, 0}, {"stuck", M, 5, 0}, {"jammed", M, 6, 0}, {"wrong with", M, 5, 0},

    /* my_requests: the state of what the guest asked for */
    {"my request*", R, 7, 0}, {"our request*", R, 7, 0}, {"is it confirmed", R, 8, 0},
    {"confirmed", R, 6, 0}, {"confirm*", R, 3, 0}, {"status", R, 6, 0},
    {"any update*", R, 8, 0}, {"update*", R, 4, 0}, {"any news", R, 7, 0}, {"news on", R, 5, 0},
    {"booked", R, 7, 0}, {"did you book", R, 6, 0}, {"what did i ask", R, 8, 0}, {"what have i asked", R, 8, 0},
    {"what i asked", R, 6, 0}, {"requests", R, 5, 0}, {"requested", R, 5, 0},
    {"still waiting", R, 7, 0}, {"waiting", R, 4, 0}, {"progress", R, 6, 0},
    {"when will", R, 3, 0}, {"someone coming", R, 6, 0}, {"coming to fix", R, 6, 0}, {"anyone coming", R, 6, 0},
    {"on the way", R, 5, 0}, {"on their way", R, 5, 0}, {"yet", R, 4, 0},
    {"follow up", R, 4, 0}, {"heard back", R, 6, 0}, {"hear back", R, 6, 0},
    {"what happened", R, 5, 0}, {"what happened with", R, 6, 0}, {"is my", R, 3, 0}, {"are my", R, 3, 0}, {"has my", R, 4, 0},
    {"has the", R, 2, 0}, {"have you", R, 3, 0}, {"did you", R, 3, 0}, {"did anyone", R, 4, 0},
    {"is it", R, 2, 0}, {"happening", R, 3, 0}, {"is it done", R, 7, 0}, {"sorted yet", R, 4, 0},
    {"done yet", R, 4, 0}, {"it done", R, 3, 0}, {"going on with", R, 5, 0},
    {"check on", R, 5, 0}, {"check the status", R, 4, 0}, {"come yet", R, 3, 0},
    {"coming", R, 2, 0}, {"what about my", R, 6, 0}, {"asked for", R, 4, 0},
    {"outstanding requests", R, 4, 0}, {"open requests", R, 7, 0},

    /* human: a person from the team */
    {"speak to", H, 7, 0}, {"speak with", H, 7, 0}, {"talk to", H, 7, 0}, {"talk with", H, 7, 0},
    {"a human", H, 8, 0}, {"real person", H, 9, 0}, {"a person", H, 6, 0}, {"someone", H, 2, 0},
    {"call me", H, 8, 0}, {"phone me", H, 8, 0}, {"ring me", H, 8, 0}, {"call us", H, 7, 0},
    {"manager", H, 7, 0}, {"owner", H, 5, 0}, {"host", H, 5, 0}, {"operator", H, 5, 0},
    {"staff", H, 4, 0}, {"complain*", H, 8, 0}, {"not happy", H, 9, 0}, {"unhappy", H, 7, 0},
    {"disappointed", H, 7, 0}, {"unacceptable", H, 7, 0}, {"terrible", H, 5, 0},
    {"awful", H, 5, 0}, {"want a refund", H, 9, 0}, {"refund*", H, 5, 0},
    {"extend", H, 7, 0}, {"change my booking", H, 9, 0}, {"change our booking", H, 9, 0},
    {"change the dates", H, 9, 0}, {"change dates", H, 9, 0}, {"extra night", H, 7, 0},
    {"another night", H, 7, 0}, {"stay longer", H, 8, 0}, {"wifi password", H, 9, TONE_INFO},
    {"wi fi password", H, 9, TONE_INFO}, {"password", H, 6, TONE_INFO},
    {"door code", H, 9, TONE_INFO}, {"gate code", H, 9, TONE_INFO}, {"code for", H, 5, TONE_INFO},
    {"the code", H, 5, TONE_INFO}, {"a reply", H, 3, 0}, {"contact", H, 4, 0},
    {"reach you", H, 5, 0}, {"reach the", H, 5, 0}, {"phone number", H, 6, 0},
    {"emergency contact", H, 3, 0}, {"help me", H, 2, 0}, {"need help", H, 2, 0},

    /* off_topic and small talk: nothing in the guest's records answers it */
    {"capital of", O, 9, 0}, {"weather", O, 6, 0}, {"forecast", O, 6, 0}, {"joke*", O, 8, 0},
    {"poem*", O, 8, 0}, {"song*", O, 5, 0}, {"recipe*", O, 8, 0}, {"who won", O, 8, 0},
    {"president", O, 8, 0}, {"prime minister", O, 8, 0}, {"football", O, 6, 0},
    {"soccer", O, 6, 0}, {"movie*", O, 6, 0}, {"film*", O, 5, 0}, {"bitcoin", O, 8, 0},
    {"crypto*", O, 8, 0}, {"stock*", O, 5, 0}, {"translate", O, 7, 0},
    {"meaning of life", O, 9, 0}, {"history of", O, 7, 0}, {"population", O, 8, 0},
    {"how old is", O, 7, 0}, {"math*", O, 6, 0}, {"square root", O, 9, 0}, {"homework", O, 8, 0},
    {"essay", O, 8, 0}, {"write me", O, 5, 0}, {"story", O, 5, 0}, {"python", O, 7, 0},
    {"code in", O, 6, 0}, {"planet*", O, 8, 0}, {"universe", O, 8, 0}, {"election*", O, 8, 0},
    {"politic*", O, 8, 0}, {"riddle", O, 8, 0}, {"trivia", O, 8, 0}, {"sing", O, 5, 0},
    {"who is the", O, 3, 0}, {"who was", O, 5, 0}, {"when was", O, 5, 0},
    {"what year", O, 5, 0}, {"tallest", O, 7, 0}, {"celebrit*", O, 7, 0}, {"chess", O, 7, 0},
    {"lottery", O, 7, 0}, {"horoscope", O, 9, 0}, {"quantum", O, 7, 0}, {"philosophy", O, 7, 0},
    {"news today", O, 5, 0}, {"world cup", O, 8, 0}, {"speed of light", O, 9, 0},
    {"hi", O, 1, TONE_GREETING}, {"hello", O, 1, TONE_GREETING}, {"hey", O, 1, TONE_GREETING},
    {"good morning", O, 1, TONE_GREETING}, {"good evening", O, 1, TONE_GREETING},
    {"good afternoon", O, 1, TONE_GREETING}, {"thanks", O, 1, TONE_THANKS},
    {"thank", O, 1, TONE_THANKS}, {"cheers", O, 1, TONE_THANKS}, {"grazie", O, 1, TONE_THANKS},
};
/* clang-format on */
#define FEATURES (sizeof features / sizeof features[0])

/* Resolutions (rule 3): an update about an earlier request, not a new one. */
static const char *const resolutions[] = {
    "no need",    "no longer need", "do not need",     "does not need", "not needed",
    "never mind", "nevermind",      "cancel*",         "forget about",  "forget the",
    "fine now",   "ok now",         "okay now",        "good now",      "working now",
    "works now",  "work now",       "fixed now",       "fixed itself",  "back on now",
    "sorted now", "all good now",   "not necessary",   "scratch that",  "call off",
    "is fine",    "are fine",       "resolved itself",
};
#define RESOLUTIONS (sizeof resolutions / sizeof resolutions[0])

/* Openers of a follow-up about earlier requests (rule 5). */
static const char *const follow_openers[] = {"^and", "^what about", "^how about", "^and what about",
                                             "^also"};
#define FOLLOW_OPENERS (sizeof follow_openers / sizeof follow_openers[0])
/* A follow-up is short; past this many words it says something new. */
#define FOLLOW_WORDS_MAX 6

/* Tie order (rule 4): lower rank wins a tie. */
static const int tie_rank[GUEST_ROUTES] = {
    [GUEST_MAINTENANCE_REPORT] = 0, [GUEST_HUMAN] = 1,   [GUEST_MY_REQUESTS] = 2,
    [GUEST_CONCIERGE_REQUEST] = 3,  [GUEST_BALANCE] = 4, [GUEST_STAY_INFO] = 5,
    [GUEST_OFF_TOPIC] = 6,
};

static const char *const route_names[GUEST_ROUTES] = {
    [GUEST_STAY_INFO] = "stay_info",
    [GUEST_BALANCE] = "balance",
    [GUEST_CONCIERGE_REQUEST] = "concierge_request",
    [GUEST_MAINTENANCE_REPORT] = "maintenance_report",
    [GUEST_MY_REQUESTS] = "my_requests",
    [GUEST_HUMAN] = "human",
    [GUEST_OFF_TOPIC] = "off_topic",
};

const char *guest_route_name(enum guest_route route)
{
    LU_ASSERT(route >= 0 && route < GUEST_ROUTES);
    return route_names[route];
}

bool guest_route_parse(const char *name, enum guest_route *out)
{
    for (int r = 0; r < GUEST_ROUTES; r++) {
        if (name != NULL && strcmp(name, route_names[r]) == 0) {
            *out = (enum guest_route)r;
            return true;
        }
    }
    return false;
}

static bool any_occurs(const struct focus_text *t, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (focus_text_has(t, list[i])) {
            return true;
        }
    }
    return false;
}

/* Words that carry no subject of their own: routing, status and filler. */
static const char *const generic_words[] = {
    "a",        "about",     "am",         "an",        "and",       "any",     "anyone",  "are",
    "asked",    "at",        "be",         "been",      "booked",    "by",      "can",     "check",
    "come",     "coming",    "confirm",    "confirmed", "could",     "did",     "do",      "does",
    "done",     "for",       "from",       "get",       "going",     "got",     "had",     "has",
    "have",     "hear",      "heard",      "hello",     "hi",        "how",     "i",       "in",
    "is",       "it",        "its",        "just",      "know",      "let",     "lucia",   "me",
    "my",       "news",      "now",        "of",        "on",        "or",      "our",     "please",
    "progress", "request",   "requests",   "requested", "so",        "some",    "someone", "sorted",
    "status",   "still",     "that",       "the",       "there",     "this",    "thanks",  "to",
    "today",    "tonight",   "tomorrow",   "up",        "update",    "updates", "us",      "was",
    "waiting",  "way",       "we",         "what",      "when",      "where",   "which",   "will",
    "with",     "would",     "yet",        "you",       "your",      "again",   "also",    "then",
    "happened", "happening", "follow",     "any",       "all",       "ok",      "okay",    "yes",
    "thank",    "tell",      "their",      "them",      "they",      "not",     "one",     "ones",
    "were",     "why",       "here",       "these",     "those",     "but",     "if",      "than",
    "too",      "very",      "much",       "many",      "more",      "mine",    "he",      "she",
    "his",      "her",       "being",      "list",      "show",      "give",    "see",     "things",
    "thing",    "stuff",     "everything", "anything",  "something", "ask",     "made",    "make",
    "need",     "needed",    "want",       "wanted",    "like",      "should",  "shall",   "might",
    "must",     "can",       "could",      "did",       "really",    "already", "soon",    "long",
    "far",      "ready",     "arranged",   "organised", "organized", "fixed",   "sent",    "next",
};

bool guest_word_generic(const char *word)
{
    for (size_t i = 0; i < sizeof generic_words / sizeof generic_words[0]; i++) {
        if (strcmp(generic_words[i], word) == 0) {
            return true;
        }
    }
    return false;
}

void guest_route_pick_text(const struct focus_text *t, struct guest_pick *out)
{
    LU_ASSERT(t != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    int tone_weight = 0;
    for (size_t f = 0; f < FEATURES; f++) {
        if (!focus_text_has(t, features[f].pattern)) {
            continue;
        }
        out->scores[features[f].route] += features[f].weight;
        if (features[f].tone != TONE_NONE && features[f].weight > tone_weight) {
            out->tone = features[f].tone;
            tone_weight = features[f].weight;
        }
    }
    if (any_occurs(t, resolutions, RESOLUTIONS)) {
        out->scores[GUEST_CONCIERGE_REQUEST] = 0;
        out->scores[GUEST_MAINTENANCE_REPORT] = 0;
        out->scores[GUEST_HUMAN] += 8;
        out->route = GUEST_HUMAN;
        out->tone = TONE_RESOLVED;
        return;
    }
    bool strong_new = out->scores[GUEST_MAINTENANCE_REPORT] >= 7 || focus_text_has(t, "can you") ||
                      focus_text_has(t, "could you") || focus_text_has(t, "please");
    if (t->n <= FOLLOW_WORDS_MAX && !strong_new && any_occurs(t, follow_openers, FOLLOW_OPENERS)) {
        out->scores[GUEST_MY_REQUESTS] += 9;
        out->follow_up = true;
    }
    enum guest_route best = GUEST_OFF_TOPIC;
    for (int r = 0; r < GUEST_ROUTES; r++) {
        int s = out->scores[r];
        int b = out->scores[best];
        if (s > b || (s == b && tie_rank[r] < tie_rank[best])) {
            best = (enum guest_route)r;
        }
    }
    out->route = out->scores[best] >= GUEST_ROUTE_SCORE_MIN ? best : GUEST_OFF_TOPIC;
    if (out->route == GUEST_MY_REQUESTS && t->n <= FOLLOW_WORDS_MAX) {
        out->follow_up = true; /* "is it confirmed?", "any update?" */
    }
    if (out->route != GUEST_OFF_TOPIC && out->route != GUEST_HUMAN) {
        out->tone = TONE_NONE;
    }
    if (out->route == GUEST_HUMAN && out->tone != TONE_INFO) {
        out->tone = TONE_NONE;
    }
}

/* Guest misspellings the shared normaliser does not know (its vocabulary
 * is the operator's), mended after it. */
static const struct {
    const char *from;
    const char *to;
} guest_typos[] = {
    {"chekout", "checkout"}, {"checkot", "checkout"}, {"chekin", "checkin"}, {"chek", "check"},
    {"dinnr", "dinner"},     {"diner", "dinner"},     {"masage", "massage"}, {"taxy", "taxi"},
    {"boking", "booking"},   {"wify", "wifi"},        {"brokn", "broken"},   {"toilette", "toilet"},
    {"ballance", "balance"}, {"blance", "balance"},   {"airco", "aircon"},   {"reciept", "receipt"},
    {"updat", "update"},     {"updte", "update"},
};

void guest_route_pick(const char *message, struct guest_pick *out)
{
    static _Thread_local struct focus_text text; /* 10 KiB: off the stack */
    focus_text_normalise(message, &text);
    for (size_t i = 0; i < text.n; i++) {
        for (size_t k = 0; k < sizeof guest_typos / sizeof guest_typos[0]; k++) {
            if (strcmp(text.words[i], guest_typos[k].from) == 0) {
                snprintf(text.words[i], sizeof text.words[i], "%s", guest_typos[k].to);
                break;
            }
        }
    }
    guest_route_pick_text(&text, out);
}
