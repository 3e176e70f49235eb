/*
 * route.c — which of SPEC §8's eight routes a message asks for, decided by
 * rules alone: no network, no model, no state. Continuity ("yes" after an
 * offer) is focus.c's, which reads the follow classification made here.
 *
 * How a message is routed:
 *   1. normalise.c turns it into words (case, punctuation, contractions,
 *      typos).
 *   2. Every feature below that occurs adds its weight to its route. A
 *      feature is a keyword or a phrase of consecutive words; a word ending
 *      in '*' matches any word it begins ("overwhelm*" matches
 *      "overwhelmed", "overwhelming"). A feature counts once per message.
 *      Weights: 7–9 a word that alone settles the route ("concierge",
 *      "maintenance", "capital of"); 5–6 a strong phrase ("what matters
 *      most", "how are you"); 3–4 a suggestive word ("dinner", "leak");
 *      1–2 context that only tips a close call. 12 (FEATURE_DECISIVE) is
 *      kept for explicit statements of distress ("overwhelmed", "can't
 *      cope", "panicking"): one of them routes to distress whatever else
 *      the message lists, because the person comes before the list.
 *   3. Otherwise the route with the highest total wins if it reaches
 *      FOCUS_ROUTE_SCORE_MIN. Below that, the don't-know path: off_topic,
 *      answered with a short clarifying reply that names what Lucia can do.
 *   4. Tie rule: equal totals go to the earlier route in this order —
 *      distress, priority_triage, payment_risk, maintenance_focus,
 *      concierge_readiness, greeting, human_utility, off_topic. Someone
 *      who sounds distressed gets the calm path first; operational
 *      questions beat small talk; off_topic never wins a tie, so anything
 *      that might be about operations is answered as such.
 *
 * Short replies to an offer ("yes", "ok next", "what else", "no thanks")
 * are classified as follows (FOLLOW_*) when every word of the message is a
 * follow word; focus.c turns them into the offered route, or into
 * priority_triage / human_utility when nothing was offered.
 */
#include <string.h>

#include "core/assert.h"
#include "focus/focus_internal.h"

