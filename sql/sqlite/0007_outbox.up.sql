-- Outbound (SPEC §7): the outbox every email, SMS and WhatsApp message is
-- written to before anything is sent, the waitlist, guest email
-- verification tokens, and guests.email_verified_at.
--
-- Times are RFC 3339 UTC text. next_attempt_at and claimed_until carry
-- milliseconds ("2026-11-23T17:05:00.250Z") so that short test backoffs are
-- honoured; every value in those two columns is written by src/store/
-- outbox.c in that one form, so text order is time order.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    property_id     TEXT REFERENCES properties(id),
    kind            TEXT NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp')),
    provider        TEXT NOT NULL CHECK (provider IN ('resend', 'twilio')),
    recipient       TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until   TEXT,
    claimed_by      TEXT,
    provider_id     TEXT,
    provider_status TEXT,
    last_error      TEXT,
    idempotency_key TEXT NOT NULL UNIQUE,
    message_id      TEXT,
    sent_at         TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX outbox_lease ON outbox(state, claimed_until);
CREATE INDEX outbox_message ON outbox(message_id);

-- One row per address: the UNIQUE email is what makes a second sign-up
-- "already_listed" with no second welcome, whichever process takes it.
CREATE TABLE waitlist (
    id         TEXT PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    name       TEXT,
    source     TEXT,
    created_at TEXT NOT NULL
);

-- Only the SHA-256 of a token is kept; the token itself lives in the
-- verification email (whose outbox payload is redacted once sent).
CREATE TABLE email_verifications (
    id          TEXT PRIMARY KEY,
    guest_id    TEXT NOT NULL REFERENCES guests(id),
    property_id TEXT NOT NULL REFERENCES properties(id),
    email       TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX email_verifications_guest ON email_verifications(guest_id);

ALTER TABLE guests ADD COLUMN email_verified_at TEXT;
