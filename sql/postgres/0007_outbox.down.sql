ALTER TABLE guests DROP COLUMN email_verified_at;
DROP TABLE email_verifications;
DROP TABLE waitlist;
DROP TABLE outbox;
