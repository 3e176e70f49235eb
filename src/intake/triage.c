/*
 * triage.c — the fixed rules that turn a guest's message into a
 * `requested` item (SPEC §7). Deterministic: the same words always give
 * the same kind and priority; no model, no clock, no state. Called by
 * intake.c for linked messages only (an item needs a property); tested by
 * tests/unit/test_triage.c, a table of example messages.
 *
 * The text. The subject and the first INTAKE_TRIAGE_SCAN_BYTES of the body
 * are read as words: ASCII and Latin-1 letters lower-cased, apostrophes
 * dropped ("can't" reads "cant", "won’t" reads "wont"), every other ASCII
 * character a word break, and the end of a sentence or line a boundary no
 * pattern crosses. Other UTF-8 letters stay as they are, so the
 * few Italian, Spanish, French and German words below match too.
 * A pattern is words that must appear in that order, whole; a final "*"
 * lets the last word run on ("leak*": leak, leaks, leaking, leaky).
 *
 * The rules, in order:
 *  0. Phrases in IGNORED are blanked first, so "no problem", "wifi
 *     password" or "bank transfer" trigger nothing; in DEFUSED only the
 *     safety word is, so a "fire pit" or a "gas station" is no emergency
 *     (but "the smoke alarm keeps beeping" is still a fault).
 *  1. SAFETY (flood, fire, gas, smoke, locked out, no power, emergency,
 *     burst pipe, sparks, carbon monoxide …): a maintenance item, priority
 *     urgent, guest_impacting, and needs_human. Nothing suppresses this.
 *  2. HUMAN (speak to someone, call me, refund, complaint, cancel …) sets
 *     needs_human; it makes no item by itself.
 *  3. Maintenance: a FIXTURE_PROBLEM phrase (leak, broken, no hot water,
 *     not working, clogged …), or a FIXTURE (wifi, AC, heating, power,
 *     toilet, door, fridge …) together with a PROBLEM word (down, won't,
 *     doesn't, can't connect, no signal …) in the same sentence, or
 *     written as "no <fixture>".
 *     Priority high, guest_impacting (a guest is living with it). Unless it
 *     says the problem is RESOLVED (fixed, works now, never mind) and asks
 *     for nothing (no REQUEST marker and no "?").
 *  4. Concierge: a SERVICE word (dinner, reservation, chef, transfer, boat,
 *     massage, tour, taxi, babysitter …). Priority high when it is for
 *     SOON (tonight, today, asap …), else normal; not guest_impacting.
 *     Unless it is only THANKS for something past ("dinner was amazing")
 *     and asks for nothing.
 *  5. Otherwise no item.
 * One message makes at most one item; when both 3 and 4 apply, the
 * maintenance one wins (a guest living with a fault comes first), and the
 * item's details carry the guest's whole message.
 */
#include <stdio.h>
#include <string.h>

#include "core/assert.h"
#include "intake/intake.h"

/* --- the rules' words --------------------------------------------------- */

/* A safety word that names a thing, not a danger: only the first word is
 * blanked, so "the smoke alarm keeps beeping" is still a fault. */
static const char *const DEFUSED[] = {
    "fire pit", "fire place", "fire wood", "camp fire", "fire works", "light a fire",
    "light the fire", "make a fire", "have a fire", "start a fire", "gas station",
    "gas stations", "gas grill", "gas bbq", "gas barbecue", "gas bill", "gas stove",
    "gas hob", "gas or", "smoke alarm", "smoke alarms", "smoke detector", "smoke detectors",
};

static const char *const IGNORED[] = {
    "no smoking", "non smoking", "no problem", "no problems", "no issue", "no issues",
    "no worries", "no rush", "not urgent", "no emergency", "not an emergency",
    "wifi password", "wi fi password", "wifi code", "wifi name", "wifi network",
    "internet password", "door code", "gate code", "lock code",
    "bank transfer", "wire transfer", "money transfer", "transfer the money",
    "transfer the balance", "transfer the deposit", "my booking", "our booking",
    "the booking", "this booking", "booking confirmation",
};

