/*
 * normalise.c — an operator's message as words routing can match (see
 * focus_internal.h): lower case, punctuation gone, contractions expanded,
 * chat shorthand and common typos mended.
 *
 * Called by route.c only. It must stay deterministic and cheap (no
 * allocation, no locale): the same bytes always give the same words. It
 * knows English spelling, not meaning; the features in route.c decide what
 * the words mean.
 *
 * Steps, in order:
 *   1. bytes → words: ASCII letters lower-cased, digits kept, apostrophes
 *      (' ’ ‘ `) kept inside words, every other ASCII character and the
 *      Unicode general punctuation block (— … “ ”) split words; other UTF-8
 *      letters ("è") stay in their word.
 *   2. runs of three or more of one letter shrink to two ("sooo", "helllo").
 *   3. contractions: "won't" → "will not", "n't" → " not", "'m" → " am",
 *      "'re" → " are", "'ve" → " have", "'ll" → " will", "'d" → " would",
 *      "'s" → " is" after pronouns and question words, else dropped (a
 *      possessive: "okafor's" → "okafor").
 *   4. shorthand without apostrophes: "im", "whats", "dont", "cant", "u",
 *      "ur", "thx", "pls", "gonna" …
 *   5. typos: a table of frequent misspellings, then a vocabulary match at
 *      edit distance 1 (words of 5 to 7 letters) or 2 (8 or more), where an
 *      edit is an insertion, deletion, substitution or swap of neighbours.
 *      Common words near a vocabulary word ("leaning", "pain") are
 *      protected.
 */
#include <stdio.h>
#include <string.h>

#include "core/assert.h"
#include "focus/focus_internal.h"

struct pair {
    const char *from;
    const char *to;
};

/* Written without apostrophes by people in a hurry. */
static const struct pair shorthand[] = {
    {"im", "i am"},
    {"ive", "i have"},
    {"dont", "do not"},
    {"doesnt", "does not"},
    {"didnt", "did not"},
    {"cant", "can not"},
    {"cannot", "can not"},
    {"couldnt", "could not"},
    {"wont", "will not"},
    {"wouldnt", "would not"},
    {"shouldnt", "should not"},
    {"isnt", "is not"},
    {"arent", "are not"},
    {"wasnt", "was not"},
    {"havent", "have not"},
    {"hasnt", "has not"},
    {"whats", "what is"},
    {"thats", "that is"},
    {"hows", "how is"},
    {"whos", "who is"},
    {"wheres", "where is"},
    {"theres", "there is"},
    {"whens", "when is"},
    {"youre", "you are"},
    {"theyre", "they are"},
    {"u", "you"},
    {"ur", "your"},
    {"r", "are"},
    {"ya", "you"},
    {"thx", "thanks"},
    {"thanx", "thanks"},
    {"thnx", "thanks"},
    {"tnx", "thanks"},
    {"ty", "thanks"},
    {"tysm", "thanks"},
    {"pls", "please"},
    {"plz", "please"},
    {"plse", "please"},
    {"gonna", "going to"},
    {"wanna", "want to"},
    {"gotta", "got to"},
    {"lemme", "let me"},
    {"gimme", "give me"},
    {"whatre", "what are"},
    {"k", "ok"},
    {"kk", "ok"},
    {"okey", "okay"},
    {"rn", "right now"},
    {"asap", "right now"},
    {"atm", "right now"},
    {"mornin", "morning"},
    {"morn", "morning"},
    {"gm", "good morning"},
    {"todays", "today"},
    {"tonights", "tonight"},
    {"whatsup", "what is up"},
    {"sup", "what is up"},
    {"wassup", "what is up"},
    {"ac", "air conditioning"},
};

/* Misspellings too far from their word for the edit-distance match, or
 * too common to leave to it. */
