-- The operator's day from indexes (issue 9): /api/today, /api/payments/risks
-- and operator focus read the open set and the days around today, never the
-- whole history.
--
-- booking_payment_summaries holds one row per booking (and per booking id a
-- Stripe record names that Lucia does not know): the booking's side, copied
-- by the triggers below whenever a booking is written, and the ledger's
-- side, written by the webhook's fold (src/store/payments_apply.c) in the
-- same transaction as the records it summarises, with exactly the
-- functions of src/ledger/ (ledger_summary_compute). `lucia ledger
-- reconcile` recomputes every row and prints any difference. The money is
-- summed in money_currency, the booking's currency when it was folded; a
-- row whose booking changed currency since is "stale" and read as a
-- candidate until the next fold.
--
-- A risk (SPEC §6) can only come from a row that is flagged (an open
-- dispute, a pending refund, a failed last attempt, more paid than the
-- total, stale money) or open (not cancelled, total above paid): the two
-- partial indexes hold exactly those rows, the open ones by check-in, so
-- the risks read judges candidates only (src/store/payments.c).
CREATE TABLE booking_payment_summaries (
    booking_id      TEXT PRIMARY KEY,
    status          TEXT,
    check_in        TEXT,
    deadline        TEXT,
    total_cents     INTEGER,
    currency        TEXT,
    records         INTEGER NOT NULL DEFAULT 0,
    money_currency  TEXT NOT NULL DEFAULT '',
    received_cents  INTEGER NOT NULL DEFAULT 0,
    refunded_cents  INTEGER NOT NULL DEFAULT 0,
    paid_cents      INTEGER NOT NULL DEFAULT 0,
    disputes_open   INTEGER NOT NULL DEFAULT 0,
    refunds_pending INTEGER NOT NULL DEFAULT 0,
    attempt_failed  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX booking_payment_summaries_flagged ON booking_payment_summaries(booking_id)
    WHERE disputes_open > 0 OR refunds_pending > 0 OR attempt_failed > 0
          OR paid_cents > total_cents OR (records > 0 AND money_currency <> currency);
CREATE INDEX booking_payment_summaries_open
    ON booking_payment_summaries(check_in, deadline, booking_id)
    WHERE status <> 'cancelled' AND total_cents > paid_cents;

CREATE TRIGGER bookings_payment_summary_insert AFTER INSERT ON bookings
BEGIN
    INSERT INTO booking_payment_summaries (booking_id, status, check_in, deadline, total_cents,
                                           currency, money_currency)
    VALUES (NEW.id, NEW.status, NEW.check_in,
            COALESCE(NULLIF(NEW.balance_due_on, ''), NEW.check_in), NEW.total_cents,
            NEW.currency, NEW.currency)
    ON CONFLICT (booking_id) DO UPDATE SET status = excluded.status,
        check_in = excluded.check_in, deadline = excluded.deadline,
        total_cents = excluded.total_cents, currency = excluded.currency;
END;

CREATE TRIGGER bookings_payment_summary_update
AFTER UPDATE OF status, check_in, balance_due_on, total_cents, currency ON bookings
BEGIN
    UPDATE booking_payment_summaries SET status = NEW.status, check_in = NEW.check_in,
        deadline = COALESCE(NULLIF(NEW.balance_due_on, ''), NEW.check_in),
        total_cents = NEW.total_cents, currency = NEW.currency,
        money_currency = CASE WHEN records = 0 THEN NEW.currency ELSE money_currency END
    WHERE booking_id = NEW.id;
END;

-- The open set of the day's reads. Open items by due time, for today's
-- items_due and focus: an expression index, so a query saying
-- "(state IN (…)) = TRUE AND due_at < ?" walks the open items in due order
-- and stops at its limit (items_due's three state ranges would have to be
-- read whole and sorted). Checked-in stays by check-out, for the in-house
-- guests past their check-out date (the rest come from bookings_check_out).
CREATE INDEX items_open_due
    ON items((state IN ('requested', 'confirmed', 'in_progress')), due_at, id);
CREATE INDEX bookings_checked_in ON bookings(check_out) WHERE status = 'checked_in';
-- The risks read's walk to its RISK_BOOKINGS_MAX-th newest check-in
-- (src/store/payments.c), every column it reads in the index.
CREATE INDEX bookings_check_in_id ON bookings(check_in, id, status, property_id);

-- Backfill: every booking, then the ledger's side of every booking id the
-- records name, by the rules of ledger_summary_compute and ledger_risks_of
-- (src/ledger/risks.c): per payment group, in the booking's currency,
-- received = max(intents, charges, sessions) and refunded = max(charges'
-- refunded, counted refunds); the newest attempt by (status_created, id).
INSERT INTO booking_payment_summaries (booking_id, status, check_in, deadline, total_cents,
                                       currency, money_currency)
SELECT id, status, check_in, COALESCE(NULLIF(balance_due_on, ''), check_in), total_cents,
       currency, currency
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
           MAX(MAX(SUM(CASE WHEN k.object = 'payment_intent' THEN k.amount_received ELSE 0 END),
                   SUM(CASE WHEN k.object = 'charge' THEN k.amount_received ELSE 0 END)),
               SUM(CASE WHEN k.object = 'checkout_session' THEN k.amount_received ELSE 0 END))
               AS received,
           MAX(SUM(CASE WHEN k.object = 'charge' THEN k.amount_refunded ELSE 0 END),
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
)
UPDATE booking_payment_summaries SET
    records = (SELECT COUNT(*) FROM stripe_financial_records r
               WHERE r.booking_id = booking_payment_summaries.booking_id),
    received_cents = COALESCE((SELECT received FROM money m
                               WHERE m.booking_id = booking_payment_summaries.booking_id), 0),
    refunded_cents = COALESCE((SELECT refunded FROM money m
                               WHERE m.booking_id = booking_payment_summaries.booking_id), 0),
    disputes_open = (SELECT COUNT(*) FROM stripe_financial_records r
                     WHERE r.booking_id = booking_payment_summaries.booking_id
                       AND r.object = 'dispute'
                       AND COALESCE(r.status, '') NOT IN ('warning_closed', 'prevented', 'won',
                                                          'lost')),
    refunds_pending = (SELECT COUNT(*) FROM stripe_financial_records r
                       WHERE r.booking_id = booking_payment_summaries.booking_id
                         AND r.object = 'refund' AND r.status IN ('pending', 'requires_action')),
    attempt_failed = COALESCE((SELECT CASE WHEN r.object = 'charge' THEN r.status = 'failed'
                                           ELSE r.status = 'requires_payment_method'
                                                AND (COALESCE(r.failure_code, '') <> ''
                                                     OR COALESCE(r.failure_message, '') <> '')
                                      END
                               FROM stripe_financial_records r
                               WHERE r.booking_id = booking_payment_summaries.booking_id
                                 AND (r.object = 'payment_intent'
                                      OR (r.object = 'charge'
                                          AND COALESCE(r.payment_intent, '') = ''))
                               ORDER BY r.status_created DESC, r.id DESC LIMIT 1), 0)
WHERE booking_id IN (SELECT booking_id FROM stripe_financial_records);

UPDATE booking_payment_summaries SET paid_cents = received_cents - refunded_cents;
