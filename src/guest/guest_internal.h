/*
 * guest_internal.h — what the files of src/guest/ share; nothing outside
 * src/guest/ (but its unit tests) includes this. The public surface is
 * guest.h.
 *
 * One guest turn (chat.c):
 *   route.c   the message's words (focus/normalise.c) → one of the seven
 *             guest routes, by a weighted feature table
 *   store.c   the guest's own records: bookings, items, the chat thread;
 *             sign-in codes and tokens
 *   reply.c   the reply lines, from those records alone
 *   guard.c   the truth guard over the lines (claims need records)
 *
 * It includes focus/focus_internal.h on purpose: the guest agent is built on
 * operator focus's normaliser (focus_text_normalise), claim table and rules
 * (focus_claim_of, focus_claim_allowed) and money format, so there is one
 * truth guard and one reading of words, not two that drift apart.
 */
#ifndef LU_GUEST_INTERNAL_H
#define LU_GUEST_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "db/db.h"
#include "focus/focus_internal.h"
#include "guest/guest.h"

/* ---- records.c ------------------------------------------------------------ */

/* A scope of the guest's one property (borrows who). */
struct guest_scope {
    const char *ids[1];
    struct scope scope;
};
void guest_scope(const struct guest_identity *who, struct guest_scope *out);

/* The guest's bookings (owned array of booking records, check-in order as
 * the store lists them), and the guest's property record (owned). */
enum lu_rc guest_bookings_read(struct db_conn *conn, const struct guest_identity *who,
                               json_t **out);
enum lu_rc guest_property_read(struct db_conn *conn, const struct guest_identity *who,
                               json_t **out);

/* An item record (borrowed) as the guest sees it, owned: {"type":"item",
 * "id","kind","title","details","state","priority","booking_id","due_at",
 * "created_at","confirmed_at"?,"done_at"?}. */
enum lu_rc guest_item_view(struct db_conn *conn, const json_t *item, json_t **out);

/* Up to limit of the guest's items, newest first, after `after` (NULL:
 * from the newest), as views; *has_more when there are older ones. */
enum lu_rc guest_items_read(struct db_conn *conn, const struct guest_identity *who, int limit,
                            const char *after, json_t **out, bool *has_more);

/* ---- route.c ------------------------------------------------------------ */

enum guest_route {
    GUEST_STAY_INFO = 0,
    GUEST_BALANCE,
    GUEST_CONCIERGE_REQUEST,
    GUEST_MAINTENANCE_REPORT,
    GUEST_MY_REQUESTS,
    GUEST_HUMAN,
    GUEST_OFF_TOPIC,
    GUEST_ROUTES
};

/* Why a message went to human or off_topic, so the reply fits it. */
enum guest_tone {
    TONE_NONE = 0,
    TONE_GREETING, /* "hi", "good morning" with nothing else asked */
    TONE_THANKS,   /* "thanks", "great" */
    TONE_RESOLVED, /* "no need for dinner", "the AC is fine now": an update for the team */
    TONE_INFO,     /* "wifi password", "door code": facts Lucia does not hold */
};

struct guest_pick {
    enum guest_route route;
    int scores[GUEST_ROUTES];
    enum guest_tone tone;
    bool follow_up; /* a short "and the AC?" / "any update?" about earlier requests */
};

/* The least score a route needs; below it the message is off_topic. */
#define GUEST_ROUTE_SCORE_MIN 3

/* Routes message (borrowed) by rules alone. */
void guest_route_pick(const char *message, struct guest_pick *out);
void guest_route_pick_text(const struct focus_text *t, struct guest_pick *out);
const char *guest_route_name(enum guest_route route);
bool guest_route_parse(const char *name, enum guest_route *out);

/* True when word is a routing or filler word ("is", "confirmed", "my"),
 * not the name of a thing a request could be about. */
bool guest_word_generic(const char *word);

/* ---- guard.c ------------------------------------------------------------ */

/*
 * The truth guard for guest replies: lines are [{"text", "item"?: index}],
 * items the answer's items ({"type","state",…}). A claim word (focus's:
 * confirmed, done, paid, …) must stand on a line about an item whose state
 * allows it, unless the claim is negated ("not yet confirmed",
 * "unconfirmed"). Offending lines are removed; returns how many.
 */
size_t guest_guard_lines(json_t *lines, const json_t *items);

/* True when one line's text (borrowed) makes no claim that an item of
 * type and state (NULL for a line about no item) does not allow. */
bool guest_guard_line_ok(const char *text, const char *type, const char *state);

#endif