struct feature {
    const char *pattern;
    enum focus_route route;
    int weight;
    enum focus_social social; /* human_utility: which kind of remark */
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
static const struct feature features[] = {
    /* greeting */
    {"good morning", G, 6, 0}, {"good afternoon", G, 6, 0}, {"good evening", G, 6, 0},
    {"good day", G, 5, 0}, {"morning", G, 3, 0}, {"afternoon", G, 3, 0}, {"evening", G, 3, 0},
    {"hi", G, 4, 0}, {"hello", G, 4, 0}, {"hey", G, 4, 0}, {"hiya", G, 4, 0},
    {"howdy", G, 4, 0}, {"greetings", G, 4, 0}, {"yo", G, 3, 0}, {"buongiorno", G, 5, 0},
    {"buonasera", G, 5, 0}, {"ciao", G, 4, 0}, {"bonjour", G, 5, 0}, {"hola", G, 5, 0},
    {"rise and shine", G, 5, 0}, {"i am back", G, 4, 0}, {"i am here", G, 3, 0},
    {"back at it", G, 3, 0}, {"starting my day", G, 4, 0}, {"start of my day", G, 3, 0},
    {"lucia", G, 1, 0}, {"what is up", G, 3, 0},

    /* human utility */
    {"how are you", H, 7, SOCIAL_HOW_ARE_YOU}, {"how are you doing", H, 2, SOCIAL_HOW_ARE_YOU},
    {"how is it going", H, 6, SOCIAL_HOW_ARE_YOU}, {"how do you do", H, 6, SOCIAL_HOW_ARE_YOU},
    {"how have you been", H, 6, SOCIAL_HOW_ARE_YOU}, {"you ok", H, 4, SOCIAL_HOW_ARE_YOU},
    {"how is your day", H, 6, SOCIAL_HOW_ARE_YOU}, {"how are things", H, 4, SOCIAL_HOW_ARE_YOU},
    {"how is life", H, 6, SOCIAL_HOW_ARE_YOU}, {"how you doing", H, 6, SOCIAL_HOW_ARE_YOU},
    {"you doing", H, 4, SOCIAL_HOW_ARE_YOU},
    {"thanks", H, 6, SOCIAL_THANKS}, {"thank you", H, 6, SOCIAL_THANKS},
    {"thank", H, 4, SOCIAL_THANKS}, {"cheers", H, 5, SOCIAL_THANKS},
    {"appreciate*", H, 5, SOCIAL_THANKS}, {"grazie", H, 5, SOCIAL_THANKS},
    {"merci", H, 5, SOCIAL_THANKS}, {"great job", H, 5, SOCIAL_THANKS},
    {"good job", H, 5, SOCIAL_THANKS}, {"well done", H, 5, SOCIAL_THANKS},
    {"nice work", H, 5, SOCIAL_THANKS}, {"you are the best", H, 6, SOCIAL_THANKS},
    {"you are great", H, 5, SOCIAL_THANKS}, {"lifesaver", H, 5, SOCIAL_THANKS},
    {"nice one", H, 5, SOCIAL_THANKS},
    {"who are you", H, 7, SOCIAL_WHO}, {"what are you", H, 5, SOCIAL_WHO},
    {"what can you do", H, 7, SOCIAL_WHO}, {"what do you do", H, 6, SOCIAL_WHO},
    {"are you a bot", H, 6, SOCIAL_WHO}, {"are you human", H, 6, SOCIAL_WHO},
    {"are you there", H, 5, SOCIAL_WHO}, {"you there", H, 4, SOCIAL_WHO},
    {"your name", H, 5, SOCIAL_WHO}, {"how does this work", H, 6, SOCIAL_WHO},
    {"bye", H, 6, SOCIAL_BYE}, {"goodbye", H, 6, SOCIAL_BYE}, {"good night", H, 7, SOCIAL_BYE},
    {"goodnight", H, 7, SOCIAL_BYE}, {"see you", H, 5, SOCIAL_BYE}, {"see ya", H, 5, SOCIAL_BYE},
    {"talk later", H, 5, SOCIAL_BYE}, {"talk soon", H, 5, SOCIAL_BYE},
    {"signing off", H, 6, SOCIAL_BYE}, {"logging off", H, 6, SOCIAL_BYE},
    {"calling it a day", H, 6, SOCIAL_BYE}, {"that is all", H, 4, SOCIAL_BYE},
    {"feel* better", H, 7, SOCIAL_BETTER}, {"better now", H, 7, SOCIAL_BETTER},
    {"i am ok now", H, 7, SOCIAL_BETTER}, {"i am okay now", H, 7, SOCIAL_BETTER},
    {"i am fine now", H, 7, SOCIAL_BETTER}, {"i am good now", H, 7, SOCIAL_BETTER},
    {"calmer", H, 6, SOCIAL_BETTER}, {"all good now", H, 6, SOCIAL_BETTER},
    {"i am fine", H, 4, SOCIAL_HOW_ARE_YOU}, {"i am good", H, 3, SOCIAL_HOW_ARE_YOU},

    /* distress */
    {"overwhelm*", D, 12, 0}, {"too much", D, 6, 0}, {"stress*", D, 6, 0},
    {"panic*", D, 12, 0}, {"freaking out", D, 12, 0}, {"freak* out", D, 6, 0},
    {"can not cope", D, 12, 0}, {"can not handle", D, 6, 0}, {"can not do this", D, 7, 0},
    {"can not keep up", D, 7, 0}, {"can not think", D, 6, 0}, {"drowning", D, 7, 0},
    {"losing my mind", D, 12, 0}, {"lose my mind", D, 7, 0}, {"burn* out", D, 6, 0},
    {"burnt out", D, 6, 0}, {"exhausted", D, 6, 0}, {"so tired", D, 5, 0},
    {"anxious", D, 7, 0}, {"anxiety", D, 7, 0}, {"falling apart", D, 12, 0},
    {"wits end", D, 7, 0}, {"swamped", D, 7, 0}, {"snowed under", D, 7, 0},
    {"so much to do", D, 7, 0}, {"too many things", D, 7, 0}, {"chaos", D, 5, 0},
    {"chaotic", D, 5, 0}, {"nightmare", D, 5, 0}, {"i give up", D, 12, 0},
    {"breaking down", D, 6, 0}, {"need a break", D, 5, 0}, {"crying", D, 6, 0},
    {"help me", D, 3, 0}, {"help", D, 2, 0}, {"frazzled", D, 7, 0}, {"frantic", D, 6, 0},
    {"struggling", D, 6, 0}, {"on my plate", D, 3, 0}, {"a lot on my plate", D, 6, 0},
    {"hectic", D, 5, 0},
    {"crazy day", D, 5, 0}, {"rough day", D, 5, 0}, {"bad day", D, 5, 0},
    {"a mess", D, 4, 0}, {"ugh", D, 3, 0}, {"i am done", D, 3, 0}, {"cope", D, 4, 0},
    {"out of my depth", D, 7, 0}, {"head is spinning", D, 7, 0}, {"spinning", D, 3, 0},
    {"everything at once", D, 6, 0}, {"pulled in every direction", D, 7, 0},
    {"at once", D, 2, 0}, {"i am lost", D, 5, 0}, {"drowning in", D, 1, 0},
    {"where do i even start", D, 5, 0}, {"do not know where to start", D, 5, 0},
    {"too much going on", D, 3, 0}, {"behind on everything", D, 7, 0},
    {"behind", D, 2, 0}, {"scared", D, 5, 0}, {"worried", D, 4, 0}, {"upset", D, 5, 0},
    {"tired", D, 3, 0}, {"going wrong", D, 5, 0}, {"everything is going wrong", D, 3, 0},
    {"i am sinking", D, 7, 0}, {"buried", D, 5, 0},

    /* priority triage */
    {"what matters", T, 6, 0}, {"matters most", T, 6, 0}, {"most important", T, 6, 0},
    {"what first", T, 6, 0}, {"first thing", T, 4, 0}, {"do first", T, 6, 0},
    {"handle first", T, 6, 0}, {"deal with first", T, 5, 0}, {"tackle first", T, 6, 0},
    {"start with", T, 4, 0},
    {"where do i start", T, 6, 0}, {"where should i start", T, 6, 0},
    {"what should i do", T, 6, 0}, {"what do i do", T, 5, 0}, {"what should i", T, 3, 0},
    {"priorit*", T, 7, 0}, {"triage", T, 7, 0}, {"most pressing", T, 7, 0},
    {"pressing", T, 4, 0}, {"needs my attention", T, 6, 0}, {"need my attention", T, 6, 0},
    {"needs attention", T, 5, 0}, {"attention", T, 3, 0}, {"needs me", T, 5, 0},
    {"need me", T, 4, 0}, {"what is next", T, 5, 0}, {"next up", T, 5, 0},
    {"what now", T, 5, 0}, {"to do", T, 3, 0}, {"todo", T, 4, 0}, {"to do list", T, 3, 0},
    {"my day", T, 3, 0}, {"today", T, 1, 0}, {"right now", T, 2, 0}, {"now", T, 1, 0},
    {"focus on", T, 5, 0}, {"focus", T, 3, 0}, {"tackle", T, 4, 0}, {"urgent", T, 3, 0},
    {"critical", T, 4, 0}, {"on fire", T, 4, 0}, {"what is on", T, 4, 0},
    {"what is happening", T, 4, 0}, {"overview", T, 5, 0}, {"rundown", T, 5, 0},
    {"run down", T, 4, 0}, {"summary", T, 5, 0}, {"summarise", T, 5, 0},
    {"summarize", T, 5, 0}, {"brief me", T, 6, 0}, {"briefing", T, 6, 0},
    {"catch me up", T, 6, 0}, {"agenda", T, 5, 0}, {"what else", T, 4, 0},
    {"anything else", T, 3, 0}, {"biggest", T, 4, 0}, {"important", T, 3, 0},
    {"what is waiting", T, 5, 0}, {"waiting on me", T, 5, 0}, {"what needs", T, 4, 0},
    {"top", T, 2, 0}, {"key things", T, 5, 0}, {"big things", T, 4, 0}, {"first", T, 2, 0},
    {"arriv*", T, 4, 0}, {"check in*", T, 3, 0}, {"checking in", T, 3, 0},
    {"departure*", T, 4, 0}, {"depart*", T, 3, 0}, {"checking out", T, 3, 0},
    {"check out*", T, 3, 0}, {"leaving today", T, 4, 0}, {"who is coming", T, 5, 0},
    {"overdue tasks", T, 3, 0}, {"tasks", T, 3, 0}, {"task", T, 2, 0},
    {"what have i got", T, 5, 0}, {"what do i have", T, 4, 0}, {"what is left", T, 5, 0},
    {"status", T, 3, 0}, {"situation", T, 3, 0}, {"should i worry", T, 5, 0},
    {"worry about", T, 5, 0},
    {"one thing", T, 4, 0}, {"single thing", T, 4, 0}, {"emergenc*", T, 3, 0},
    {"plan", T, 2, 0}, {"hit list", T, 5, 0}, {"first on the list", T, 5, 0},
    {"fires to put out", T, 6, 0},
    {"put out fires", T, 6, 0}, {"fires", T, 3, 0}, {"immediate*", T, 3, 0},
    {"one thing at a time", T, 2, 0},

    /* payment risk */
    {"payment*", P, 7, 0}, {"pay", P, 4, 0}, {"paid", P, 5, 0}, {"unpaid", P, 7, 0},
    {"paying", P, 4, 0}, {"charge*", P, 5, 0}, {"card", P, 3, 0}, {"cards", P, 3, 0},
    {"declin*", P, 6, 0}, {"stripe", P, 7, 0}, {"refund*", P, 7, 0}, {"dispute*", P, 7, 0},
    {"chargeback*", P, 8, 0}, {"balance*", P, 5, 0}, {"owe*", P, 5, 0}, {"owing", P, 5, 0},
    {"outstanding", P, 4, 0}, {"money", P, 6, 0}, {"invoice*", P, 6, 0},
    {"deposit*", P, 5, 0}, {"billing", P, 6, 0}, {"bill", P, 4, 0}, {"bills", P, 4, 0},
    {"cash", P, 4, 0}, {"revenue", P, 5, 0}, {"financ*", P, 6, 0}, {"risk*", P, 2, 0},
    {"collect*", P, 3, 0}, {"bounced", P, 5, 0}, {"fraud*", P, 6, 0}, {"overpa*", P, 7, 0},
    {"transaction*", P, 6, 0}, {"funds", P, 5, 0}, {"wire", P, 3, 0}, {"receivable*", P, 7, 0},
    {"ledger", P, 6, 0}, {"failed payment*", P, 2, 0}, {"money at risk", P, 3, 0},

    /* concierge readiness */
    {"concierge", C, 8, 0}, {"reservation*", C, 6, 0}, {"reserve*", C, 4, 0},
    {"dinner*", C, 5, 0}, {"lunch", C, 4, 0}, {"restaurant*", C, 6, 0}, {"table for", C, 5, 0},
    {"chef", C, 5, 0}, {"transfer*", C, 5, 0}, {"boat*", C, 5, 0}, {"massage*", C, 6, 0},
    {"spa", C, 4, 0}, {"tour*", C, 4, 0}, {"excursion*", C, 6, 0}, {"request*", C, 4, 0},
    {"guest request*", C, 3, 0}, {"needing confirmation", C, 6, 0},
    {"need* confirmation", C, 6, 0}, {"unconfirmed", C, 7, 0}, {"not confirmed", C, 6, 0},
    {"awaiting confirmation", C, 6, 0}, {"confirm*", C, 4, 0}, {"pending", C, 3, 0},
    {"experience*", C, 4, 0}, {"activit*", C, 4, 0}, {"driver*", C, 4, 0}, {"taxi", C, 4, 0},
    {"car service", C, 5, 0}, {"yacht", C, 5, 0}, {"charter*", C, 5, 0}, {"sail*", C, 4, 0},
    {"wine tasting", C, 6, 0}, {"tickets", C, 4, 0}, {"booked for guests", C, 5, 0},
    {"bookings for guests", C, 5, 0}, {"pickup", C, 4, 0}, {"pick up", C, 3, 0},
    {"airport", C, 4, 0}, {"babysit*", C, 5, 0}, {"nanny", C, 5, 0}, {"florist", C, 5, 0},
    {"flowers", C, 4, 0}, {"cake", C, 4, 0}, {"birthday", C, 3, 0}, {"anniversary", C, 3, 0},
    {"guest asks", C, 3, 0}, {"guests asked", C, 3, 0}, {"asked for", C, 3, 0},
    {"open asks", C, 4, 0}, {"hold*", C, 1, 0}, {"surf*", C, 3, 0}, {"lesson*", C, 3, 0},
    {"private chef", C, 2, 0}, {"still waiting", C, 2, 0}, {"waiting to hear back", C, 5, 0},
    {"hear back", C, 3, 0}, {"vendor*", C, 3, 0},

    /* maintenance focus */
    {"maintenance", M, 8, 0}, {"repair*", M, 6, 0}, {"fix*", M, 5, 0}, {"broken", M, 6, 0},
    {"broke", M, 5, 0}, {"leak*", M, 7, 0}, {"plumb*", M, 6, 0}, {"electric*", M, 5, 0},
    {"hvac", M, 7, 0}, {"air conditioning", M, 6, 0}, {"air con", M, 6, 0}, {"heater", M, 5, 0},
    {"heating", M, 5, 0}, {"hot water", M, 6, 0}, {"wifi", M, 4, 0}, {"internet", M, 4, 0},
    {"power", M, 4, 0}, {"outage*", M, 5, 0}, {"flood*", M, 6, 0}, {"mold", M, 6, 0},
    {"mould", M, 6, 0}, {"pest*", M, 5, 0}, {"handyman", M, 7, 0}, {"technician*", M, 5, 0},
    {"issue*", M, 3, 0}, {"problem*", M, 3, 0}, {"work order*", M, 6, 0}, {"pool", M, 2, 0},
    {"hot tub", M, 5, 0}, {"jacuzzi", M, 5, 0}, {"boiler", M, 6, 0}, {"toilet*", M, 5, 0},
    {"sink", M, 4, 0}, {"smoke detector*", M, 5, 0}, {"alarm*", M, 3, 0}, {"damage*", M, 5, 0},
    {"malfunction*", M, 7, 0}, {"not working", M, 6, 0}, {"stopped working", M, 6, 0},
    {"faulty", M, 6, 0}, {"appliance*", M, 5, 0}, {"lock*", M, 2, 0}, {"upkeep", M, 6, 0},
    {"breakdown*", M, 5, 0}, {"out of order", M, 6, 0}, {"water", M, 2, 0},
    {"dripping", M, 5, 0}, {"clogged", M, 6, 0}, {"blocked", M, 4, 0}, {"gas", M, 4, 0},
    {"fire", M, 3, 0}, {"smoke", M, 3, 0}, {"safety", M, 3, 0}, {"hazard*", M, 5, 0},
    {"contractor*", M, 5, 0}, {"electrician", M, 6, 0}, {"plumber", M, 2, 0},
    {"things broken", M, 2, 0}, {"wrong with the house", M, 6, 0},
    {"wrong with the villa", M, 6, 0}, {"wrong in the house", M, 6, 0}, {"aircon", M, 6, 0},
    {"a c", M, 3, 0}, {"fridge", M, 5, 0}, {"dishwasher", M, 5, 0}, {"washing machine", M, 5, 0},
    {"roof", M, 5, 0}, {"window*", M, 3, 0}, {"door*", M, 2, 0},

    /* off topic */
    {"capital of", O, 9, 0}, {"capital", O, 4, 0}, {"weather", O, 4, 0}, {"joke*", O, 7, 0},
    {"poem*", O, 7, 0}, {"song*", O, 5, 0}, {"recipe*", O, 7, 0}, {"who won", O, 7, 0},
    {"president", O, 7, 0}, {"prime minister", O, 7, 0}, {"football", O, 6, 0},
    {"soccer", O, 6, 0}, {"basketball", O, 6, 0}, {"movie*", O, 6, 0}, {"film*", O, 5, 0},
    {"stock market", O, 7, 0}, {"stocks", O, 5, 0}, {"bitcoin", O, 7, 0}, {"crypto*", O, 7, 0},
    {"write me", O, 4, 0}, {"essay", O, 7, 0}, {"translate", O, 6, 0},
    {"meaning of life", O, 9, 0}, {"history of", O, 6, 0}, {"population", O, 7, 0},
    {"how tall", O, 6, 0}, {"how far", O, 5, 0}, {"how old is", O, 6, 0}, {"math*", O, 5, 0},
    {"calculate", O, 5, 0}, {"square root", O, 8, 0}, {"sing", O, 5, 0},
    {"play a game", O, 7, 0}, {"horoscope", O, 8, 0}, {"news", O, 5, 0}, {"sport*", O, 5, 0},
    {"election*", O, 7, 0}, {"politic*", O, 7, 0}, {"homework", O, 7, 0}, {"python", O, 6, 0},
    {"javascript", O, 7, 0}, {"who is the", O, 3, 0}, {"who was", O, 5, 0},
    {"when was", O, 5, 0}, {"when did", O, 4, 0}, {"tallest", O, 7, 0}, {"largest", O, 5, 0},
    {"biggest country", O, 6, 0}, {"planet*", O, 7, 0}, {"universe", O, 7, 0},
    {"dinosaur*", O, 7, 0}, {"story", O, 5, 0}, {"riddle", O, 7, 0}, {"trivia", O, 7, 0},
    {"celebrit*", O, 7, 0}, {"girlfriend", O, 6, 0}, {"boyfriend", O, 6, 0},
    {"date night ideas", O, 6, 0}, {"lottery", O, 7, 0}, {"chess", O, 7, 0},
    {"france", O, 3, 0}, {"paris", O, 3, 0}, {"world cup", O, 7, 0}, {"explain quantum", O, 8, 0},
    {"quantum", O, 6, 0}, {"philosophy", O, 7, 0}, {"in french", O, 5, 0},
    {"in spanish", O, 5, 0}, {"what year", O, 5, 0}, {"speed of light", O, 8, 0},
};
/* clang-format on */
#define FEATURES (sizeof features / sizeof features[0])

/* A feature this heavy decides the route on its own (only explicit
 * statements of distress carry it). */
#define FEATURE_DECISIVE 12

/* Tie order: lower rank wins a tie (see the opening comment). */
static const int tie_rank[FOCUS_ROUTES] = {
    [FOCUS_DISTRESS] = 0,          [FOCUS_PRIORITY_TRIAGE] = 1,     [FOCUS_PAYMENT_RISK] = 2,
    [FOCUS_MAINTENANCE_FOCUS] = 3, [FOCUS_CONCIERGE_READINESS] = 4, [FOCUS_GREETING] = 5,
    [FOCUS_HUMAN_UTILITY] = 6,     [FOCUS_OFF_TOPIC] = 7,
};

static const char *const route_names[FOCUS_ROUTES] = {
    [FOCUS_GREETING] = "greeting",
    [FOCUS_HUMAN_UTILITY] = "human_utility",
    [FOCUS_DISTRESS] = "distress",
    [FOCUS_PRIORITY_TRIAGE] = "priority_triage",
    [FOCUS_PAYMENT_RISK] = "payment_risk",
    [FOCUS_CONCIERGE_READINESS] = "concierge_readiness",
    [FOCUS_MAINTENANCE_FOCUS] = "maintenance_focus",
    [FOCUS_OFF_TOPIC] = "off_topic",
};

const char *focus_route_name(enum focus_route route)
{
    LU_ASSERT(route >= 0 && route < FOCUS_ROUTES);
    return route_names[route];
}

bool focus_route_parse(const char *name, enum focus_route *out)
{
    for (int r = 0; r < FOCUS_ROUTES; r++) {
        if (name != NULL && strcmp(name, route_names[r]) == 0) {
            *out = (enum focus_route)r;
            return true;
        }
    }
    return false;
}

/* ---- follow-ups ----------------------------------------------------------- */

/* Words a short follow-up may be made of, and what each signals. */
enum follow_word { FW_FILLER = 0, FW_YES, FW_NEXT, FW_NO, FW_THANKS };

struct follow_entry {
    const char *word;
    enum follow_word kind;
};

static const struct follow_entry follow_words[] = {
    {"yes", FW_YES},        {"yeah", FW_YES},       {"yep", FW_YES},        {"yup", FW_YES},
    {"yea", FW_YES},        {"sure", FW_YES},       {"ok", FW_YES},         {"okay", FW_YES},
    {"alright", FW_YES},    {"go", FW_YES},         {"ahead", FW_YES},      {"continue", FW_YES},
    {"ready", FW_YES},      {"absolutely", FW_YES}, {"definitely", FW_YES}, {"done", FW_YES},
    {"handled", FW_YES},    {"sorted", FW_YES},     {"dealt", FW_YES},      {"next", FW_NEXT},
    {"else", FW_NEXT},      {"more", FW_NEXT},      {"another", FW_NEXT},   {"following", FW_NEXT},
    {"after", FW_NEXT},     {"then", FW_FILLER},    {"no", FW_NO},          {"nope", FW_NO},
    {"nah", FW_NO},         {"later", FW_NO},       {"stop", FW_NO},        {"wait", FW_NO},
    {"not", FW_FILLER},     {"now", FW_FILLER},     {"please", FW_FILLER},  {"the", FW_FILLER},
    {"one", FW_FILLER},     {"what", FW_FILLER},    {"is", FW_FILLER},      {"and", FW_FILLER},
    {"on", FW_FILLER},      {"me", FW_FILLER},      {"give", FW_FILLER},    {"show", FW_FILLER},
    {"tell", FW_FILLER},    {"that", FW_FILLER},    {"it", FW_FILLER},      {"i", FW_FILLER},
    {"am", FW_FILLER},      {"let", FW_FILLER},     {"us", FW_FILLER},      {"do", FW_FILLER},
    {"keep", FW_FILLER},    {"going", FW_FILLER},   {"sounds", FW_FILLER},  {"good", FW_FILLER},
    {"got", FW_FILLER},     {"cool", FW_FILLER},    {"great", FW_FILLER},   {"right", FW_FILLER},
    {"perfect", FW_FILLER}, {"all", FW_FILLER},     {"with", FW_FILLER},    {"thing", FW_FILLER},
    {"item", FW_FILLER},    {"lucia", FW_FILLER},   {"so", FW_FILLER},      {"hold", FW_FILLER},
    {"just", FW_FILLER},    {"a", FW_FILLER},       {"sec", FW_FILLER},     {"moment", FW_FILLER},
    {"minute", FW_FILLER},  {"yet", FW_FILLER},     {"of", FW_FILLER},      {"thanks", FW_THANKS},
    {"thank", FW_THANKS},   {"you", FW_FILLER},
};

/* Follow-ups are short; longer messages are questions of their own. */
#define FOLLOW_WORDS_MAX 8

static enum focus_follow follow_classify(const struct focus_text *t)
{
    if (t->n == 0 || t->n > FOLLOW_WORDS_MAX) {
        return FOLLOW_NONE;
    }
    bool yes = false, next = false, no = false, thanks = false;
    for (size_t i = 0; i < t->n; i++) {
        size_t k = 0;
        while (k < sizeof follow_words / sizeof follow_words[0] &&
               strcmp(follow_words[k].word, t->words[i]) != 0) {
            k++;
        }
        if (k == sizeof follow_words / sizeof follow_words[0]) {
            return FOLLOW_NONE;
        }
        yes |= follow_words[k].kind == FW_YES;
        next |= follow_words[k].kind == FW_NEXT;
        no |= follow_words[k].kind == FW_NO;
        thanks |= follow_words[k].kind == FW_THANKS;
    }
    /* "no, next one" and "not yet" read as their refusal or request. */
    if (no && !next) {
        return FOLLOW_DECLINE;
    }
    if (next) {
        return FOLLOW_NEXT;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->words[i], "not") == 0) {
            return FOLLOW_DECLINE; /* "not now", "not yet" */
        }
    }
    /* "ok thanks" acknowledges; it is not a request for the next thing. */
    return yes && !thanks ? FOLLOW_CONTINUE : FOLLOW_NONE;
}