static const char *const SAFETY[] = {
    "flood*", "flooding", "fire", "fires", "on fire", "gas", "gas leak*", "smell* gas",
    "smoke", "smoking from", "burning smell", "smell* burning", "smell* of burning",
    "sparks", "sparking", "carbon monoxide", "co alarm", "electric shock",
    "locked out", "locked myself out", "locked ourselves out", "locked us out",
    "cant get in", "cannot get in", "cant get inside", "cannot get inside",
    "no power", "lost power", "power outage", "power is out", "power went out",
    "power cut", "power failure", "no electricity", "blackout", "black out",
    "emergency", "emergencies", "burst pipe", "pipe burst", "pipe has burst",
    "pipes burst", "water everywhere", "ceiling collapsed",
    /* Italian, Spanish, French, German */
    "allagamento", "allagato", "incendio", "fuoco", "fumo", "fuga di gas",
    "odore di gas", "emergenza", "chiuso fuori", "senza corrente", "inundado",
    "inundación", "humo", "olor a gas", "emergencia", "sin luz", "inondation",
    "inondé", "incendie", "fumée", "odeur de gaz", "urgence", "feuer", "rauch",
    "gasgeruch", "notfall", "stromausfall", "kein strom", "überschwemmung",
};

static const char *const HUMAN[] = {
    "speak to", "speak with", "talk to", "talk with", "call me", "call us", "phone me",
    "ring me", "real person", "a human", "manager", "complain*", "refund*", "cancel*",
    "change my booking", "change our booking", "change the dates", "extend our stay",
    "extend my stay", "not happy", "unhappy", "disappointed", "unacceptable",
};

/* Faults that need no other word. */
static const char *const FIXTURE_PROBLEM[] = {
    "leak*", "broken", "broke", "smashed", "cracked", "shattered",
    "no hot water", "no water", "hot water is not", "hot water isnt",
    "not working", "isnt working", "arent working", "wasnt working", "doesnt work",
    "dont work", "didnt work", "wont work", "stopped working", "no longer works",
    "out of order", "malfunction*", "clog*", "blocked", "overflow*", "dripping",
    "drips", "mould", "mold", "mouldy", "moldy", "damp", "cockroach*", "roaches",
    "mice", "rats", "bed bugs", "bedbugs", "pests", "ants everywhere", "wasps",
    "bad smell", "smells bad", "stinks", "sewage", "no heat", "no heating",
    "tripped", "fuse", "needs repair*", "needs fixing", "please fix", "can you fix",
    "could you fix", "send someone", "send a technician", "plumber", "electrician",
    "handyman", "maintenance",
    /* Italian, Spanish, French, German */
    "perdita", "rotto", "rotta", "guasto", "non funziona", "acqua calda", "roto", "rota",
    "no funciona", "fuga", "agua caliente", "cassé", "cassée", "en panne",
    "ne marche pas", "fuite", "eau chaude", "kaputt", "funktioniert nicht",
    "kein warmwasser",
};

static const char *const FIXTURE[] = {
    "wifi", "wi fi", "internet", "router", "ac", "a c", "air con*", "aircon",
    "air conditioning", "air conditioner", "heating", "heater", "boiler", "radiator*",
    "power", "electricity", "lights", "light", "lamp", "socket*", "outlet*", "toilet*",
    "shower*", "sink", "tap", "taps", "faucet", "drain", "bath", "bathtub", "water",
    "water pressure", "tv", "television", "remote", "fridge", "refrigerator", "freezer",
    "oven", "stove", "hob", "cooker", "dishwasher", "washing machine", "washer", "dryer",
    "microwave", "kettle", "coffee machine", "pool", "pool pump", "hot tub", "jacuzzi",
    "door", "doors", "lock", "locks", "key", "keys", "window", "windows", "gate",
    "shutters", "blinds", "elevator", "lift", "fan", "fans", "bed", "ceiling", "roof",
    "alarm", "alarms", "detector", "stove", "grill", "bbq", "barbecue",
};

static const char *const PROBLEM[] = {
    "wont", "doesnt", "isnt", "arent", "wasnt", "didnt", "cant connect",
    "cannot connect", "unable to connect", "not connecting", "keeps dropping",
    "keeps disconnecting", "keeps cutting", "keeps turning off", "keeps tripping",
    "is down", "are down", "went down", "went out", "is out", "are out", "no signal",
    "no connection", "not cooling", "not heating", "not turning on", "not draining",
    "not flushing", "not closing", "not locking", "not opening", "blowing warm",
    "blowing hot", "too hot", "too cold", "freezing", "ice cold", "lukewarm",
    "is off", "went off", "stuck", "jammed", "problem*", "issue*", "trouble", "fault*",
    "dead", "very slow", "so slow", "too slow", "weak", "flicker*", "noisy", "loud noise",
    "strange noise", "making a noise", "buzzing", "beeping", "dirty", "green", "cloudy",
};

static const char *const RESOLVED[] = {
    "fixed", "been fixed", "is fixed", "works now", "working now", "working again",
    "works again", "all good now", "back on", "resolved", "sorted", "never mind",
    "nevermind", "no longer needed", "thanks for fixing", "thank you for fixing",
    "thanks for repairing", "ignore my last message",
};

