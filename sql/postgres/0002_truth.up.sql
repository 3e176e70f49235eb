-- Operational truth (SPEC §5), PostgreSQL dialect of sql/sqlite/0002.
-- Money and versions are BIGINT, times TIMESTAMPTZ, stay dates DATE.
-- The audit log's before/after stay TEXT on purpose: the hash chain covers
-- their exact bytes, and jsonb would re-serialise them.
CREATE TABLE guests (
    id          TEXT COLLATE "C" PRIMARY KEY,
    property_id TEXT COLLATE "C" NOT NULL REFERENCES properties(id),
    name        TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX guests_property ON guests(property_id, id);
CREATE INDEX guests_email ON guests(email);
CREATE INDEX guests_phone ON guests(phone);

CREATE TABLE bookings (
    id             TEXT COLLATE "C" PRIMARY KEY,
    property_id    TEXT COLLATE "C" NOT NULL REFERENCES properties(id),
    guest_id       TEXT COLLATE "C" NOT NULL REFERENCES guests(id),
    check_in       DATE NOT NULL,
    check_out      DATE NOT NULL,
    total_cents    BIGINT NOT NULL DEFAULT 0,
    currency       TEXT NOT NULL DEFAULT 'usd',
    balance_due_on DATE,
    status         TEXT NOT NULL DEFAULT 'requested',
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    CHECK (check_out > check_in)
);
CREATE INDEX bookings_property ON bookings(property_id, check_in);
CREATE INDEX bookings_guest ON bookings(guest_id, check_in);

CREATE TABLE items (
    id              TEXT COLLATE "C" PRIMARY KEY,
    property_id     TEXT COLLATE "C" NOT NULL REFERENCES properties(id),
    kind            TEXT NOT NULL CHECK (kind IN ('concierge', 'maintenance', 'task')),
    title           TEXT NOT NULL,
    details         TEXT,
    priority        TEXT NOT NULL DEFAULT 'normal'
                    CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    guest_impacting BOOLEAN NOT NULL DEFAULT FALSE,
    due_at          TIMESTAMPTZ,
    assignee        TEXT,
    booking_id      TEXT COLLATE "C" REFERENCES bookings(id),
    guest_id        TEXT COLLATE "C" REFERENCES guests(id),
    state           TEXT NOT NULL DEFAULT 'requested',
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX items_property ON items(property_id, id);
CREATE INDEX items_due ON items(state, due_at);
CREATE INDEX items_booking ON items(booking_id);

CREATE TABLE transitions (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity_id   TEXT COLLATE "C" NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    evidence    TEXT,
    note        TEXT,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX transitions_entity ON transitions(entity_id, seq);

-- `at` stays TEXT: it is hashed as written.
CREATE TABLE audit_events (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT COLLATE "C" NOT NULL UNIQUE,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT COLLATE "C" NOT NULL,
    property_id TEXT COLLATE "C",
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

CREATE TABLE audit_head (
    one   INTEGER PRIMARY KEY CHECK (one = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
