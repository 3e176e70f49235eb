DELETE FROM messages WHERE channel = 'chat';
ALTER TABLE messages DROP CONSTRAINT messages_provider_check;
ALTER TABLE messages ADD CONSTRAINT messages_provider_check
    CHECK (provider IN ('twilio', 'postmark', 'resend'));
ALTER TABLE messages DROP CONSTRAINT messages_channel_check;
ALTER TABLE messages ADD CONSTRAINT messages_channel_check
    CHECK (channel IN ('sms', 'mms', 'whatsapp', 'email'));
DROP TABLE guest_tokens;
DROP TABLE guest_sign_in_codes;