static const char *const SERVICE[] = {
    "dinner", "lunch", "brunch", "restaurant*", "reservation*", "reserve", "book",
    "book a table", "table for", "chef", "private chef", "cook", "cooking class",
    "catering", "transfer", "transfers", "airport", "pickup", "pick up", "pick us up",
    "taxi", "cab", "uber", "driver", "chauffeur", "car rental", "rent a car", "car hire",
    "boat*", "yacht", "sailing", "cruise", "ferry", "massage*", "spa", "facial", "yoga",
    "personal trainer", "tour", "tours", "excursion*", "guide", "tickets", "museum",
    "wine tasting", "winery", "vineyard", "groceries", "grocery", "shopping", "flowers",
    "bouquet", "cake", "champagne", "babysit*", "nanny", "childcare", "crib", "cot",
    "high chair", "extra towels", "towels", "extra bed", "housekeeping", "cleaning",
    "late checkout", "late check out", "early check in", "early checkin", "bike*",
    "bicycle*", "scooter*", "vespa", "golf", "tennis", "horse riding", "diving",
    "snorkel*", "fishing", "helicopter", "photographer", "birthday", "anniversary",
    "proposal", "celebrat*",
    /* Italian, Spanish, French, German */
    "cena", "pranzo", "prenotazione", "prenotare", "ristorante", "barca", "massaggio",
    "reserva", "restaurante", "barco", "masaje", "dîner", "réservation", "bateau",
    "abendessen", "tisch reservieren",
};

static const char *const REQUEST[] = {
    "please", "pls", "plz", "can you", "could you", "can we", "could we", "can i",
    "could i", "would like", "wed like", "id like", "we want", "i want", "we need",
    "i need", "book", "reserve", "arrange", "organi*", "set up", "schedule",
    "is it possible", "possible to", "recommend*", "help", "per favore", "por favor",
    "sil vous plait", "bitte",
};

static const char *const THANKS[] = {
    "loved", "enjoyed", "was amazing", "was great", "was lovely", "was delicious",
    "was fantastic", "was perfect", "was wonderful", "was excellent", "had a great",
    "had a lovely", "had a wonderful", "had an amazing", "thanks for the",
    "thank you for the", "thanks for arranging", "thank you for arranging",
    "thanks for booking", "thank you for booking",
};

static const char *const SOON[] = {
    "tonight", "today", "this evening", "this afternoon", "this morning", "asap",
    "right now", "right away", "as soon as possible", "in an hour", "urgent*",
    "stasera", "oggi", "esta noche", "hoy", "ce soir", "heute",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* --- the text as words ---------------------------------------------------- */

/* " word word … " and its NUL: two pad spaces around the scanned text. */
#define WORDS_BYTES (INTAKE_SUBJECT_BYTES_MAX + INTAKE_TRIAGE_SCAN_BYTES + 8)

struct words {
    char text[WORDS_BYTES];
    size_t len;
    bool question; /* a '?' anywhere: the guest is asking */
};

static void words_put(struct words *w, char c)
{
    if (c == ' ' && w->len > 0 && w->text[w->len - 1] == ' ') {
        return;
    }
    if (w->len < sizeof w->text - 2) {
        w->text[w->len++] = c;
    }
}

/* Appends s (up to max bytes, never ending inside a UTF-8 character) as
 * words. */
static void words_add(struct words *w, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && (p[n] & 0xC0) == 0x80) {
            n--; /* back to the start of the cut character */
        }
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == '?') {
            w->question = true;
        }
        bool ends = i + 1 == n || p[i + 1] == ' ' || p[i + 1] == '\t' || p[i + 1] == '\r' ||
                    p[i + 1] == '\n';
        if (c == '\n' || c == ';' || ((c == '.' || c == '!' || c == '?') && ends)) {
            words_put(w, ' ');
            words_put(w, '|'); /* a sentence boundary: no needle contains '|' */
            words_put(w, ' ');
            continue;
        }
        if (c == '\'' || c == '`') {
            continue; /* "can't" → "cant" */
        }
        if (c == 0xE2 && i + 2 < n && p[i + 1] == 0x80 && (p[i + 2] == 0x98 || p[i + 2] == 0x99)) {
            i += 2; /* ‘ and ’ are apostrophes too */
            continue;
        }
        if (c == 0xC3 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9E && p[i + 1] != 0x97) {
            words_put(w, (char)c); /* Latin-1 capitals À–Þ (not ×) to lower case */
            words_put(w, (char)(p[i + 1] + 0x20));
            i++;
            continue;
        }
        if (c >= 'A' && c <= 'Z') {
            words_put(w, (char)(c - 'A' + 'a'));
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
            words_put(w, (char)c);
        } else {
            words_put(w, ' ');
        }
    }
    words_put(w, ' ');
}

