-- Operational truth (SPEC §5): guests, bookings, items, their transitions,
-- the hash-chained audit log that doubles as the change stream, and the
-- idempotency records of POSTs.
CREATE TABLE guests (
    id          TEXT PRIMARY KEY,
    property_id TEXT NOT NULL REFERENCES properties(id),
    name        TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX guests_property ON guests(property_id, id);
CREATE INDEX guests_email ON guests(email);
CREATE INDEX guests_phone ON guests(phone);

CREATE TABLE bookings (
    id             TEXT PRIMARY KEY,
    property_id    TEXT NOT NULL REFERENCES properties(id),
    guest_id       TEXT NOT NULL REFERENCES guests(id),
    check_in       TEXT NOT NULL,
    check_out      TEXT NOT NULL,
    total_cents    INTEGER NOT NULL DEFAULT 0,
    currency       TEXT NOT NULL DEFAULT 'usd',
    balance_due_on TEXT,
    status         TEXT NOT NULL DEFAULT 'requested',
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CHECK (check_out > check_in)
);
CREATE INDEX bookings_property ON bookings(property_id, check_in);
CREATE INDEX bookings_guest ON bookings(guest_id, check_in);

CREATE TABLE items (
    id              TEXT PRIMARY KEY,
    property_id     TEXT NOT NULL REFERENCES properties(id),
    kind            TEXT NOT NULL CHECK (kind IN ('concierge', 'maintenance', 'task')),
    title           TEXT NOT NULL,
    details         TEXT,
    priority        TEXT NOT NULL DEFAULT 'normal'
                    CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    guest_impacting INTEGER NOT NULL DEFAULT 0,
    due_at          TEXT,
    assignee        TEXT,
    booking_id      TEXT REFERENCES bookings(id),
    guest_id        TEXT REFERENCES guests(id),
    state           TEXT NOT NULL DEFAULT 'requested',
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX items_property ON items(property_id, id);
CREATE INDEX items_due ON items(state, due_at);
CREATE INDEX items_booking ON items(booking_id);

-- Every state change of an item or booking, for /history.
CREATE TABLE transitions (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_id   TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    evidence    TEXT,
    note        TEXT,
    at          TEXT NOT NULL
);
CREATE INDEX transitions_entity ON transitions(entity_id, seq);

-- Append-only. seq is the global change-stream sequence; hash covers the
-- row's content and the previous row's hash.
CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    property_id TEXT,
    before_json TEXT,
    after_json  TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_events(entity_id, seq);
CREATE INDEX audit_property ON audit_events(property_id, seq);

CREATE TABLE idempotency_keys (
    actor        TEXT NOT NULL,
    key          TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    body_hash    TEXT NOT NULL,
    status       INTEGER NOT NULL,
    response     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (actor, key)
);

-- The chain's head: the newest row's seq and hash, updated in the same
-- transaction as every append, so removing rows from the end of the log is
-- caught too.
CREATE TABLE audit_head (
    one   INTEGER PRIMARY KEY CHECK (one = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);