static const struct pair typos[] = {
    {"maintanence", "maintenance"},
    {"maintainance", "maintenance"},
    {"maintenence", "maintenance"},
    {"maintnance", "maintenance"},
    {"mantenance", "maintenance"},
    {"maintanance", "maintenance"},
    {"maint", "maintenance"},
    {"concierg", "concierge"},
    {"conceirge", "concierge"},
    {"consierge", "concierge"},
    {"concerge", "concierge"},
    {"conciege", "concierge"},
    {"overwelmed", "overwhelmed"},
    {"overwhelmd", "overwhelmed"},
    {"overwhemled", "overwhelmed"},
    {"overwelming", "overwhelming"},
    {"paymnet", "payment"},
    {"paymnets", "payments"},
    {"pymt", "payment"},
    {"pmt", "payment"},
    {"paymet", "payment"},
    {"payemnt", "payment"},
    {"recieved", "received"},
    {"reciept", "receipt"},
    {"urgnet", "urgent"},
    {"ugrent", "urgent"},
    {"priorty", "priority"},
    {"prioritise", "prioritize"},
    {"helo", "hello"},
    {"hellp", "help"},
    {"morining", "morning"},
    {"mornign", "morning"},
    {"moring", "morning"},
    {"mroning", "morning"},
    {"stresed", "stressed"},
    {"stessed", "stressed"},
    {"tomorow", "tomorrow"},
    {"tommorow", "tomorrow"},
    {"tommorrow", "tomorrow"},
    {"tonite", "tonight"},
    {"2nite", "tonight"},
    {"2day", "today"},
    {"tmrw", "tomorrow"},
    {"tmr", "tomorrow"},
    {"resturant", "restaurant"},
    {"restaraunt", "restaurant"},
    {"reservaton", "reservation"},
    {"rezervation", "reservation"},
    {"confrim", "confirm"},
    {"confirmd", "confirmed"},
    {"unconfirmd", "unconfirmed"},
    {"thanku", "thanks"},
    {"thankyou", "thanks"},
    {"thnks", "thanks"},
    {"captial", "capital"},
    {"capitol", "capital"},
    {"whta", "what"},
    {"waht", "what"},
    {"teh", "the"},
    {"hwo", "how"},
    {"leek", "leak"},
    {"brokn", "broken"},
    {"anythign", "anything"},
    {"somthing", "something"},
};

/* The words routing cares about, for the edit-distance match. */
static const char *const vocabulary[] = {
    "afternoon",    "anxious",    "anxiety",      "appreciate",   "arrivals",   "arriving",
    "attention",    "balance",    "broken",       "capital",      "charges",    "chargeback",
    "checking",     "concierge",  "confirmation", "confirmed",    "deposit",    "departures",
    "dispute",      "disputes",   "drowning",     "electrical",   "emergency",  "evening",
    "everything",   "exhausted",  "failed",       "financial",    "freaking",   "handyman",
    "heating",      "hello",      "important",    "invoice",      "invoices",   "maintenance",
    "massage",      "matters",    "morning",      "outstanding",  "overdue",    "overwhelmed",
    "overwhelming", "panicking",  "payment",      "payments",     "plumber",    "plumbing",
    "pressing",     "priorities", "priority",     "problems",     "refund",     "refunds",
    "repair",       "repairs",    "reservation",  "reservations", "restaurant", "requests",
    "stressed",     "stressful",  "struggling",   "swamped",      "technician", "thanks",
    "tonight",      "tomorrow",   "unconfirmed",  "urgent",       "confirm",    "declined",
    "broken",       "leaking",    "issues",       "transfer",     "request",    "pending",
    "weather",      "recipe",     "president",    "population",   "football",
};

