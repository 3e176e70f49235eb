/*
 * guard.c — the truth guard (SPEC §8; see focus_internal.h): nothing
 * leaves focus unless the records back it.
 *
 *   focus_guard_records    every cited item is a real record the caller
 *                          can see, in the state the answer shows;
 *   focus_guard_lines      a line calls its item confirmed, done or paid
 *                          only when that item's record says so, and a line
 *                          about no item claims nothing;
 *   focus_guard_rewording  a model's rewording names no id, amount, number,
 *                          clock time or state that the rule reply and the
 *                          items do not, and its claims stand next to items
 *                          that allow them.
 *
 * Called by focus.c for every answer. The rule reply is built to pass; a
 * failure there is our bug, so offending items and lines are removed (and
 * focus.c logs it as an error) rather than shown. A failing rewording is
 * simply discarded for the rule reply. The guard errs on the side of
 * refusing: a false refusal costs some wording, a false pass a lie.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "focus/focus_internal.h"

/* Words compared by the guard are cut at this length. */
#define GUARD_WORD_BYTES 48
/* Sentences of a rewording judged; a rewording with more is refused (a
 * reply is a few lines). */
#define GUARD_SENTENCES_MAX 200

static bool str_is(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* ---- claim words ---------------------------------------------------------- */

enum focus_claim focus_claim_of(const char *word)
{
    static const struct {
        const char *word;
        enum focus_claim claim;
    } claims[] = {
        {"confirmed", CLAIM_CONFIRMED}, {"done", CLAIM_DONE},     {"completed", CLAIM_DONE},
        {"complete", CLAIM_DONE},       {"finished", CLAIM_DONE}, {"resolved", CLAIM_DONE},
        {"paid", CLAIM_PAID},           {"settled", CLAIM_PAID},  {"prepaid", CLAIM_PAID},
    };
    for (size_t i = 0; i < sizeof claims / sizeof claims[0]; i++) {
        if (strcmp(word, claims[i].word) == 0) {
            return claims[i].claim;
        }
    }
    return CLAIM_NONE;
}

bool focus_claim_allowed(enum focus_claim claim, const char *type, const char *state)
{
    switch (claim) {
    case CLAIM_NONE:
        return true;
    case CLAIM_CONFIRMED:
        return str_is(state, "confirmed");
    case CLAIM_DONE:
        return str_is(state, "done") && !str_is(type, "payment_risk");
    case CLAIM_PAID:
        /* Only a booking whose payment status is "paid" may be called paid;
         * no focus item carries that status (a risk is by definition not
         * paid), so the word is refused everywhere. */
        return str_is(type, "payment") && str_is(state, "paid");
    }
    return false;
}

/* Calls fn on every lower-cased ASCII word of text, stopping when it
 * returns false. Non-letters split words. */
static bool words_each(const char *text, bool (*fn)(const char *word, void *ctx), void *ctx)
{
    char word[GUARD_WORD_BYTES];
    size_t n = 0;
    for (const char *p = text;; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalpha(c) && c < 0x80) {
            if (n + 1 < sizeof word) {
                word[n++] = (char)tolower(c);
            }
            continue;
        }
        if (n > 0) {
            word[n] = '\0';
            n = 0;
            if (!fn(word, ctx)) {
                return false;
            }
        }
        if (c == '\0') {
            return true;
        }
    }
}

struct claim_check {
    const char *type;
    const char *state;
    bool item;
};

static bool claim_ok(const char *word, void *ctx)
{
    const struct claim_check *k = ctx;
    enum focus_claim claim = focus_claim_of(word);
    if (claim == CLAIM_NONE) {
        return true;
    }
    return k->item && focus_claim_allowed(claim, k->type, k->state);
}

/* ---- removal with renumbering -------------------------------------------- */

/* Drops the items marked in drop (and every line about them) and the lines
 * marked in drop_line; renumbers the remaining lines' item indexes. */
