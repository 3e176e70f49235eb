-- Operator focus (SPEC §8), PostgreSQL dialect of sql/sqlite/0008: the
-- durable transcript of each focus session per user, and the indexes the
-- operator's-day queries read through. Ids are "C"-collated as everywhere;
-- times TIMESTAMPTZ.
CREATE TABLE focus_sessions (
    id          TEXT COLLATE "C" PRIMARY KEY,
    user_sub    TEXT COLLATE "C" NOT NULL,
    turns       BIGINT NOT NULL DEFAULT 0,
    last_route  TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX focus_sessions_user ON focus_sessions(user_sub, id);

CREATE TABLE focus_turns (
    session_id  TEXT COLLATE "C" NOT NULL REFERENCES focus_sessions(id),
    turn_no     BIGINT NOT NULL,
    user_sub    TEXT COLLATE "C" NOT NULL,
    message     TEXT NOT NULL,
    route       TEXT NOT NULL,
    reply       TEXT NOT NULL,
    cited_ids   TEXT NOT NULL,
    model       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (session_id, turn_no)
);

CREATE INDEX items_kind_state_due ON items(kind, state, due_at);
CREATE INDEX bookings_check_in ON bookings(check_in);
CREATE INDEX bookings_check_out ON bookings(check_out);

-- Deny by default (SPEC §9): transcripts belong to users, not properties,
-- so Supabase's anon and authenticated roles get no policy and no grant;
-- the engine's role bypasses row-level security.
ALTER TABLE focus_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE focus_turns ENABLE ROW LEVEL SECURITY;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
        REVOKE ALL ON focus_sessions, focus_turns FROM anon;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        REVOKE ALL ON focus_sessions, focus_turns FROM authenticated;
    END IF;
END
$$;