/* Real words one edit from a vocabulary word: never "corrected". */
static const char *const protected_words[] = {
    "leaning",   "pain",     "plumper",  "tonight",   "morning",  "mourning",  "evenings",
    "repaid",    "refused",  "refuse",   "deposed",   "matter",   "matted",    "hellos",
    "thank",     "issue",    "issued",   "balanced",  "capitals", "capitol",   "pending",
    "spending",  "sending",  "tending",  "mending",   "lending",  "bending",   "standing",
    "fending",   "heading",  "beating",  "seating",   "treating", "transfers", "requested",
    "requester", "failed",   "mailed",   "nailed",    "sailed",   "jailed",    "railed",
    "hailed",    "tailed",   "wailed",   "confirms",  "affirm",   "deport",    "report",
    "reports",   "airport",  "urgently", "reporting", "drowsing", "swapped",   "swamp",
    "refuted",   "refunded", "payment",  "happens",   "happened", "stressy",   "patents",
    "parents",   "parent",   "invoiced", "recipes",   "weathers", "whether",   "wether",
    "leather",   "feather",  "heather",  "evening",   "events",   "leaving",   "heating",
    "eating",    "meeting",  "matters",  "batters",   "latter",   "letter",    "better",
    "bitter",    "butter",   "hotter",   "mattress",  "tomorrow", "marrow",    "borrow",
    "sorrow",    "cleaning", "cleaner",
};

static bool is_word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80 || c == '\'';
}

/* Appends one word (len bytes) to out, cut to the word size. */
static void word_push(struct focus_text *out, const char *w, size_t len)
{
    if (len == 0 || out->n >= FOCUS_TOKENS_MAX) {
        return;
    }
    if (len >= FOCUS_TOKEN_BYTES) {
        len = FOCUS_TOKEN_BYTES - 1; /* no real word is this long; the head is enough */
    }
    memcpy(out->words[out->n], w, len);
    out->words[out->n][len] = '\0';
    out->n++;
}

/* Pushes every space-separated word of s. */
static void words_push(struct focus_text *out, const char *s)
{
    while (*s) {
        while (*s == ' ') {
            s++;
        }
        const char *start = s;
        while (*s && *s != ' ') {
            s++;
        }
        word_push(out, start, (size_t)(s - start));
    }
}

static const char *pair_find(const struct pair *table, size_t n, const char *w)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(table[i].from, w) == 0) {
            return table[i].to;
        }
    }
    return NULL;
}

static bool in_list(const char *const *list, size_t n, const char *w)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i], w) == 0) {
            return true;
        }
    }
    return false;
}

/* Optimal string alignment distance, stopping early past max. */
static int edit_distance(const char *a, const char *b, int max)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la >= FOCUS_TOKEN_BYTES || lb >= FOCUS_TOKEN_BYTES) {
        return max + 1;
    }
    if ((la > lb ? la - lb : lb - la) > (size_t)max) {
        return max + 1;
    }
    int d[FOCUS_TOKEN_BYTES][FOCUS_TOKEN_BYTES];
    for (size_t i = 0; i <= la; i++) {
        d[i][0] = (int)i;
    }
    for (size_t j = 0; j <= lb; j++) {
        d[0][j] = (int)j;
    }
    for (size_t i = 1; i <= la; i++) {
        int row_min = max + 1;
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) {
                v = d[i][j - 1] + 1;
            }
            if (d[i - 1][j - 1] + cost < v) {
                v = d[i - 1][j - 1] + cost;
            }
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v) {
                v = d[i - 2][j - 2] + 1;
            }
            d[i][j] = v;
            if (v < row_min) {
                row_min = v;
            }
        }
        if (row_min > max) {
            return max + 1;
        }
    }
    return d[la][lb];
}

