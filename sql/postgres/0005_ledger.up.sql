-- Payment truth (SPEC §6), PostgreSQL dialect of sql/sqlite/0005. The raw
-- event stays TEXT, not jsonb: it is kept byte for byte as Stripe sent and
-- signed it. Stripe's times are Unix seconds (BIGINT); ids compare
-- bytewise (COLLATE "C") as on SQLite. booking_id is not a foreign key on
-- purpose: an event naming a booking Lucia does not know is kept and
-- reported, never dropped.
CREATE TABLE stripe_financial_events (
    id          TEXT COLLATE "C" PRIMARY KEY,
    type        TEXT NOT NULL,
    created     BIGINT NOT NULL,
    livemode    BOOLEAN NOT NULL DEFAULT FALSE,
    api_version TEXT,
    object_id   TEXT COLLATE "C",
    object_type TEXT,
    payload     TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX stripe_financial_events_object ON stripe_financial_events(object_id, created);

CREATE TABLE stripe_financial_records (
    id                  TEXT COLLATE "C" PRIMARY KEY,
    object              TEXT NOT NULL CHECK (object IN ('payment_intent', 'checkout_session',
                                                        'charge', 'refund', 'dispute')),
    booking_id          TEXT COLLATE "C",
    metadata_booking_id TEXT COLLATE "C",
    payment_intent      TEXT COLLATE "C",
    charge              TEXT COLLATE "C",
    amount              BIGINT NOT NULL DEFAULT 0,
    amount_received     BIGINT NOT NULL DEFAULT 0,
    amount_refunded     BIGINT NOT NULL DEFAULT 0,
    currency            TEXT,
    status              TEXT,
    payment_status      TEXT,
    failure_code        TEXT,
    failure_message     TEXT,
    reason              TEXT,
    object_created      BIGINT NOT NULL DEFAULT 0,
    status_created      BIGINT NOT NULL,
    status_event_id     TEXT COLLATE "C" NOT NULL,
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX stripe_financial_records_booking ON stripe_financial_records(booking_id, id);
CREATE INDEX stripe_financial_records_intent ON stripe_financial_records(payment_intent);
CREATE INDEX stripe_financial_records_charge ON stripe_financial_records(charge);

-- Deny by default (SPEC §9): row-level security on, no policy, nothing
-- granted to Supabase's anon or authenticated roles (made by 0004). Money
-- is read through the engine's API only; the engine's role bypasses RLS.
ALTER TABLE stripe_financial_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_financial_records ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON stripe_financial_events, stripe_financial_records FROM anon, authenticated;
