/*
 * truth.c — the state machines as transition tables (see truth.h).
 */
#include "store/truth.h"

#include <stdio.h>
#include <string.h>

struct move {
    const char *from;
    const char *to;
};

static const struct move item_moves[] = {
    {"requested", "confirmed"},   {"confirmed", "in_progress"}, {"in_progress", "done"},
    {"requested", "cancelled"},   {"confirmed", "cancelled"},   {"in_progress", "cancelled"},
    {"requested", "failed"},      {"confirmed", "failed"},      {"in_progress", "failed"},
};

static const struct move booking_moves[] = {
    {"requested", "confirmed"}, {"confirmed", "checked_in"}, {"checked_in", "checked_out"},
    {"requested", "cancelled"}, {"confirmed", "cancelled"},
};

static const char *const item_states[] = {"requested", "confirmed", "in_progress",
                                          "done",      "cancelled", "failed"};
static const char *const booking_states[] = {"requested",   "confirmed", "checked_in",
                                             "checked_out", "cancelled"};

static const struct move *moves_of(enum truth_machine m, size_t *n)
{
    if (m == TRUTH_ITEM) {
        *n = sizeof item_moves / sizeof item_moves[0];
        return item_moves;
    }
    *n = sizeof booking_moves / sizeof booking_moves[0];
    return booking_moves;
}

bool truth_state_known(enum truth_machine m, const char *name)
{
    const char *const *states = m == TRUTH_ITEM ? item_states : booking_states;
    size_t n = m == TRUTH_ITEM ? sizeof item_states / sizeof item_states[0]
                               : sizeof booking_states / sizeof booking_states[0];
    for (size_t i = 0; name != NULL && i < n; i++) {
        if (strcmp(states[i], name) == 0) {
            return true;
        }
    }
    return false;
}

bool truth_move_legal(enum truth_machine m, const char *from, const char *to)
{
    size_t n;
    const struct move *moves = moves_of(m, &n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(moves[i].from, from) == 0 && strcmp(moves[i].to, to) == 0) {
            return true;
        }
    }
    return false;
}

void truth_moves_allowed(enum truth_machine m, const char *from, char *out, size_t cap)
{
    size_t n;
    const struct move *moves = moves_of(m, &n);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len < cap; i++) {
        if (strcmp(moves[i].from, from) == 0) {
            int k = snprintf(out + len, cap - len, "%s%s", len ? ", " : "", moves[i].to);
            len += k > 0 ? (size_t)k : 0;
        }
    }
}

bool truth_needs_evidence(const char *to)
{
    return strcmp(to, "confirmed") == 0 || strcmp(to, "done") == 0;
}

bool truth_needs_note(const char *to)
{
    return strcmp(to, "cancelled") == 0 || strcmp(to, "failed") == 0;
}

bool truth_state_final(enum truth_machine m, const char *state)
{
    size_t n;
    const struct move *moves = moves_of(m, &n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(moves[i].from, state) == 0) {
            return false;
        }
    }
    return truth_state_known(m, state);
}
