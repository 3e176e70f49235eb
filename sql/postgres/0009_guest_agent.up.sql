-- The guest agent (SPEC §8b), PostgreSQL dialect of sql/sqlite/0009:
-- sign-in codes (one row per request, known email or not; only a hash of
-- the code), guest tokens (only a hash of the token), and "chat" as a
-- message channel with "lucia" as its provider. Ids "C"-collated, times
-- TIMESTAMPTZ.
CREATE TABLE guest_sign_in_codes (
    id            TEXT COLLATE "C" PRIMARY KEY,
    email         TEXT COLLATE "C" NOT NULL,
    guest_id      TEXT COLLATE "C" REFERENCES guests(id),
    property_id   TEXT COLLATE "C" REFERENCES properties(id),
    code_hash     TEXT COLLATE "C" NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    wrong_tries   BIGINT NOT NULL DEFAULT 0,
    used_at       TIMESTAMPTZ,
    superseded_at TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX guest_sign_in_codes_email ON guest_sign_in_codes(email, created_at);

CREATE TABLE guest_tokens (
    id           TEXT COLLATE "C" PRIMARY KEY,
    token_hash   TEXT COLLATE "C" NOT NULL UNIQUE,
    guest_id     TEXT COLLATE "C" NOT NULL REFERENCES guests(id),
    property_id  TEXT COLLATE "C" NOT NULL REFERENCES properties(id),
    expires_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ
);
CREATE INDEX guest_tokens_guest ON guest_tokens(guest_id);

ALTER TABLE messages DROP CONSTRAINT messages_channel_check;
ALTER TABLE messages ADD CONSTRAINT messages_channel_check
    CHECK (channel IN ('sms', 'mms', 'whatsapp', 'email', 'chat'));
ALTER TABLE messages DROP CONSTRAINT messages_provider_check;
ALTER TABLE messages ADD CONSTRAINT messages_provider_check
    CHECK (provider IN ('twilio', 'postmark', 'resend', 'lucia'));

-- Deny by default (SPEC §9): codes and tokens are credentials, so
-- Supabase's anon and authenticated roles get no policy and no grant; the
-- engine's role bypasses row-level security.
ALTER TABLE guest_sign_in_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE guest_tokens ENABLE ROW LEVEL SECURITY;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
        REVOKE ALL ON guest_sign_in_codes, guest_tokens FROM anon;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        REVOKE ALL ON guest_sign_in_codes, guest_tokens FROM authenticated;
    END IF;
END
$$;
