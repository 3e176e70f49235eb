-- Back to 0008: the guest chat's messages go with their channel.
DELETE FROM messages WHERE channel = 'chat';
CREATE TABLE messages_0008 (
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
INSERT INTO messages_0008 SELECT id, property_id, guest_id, booking_id, thread_id, channel,
    direction, provider, provider_id, from_addr, to_addr, subject, body, media, attachments,
    email_message_id, in_reply_to, status, item_id, needs_human, version, created_at, updated_at
    FROM messages;
DROP TABLE messages;
ALTER TABLE messages_0008 RENAME TO messages;
CREATE UNIQUE INDEX messages_provider_id ON messages(provider, direction, provider_id)
    WHERE provider_id IS NOT NULL;
CREATE INDEX messages_thread ON messages(thread_id, id);
CREATE INDEX messages_guest_channel ON messages(guest_id, channel, id);
CREATE INDEX messages_property ON messages(property_id, id);
CREATE INDEX messages_unlinked ON messages(from_addr, channel, id) WHERE property_id IS NULL;
CREATE INDEX messages_email_message_id ON messages(email_message_id)
    WHERE email_message_id IS NOT NULL;
DROP TABLE guest_tokens;
DROP TABLE guest_sign_in_codes;