static void words_build(struct words *w, const char *subject, const char *body)
{
    memset(w, 0, sizeof *w);
    words_put(w, ' ');
    if (subject != NULL) {
        words_add(w, subject, INTAKE_SUBJECT_BYTES_MAX);
    }
    if (body != NULL) {
        words_add(w, body, INTAKE_TRIAGE_SCAN_BYTES);
    }
    w->text[w->len] = '\0';
}

/* The needle for a pattern: " words " or, with a final '*', " words". */
static bool needle_of(const char *pattern, char *needle, size_t cap)
{
    size_t n = strlen(pattern);
    bool prefix = n > 0 && pattern[n - 1] == '*';
    if (prefix) {
        n--;
    }
    LU_ASSERT(n > 0 && n + 3 <= cap); /* the tables are ours */
    needle[0] = ' ';
    memcpy(needle + 1, pattern, n);
    size_t len = n + 1;
    if (!prefix) {
        needle[len++] = ' ';
    }
    needle[len] = '\0';
    return prefix;
}

static bool text_has(const char *text, const char *pattern)
{
    char needle[64];
    needle_of(pattern, needle, sizeof needle);
    return strstr(text, needle) != NULL;
}

static bool words_have(const struct words *w, const char *pattern)
{
    return text_has(w->text, pattern);
}

/* The first pattern of list found in text, or NULL. */
static const char *text_first(const char *text, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (text_has(text, list[i])) {
            return list[i];
        }
    }
    return NULL;
}

static const char *first_found(const struct words *w, const char *const *list, size_t n)
{
    return text_first(w->text, list, n);
}

/* Blanks every occurrence of each phrase of list (keeping the spaces
 * around it), or only its first word, so no rule can match inside it or
 * across it. */
static void words_blank(struct words *w, const char *const *list, size_t n, bool first_word)
{
    for (size_t i = 0; i < n; i++) {
        char needle[64];
        needle_of(list[i], needle, sizeof needle);
        size_t len = strlen(needle);
        size_t blank = len - (needle[len - 1] == ' ' ? 2 : 1);
        if (first_word) {
            blank = strcspn(needle + 1, " ");
        }
        for (char *at = strstr(w->text, needle); at != NULL; at = strstr(at + 1, needle)) {
            memset(at + 1, ' ', blank); /* the leading space stays */
        }
    }
}

/* "no <fixture>" ("no wifi", "no ac"): a fixture named as missing. */
static const char *fixture_missing(const struct words *w)
{
    for (size_t i = 0; i < COUNT(FIXTURE); i++) {
        char pattern[64];
        size_t n = strlen(FIXTURE[i]);
        LU_ASSERT(n + 4 < sizeof pattern);
        memcpy(pattern, "no ", 3);
        memcpy(pattern + 3, FIXTURE[i], n + 1);
        if (words_have(w, pattern)) {
            return FIXTURE[i];
        }
    }
    return NULL;
}

/* A fixture and a problem word in one sentence ("the wifi is down"). The
 * sentence is cut out by a NUL over its '|' for the search, then put back. */
static const char *fixture_with_problem(struct words *w)
{
    char *sentence = w->text;
    while (sentence != NULL) {
        char *bar = strchr(sentence, '|');
        if (bar != NULL) {
            *bar = '\0';
        }
        const char *fixture = text_first(sentence, FIXTURE, COUNT(FIXTURE));
        bool problem = fixture != NULL && text_first(sentence, PROBLEM, COUNT(PROBLEM)) != NULL;
        if (bar != NULL) {
            *bar = '|';
        }
        if (problem) {
            return fixture;
        }
        sentence = bar != NULL ? bar + 1 : NULL;
    }
    return NULL;
}

static const char *maintenance_rule(struct words *w)
{
    const char *rule = first_found(w, FIXTURE_PROBLEM, COUNT(FIXTURE_PROBLEM));
    if (rule != NULL) {
        return rule;
    }
    rule = fixture_missing(w);
    return rule != NULL ? rule : fixture_with_problem(w);
}

