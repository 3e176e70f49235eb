/*
 * session.c — focus continuity (SPEC §8): per session, whether the
 * operator is in distress, the last route, and the offered next item live
 * in the session store (src/kv/: the sessions table always, Redis too when
 * configured) with LUCIA_SESSION_TTL_SECONDS. So a "yes" after an offer
 * continues it after an engine restart and on another engine process; an
 * expired session starts fresh.
 *
 * Called by focus.c. The state is small and versioned:
 *   {"v":1, "owner": sub, "distressed": bool, "last_route": name,
 *    "offer": {"route": name, "given": [ids], "property_id": id|null}|null,
 *    "turns": n, "last_key": Idempotency-Key|null}
 * "owner" keeps one user's continuity from another's: a session id used by
 * someone else is "not found". A state this file cannot read (another
 * version, a hand edit) starts the session fresh, and says so in the log.
 */
#include <string.h>

#include "core/assert.h"
#include "core/log.h"
#include "focus/focus_internal.h"

#define STATE_VERSION 1

json_t *focus_state_fresh(const char *owner)
{
    return json_pack("{s:i, s:s, s:b, s:n, s:n, s:i, s:n}", "v", STATE_VERSION, "owner", owner,
                     "distressed", 0, "last_route", "offer", "turns", 0, "last_key");
}

/* True when state has the shape this file writes. */
static bool state_valid(const json_t *state)
{
    const json_t *offer = json_object_get(state, "offer");
    return json_integer_value(json_object_get(state, "v")) == STATE_VERSION &&
           json_is_string(json_object_get(state, "owner")) &&
           json_is_boolean(json_object_get(state, "distressed")) &&
           (json_is_null(offer) ||
            (json_is_object(offer) && json_is_string(json_object_get(offer, "route")) &&
             json_is_array(json_object_get(offer, "given"))));
}

enum lu_rc focus_session_load(struct kv *kv, const char *session_id, const char *owner,
                              json_t **state, bool *found)
{
    LU_ASSERT(kv != NULL && session_id != NULL && owner != NULL && state != NULL);
    *state = NULL;
    *found = false;
    json_t *loaded = NULL;
    enum lu_rc rc = session_load(kv, session_id, &loaded);
    if (rc == LU_OK && !state_valid(loaded)) {
        log_msg(LOG_WARN, NULL, "focus: session %s has a state of another shape; starting fresh",
                session_id);
        json_decref(loaded);
        loaded = NULL;
        rc = LU_NOT_FOUND;
    }
    if (rc == LU_OK) {
        if (strcmp(json_string_value(json_object_get(loaded, "owner")), owner) != 0) {
            json_decref(loaded);
            return LU_NOT_FOUND;
        }
        *state = loaded;
        *found = true;
        return LU_OK;
    }
    if (rc != LU_NOT_FOUND) {
        return rc;
    }
    *state = focus_state_fresh(owner);
    return *state ? LU_OK : LU_NOMEM;
}

enum lu_rc focus_session_save(struct kv *kv, const char *session_id, const json_t *state, int ttl_s)
{
    LU_ASSERT(state_valid(state));
    return session_save(kv, session_id, state, ttl_s);
}
