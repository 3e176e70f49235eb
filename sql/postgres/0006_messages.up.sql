-- Messages (SPEC §7), PostgreSQL dialect of sql/sqlite/0006: every inbound
-- SMS, MMS, WhatsApp message and email (intake) and every outbound reply
-- (the outbox). property_id NULL means unlinked. Ids compare bytewise
-- (COLLATE "C"), times are TIMESTAMPTZ, needs_human a BOOLEAN.
CREATE TABLE messages (
    id               TEXT COLLATE "C" PRIMARY KEY,
    property_id      TEXT COLLATE "C" REFERENCES properties(id),
    guest_id         TEXT COLLATE "C" REFERENCES guests(id),
    booking_id       TEXT COLLATE "C" REFERENCES bookings(id),
    thread_id        TEXT COLLATE "C" NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('sms', 'mms', 'whatsapp', 'email')),
    direction        TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    provider         TEXT NOT NULL CHECK (provider IN ('twilio', 'postmark', 'resend')),
    provider_id      TEXT COLLATE "C",
    from_addr        TEXT COLLATE "C",
    to_addr          TEXT,
    subject          TEXT,
    body             TEXT,
    media            TEXT,
    attachments      TEXT,
    email_message_id TEXT COLLATE "C",
    in_reply_to      TEXT,
    status           TEXT NOT NULL CHECK (status IN ('received', 'queued', 'sending', 'sent',
                                                     'delivered', 'failed')),
    item_id          TEXT COLLATE "C" REFERENCES items(id),
    needs_human      BOOLEAN NOT NULL DEFAULT FALSE,
    version          BIGINT NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX messages_provider_id ON messages(provider, direction, provider_id)
    WHERE provider_id IS NOT NULL;
CREATE INDEX messages_thread ON messages(thread_id, id);
CREATE INDEX messages_guest_channel ON messages(guest_id, channel, id);
CREATE INDEX messages_property ON messages(property_id, id);
CREATE INDEX messages_unlinked ON messages(from_addr, channel, id) WHERE property_id IS NULL;
CREATE INDEX messages_email_message_id ON messages(email_message_id)
    WHERE email_message_id IS NOT NULL;

-- Row-level security as sql/postgres/0004: deny by default; Supabase's
-- `authenticated` reads the messages of the properties its JWT claims (an
-- unlinked message belongs to none, so it never shows), `anon` nothing.
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON messages FROM anon;
REVOKE ALL ON messages FROM authenticated;
GRANT SELECT ON messages TO authenticated;
CREATE POLICY messages_by_claim ON messages FOR SELECT TO authenticated
    USING (property_id = ANY (lucia_claim_properties()));
