/*
 * guard.c — the truth guard over a guest reply (SPEC §8b: "the same truth
 * guard as section 8"). It reads each line's words with focus's claim
 * table (focus_claim_of: confirmed, done, completed, paid, settled …) and
 * focus's rule of which record state allows which claim
 * (focus_claim_allowed). Two differences from focus_guard_lines, because
 * guests must be told plainly what is *not* true yet:
 *   - a claim word negated just before ("not confirmed", "not yet
 *     confirmed", "isn't done", "never paid") claims nothing;
 *   - "unconfirmed" and "unpaid" are not claim words at all;
 *   - text between double quotes is the guest's own words quoted back
 *     (an item's title), not Lucia's claim: the composer replaces any
 *     double quote inside such words, so quotes always pair.
 * A line about no item may not claim anything un-negated. Offending lines
 * are removed (chat.c logs it as an error: the composer is built to pass).
 */
#include <ctype.h>
#include <string.h>

#include "core/assert.h"
#include "guest/guest_internal.h"

#define GUARD_WORD_BYTES 48
/* A negation reaches this many words forward ("not yet been confirmed"). */
#define NEGATION_REACH 3

static bool negation(const char *w)
{
    static const char *const words[] = {"not",   "never", "no",     "isnt", "hasnt",
                                        "wasnt", "arent", "havent", "nt"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strcmp(w, words[i]) == 0) {
            return true;
        }
    }
    return false;
}

bool guest_guard_line_ok(const char *text, const char *type, const char *state)
{
    char word[GUARD_WORD_BYTES];
    size_t n = 0;
    int since_negation = NEGATION_REACH + 1;
    bool quoted = false;
    for (const char *p = text ? text : "";; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            quoted = !quoted;
            n = 0; /* a word never runs across a quote */
            continue;
        }
        if (quoted && c != '\0') {
            continue;
        }
        if ((isalpha(c) && c < 0x80) || c == '\'') {
            if (c != '\'' && n + 1 < sizeof word) {
                word[n++] = (char)tolower(c);
            }
            continue;
        }
        if (n > 0) {
            word[n] = '\0';
            n = 0;
            enum focus_claim claim = focus_claim_of(word);
            if (negation(word)) {
                since_negation = 0;
            } else {
                since_negation++;
            }
            bool negated = since_negation <= NEGATION_REACH;
            if (claim != CLAIM_NONE && !negated &&
                (state == NULL || !focus_claim_allowed(claim, type, state))) {
                return false;
            }
        }
        if (c == '\0') {
            return true;
        }
        if (c == '.' || c == '!' || c == '?' || c == ';') {
            since_negation = NEGATION_REACH + 1; /* a negation ends with its sentence */
        }
    }
}

size_t guest_guard_lines(json_t *lines, const json_t *items)
{
    LU_ASSERT(json_is_array(lines));
    size_t removed = 0;
    for (size_t i = json_array_size(lines); i-- > 0;) {
        const json_t *line = json_array_get(lines, i);
        const json_t *idx = json_object_get(line, "item");
        const char *type = NULL, *state = NULL;
        if (json_is_integer(idx)) {
            const json_t *it = json_array_get(items, (size_t)json_integer_value(idx));
            type = json_string_value(json_object_get(it, "type"));
            state = json_string_value(json_object_get(it, "state"));
        }
        if (!guest_guard_line_ok(json_string_value(json_object_get(line, "text")), type, state)) {
            json_array_remove(lines, i);
            removed++;
        }
    }
    return removed;
}