void intake_triage_classify(const char *subject, const char *body, struct triage_result *out)
{
    static struct triage_result none;
    *out = none;
    struct words w;
    words_build(&w, subject, body);
    words_blank(&w, IGNORED, COUNT(IGNORED), false);
    words_blank(&w, DEFUSED, COUNT(DEFUSED), true);

    out->needs_human = first_found(&w, HUMAN, COUNT(HUMAN)) != NULL;
    const char *rule = first_found(&w, SAFETY, COUNT(SAFETY));
    if (rule != NULL) {
        *out = (struct triage_result){.kind = TRIAGE_MAINTENANCE, .priority = "urgent",
                                      .guest_impacting = true, .needs_human = true,
                                      .rule = rule};
        return;
    }
    bool asks = w.question || first_found(&w, REQUEST, COUNT(REQUEST)) != NULL;
    rule = maintenance_rule(&w);
    if (rule != NULL && (asks || first_found(&w, RESOLVED, COUNT(RESOLVED)) == NULL)) {
        out->kind = TRIAGE_MAINTENANCE;
        out->priority = "high";
        out->guest_impacting = true;
        out->rule = rule;
        return;
    }
    rule = first_found(&w, SERVICE, COUNT(SERVICE));
    if (rule != NULL && (asks || first_found(&w, THANKS, COUNT(THANKS)) == NULL)) {
        out->kind = TRIAGE_CONCIERGE;
        out->priority = first_found(&w, SOON, COUNT(SOON)) != NULL ? "high" : "normal";
        out->rule = rule;
    }
}

const char *intake_triage_kind_name(enum triage_kind kind)
{
    switch (kind) {
    case TRIAGE_MAINTENANCE: return "maintenance";
    case TRIAGE_CONCIERGE: return "concierge";
    case TRIAGE_NONE: break;
    }
    return NULL;
}

/* --- the title ------------------------------------------------------------ */

static bool blank_char(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skips "Re:", "RE:", "Fwd:", "Fw:" and "AW:"/"WG:" prefixes, repeated. */
static const char *subject_core(const char *s)
{
    static const char *const prefixes[] = {"re:", "fwd:", "fw:", "aw:", "wg:", "r:", "tr:"};
    for (bool again = true; again;) {
        again = false;
        while (blank_char(*s)) {
            s++;
        }
        for (size_t i = 0; i < COUNT(prefixes); i++) {
            size_t n = strlen(prefixes[i]);
            bool match = true;
            for (size_t k = 0; k < n && match; k++) {
                char c = s[k];
                match = (c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c) == prefixes[i][k];
            }
            if (match) {
                s += n;
                again = true;
                break;
            }
        }
    }
    return s;
}

static bool has_words(const char *s)
{
    for (; s != NULL && *s; s++) {
        if (!blank_char(*s)) {
            return true;
        }
    }
    return false;
}

void intake_triage_title(const char *subject, const char *body, char *out, size_t cap)
{
    LU_ASSERT(cap > 4);
    const char *src = subject != NULL ? subject_core(subject) : NULL;
    bool from_body = !has_words(src);
    if (from_body) {
        src = body;
    }
    size_t limit = cap - 1 < INTAKE_TITLE_BYTES_MAX ? cap - 1 : INTAKE_TITLE_BYTES_MAX;
    size_t o = 0;
    bool cut = false;
    const char *p = src;
    while (p != NULL && blank_char(*p)) {
        p++;
    }
    for (; p != NULL && *p; p++) {
        char c = blank_char(*p) ? ' ' : *p;
        /* The body's first sentence or line is its title. */
        if (from_body && (*p == '\n' || ((c == '.' || c == '!' || c == '?') &&
                                         (p[1] == '\0' || blank_char(p[1]))))) {
            if (c != '.' && o < limit) {
                out[o++] = c;
            }
            break;
        }
        if (c == ' ' && (o == 0 || out[o - 1] == ' ')) {
            continue;
        }
        if (o == limit) {
            cut = true;
            break;
        }
        out[o++] = c;
    }
    if (cut) {
        /* Room for "…" (3 bytes), at a word boundary when one is near. */
        size_t keep = limit - 3;
        size_t space = keep;
        while (space > keep / 2 && out[space] != ' ') {
            space--;
        }
        o = out[space] == ' ' ? space : keep;
        while (o > 0 && ((unsigned char)out[o] & 0xC0) == 0x80) {
            o--; /* never end inside a UTF-8 character */
        }
        memcpy(out + o, "\xE2\x80\xA6", 3);
        o += 3;
    }
    while (o > 0 && out[o - 1] == ' ') {
        o--;
    }
    out[o] = '\0';
    if (o == 0) {
        snprintf(out, cap, "Message from a guest");
    }
}
