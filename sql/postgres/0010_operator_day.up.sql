-- The operator's day from indexes (issue 9), PostgreSQL dialect of
-- sql/sqlite/0010: booking_payment_summaries (one row per booking, the
-- booking's side copied by the trigger below, the ledger's side written by
-- the webhook's fold in src/store/payments_summary.c and verified by
-- `lucia ledger reconcile`), its two partial indexes that hold exactly the
-- rows that can carry a risk, and the indexes of the day's reads. Ids are
-- "C"-collated as everywhere.
CREATE TABLE booking_payment_summaries (
    booking_id      TEXT COLLATE "C" PRIMARY KEY,
    status          TEXT,
    check_in        DATE,
    deadline        DATE,
    total_cents     BIGINT,
    currency        TEXT,
    records         BIGINT NOT NULL DEFAULT 0,
    money_currency  TEXT NOT NULL DEFAULT '',
    received_cents  BIGINT NOT NULL DEFAULT 0,
    refunded_cents  BIGINT NOT NULL DEFAULT 0,
    paid_cents      BIGINT NOT NULL DEFAULT 0,
    disputes_open   BIGINT NOT NULL DEFAULT 0,
    refunds_pending BIGINT NOT NULL DEFAULT 0,
    attempt_failed  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX booking_payment_summaries_flagged ON booking_payment_summaries(booking_id)
    WHERE disputes_open > 0 OR refunds_pending > 0 OR attempt_failed > 0
          OR paid_cents > total_cents OR (records > 0 AND money_currency <> currency);
CREATE INDEX booking_payment_summaries_open
    ON booking_payment_summaries(check_in, deadline, booking_id)
    WHERE status <> 'cancelled' AND total_cents > paid_cents;

CREATE FUNCTION lucia_booking_payment_summary() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO booking_payment_summaries (booking_id, status, check_in, deadline,
                                               total_cents, currency, money_currency)
        VALUES (NEW.id, NEW.status, NEW.check_in, COALESCE(NEW.balance_due_on, NEW.check_in),
                NEW.total_cents, NEW.currency, NEW.currency)
        ON CONFLICT (booking_id) DO UPDATE SET status = excluded.status,
            check_in = excluded.check_in, deadline = excluded.deadline,
            total_cents = excluded.total_cents, currency = excluded.currency;
    ELSE
        UPDATE booking_payment_summaries SET status = NEW.status, check_in = NEW.check_in,
            deadline = COALESCE(NEW.balance_due_on, NEW.check_in),
            total_cents = NEW.total_cents, currency = NEW.currency,
            money_currency = CASE WHEN records = 0 THEN NEW.currency ELSE money_currency END
        WHERE booking_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER bookings_payment_summary_insert AFTER INSERT ON bookings
    FOR EACH ROW EXECUTE FUNCTION lucia_booking_payment_summary();
CREATE TRIGGER bookings_payment_summary_update
    AFTER UPDATE OF status, check_in, balance_due_on, total_cents, currency ON bookings
    FOR EACH ROW EXECUTE FUNCTION lucia_booking_payment_summary();

-- Open items by due time (an expression index: "(state IN (…)) = TRUE AND
-- due_at < ?" walks them in due order), checked-in stays by check-out, and
-- the risks read's walk to its newest check-ins.
CREATE INDEX items_open_due
    ON items((state IN ('requested', 'confirmed', 'in_progress')), due_at, id);
CREATE INDEX bookings_checked_in ON bookings(check_out) WHERE status = 'checked_in';
CREATE INDEX bookings_check_in_id ON bookings(check_in, id, status, property_id);

-- Backfill, by the rules of ledger_summary_compute and ledger_risks_of
-- (src/ledger/risks.c); see sql/sqlite/0010. One pass of joined
-- aggregates (correlated subqueries per row would be quadratic here).
INSERT INTO booking_payment_summaries (booking_id, status, check_in, deadline, total_cents,
                                       currency, money_currency)
SELECT id, status, check_in, COALESCE(balance_due_on, check_in), total_cents, currency, currency
FROM bookings;

INSERT INTO booking_payment_summaries (booking_id, money_currency)
SELECT DISTINCT r.booking_id, '' FROM stripe_financial_records r
WHERE r.booking_id IS NOT NULL AND r.booking_id <> ''
  AND NOT EXISTS (SELECT 1 FROM booking_payment_summaries s WHERE s.booking_id = r.booking_id);

WITH keyed AS (
    SELECT r.booking_id, r.object, r.currency, r.status, r.amount, r.amount_received,
           r.amount_refunded,
           CASE WHEN r.object = 'payment_intent' THEN r.id
                WHEN COALESCE(r.payment_intent, '') <> '' THEN r.payment_intent
                WHEN r.object = 'charge' OR COALESCE(r.charge, '') = '' THEN r.id
                ELSE COALESCE((SELECT COALESCE(NULLIF(c.payment_intent, ''), c.id)
                               FROM stripe_financial_records c
                               WHERE c.booking_id = r.booking_id AND c.object = 'charge'
                                 AND c.id = r.charge), r.charge)
           END AS grp
    FROM stripe_financial_records r
    WHERE r.booking_id IS NOT NULL AND r.booking_id <> ''
),
groups AS (
    SELECT k.booking_id,
           GREATEST(SUM(CASE WHEN k.object = 'payment_intent' THEN k.amount_received ELSE 0 END),
                    SUM(CASE WHEN k.object = 'charge' THEN k.amount_received ELSE 0 END),
                    SUM(CASE WHEN k.object = 'checkout_session' THEN k.amount_received ELSE 0
                        END)) AS received,
           GREATEST(SUM(CASE WHEN k.object = 'charge' THEN k.amount_refunded ELSE 0 END),
                    SUM(CASE WHEN k.object = 'refund'
                              AND k.status IN ('pending', 'requires_action', 'succeeded')
                             THEN k.amount ELSE 0 END)) AS refunded
    FROM keyed k JOIN bookings b ON b.id = k.booking_id
    WHERE k.currency = b.currency
    GROUP BY k.booking_id, k.grp
),
money AS (
    SELECT booking_id, SUM(received) AS received, SUM(refunded) AS refunded
    FROM groups GROUP BY booking_id
),
facts AS (
    SELECT r.booking_id, COUNT(*) AS records,
           SUM(CASE WHEN r.object = 'dispute'
                     AND COALESCE(r.status, '') NOT IN ('warning_closed', 'prevented', 'won',
                                                        'lost')
                    THEN 1 ELSE 0 END) AS disputes_open,
           SUM(CASE WHEN r.object = 'refund' AND r.status IN ('pending', 'requires_action')
                    THEN 1 ELSE 0 END) AS refunds_pending
    FROM stripe_financial_records r
    WHERE r.booking_id IS NOT NULL AND r.booking_id <> ''
    GROUP BY r.booking_id
),
newest AS (
    SELECT DISTINCT ON (r.booking_id) r.booking_id,
           CASE WHEN CASE WHEN r.object = 'charge' THEN r.status = 'failed'
                          ELSE r.status = 'requires_payment_method'
                               AND (COALESCE(r.failure_code, '') <> ''
                                    OR COALESCE(r.failure_message, '') <> '')
                     END THEN 1 ELSE 0 END AS failed
    FROM stripe_financial_records r
    WHERE r.booking_id IS NOT NULL AND r.booking_id <> ''
      AND (r.object = 'payment_intent'
           OR (r.object = 'charge' AND COALESCE(r.payment_intent, '') = ''))
    ORDER BY r.booking_id, r.status_created DESC, r.id DESC
)
UPDATE booking_payment_summaries s SET
    records = f.records,
    received_cents = COALESCE(m.received, 0),
    refunded_cents = COALESCE(m.refunded, 0),
    disputes_open = f.disputes_open,
    refunds_pending = f.refunds_pending,
    attempt_failed = COALESCE(n.failed, 0)
FROM facts f LEFT JOIN money m ON m.booking_id = f.booking_id
     LEFT JOIN newest n ON n.booking_id = f.booking_id
WHERE s.booking_id = f.booking_id;

UPDATE booking_payment_summaries SET paid_cents = received_cents - refunded_cents;

-- Deny by default (SPEC §9): money is read through the engine's API only;
-- no policy and no grant for Supabase's anon and authenticated roles; the
-- engine's role (the owner, which also runs the trigger) bypasses RLS.
ALTER TABLE booking_payment_summaries ENABLE ROW LEVEL SECURITY;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
        REVOKE ALL ON booking_payment_summaries FROM anon;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        REVOKE ALL ON booking_payment_summaries FROM authenticated;
    END IF;
END
$$;