const char *focus_word_correct(const char *word)
{
    const char *fixed = pair_find(typos, sizeof typos / sizeof typos[0], word);
    if (fixed != NULL) {
        return fixed;
    }
    size_t len = strlen(word);
    if (len < 5 || in_list(vocabulary, sizeof vocabulary / sizeof vocabulary[0], word) ||
        in_list(protected_words, sizeof protected_words / sizeof protected_words[0], word)) {
        return NULL;
    }
    for (const char *p = word; *p; p++) {
        if (!(*p >= 'a' && *p <= 'z')) {
            return NULL; /* digits, accents, apostrophes: not a typo of ours */
        }
    }
    int max = len >= 8 ? 2 : 1;
    const char *best = NULL;
    int best_d = max + 1;
    /* The first vocabulary word at the least distance wins: the list order
     * is the tie rule, so the result never depends on anything else. */
    for (size_t i = 0; i < sizeof vocabulary / sizeof vocabulary[0]; i++) {
        int d = edit_distance(word, vocabulary[i], max);
        if (d < best_d) {
            best_d = d;
            best = vocabulary[i];
        }
    }
    return best;
}

/* Shrinks runs of 3+ equal letters to 2, in place. */
static void runs_shrink(char *w)
{
    size_t o = 0;
    for (size_t i = 0; w[i]; i++) {
        if (o >= 2 && w[i] == w[o - 1] && w[i] == w[o - 2] && w[i] >= 'a' && w[i] <= 'z') {
            continue;
        }
        w[o++] = w[i];
    }
    w[o] = '\0';
}

static bool ends_with(const char *w, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len > n && memcmp(w + len - n, suffix, n) == 0;
}

/* Words after which "'s" means "is", not a possessive. */
static const char *const s_is_words[] = {
    "it",   "that", "what",       "where",   "who",       "there",    "here", "he",    "she", "how",
    "when", "why",  "everything", "nothing", "something", "anything", "this", "which", "let",
};

/* Expands one raw word with apostrophes into out (contractions). */
static void contraction_push(struct focus_text *out, char *w)
{
    size_t len = strlen(w);
    static const struct pair whole[] = {
        {"won't", "will not"}, {"can't", "can not"}, {"shan't", "shall not"}, {"ain't", "is not"},
        {"let's", "let us"},   {"y'all", "you all"}, {"o'clock", "oclock"},
    };
    const char *fixed = pair_find(whole, sizeof whole / sizeof whole[0], w);
    if (fixed != NULL) {
        words_push(out, fixed);
        return;
    }
    static const struct pair suffixes[] = {
        {"n't", "not"},  {"'m", "am"},    {"'re", "are"},
        {"'ve", "have"}, {"'ll", "will"}, {"'d", "would"},
    };
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        if (ends_with(w, len, suffixes[i].from)) {
            w[len - strlen(suffixes[i].from)] = '\0';
            word_push(out, w, strlen(w));
            words_push(out, suffixes[i].to);
            return;
        }
    }
    if (ends_with(w, len, "'s")) {
        w[len - 2] = '\0';
        word_push(out, w, strlen(w));
        if (in_list(s_is_words, sizeof s_is_words / sizeof s_is_words[0], w)) {
            words_push(out, "is");
        }
        return;
    }
    /* Any other apostrophe is dropped ("'cause", "rock'n'roll"). */
    size_t o = 0;
    for (size_t i = 0; w[i]; i++) {
        if (w[i] != '\'') {
            w[o++] = w[i];
        }
    }
    w[o] = '\0';
    word_push(out, w, o);
}

/* One raw word through steps 2 to 5. */
static void raw_word_push(struct focus_text *out, char *w)
{
    runs_shrink(w);
    /* Leading and trailing apostrophes are quotes, not contractions. */
    while (w[0] == '\'') {
        memmove(w, w + 1, strlen(w));
    }
    size_t len = strlen(w);
    while (len > 0 && w[len - 1] == '\'') {
        w[--len] = '\0';
    }
    if (len == 0) {
        return;
    }
    if (strchr(w, '\'') != NULL) {
        contraction_push(out, w);
        return;
    }
    const char *s = pair_find(shorthand, sizeof shorthand / sizeof shorthand[0], w);
    if (s != NULL) {
        words_push(out, s);
        return;
    }
    const char *fixed = focus_word_correct(w);
    if (fixed != NULL) {
        words_push(out, fixed);
        return;
    }
    word_push(out, w, len);
}