static void items_drop(json_t *lines, json_t *items, const bool *drop, const bool *drop_line)
{
    size_t nitems = json_array_size(items);
    int *map = calloc(nitems ? nitems : 1, sizeof *map);
    LU_ASSERT(map != NULL); /* a few ints; an allocation failure here is fatal anyway */
    int next = 0;
    for (size_t i = 0; i < nitems; i++) {
        map[i] = drop[i] ? -1 : next++;
    }
    for (size_t i = json_array_size(lines); i-- > 0;) {
        json_t *line = json_array_get(lines, i);
        json_t *idx = json_object_get(line, "item");
        int item = json_is_integer(idx) ? (int)json_integer_value(idx) : -1;
        if ((drop_line != NULL && drop_line[i]) ||
            (item >= 0 && (size_t)item < nitems && map[item] < 0)) {
            json_array_remove(lines, i);
        } else if (item >= 0 && (size_t)item < nitems) {
            json_object_set_new(line, "item", json_integer(map[item]));
        }
    }
    for (size_t i = nitems; i-- > 0;) {
        if (drop[i]) {
            json_array_remove(items, i);
        }
    }
    free(map);
}

size_t focus_guard_lines(json_t *lines, json_t *items)
{
    size_t nitems = json_array_size(items), nlines = json_array_size(lines);
    bool *drop = calloc(nitems + 1, sizeof *drop);
    bool *drop_line = calloc(nlines + 1, sizeof *drop_line);
    LU_ASSERT(drop != NULL && drop_line != NULL);
    size_t removed = 0;
    for (size_t i = 0; i < nlines; i++) {
        const json_t *line = json_array_get(lines, i);
        json_t *idx = json_object_get(line, "item");
        int item = json_is_integer(idx) ? (int)json_integer_value(idx) : -1;
        struct claim_check k = {.item = item >= 0 && (size_t)item < nitems};
        if (k.item) {
            const json_t *it = json_array_get(items, (size_t)item);
            k.type = json_string_value(json_object_get(it, "type"));
            k.state = json_string_value(json_object_get(it, "state"));
        }
        const char *text = json_string_value(json_object_get(line, "text"));
        if (!words_each(text ? text : "", claim_ok, &k)) {
            removed++;
            if (k.item) {
                drop[item] = true;
            } else {
                drop_line[i] = true;
            }
        }
    }
    if (removed > 0) {
        items_drop(lines, items, drop, drop_line);
    }
    free(drop);
    free(drop_line);
    return removed;
}

/* ---- the records ----------------------------------------------------------- */

static bool risk_current(const struct focus_facts *facts, const char *booking_id,
                         const char *reason)
{
    for (size_t i = 0; i < json_array_size(facts->risks); i++) {
        const json_t *r = json_array_get(facts->risks, i);
        if (str_is(json_string_value(json_object_get(r, "booking_id")), booking_id) &&
            str_is(json_string_value(json_object_get(r, "reason")), reason)) {
            return true;
        }
    }
    return false;
}

static bool is_booking_type(const char *type)
{
    return str_is(type, "arrival") || str_is(type, "departure") || str_is(type, "payment_risk");
}

/* True when the item's record (from the lookup, NULL when absent or out of
 * scope) shows the state the answer gives. */
static bool item_true(const struct focus_facts *facts, const json_t *item, const json_t *record)
{
    const char *type = json_string_value(json_object_get(item, "type"));
    const char *id = json_string_value(json_object_get(item, "id"));
    const char *state = json_string_value(json_object_get(item, "state"));
    if (type == NULL || id == NULL || state == NULL || record == NULL) {
        return false;
    }
    if (str_is(type, "payment_risk")) {
        return risk_current(facts, id, state);
    }
    bool booking = is_booking_type(type);
    const char *column = booking ? "status" : "state";
    return str_is(json_string_value(json_object_get(record, column)), state) &&
           (booking || str_is(json_string_value(json_object_get(record, "kind")), type));
}

