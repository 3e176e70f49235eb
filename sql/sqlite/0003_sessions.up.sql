-- Session continuity (SPEC §8): the durable home of each operator-focus
-- session's state (distress, last route, offered next item). src/kv/ writes
-- here first and to Redis second, so a session survives a restart and a
-- Redis outage. Times are RFC 3339 UTC text, which sorts as time.
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires_at);
