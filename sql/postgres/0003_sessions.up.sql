-- Session continuity (SPEC §8): the durable home of each operator-focus
-- session's state. src/kv/ writes here first and to Redis second, so a
-- session survives a restart and a Redis outage. "C" collation: ids are
-- opaque ASCII, compared bytewise as on SQLite.
CREATE TABLE sessions (
    id         TEXT COLLATE "C" PRIMARY KEY,
    state      TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Deny by default: no policy, so Supabase's anon and authenticated roles
-- see no row; the engine's role bypasses row-level security. Session state
-- belongs to no property, so there is nothing to grant by property.
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
