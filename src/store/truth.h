/*
 * truth.h — the truth-state machines of SPEC §5, as data.
 *
 * Items:    requested → confirmed → in_progress → done; any state before
 *           done may go to cancelled or failed.
 * Bookings: requested → confirmed → checked_in → checked_out; requested or
 *           confirmed may go to cancelled.
 * Moving to confirmed or done needs evidence; cancelled and failed need a
 * note. Nothing skips a step.
 */
#ifndef LU_TRUTH_H
#define LU_TRUTH_H

#include <stdbool.h>
#include <stddef.h>

enum truth_machine { TRUTH_ITEM = 0, TRUTH_BOOKING };

/* True when name is a state of the machine. */
bool truth_state_known(enum truth_machine m, const char *name);

/* True when from → to is a legal move. */
bool truth_move_legal(enum truth_machine m, const char *from, const char *to);

/* Writes the legal targets from `from`, comma-separated ("" when none). */
void truth_moves_allowed(enum truth_machine m, const char *from, char *out, size_t cap);

bool truth_needs_evidence(const char *to);
bool truth_needs_note(const char *to);

/* True for states that are over (done, cancelled, failed, checked_out). */
bool truth_state_final(enum truth_machine m, const char *state);

#endif