/* The visible records of the items' ids, of bookings or of items. */
static enum lu_rc records_read(struct db_conn *conn, const struct scope *scope, const json_t *items,
                               bool bookings, json_t **out)
{
    size_t n = json_array_size(items), k = 0;
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    if (ids == NULL) {
        return LU_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *it = json_array_get(items, i);
        const char *id = json_string_value(json_object_get(it, "id"));
        if (id != NULL &&
            is_booking_type(json_string_value(json_object_get(it, "type"))) == bookings) {
            ids[k++] = id;
        }
    }
    enum lu_rc rc = store_focus_lookup(conn, scope, bookings, ids, k, out);
    free(ids);
    return rc;
}

size_t focus_guard_records(struct db_conn *conn, const struct scope *scope,
                           const struct focus_facts *facts, json_t *lines, json_t *items)
{
    size_t n = json_array_size(items);
    json_t *found[2] = {NULL, NULL}; /* items, bookings */
    /* A read that fails proves nothing: every item is then refused. */
    for (int b = 0; b < 2; b++) {
        if (records_read(conn, scope, items, b == 1, &found[b]) != LU_OK) {
            found[b] = json_object();
        }
    }
    bool *drop = calloc(n + 1, sizeof *drop);
    LU_ASSERT(drop != NULL);
    size_t removed = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *it = json_array_get(items, i);
        const char *id = json_string_value(json_object_get(it, "id"));
        bool booking = is_booking_type(json_string_value(json_object_get(it, "type")));
        const json_t *record = id ? json_object_get(found[booking ? 1 : 0], id) : NULL;
        if (!item_true(facts, it, record)) {
            drop[i] = true;
            removed++;
        }
    }
    if (removed > 0) {
        items_drop(lines, items, drop, NULL);
    }
    free(drop);
    json_decref(found[0]);
    json_decref(found[1]);
    return removed;
}

/* ---- a model's rewording ------------------------------------------------------ */

/* The facts a rewording may use: the rule reply and every string of the
 * items, lower-cased, in one buffer. Integers (amounts in minor units,
 * scores) are left out on purpose: "€290,000" must not pass because
 * amount_cents is 290000; amounts count as the rule reply writes them. */
struct facts_text {
    char *text;
    size_t len;
    size_t cap;
};

static void facts_add(struct facts_text *f, const char *s)
{
    size_t n = strlen(s);
    if (f->len + n + 2 > f->cap) {
        size_t cap = (f->len + n + 2) * 2;
        char *grown = realloc(f->text, cap);
        LU_ASSERT(grown != NULL);
        f->text = grown;
        f->cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        f->text[f->len++] = (char)tolower((unsigned char)s[i]);
    }
    f->text[f->len++] = '\n';
    f->text[f->len] = '\0';
}

static void facts_add_json(struct facts_text *f, const json_t *v)
{
    const char *key;
    json_t *child;
    size_t i;
    switch (json_typeof(v)) {
    case JSON_STRING:
        facts_add(f, json_string_value(v));
        break;
    case JSON_OBJECT:
        json_object_foreach((json_t *)v, key, child)
        {
            facts_add_json(f, child);
        }
        break;
    case JSON_ARRAY:
        json_array_foreach(v, i, child)
        {
            facts_add_json(f, child);
        }
        break;
    default:
        break;
    }
}

/* Number words a rewording may use for digits. */
static const char *const number_words[] = {
    "zero",     "one",     "two",     "three",     "four",     "five",     "six",
    "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",   "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
};

/* The next number in s from *p as canonical text ("2900", "19:30", "2900.5"):
 * grouping commas dropped, a zero fraction dropped. False at the end. */
static bool number_next(const char **p, char *out, size_t cap)
{
    const char *s = *p;
    while (*s && !isdigit((unsigned char)*s)) {
        s++;
    }
    if (*s == '\0') {
        *p = s;
        return false;
    }
    size_t n = 0;
    while (*s && (isdigit((unsigned char)*s) ||
                  ((*s == ',' || *s == '.' || *s == ':') && isdigit((unsigned char)s[1])))) {
        if (*s != ',' && n + 1 < cap) {
            out[n++] = *s;
        }
        s++;
    }
    out[n] = '\0';
    char *dot = strchr(out, '.');
    if (dot != NULL && strspn(dot + 1, "0") == strlen(dot + 1)) {
        *dot = '\0';
    }
    *p = s;
    return true;
}

