-- Outbound (SPEC §7), PostgreSQL dialect of sql/sqlite/0007: the outbox,
-- the waitlist, guest email verification tokens, guests.email_verified_at.
-- Times are TIMESTAMPTZ (next_attempt_at and claimed_until keep their
-- milliseconds); ids are opaque ASCII compared bytewise ("C").
CREATE TABLE outbox (
    id              TEXT COLLATE "C" PRIMARY KEY,
    property_id     TEXT COLLATE "C" REFERENCES properties(id),
    kind            TEXT NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp')),
    provider        TEXT NOT NULL CHECK (provider IN ('resend', 'twilio')),
    recipient       TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_until   TIMESTAMPTZ,
    claimed_by      TEXT,
    provider_id     TEXT,
    provider_status TEXT,
    last_error      TEXT,
    idempotency_key TEXT COLLATE "C" NOT NULL UNIQUE,
    message_id      TEXT COLLATE "C",
    sent_at         TIMESTAMPTZ,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_lease ON outbox (state, claimed_until);
CREATE INDEX outbox_message ON outbox (message_id);

CREATE TABLE waitlist (
    id         TEXT COLLATE "C" PRIMARY KEY,
    email      TEXT COLLATE "C" NOT NULL UNIQUE,
    name       TEXT,
    source     TEXT,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE email_verifications (
    id          TEXT COLLATE "C" PRIMARY KEY,
    guest_id    TEXT COLLATE "C" NOT NULL REFERENCES guests(id),
    property_id TEXT COLLATE "C" NOT NULL REFERENCES properties(id),
    email       TEXT NOT NULL,
    token_hash  TEXT COLLATE "C" NOT NULL UNIQUE,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX email_verifications_guest ON email_verifications (guest_id);

ALTER TABLE guests ADD COLUMN email_verified_at TIMESTAMPTZ;

-- Deny by default (SPEC §9): no policy, so Supabase's anon and
-- authenticated roles see no row of these tables; the engine's role
-- bypasses row-level security. Waitlist addresses and outbound payloads
-- (which may hold a verification link until sent) are never exposed.
ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE waitlist ENABLE ROW LEVEL SECURITY;
ALTER TABLE email_verifications ENABLE ROW LEVEL SECURITY;
-- Supabase grants new tables to anon and authenticated by default; take
-- that back, as 0004 does for the tables before it.
REVOKE ALL ON outbox, waitlist, email_verifications FROM anon, authenticated;
