DROP TABLE audit_head;
DROP TABLE idempotency_keys;
DROP TABLE audit_events;
DROP TABLE transitions;
DROP TABLE items;
DROP TABLE bookings;
DROP TABLE guests;
