-- The guest agent (SPEC §8b): sign-in codes sent by email, the guest
-- tokens they buy, and the guest chat as a message channel.
--
-- guest_sign_in_codes keeps one row per sign-in request, known email or
-- not: guest_id NULL means the address belongs to no guest with a current
-- or upcoming stay, and that row's code was never sent. Writing the row
-- either way is what gives both answers the same work (src/guest/store.c).
-- code_hash is SHA-256 of the row id, ":" and the six digits; the code
-- itself is only in the email (whose outbox payload is redacted once
-- sent). A new request supersedes the email's earlier codes; wrong_tries
-- counts failed verifications of the row (5 lock it). Times are RFC 3339
-- UTC text.
CREATE TABLE guest_sign_in_codes (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    guest_id      TEXT REFERENCES guests(id),
    property_id   TEXT REFERENCES properties(id),
    code_hash     TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    wrong_tries   INTEGER NOT NULL DEFAULT 0,
    used_at       TEXT,
    superseded_at TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX guest_sign_in_codes_email ON guest_sign_in_codes(email, created_at);

-- A guest token ("gtk_" and 43 base64url characters) is kept only as the
-- SHA-256 of its text. It works on /guest/* alone, until expires_at or
-- revoked_at.
CREATE TABLE guest_tokens (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    guest_id     TEXT NOT NULL REFERENCES guests(id),
    property_id  TEXT NOT NULL REFERENCES properties(id),
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    created_at   TEXT NOT NULL,
    last_used_at TEXT
);
CREATE INDEX guest_tokens_guest ON guest_tokens(guest_id);

-- The guest chat is a channel of its own ("chat", provider "lucia"): the
-- guest's turns inbound, Lucia's replies outbound, in one thread per
-- guest, so the operator's inbox shows the conversation. SQLite cannot
-- change a CHECK in place, so the table is rebuilt with the same columns,
-- rows and indexes.
CREATE TABLE messages_0009 (
    id               TEXT PRIMARY KEY,
    property_id      TEXT REFERENCES properties(id),
    guest_id         TEXT REFERENCES guests(id),
    booking_id       TEXT REFERENCES bookings(id),
    thread_id        TEXT NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('sms', 'mms', 'whatsapp', 'email', 'chat')),
    direction        TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    provider         TEXT NOT NULL CHECK (provider IN ('twilio', 'postmark', 'resend', 'lucia')),
    provider_id      TEXT,
    from_addr        TEXT,
    to_addr          TEXT,
    subject          TEXT,
    body             TEXT,
    media            TEXT,
    attachments      TEXT,
    email_message_id TEXT,
    in_reply_to      TEXT,
    status           TEXT NOT NULL CHECK (status IN ('received', 'queued', 'sending', 'sent',
                                                     'delivered', 'failed')),
    item_id          TEXT REFERENCES items(id),
    needs_human      INTEGER NOT NULL DEFAULT 0,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
INSERT INTO messages_0009 SELECT id, property_id, guest_id, booking_id, thread_id, channel,
    direction, provider, provider_id, from_addr, to_addr, subject, body, media, attachments,
    email_message_id, in_reply_to, status, item_id, needs_human, version, created_at, updated_at
    FROM messages;
DROP TABLE messages;
ALTER TABLE messages_0009 RENAME TO messages;
CREATE UNIQUE INDEX messages_provider_id ON messages(provider, direction, provider_id)
    WHERE provider_id IS NOT NULL;
CREATE INDEX messages_thread ON messages(thread_id, id);
CREATE INDEX messages_guest_channel ON messages(guest_id, channel, id);
CREATE INDEX messages_property ON messages(property_id, id);
CREATE INDEX messages_unlinked ON messages(from_addr, channel, id) WHERE property_id IS NULL;
CREATE INDEX messages_email_message_id ON messages(email_message_id)
    WHERE email_message_id IS NOT NULL;
