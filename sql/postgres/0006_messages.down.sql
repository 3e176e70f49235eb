DROP POLICY messages_by_claim ON messages;
DROP TABLE messages;