/* True when every number in the rewording is one of the facts' numbers. */
static bool numbers_known(const char *facts, const char *rewording, char *why, size_t cap)
{
    const char *p = rewording;
    char num[64];
    while (number_next(&p, num, sizeof num)) {
        bool found = false;
        const char *q = facts;
        char known[64];
        while (!found && number_next(&q, known, sizeof known)) {
            found = strcmp(known, num) == 0;
        }
        if (!found) {
            snprintf(why, cap, "names the number %s, which the facts do not", num);
            return false;
        }
    }
    return true;
}

struct word_scan {
    const char *facts;
    char *why;
    size_t cap;
};

/* A whole-word search of the lower-cased facts. */
static bool facts_have_word(const char *facts, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(facts, word); p != NULL; p = strstr(p + 1, word)) {
        bool start = p == facts || !isalpha((unsigned char)p[-1]);
        bool end = !isalpha((unsigned char)p[n]);
        if (start && end) {
            return true;
        }
    }
    return false;
}

/* States and standings a rewording may repeat but not invent. */
static const char *const state_words[] = {
    "confirmed", "unconfirmed", "requested", "done",     "completed", "complete",
    "finished",  "resolved",    "paid",      "unpaid",   "settled",   "prepaid",
    "cancelled", "canceled",    "failed",    "refunded", "disputed",  "overdue",
    "pending",   "booked",      "approved",  "declined", "received",  "fixed",
    "repaired",  "sorted",      "handled",   "arranged", "secured",   "guaranteed",
};

static bool word_known(const char *word, void *ctx)
{
    struct word_scan *s = ctx;
    for (size_t i = 0; i < sizeof number_words / sizeof number_words[0]; i++) {
        if (strcmp(word, number_words[i]) == 0) {
            char digits[8];
            snprintf(digits, sizeof digits, "%zu", i);
            if (facts_have_word(s->facts, word)) {
                return true;
            }
            const char *q = s->facts;
            char known[64];
            while (number_next(&q, known, sizeof known)) {
                if (strcmp(known, digits) == 0) {
                    return true;
                }
            }
            snprintf(s->why, s->cap, "names the number \"%s\", which the facts do not", word);
            return false;
        }
    }
    for (size_t i = 0; i < sizeof state_words / sizeof state_words[0]; i++) {
        if (strcmp(word, state_words[i]) == 0 && !facts_have_word(s->facts, word)) {
            snprintf(s->why, s->cap, "says \"%s\", which no fact says", word);
            return false;
        }
    }
    return true;
}

/* Id-shaped tokens (letters, an underscore, then 6+ letters or digits:
 * "itm_01…", "pi_3N…") must appear in the facts. */
static bool ids_known(const char *facts, const char *rewording, char *why, size_t cap)
{
    const char *p = rewording;
    while (*p) {
        while (*p && !isalnum((unsigned char)*p)) {
            p++;
        }
        const char *start = p;
        while (*p && (isalnum((unsigned char)*p) || *p == '_')) {
            p++;
        }
        size_t n = (size_t)(p - start);
        const char *us = memchr(start, '_', n);
        if (us == NULL || us == start || (size_t)(start + n - us - 1) < 6) {
            continue;
        }
        char token[128];
        if (n >= sizeof token) {
            snprintf(why, cap, "names an over-long identifier");
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            token[i] = (char)tolower((unsigned char)start[i]);
        }
        token[n] = '\0';
        if (strstr(facts, token) == NULL) {
            snprintf(why, cap, "names the id %s, which the facts do not", token);
            return false;
        }
    }
    return true;
}

/* Whether a sentence (lower case) mentions an item: its guest's surname or
 * a significant word of its title. */
static bool word_in(const char *sentence, const char *word)
{
    return strlen(word) >= 4 && facts_have_word(sentence, word);
}