/* ---- the pick --------------------------------------------------------------- */

void focus_route_pick_text(const struct focus_text *t, struct focus_pick *out)
{
    LU_ASSERT(t != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    int social_weight = 0;
    bool decisive = false;
    for (size_t f = 0; f < FEATURES; f++) {
        if (!focus_text_has(t, features[f].pattern)) {
            continue;
        }
        out->scores[features[f].route] += features[f].weight;
        decisive |= features[f].weight >= FEATURE_DECISIVE;
        if (features[f].route == FOCUS_GREETING) {
            out->greeted = true;
        }
        if (features[f].social != SOCIAL_NONE && features[f].weight > social_weight) {
            out->social = features[f].social;
            social_weight = features[f].weight;
        }
    }
    enum focus_route best = FOCUS_OFF_TOPIC;
    if (decisive) {
        /* An explicit statement of distress settles it, whatever else the
         * message lists: the person comes before the list. */
        out->known = true;
        out->route = FOCUS_DISTRESS;
        out->follow = FOLLOW_NONE;
        out->social = SOCIAL_NONE;
        return;
    }
    for (int r = 0; r < FOCUS_ROUTES; r++) {
        int s = out->scores[r];
        int b = out->scores[best];
        if (s > b || (s == b && tie_rank[r] < tie_rank[best])) {
            best = (enum focus_route)r;
        }
    }
    out->known = out->scores[best] >= FOCUS_ROUTE_SCORE_MIN;
    out->route = out->known ? best : FOCUS_OFF_TOPIC;
    out->follow = follow_classify(t);
    if (out->route != FOCUS_HUMAN_UTILITY) {
        out->social = SOCIAL_NONE;
    }
}

void focus_route_pick(const char *message, struct focus_pick *out)
{
    static _Thread_local struct focus_text text; /* 10 KiB: off the stack */
    focus_text_normalise(message, &text);
    focus_route_pick_text(&text, out);
}