/* The length of a UTF-8 punctuation or apostrophe sequence at p, and
 * whether it is an apostrophe; 0 when p starts none. */
static size_t unicode_mark(const unsigned char *p, bool *apostrophe)
{
    *apostrophe = false;
    /* U+2000..U+206F, the general punctuation block: E2 80 xx / E2 81 xx. */
    if (p[0] == 0xE2 && (p[1] == 0x80 || p[1] == 0x81) && p[2] >= 0x80 && p[2] <= 0xBF) {
        *apostrophe = p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x99); /* ‘ ’ */
        return 3;
    }
    /* ¡ ¿ « » and the no-break space: C2 A1, C2 BF, C2 AB, C2 BB, C2 A0. */
    if (p[0] == 0xC2 &&
        (p[1] == 0xA1 || p[1] == 0xBF || p[1] == 0xAB || p[1] == 0xBB || p[1] == 0xA0)) {
        return 2;
    }
    return 0;
}

void focus_text_normalise(const char *message, struct focus_text *out)
{
    LU_ASSERT(out != NULL);
    out->n = 0;
    if (message == NULL) {
        return;
    }
    char word[FOCUS_TOKEN_BYTES * 2];
    size_t wl = 0;
    const unsigned char *p = (const unsigned char *)message;
    while (out->n < FOCUS_TOKENS_MAX) {
        unsigned char c = *p;
        bool apostrophe = false;
        size_t mark = c >= 0x80 ? unicode_mark(p, &apostrophe) : 0;
        if (c >= 'A' && c <= 'Z') {
            c = (unsigned char)(c - 'A' + 'a');
        } else if (c == '`') {
            c = '\'';
        }
        if (c != '\0' && mark == 0 && is_word_char(c)) {
            if (wl + 1 < sizeof word) {
                word[wl++] = (char)c;
            }
            p++;
            continue;
        }
        if (apostrophe) {
            if (wl + 1 < sizeof word) {
                word[wl++] = '\'';
            }
            p += mark;
            continue;
        }
        if (wl > 0) {
            word[wl] = '\0';
            raw_word_push(out, word);
            wl = 0;
        }
        if (c == '\0') {
            break;
        }
        p += mark ? mark : 1;
    }
}

void focus_text_join(const struct focus_text *t, char *out, size_t cap)
{
    LU_ASSERT(cap > 0);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < t->n; i++) {
        int n = snprintf(out + len, cap - len, "%s%s", i ? " " : "", t->words[i]);
        if (n < 0 || (size_t)n >= cap - len) {
            break;
        }
        len += (size_t)n;
    }
}

/* One pattern word against one message word. */
static bool word_matches(const char *pattern, size_t plen, const char *word)
{
    if (plen > 0 && pattern[plen - 1] == '*') {
        return strncmp(word, pattern, plen - 1) == 0;
    }
    return strlen(word) == plen && strncmp(word, pattern, plen) == 0;
}

/* True when the pattern's words occur consecutively at word i. */
static bool matches_at(const struct focus_text *t, size_t i, const char *pattern)
{
    const char *p = pattern;
    for (size_t k = i;; k++) {
        const char *end = strchr(p, ' ');
        size_t plen = end ? (size_t)(end - p) : strlen(p);
        if (k >= t->n || !word_matches(p, plen, t->words[k])) {
            return false;
        }
        if (end == NULL) {
            return true;
        }
        p = end + 1;
    }
}

bool focus_text_has(const struct focus_text *t, const char *pattern)
{
    LU_ASSERT(t != NULL && pattern != NULL);
    if (pattern[0] == '^') {
        return matches_at(t, 0, pattern + 1);
    }
    for (size_t i = 0; i < t->n; i++) {
        if (matches_at(t, i, pattern)) {
            return true;
        }
    }
    return false;
}