static bool mentions(const char *sentence, const json_t *item)
{
    static const char *const stop[] = {"with",  "from",    "that",   "this",  "into",   "your",
                                       "their", "arrives", "checks", "today", "tonight"};
    const char *title = json_string_value(json_object_get(item, "title"));
    char word[GUARD_WORD_BYTES];
    size_t n = 0;
    for (const char *p = title ? title : "";; p++) {
        if (isalpha((unsigned char)*p) && (unsigned char)*p < 0x80) {
            if (n + 1 < sizeof word) {
                word[n++] = (char)tolower((unsigned char)*p);
            }
            continue;
        }
        if (n > 0) {
            word[n] = '\0';
            n = 0;
            bool stopped = false;
            for (size_t i = 0; i < sizeof stop / sizeof stop[0]; i++) {
                stopped |= strcmp(word, stop[i]) == 0;
            }
            if (!stopped && word_in(sentence, word)) {
                return true;
            }
        }
        if (*p == '\0') {
            return false;
        }
    }
}

struct sentence_check {
    const json_t *items;
    const char *sentence;
    char *why;
    size_t cap;
};

/* A claim word in a sentence must be allowed by every item the sentence
 * mentions, and the sentence must mention one. */
static bool sentence_claim_ok(const char *word, void *ctx)
{
    struct sentence_check *k = ctx;
    enum focus_claim claim = focus_claim_of(word);
    if (claim == CLAIM_NONE) {
        return true;
    }
    size_t mentioned = 0;
    for (size_t i = 0; i < json_array_size(k->items); i++) {
        const json_t *it = json_array_get(k->items, i);
        if (!mentions(k->sentence, it)) {
            continue;
        }
        mentioned++;
        if (!focus_claim_allowed(claim, json_string_value(json_object_get(it, "type")),
                                 json_string_value(json_object_get(it, "state")))) {
            snprintf(k->why, k->cap, "says \"%s\" next to an item whose record does not", word);
            return false;
        }
    }
    if (mentioned == 0) {
        snprintf(k->why, k->cap, "says \"%s\" about no item", word);
        return false;
    }
    return true;
}

static bool claims_placed(const json_t *items, const char *rewording, char *why, size_t cap)
{
    size_t len = strlen(rewording);
    char *lower = malloc(len + 1);
    LU_ASSERT(lower != NULL);
    for (size_t i = 0; i <= len; i++) {
        lower[i] = (char)tolower((unsigned char)rewording[i]);
    }
    bool ok = true;
    size_t sentences = 0;
    char *start = lower;
    for (char *p = lower; ok; p++) {
        bool end = *p == '\0' || *p == '\n' ||
                   ((*p == '.' || *p == '!' || *p == '?' || *p == ';') &&
                    (p[1] == ' ' || p[1] == '\0' || p[1] == '\n'));
        if (!end) {
            continue;
        }
        char saved = *p;
        *p = '\0';
        if (++sentences > GUARD_SENTENCES_MAX) {
            snprintf(why, cap, "is far longer than a reply");
            ok = false;
        } else {
            struct sentence_check k = {.items = items, .sentence = start, .why = why, .cap = cap};
            ok = words_each(start, sentence_claim_ok, &k);
        }
        *p = saved;
        if (saved == '\0') {
            break;
        }
        start = p + 1;
    }
    free(lower);
    return ok;
}

bool focus_guard_rewording(const char *rule_reply, const json_t *items, const char *rewording,
                           char *why, size_t why_cap)
{
    LU_ASSERT(rule_reply != NULL && why != NULL && why_cap > 0);
    why[0] = '\0';
    if (rewording == NULL || rewording[strspn(rewording, " \t\r\n")] == '\0') {
        snprintf(why, why_cap, "is empty");
        return false;
    }
    if (strlen(rewording) > 2 * strlen(rule_reply) + 200) {
        snprintf(why, why_cap, "is far longer than the rule reply");
        return false;
    }
    struct facts_text f = {0};
    facts_add(&f, rule_reply);
    facts_add_json(&f, items);
    struct word_scan scan = {.facts = f.text, .why = why, .cap = why_cap};
    bool ok = ids_known(f.text, rewording, why, why_cap) &&
              numbers_known(f.text, rewording, why, why_cap) &&
              words_each(rewording, word_known, &scan) &&
              claims_placed(items, rewording, why, why_cap);
    free(f.text);
    return ok;
}
