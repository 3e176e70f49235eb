-- Payment truth (SPEC §6): every Stripe event exactly as received, once
-- (the primary key refuses a second copy of an event id, however many
-- deliveries race), and one record per Stripe object folded from them
-- (src/ledger/ledger.h has the rules). Records are derived data: `lucia
-- ledger reconcile` rebuilds them from the events and reports any
-- difference. Times of Stripe's own are Unix seconds, as Stripe sends them.
CREATE TABLE stripe_financial_events (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    created     INTEGER NOT NULL,
    livemode    INTEGER NOT NULL DEFAULT 0,
    api_version TEXT,
    object_id   TEXT,
    object_type TEXT,
    payload     TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX stripe_financial_events_object ON stripe_financial_events(object_id, created);

CREATE TABLE stripe_financial_records (
    id                  TEXT PRIMARY KEY,
    object              TEXT NOT NULL CHECK (object IN ('payment_intent', 'checkout_session',
                                                        'charge', 'refund', 'dispute')),
    booking_id          TEXT,
    metadata_booking_id TEXT,
    payment_intent      TEXT,
    charge              TEXT,
    amount              INTEGER NOT NULL DEFAULT 0,
    amount_received     INTEGER NOT NULL DEFAULT 0,
    amount_refunded     INTEGER NOT NULL DEFAULT 0,
    currency            TEXT,
    status              TEXT,
    payment_status      TEXT,
    failure_code        TEXT,
    failure_message     TEXT,
    reason              TEXT,
    object_created      INTEGER NOT NULL DEFAULT 0,
    status_created      INTEGER NOT NULL,
    status_event_id     TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX stripe_financial_records_booking ON stripe_financial_records(booking_id, id);
CREATE INDEX stripe_financial_records_intent ON stripe_financial_records(payment_intent);
CREATE INDEX stripe_financial_records_charge ON stripe_financial_records(charge);
