-- Messages (SPEC §7): every inbound SMS, MMS, WhatsApp message and email
-- (written by intake, src/intake/) and every outbound reply (written by the
-- outbox). property_id NULL means unlinked: a sender no guest matches,
-- shown in the inbox to the roles that see every property. thread_id is
-- the id of the thread's first message. media and attachments are JSON
-- arrays of references and metadata only ({url,content_type} and
-- {name,content_type,size}); attachment bytes are never kept. Times are
-- RFC 3339 UTC text.
CREATE TABLE messages (
    id               TEXT PRIMARY KEY,
    property_id      TEXT REFERENCES properties(id),
    guest_id         TEXT REFERENCES guests(id),
    booking_id       TEXT REFERENCES bookings(id),
    thread_id        TEXT NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('sms', 'mms', 'whatsapp', 'email')),
    direction        TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    provider         TEXT NOT NULL CHECK (provider IN ('twilio', 'postmark', 'resend')),
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
-- A provider's message is stored once: a repeated MessageSid or Postmark
-- MessageID finds this index, whichever process receives it.
CREATE UNIQUE INDEX messages_provider_id ON messages(provider, direction, provider_id)
    WHERE provider_id IS NOT NULL;
CREATE INDEX messages_thread ON messages(thread_id, id);
CREATE INDEX messages_guest_channel ON messages(guest_id, channel, id);
CREATE INDEX messages_property ON messages(property_id, id);
CREATE INDEX messages_unlinked ON messages(from_addr, channel, id) WHERE property_id IS NULL;
CREATE INDEX messages_email_message_id ON messages(email_message_id)
    WHERE email_message_id IS NOT NULL;
