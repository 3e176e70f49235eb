-- Operator focus (SPEC §8): the durable transcript of each focus session,
-- per user, and the indexes the operator's-day queries of src/store/focus.c
-- read through. (`sessions` is the continuity store's table, src/kv/.)
-- focus_sessions holds one row per conversation: its owner (the token's
-- sub, "service" for the service key), how many turns it has and the last
-- route. focus_turns holds each turn: the operator's message, the route,
-- the reply that went out, the ids it cited (a JSON array) and whether a
-- model worded it ("rules" otherwise). Times are RFC 3339 UTC text.
CREATE TABLE focus_sessions (
    id          TEXT PRIMARY KEY,
    user_sub    TEXT NOT NULL,
    turns       INTEGER NOT NULL DEFAULT 0,
    last_route  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX focus_sessions_user ON focus_sessions(user_sub, id);

CREATE TABLE focus_turns (
    session_id  TEXT NOT NULL REFERENCES focus_sessions(id),
    turn_no     INTEGER NOT NULL,
    user_sub    TEXT NOT NULL,
    message     TEXT NOT NULL,
    route       TEXT NOT NULL,
    reply       TEXT NOT NULL,
    cited_ids   TEXT NOT NULL,
    model       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (session_id, turn_no)
);

-- Concierge requests still `requested`, soonest first; stays arriving or
-- leaving on a day across every property.
CREATE INDEX items_kind_state_due ON items(kind, state, due_at);
CREATE INDEX bookings_check_in ON bookings(check_in);
CREATE INDEX bookings_check_out ON bookings(check_out);
