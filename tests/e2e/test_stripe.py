"""Payment truth (SPEC §6, issue 5) end to end, on both backends: Stripe's
signed webhook (signatures made here with Python's hmac, the openssl
command line and, when installed, Stripe's own SDK), events in Stripe's
documented shapes (fixtures/stripe/), folding that does not depend on order
or duplicates, concurrent deliveries, kill -9 after a 200, the database
down, /api/bookings/{id}/payments, /api/payments/risks, the today view and
`lucia ledger reconcile`."""
import copy
import datetime
import hashlib
import hmac
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
import unittest
import zoneinfo

import harness
import tokens
from harness import Lucia

SECRET = "whsec_" + "test_4eC39HqLyjWDarjtT1zdp7dcMfKQ9r8G"
JWT_SECRET = "stripe-test-jwt-secret-0123456789abcdef0123"
ZONE = "Europe/Rome"
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "stripe")
BASE = 1795400000  # event times come from the fixtures' era; only t must be recent


def stripe_sdk():
    """Stripe's Python SDK (Debian's python3-stripe) or None."""
    try:
        import stripe
        return stripe
    except ImportError:
        pass
    dist = "/usr/lib/python3/dist-packages"
    if os.path.isdir(os.path.join(dist, "stripe")) and dist not in sys.path:
        sys.path.append(dist)
        try:
            import stripe
            return stripe
        except Exception:
            return None
    return None


def sign(body, t, secret=SECRET):
    return hmac.new(secret.encode(), b"%d." % t + body, hashlib.sha256).hexdigest()


def header(body, t=None, secret=SECRET):
    t = int(time.time()) if t is None else t
    return "t=%d,v1=%s" % (t, sign(body, t, secret))


def fixture(name):
    with open(os.path.join(FIXTURES, name + ".json")) as f:
        return json.load(f)


KEEP = object()


def event(name, sfx, created, booking=KEEP, evt=None, **fields):
    """A fixture event as bytes (pretty-printed, as Stripe sends them), its
    ids suffixed with sfx so each test has objects of its own."""
    e = fixture(name)
    e["id"] = (evt or e["id"]) + sfx
    e["created"] = created
    o = e["data"]["object"]
    for k in ("id", "payment_intent", "charge", "latest_charge"):
        if isinstance(o.get(k), str):
            o[k] += sfx
    for r in (o.get("refunds") or {}).get("data", []):
        for k in ("id", "payment_intent", "charge"):
            if isinstance(r.get(k), str):
                r[k] += sfx
    if booking is None:
        o.get("metadata", {}).pop("booking_id", None)
    elif booking is not KEEP:
        o.setdefault("metadata", {})["booking_id"] = booking
    for k, v in fields.items():
        o[k] = v + sfx if k in ("id", "payment_intent", "charge") and v else v
    return json.dumps(e, indent=2, ensure_ascii=False).encode("utf-8")


def today():
    return datetime.datetime.now(zoneinfo.ZoneInfo(ZONE)).date()


def day(offset):
    return (today() + datetime.timedelta(days=offset)).isoformat()


class StripeBase(unittest.TestCase):
    ENV = {"STRIPE_WEBHOOK_SECRET": SECRET, "LUCIA_JWT_SECRET": JWT_SECRET,
           "OPERATOR_TIME_ZONE": ZONE}

    @classmethod
    def setUpClass(cls):
        cls.lucia = Lucia(env=cls.ENV).start()
        cls.prop = cls.made("/api/properties", {"name": "Villa Stripe", "time_zone": ZONE})["id"]
        cls.other = cls.made("/api/properties", {"name": "Elsewhere", "time_zone": ZONE})["id"]
        cls.guest = cls.made("/api/guests", {"property_id": cls.prop, "name": "Ann Quinn"})["id"]
        cls.other_guest = cls.made("/api/guests", {"property_id": cls.other,
                                                   "name": "Olaf Other"})["id"]

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()

    @classmethod
    def made(cls, path, body):
        r = cls.lucia.post(path, body)
        assert r.status == 201, (path, r)
        return r.json()

    def booking(self, total=100000, check_in=30, nights=3, prop=None, due=None, currency="EUR"):
        prop = prop or self.prop
        body = {"property_id": prop, "guest_id": self.guest if prop == self.prop
                else self.other_guest, "check_in": day(check_in),
                "check_out": day(check_in + nights), "total_cents": total, "currency": currency}
        if due is not None:
            body["balance_due_on"] = day(due)
        return self.made("/api/bookings", body)["id"]

    def deliver(self, body, t=None, hdr=KEEP, lucia=None, **kw):
        h = header(body, t) if hdr is KEEP else hdr
        headers = {"Content-Type": "application/json"}
        if h is not None:
            headers["Stripe-Signature"] = h
        return (lucia or self.lucia).post("/webhooks/stripe", body=body, token=None,
                                          headers=headers, **kw)

    def accepted(self, body, lucia=None):
        r = self.deliver(body, lucia=lucia)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def payments(self, booking, **kw):
        r = self.lucia.get("/api/bookings/%s/payments" % booking, **kw)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def stored(self, evt_id, lucia=None):
        return (lucia or self.lucia).db.scalar(
            "SELECT COUNT(*) FROM stripe_financial_events WHERE id = ?", evt_id)

    def reconcile(self, lucia=None):
        return harness.run_cli(["ledger", "reconcile"], db=(lucia or self.lucia))

    def token(self, role, props):
        return tokens.hs256(tokens.claims_for(role, props), JWT_SECRET)


class SignatureTest(StripeBase):
    def test_valid_signature_stores_the_raw_body(self):
        bk = self.booking()
        body = event("payment_intent.succeeded", "_raw", BASE, booking=bk,
                     description="Caparra — Villa Aurora, è già pagata")
        answer = self.accepted(body)
        self.assertEqual((answer["received"], answer["duplicate"]), (True, False))
        self.assertEqual(answer["records"][0]["booking_known"], True)
        row = self.lucia.db.query("SELECT type, created, payload FROM stripe_financial_events "
                                  "WHERE id = ?", "evt_3QmPiSucceeded0001_raw")[0]
        self.assertEqual(row["payload"].encode("utf-8"), body)  # byte for byte
        self.assertEqual((row["type"], int(row["created"])), ("payment_intent.succeeded", BASE))

    def test_signature_made_by_the_openssl_command_line(self):
        body = event("payment_intent.processing", "_cli", BASE, booking=None)
        t = int(time.time())
        out = subprocess.run(["openssl", "dgst", "-sha256", "-hmac", SECRET],
                             input=b"%d." % t + body, capture_output=True, check=True).stdout
        v1 = out.decode().strip().split("= ")[-1]
        self.assertEqual(v1, sign(body, t))
        self.assertEqual(self.deliver(body, hdr="t=%d,v1=%s" % (t, v1)).status, 200)

    def test_stripe_sdk_agrees(self):
        stripe = stripe_sdk()
        if stripe is None:
            self.skipTest("Stripe's Python SDK is not installed (python3-stripe)")
        body = event("charge.succeeded", "_sdk", BASE)
        h = header(body)
        # Our header verifies with Stripe's own verifier...
        self.assertTrue(stripe.WebhookSignature.verify_header(body.decode("utf-8"), h, SECRET,
                                                              tolerance=300))
        ev = stripe.Webhook.construct_event(body, h, SECRET)
        self.assertEqual(ev["type"], "charge.succeeded")
        # ...and a header signed by the SDK is accepted.
        t = int(time.time())
        sdk_sig = stripe.WebhookSignature._compute_signature("%d.%s" % (t, body.decode("utf-8")),
                                                             SECRET)
        self.assertEqual(self.deliver(body, hdr="t=%d,v1=%s" % (t, sdk_sig)).status, 200)

    def test_any_v1_may_match(self):
        body = event("payment_intent.requires_action", "_multi", BASE, booking=None)
        t = int(time.time())
        good, bad = sign(body, t), sign(body, t, "whsec_rolled_old_secret")
        r = self.deliver(body, hdr="t=%d,v1=%s,v1=%s" % (t, bad, bad))
        self.assertEqual(r.status, 400)
        self.assertEqual(self.stored("evt_3Qmpayment_intent_requires_action_multi"), 0)
        r = self.deliver(body, hdr="t=%d,v1=%s,v1=%s,v0=%s" % (t, bad, good, bad))
        self.assertEqual(r.status, 200, r)

    def test_stale_and_future_timestamps(self):
        now = int(time.time())
        for i, (t, status) in enumerate(((now - 330, 400), (now + 330, 400), (now - 240, 200))):
            body = event("payment_intent.processing", "_ts%d" % i, BASE, booking=None)
            r = self.deliver(body, t=t)
            self.assertEqual(r.status, status, (t - now, r))
            self.assertEqual(self.stored("evt_3Qmpayment_intent_processing_ts%d" % i),
                             1 if status == 200 else 0)

    def test_body_changed_by_one_byte_after_signing(self):
        bk = self.booking()
        body = event("payment_intent.succeeded", "_tamper", BASE, booking=bk)
        h = header(body)
        tampered = body.replace(b'"amount_received": 30000', b'"amount_received": 90000')
        self.assertEqual(len(tampered), len(body))
        flipped = bytearray(body)
        flipped[-2] ^= 0x01  # one bit of one byte, inside the JSON
        for changed in (tampered, bytes(flipped), body + b"\n", body[:-1]):
            r = self.deliver(changed, hdr=h)
            self.assertEqual(r.status, 400, r)
            err = r.json()["error"]
            self.assertEqual((err["code"], err["field"]), ("invalid_field", "Stripe-Signature"))
        self.assertEqual(self.stored("evt_3QmPiSucceeded0001_tamper"), 0)
        self.assertEqual(self.payments(bk)["records"], [])

    def test_missing_malformed_or_bearer_is_refused(self):
        body = event("payment_intent.canceled", "_hdr", BASE, booking=None)
        for h in (None, "", "t=abc,v1=00", "v1=" + sign(body, int(time.time())),
                  "t=%d" % int(time.time()), "garbage"):
            r = self.deliver(body, hdr=h)
            self.assertEqual(r.status, 400, (h, r))
            self.assertIn("Stripe-Signature", r.json()["error"]["message"])
        # A bearer token is not a webhook credential, even the service key.
        r = self.lucia.post("/webhooks/stripe", body=body)
        self.assertEqual(r.status, 400)
        self.assertEqual(self.stored("evt_3Qmpayment_intent_canceled_hdr"), 0)

    def test_signed_but_not_an_event(self):
        for body in (b"[]", b'{"id":"evt_x","type":"x"}', b"not json", b""):
            r = self.deliver(body)
            self.assertEqual(r.status, 400, (body, r))
            self.assertEqual(r.json()["error"]["code"], "invalid_json")
        self.assertEqual(self.stored("evt_x"), 0)

    def test_metrics_count_outcomes(self):
        body = event("payment_intent.processing", "_metrics", BASE, booking=None)
        self.assertEqual(self.deliver(body).status, 200)
        self.assertEqual(self.deliver(body).status, 200)
        self.assertEqual(self.deliver(body, hdr="t=1,v1=00").status, 400)
        text = self.lucia.get("/metrics").body.decode()
        for outcome in ("accepted", "duplicate", "bad_signature"):
            self.assertRegex(text, r'lucia_webhook_results_total\{source="stripe",outcome="%s"\} '
                                   r'[1-9]' % outcome)


class UnconfiguredTest(StripeBase):
    ENV = {"OPERATOR_TIME_ZONE": ZONE}

    def test_without_a_secret_nothing_is_accepted(self):
        body = event("payment_intent.processing", "_nosecret", BASE, booking=None)
        for h in (header(body), None):
            r = self.deliver(body, hdr=h)
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.json()["error"]["code"], "unavailable")
        self.assertEqual(self.stored("evt_3Qmpayment_intent_processing_nosecret"), 0)
        text = self.lucia.get("/metrics").body.decode()
        self.assertIn('lucia_webhook_results_total{source="stripe",outcome="unavailable"} 2', text)


def normalised(payments, booking, sfx):
    """A booking's payments with what differs between runs taken out."""
    text = json.dumps(payments).replace(booking, "BK").replace(sfx, "")
    p = json.loads(text)
    for r in p["records"]:
        for k in ("version", "created_at", "updated_at"):
            r.pop(k)
    return p


def life(bk, sfx):
    """A booking's payment life in Stripe's events: a failed deposit, 3-D
    Secure, success, the balance through Checkout, a partial refund, a
    dispute won, and a late, weaker event after the terminal one."""
    pi_bal = {"id": "pi_3QmPiBalance0001", "amount": 70000, "amount_received": 70000,
              "latest_charge": None}
    return [
        event("payment_intent.payment_failed", sfx, BASE + 10, booking=bk),
        event("payment_intent.requires_action", sfx, BASE + 20, booking=bk),
        event("payment_intent.processing", sfx, BASE + 30, booking=bk),
        event("payment_intent.succeeded", sfx, BASE + 40, booking=bk),
        event("charge.succeeded", sfx, BASE + 41),
        event("checkout.session.completed", sfx, BASE + 100, booking=bk),
        event("payment_intent.succeeded", sfx, BASE + 101, booking=None, evt="evt_bal", **pi_bal),
        event("charge.refunded", sfx, BASE + 200),
        event("charge.refund.updated", sfx, BASE + 210),
        event("charge.dispute.created", sfx, BASE + 300),
        event("charge.dispute.closed", sfx, BASE + 400),
        event("payment_intent.processing", sfx, BASE + 500, booking=bk, evt="evt_late"),
    ]


class FoldTest(StripeBase):
    def test_a_booking_payment_life(self):
        bk = self.booking(total=100000, check_in=30)
        ev = life(bk, "_life")
        self.accepted(ev[0])
        p = self.payments(bk)
        self.assertEqual((p["status"], p["paid_cents"], p["open_cents"]), ("unpaid", 0, 100000))
        self.assertEqual([r["reason"] for r in p["risks"]], ["payment_failed"])
        self.assertEqual(p["records"][0]["failure_code"], "card_declined")
        for e in ev[1:5]:
            self.accepted(e)
        p = self.payments(bk)
        self.assertEqual((p["status"], p["paid_cents"], p["open_cents"]),
                         ("partially_paid", 30000, 70000))
        self.assertEqual(p["risks"], [])
        for e in ev[5:7]:
            self.accepted(e)
        p = self.payments(bk)
        self.assertEqual((p["status"], p["paid_cents"], p["received_cents"]), ("paid", 100000,
                                                                              100000))
        self.accepted(ev[7])
        self.accepted(ev[8])  # the same refund, seen as itself: not counted twice
        p = self.payments(bk)
        self.assertEqual((p["status"], p["refunded_cents"], p["paid_cents"]),
                         ("partially_paid", 10000, 90000))
        self.accepted(ev[9])
        p = self.payments(bk)
        self.assertEqual(p["status"], "disputed")
        self.assertEqual([r["reason"] for r in p["risks"]], ["dispute_open"])
        self.assertEqual(p["risks"][0]["amount_cents"], 30000)
        self.accepted(ev[10])
        self.accepted(ev[11])  # processing, newer, after succeeded: ignored
        p = self.payments(bk)
        self.assertEqual(p["status"], "partially_paid")
        records = {r["id"]: r for r in p["records"]}
        self.assertEqual(records["pi_3QmPiExample0001_life"]["status"], "succeeded")
        self.assertEqual(records["dp_1QmDpExample0001_life"]["status"], "won")
        self.assertEqual(records["pi_3QmPiBalance0001_life"]["booking_id"], bk)  # via Checkout
        self.assertEqual(set(r["object"] for r in p["records"]),
                         {"payment_intent", "charge", "checkout_session", "refund", "dispute"})
        # The today view shows the ledger's balance for the arrival.
        d = self.lucia.get("/api/today?property_id=%s&date=%s" % (self.prop, day(30))).json()
        stay = [s for s in d["arrivals"] if s["id"] == bk][0]
        self.assertEqual(stay["balance"], {"total_cents": 100000, "paid_cents": 90000,
                                           "open_cents": 10000, "currency": "eur"})
        # Every record change is in the audit log, by "stripe".
        audit = self.lucia.get("/api/audit?entity_id=pi_3QmPiExample0001_life").json()["data"]
        self.assertEqual(audit[0]["action"], "payment.created")
        self.assertTrue(all(a["actor"] == "stripe" for a in audit))
        r = self.reconcile()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"ledger clean: \d+ events, \d+ records")

    def test_a_payment_group_larger_than_the_first_work_slots(self):
        """A charge refunded in 12 parts: its payment group (intent, charge,
        12 refunds) outgrows the fold's first 8 work slots, which then
        double (src/store/payments_apply.c); every refund counts once."""
        bk = self.booking(total=100000, check_in=40)
        sfx = "_many"
        self.accepted(event("payment_intent.succeeded", sfx, BASE + 10, booking=bk))
        self.accepted(event("charge.succeeded", sfx, BASE + 11))
        for k in range(12):
            self.accepted(event("charge.refund.updated", sfx, BASE + 100 + k,
                                evt="evt_many_refund_%02d" % k, id="re_many_%02d" % k,
                                amount=1000))
        p = self.payments(bk)
        self.assertEqual(len(p["records"]), 14, p["records"])
        self.assertEqual(sum(1 for r in p["records"] if r["object"] == "refund"), 12)
        self.assertEqual((p["refunded_cents"], p["paid_cents"]), (12000, 18000))
        r = self.reconcile()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_any_order_and_duplicates_end_the_same(self):
        orders = {"in_order": None, "reversed": "reversed", "dup": "dup"}
        for seed in (1, 2, 3, 4):
            orders["seed%d" % seed] = seed
        results = {}
        for name, how in orders.items():
            bk = self.booking(total=100000, check_in=40)
            sfx = "_o" + name
            ev = life(bk, sfx)
            if how == "reversed":
                ev.reverse()
            elif how == "dup":
                ev = ev + ev[::-1] + ev
            elif how is not None:
                rng = random.Random(how)
                ev = ev + [rng.choice(ev) for _ in range(4)]
                rng.shuffle(ev)
            for e in ev:
                self.accepted(e)
            results[name] = normalised(self.payments(bk), bk, sfx)
        first = results["in_order"]
        self.assertEqual((first["status"], first["paid_cents"]), ("partially_paid", 90000))
        for name, got in results.items():
            self.assertEqual(got, first, name)

    def test_other_event_types_are_stored_not_folded(self):
        body = json.dumps({"id": "evt_1QmCustomer0001", "object": "event",
                           "api_version": "2024-06-20", "created": BASE,
                           "data": {"object": {"id": "cus_QmExample0001", "object": "customer",
                                               "email": "guest@example.com", "metadata": {}}},
                           "livemode": False, "pending_webhooks": 1,
                           "request": {"id": None, "idempotency_key": None},
                           "type": "customer.created"}, indent=2).encode()
        answer = self.accepted(body)
        self.assertEqual(answer["records"], [])
        self.assertEqual(self.stored("evt_1QmCustomer0001"), 1)
        self.assertEqual(self.lucia.db.scalar(
            "SELECT COUNT(*) FROM stripe_financial_records WHERE id = ?", "cus_QmExample0001"), 0)

    def test_unknown_booking_is_kept_and_reported(self):
        body = event("payment_intent.succeeded", "_unknown", BASE, booking="bk_nobodyknowsthis")
        answer = self.accepted(body)
        self.assertEqual(answer["records"][0]["booking_id"], "bk_nobodyknowsthis")
        self.assertFalse(answer["records"][0]["booking_known"])
        r = self.lucia.get("/api/payments/unlinked?limit=500")
        self.assertEqual(r.status, 200, r)
        ids = [x["id"] for x in r.json()["data"]]
        self.assertIn("pi_3QmPiExample0001_unknown", ids)
        # An operator (of some properties) may not list them.
        op = self.token("operator", [self.prop])
        self.assertEqual(self.lucia.get("/api/payments/unlinked", token=op).status, 403)
        out = self.reconcile()
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertRegex(out.stdout, r"note: \d+ records? name no booking Lucia knows")

    def test_twenty_concurrent_deliveries_store_one_event(self):
        bk = self.booking(total=50000)
        body = event("payment_intent.succeeded", "_c20", BASE, booking=bk, amount=50000,
                     amount_received=50000)
        h = header(body)
        barrier = threading.Barrier(20, timeout=30)
        answers, lock = [], threading.Lock()

        def go():
            barrier.wait()
            r = self.deliver(body, hdr=h)
            with lock:
                answers.append((r.status, r.json().get("duplicate") if r.status == 200 else r))

        threads = [threading.Thread(target=go) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(len(answers), 20)
        self.assertEqual([s for s, _ in answers], [200] * 20, answers)
        self.assertEqual(sorted(d for _, d in answers), [False] + [True] * 19)
        self.assertEqual(self.stored("evt_3QmPiSucceeded0001_c20"), 1)
        p = self.payments(bk)
        self.assertEqual((len(p["records"]), p["paid_cents"], p["status"]), (1, 50000, "paid"))
        audit = self.lucia.get("/api/audit?entity_id=pi_3QmPiExample0001_c20").json()["data"]
        self.assertEqual([a["action"] for a in audit], ["payment.created"])

    def test_embedded_refunds_of_older_api_versions(self):
        bk = self.booking(total=30000, check_in=60)
        self.accepted(event("payment_intent.succeeded", "_legacy", BASE, booking=bk))
        self.accepted(event("charge.refunded.2020-08-27", "_legacy", BASE + 200))
        p = self.payments(bk)
        refund = [r for r in p["records"] if r["object"] == "refund"][0]
        self.assertEqual((refund["status"], refund["booking_id"]), ("pending", bk))
        self.assertEqual([r["reason"] for r in p["risks"]], ["refund_pending"])
        self.assertEqual((p["refunded_cents"], p["paid_cents"]), (10000, 20000))


class PaymentsApiTest(StripeBase):
    KEYS = {"booking_id", "guest_name", "reason", "amount_cents", "currency", "since", "detail"}

    def test_payments_of_invisible_or_unknown_bookings_are_404(self):
        mine = self.booking()
        theirs = self.booking(prop=self.other)
        op = self.token("operator", [self.prop])
        viewer = self.token("viewer", [self.prop])
        self.assertEqual(self.lucia.get("/api/bookings/%s/payments" % theirs, token=op).status,
                         404)
        self.assertEqual(self.lucia.get("/api/bookings/bk_nope/payments").status, 404)
        p = self.payments(mine, token=viewer)
        self.assertEqual((p["total_cents"], p["status"], p["currency"]), (100000, "unpaid", "eur"))
        self.assertEqual(self.lucia.get("/api/bookings/%s/payments" % mine, token=None).status,
                         401)

    def test_risks_in_severity_order_scoped_and_in_today(self):
        prop = self.made("/api/properties", {"name": "Risky Villa", "time_zone": ZONE})["id"]
        guest = self.made("/api/guests", {"property_id": prop, "name": "Rita Risk"})["id"]

        def bk(total=100000, check_in=60, due=None):
            body = {"property_id": prop, "guest_id": guest, "check_in": day(check_in),
                    "check_out": day(check_in + 2), "total_cents": total, "currency": "eur"}
            if due is not None:
                body["balance_due_on"] = day(due)
            return self.made("/api/bookings", body)["id"]

        soon, overdue, failed, disputed, over, refunding, paid, cancelled = (
            bk(check_in=3), bk(due=-1), bk(), bk(), bk(total=50000), bk(), bk(check_in=1),
            bk(check_in=2))
        self.lucia.post("/api/bookings/%s/transition" % cancelled,
                        {"to": "cancelled", "note": "guest cancelled"})
        self.accepted(event("payment_intent.payment_failed", "_rf", BASE, booking=failed))
        full = {"amount": 100000, "amount_received": 100000}
        self.accepted(event("payment_intent.succeeded", "_rd", BASE, booking=disputed, **full))
        self.accepted(event("charge.dispute.created", "_rd", BASE + 10, amount=100000))
        self.accepted(event("payment_intent.succeeded", "_ro", BASE, booking=over,
                            amount=60000, amount_received=60000))
        self.accepted(event("payment_intent.succeeded", "_rr", BASE, booking=refunding, **full))
        self.accepted(event("charge.refunded.2020-08-27", "_rr", BASE + 20, amount=100000,
                            amount_captured=100000))
        self.accepted(event("payment_intent.succeeded", "_rp", BASE, booking=paid, **full))
        self.accepted(event("payment_intent.succeeded", "_rb", BASE, booking=self.booking(
            prop=self.other, check_in=2)))  # in the other property: 70,000 open, due soon

        r = self.lucia.get("/api/payments/risks?property_id=" + prop)
        self.assertEqual(r.status, 200, r)
        risks = r.json()["data"]
        self.assertFalse(r.json()["truncated"])
        got = [(x["reason"], x["booking_id"]) for x in risks]
        self.assertEqual(got, [("dispute_open", disputed), ("payment_failed", failed),
                               ("balance_overdue", overdue), ("balance_due_soon", soon),
                               ("overpaid", over), ("refund_pending", refunding)])
        for x in risks:
            self.assertEqual(set(x), self.KEYS)
            self.assertEqual((x["guest_name"], x["currency"]), ("Rita Risk", "eur"))
            self.assertRegex(x["since"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        amounts = {x["reason"]: x["amount_cents"] for x in risks}
        self.assertEqual(amounts, {"dispute_open": 100000, "payment_failed": 30000,
                                   "balance_overdue": 100000, "balance_due_soon": 100000,
                                   "overpaid": 10000, "refund_pending": 10000})
        # The today view carries exactly the same list.
        d = self.lucia.get("/api/today?property_id=" + prop).json()
        self.assertEqual(d["payment_risks"], risks)
        # Scope: an operator of this property sees these, not the other's.
        op = self.token("operator", [prop])
        mine = self.lucia.get("/api/payments/risks", token=op).json()["data"]
        self.assertEqual(mine, risks)
        theirs = self.lucia.get("/api/payments/risks", token=self.token("viewer", [self.other]))
        self.assertTrue(theirs.json()["data"])
        self.assertTrue(all(x["guest_name"] == "Olaf Other" for x in theirs.json()["data"]))
        self.assertEqual(self.lucia.get("/api/payments/risks?property_id=" + self.other,
                                        token=op).status, 404)
        self.assertEqual(self.lucia.get("/api/payments/risks?property_id=a%20b").status, 400)
        everything = self.lucia.get("/api/payments/risks").json()["data"]
        self.assertTrue(set(map(json.dumps, risks)) <= set(map(json.dumps, everything)))


class DurabilityTest(StripeBase):
    def setUp(self):
        self.own = Lucia(env=self.ENV).start()
        p = self.own.post("/api/properties", {"name": "Durable", "time_zone": ZONE}).json()["id"]
        g = self.own.post("/api/guests", {"property_id": p, "name": "Dora"}).json()["id"]
        self.bk = self.own.post("/api/bookings", {
            "property_id": p, "guest_id": g, "check_in": day(20), "check_out": day(22),
            "total_cents": 30000, "currency": "eur"}).json()["id"]

    def tearDown(self):
        b = harness.backends()
        if b is not None and b.postgres.pid() is None:
            b.postgres.start()
        self.own.close()

    def own_payments(self):
        r = self.own.get("/api/bookings/%s/payments" % self.bk)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def test_kill9_right_after_a_200(self):
        body = event("payment_intent.succeeded", "_k9", BASE, booking=self.bk)
        self.assertEqual(self.deliver(body, lucia=self.own).status, 200)
        self.own.kill9()
        self.own.start()
        self.assertEqual(self.stored("evt_3QmPiSucceeded0001_k9", lucia=self.own), 1)
        p = self.own_payments()
        self.assertEqual((p["status"], p["paid_cents"]), ("paid", 30000))
        r = self.reconcile(self.own)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ledger clean: 1 events, 1 records", r.stdout)

    def database_down(self):
        """A context in which the database refuses writes, for real: the
        PostgreSQL server stopped, or SQLite's write lock held by another
        connection (Lucia waits its busy timeout, then answers 503)."""
        b = harness.backends()
        if b is not None:
            return b.postgres.stopped()
        own = self.own

        class Locked:
            def __enter__(self):
                self.db = sqlite3.connect(own.db_path, timeout=1, isolation_level=None)
                self.db.execute("BEGIN EXCLUSIVE")

            def __exit__(self, *exc):
                self.db.execute("ROLLBACK")
                self.db.close()
        return Locked()

    def test_database_down_503_then_the_retry_applies_once(self):
        body = event("payment_intent.succeeded", "_down", BASE, booking=self.bk)
        with self.database_down():
            r = self.deliver(body, lucia=self.own)
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.json()["error"]["code"], "unavailable")
        deadline = time.monotonic() + 30
        while True:  # Stripe retries; the pool reconnects on its own
            r = self.deliver(body, lucia=self.own)
            if r.status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(r.status, 200, r)
        self.assertFalse(r.json()["duplicate"])
        again = self.deliver(body, lucia=self.own)
        self.assertTrue(again.json()["duplicate"])
        self.assertEqual(self.stored("evt_3QmPiSucceeded0001_down", lucia=self.own), 1)
        self.assertEqual(self.own_payments()["paid_cents"], 30000)
        text = self.own.get("/metrics").body.decode()
        self.assertRegex(text, r'source="stripe",outcome="unavailable"\} [1-9]')
        r = self.reconcile(self.own)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_reconcile_reports_differences(self):
        for e in life(self.bk, "_rec")[:9]:
            self.assertEqual(self.deliver(e, lucia=self.own).status, 200)
        self.assertEqual(self.reconcile(self.own).returncode, 0)
        db = self.own.db
        pi = "pi_3QmPiExample0001_rec"
        db.execute(("UPDATE stripe_financial_records SET amount_received = 1 WHERE id = ?",
                    (pi,)))
        r = self.reconcile(self.own)
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s: amount_received: 1 vs 30000" % pi, r.stdout)
        db.execute(("UPDATE stripe_financial_records SET amount_received = 30000 WHERE id = ?",
                    (pi,)))
        db.execute(("DELETE FROM stripe_financial_records WHERE id = ?",
                    ("re_3QmReExample0001_rec",)))
        r = self.reconcile(self.own)
        self.assertEqual(r.returncode, 1)
        self.assertIn("re_3QmReExample0001_rec: missing", r.stdout)
        self.assertIn("1 difference", r.stderr)


SUMMARY_MONEY = ("records", "received_cents", "refunded_cents", "paid_cents", "disputes_open",
                 "refunds_pending", "attempt_failed")


class SummaryTest(StripeBase):
    """booking_payment_summaries (migration 0010): kept by the webhook's fold
    in the same transaction, equal to a full recompute from the records
    whatever the order or the duplicates, verified by `lucia ledger
    reconcile`; and the risks read, which judges only the bookings the
    summaries name as candidates, loses none of the risks each booking's
    own full computation gives."""

    def summary(self, bk):
        rows = self.lucia.db.query(
            "SELECT " + ", ".join(SUMMARY_MONEY) + ", money_currency, status, total_cents, "
            "currency FROM booking_payment_summaries WHERE booking_id = ?", bk)
        self.assertEqual(len(rows), 1, bk)
        return {k: (int(v) if k in SUMMARY_MONEY or k == "total_cents" else v)
                for k, v in rows[0].items()}

    def assert_summary_is_the_recompute(self, bk, where):
        s, p = self.summary(bk), self.payments(bk)
        got = {k: s[k] for k in ("received_cents", "refunded_cents", "paid_cents")}
        want = {k: p[k] for k in ("received_cents", "refunded_cents", "paid_cents")}
        self.assertEqual(got, want, where)
        self.assertEqual(s["records"], len(p["records"]), where)
        self.assertEqual(s["disputes_open"] > 0, p["status"] == "disputed", where)
        reasons = [r["reason"] for r in p["risks"]]
        self.assertEqual(s["attempt_failed"] == 1 and p["open_cents"] > 0,
                         "payment_failed" in reasons, where)
        self.assertEqual((s["status"], s["total_cents"], s["currency"]),
                         ("requested", p["total_cents"], p["currency"]), where)
        return s

    def test_summary_equals_a_full_recompute_after_every_event_in_any_order(self):
        orders = {"in_order": None, "reversed": "reversed", "dup": "dup"}
        for seed in (1, 2, 3, 4, 5):
            orders["seed%d" % seed] = seed
        finals = {}
        for name, how in orders.items():
            bk = self.booking(total=100000, check_in=40)
            sfx = "_s" + name
            ev = life(bk, sfx)
            if how == "reversed":
                ev.reverse()
            elif how == "dup":
                ev = ev + ev[::-1] + ev
            elif how is not None:
                rng = random.Random(how)
                ev = ev + [rng.choice(ev) for _ in range(6)]
                rng.shuffle(ev)
            s = self.summary(bk)
            self.assertEqual([s[k] for k in SUMMARY_MONEY], [0] * len(SUMMARY_MONEY))
            for i, e in enumerate(ev):
                self.accepted(e)
                self.assert_summary_is_the_recompute(bk, "%s after event %d" % (name, i))
            finals[name] = self.summary(bk)
        first = finals["in_order"]
        self.assertEqual((first["received_cents"], first["refunded_cents"],
                          first["paid_cents"], first["disputes_open"]), (100000, 10000, 90000, 0))
        for name, got in finals.items():
            self.assertEqual(got, first, name)
        r = self.reconcile()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def every_risk_booking_by_booking(self, prop):
        """The risks of each booking of prop, each from its own records
        (/api/bookings/{id}/payments reads no summary)."""
        risks, after = [], None
        for _ in range(100):
            q = "/api/bookings?property_id=%s&limit=100" % prop
            page = self.lucia.get(q + ("&after=" + after if after else "")).json()
            for b in page["data"]:
                risks += self.payments(b["id"])["risks"]
            if not page["has_more"]:
                break
            after = page["next"]
        return sorted(json.dumps(r, sort_keys=True) for r in risks)

    def test_candidates_lose_no_risk(self):
        prop = self.made("/api/properties", {"name": "Villa Candidates", "time_zone": ZONE})["id"]
        guest = self.made("/api/guests", {"property_id": prop, "name": "Cara Candidate"})["id"]

        def booking(check_in=30, total=100000, due=None):
            body = {"property_id": prop, "guest_id": guest, "check_in": day(check_in),
                    "check_out": day(check_in + 3), "total_cents": total, "currency": "EUR"}
            if due is not None:
                body["balance_due_on"] = day(due)
            return self.made("/api/bookings", body)["id"]

        def paid(bk, sfx, amount=30000):
            self.accepted(event("payment_intent.succeeded", sfx, BASE + 40, booking=bk,
                                amount=amount, amount_received=amount))

        booking(check_in=-3)                    # unpaid, checked in three days ago: overdue
        booking(check_in=3)                     # unpaid, arriving in three days: due soon
        booking(check_in=30, due=-2)            # the balance was due two days ago: overdue
        booking(check_in=40, due=50)            # due after check-in, far away: no risk
        paid(booking(check_in=30), "_cand_part")               # partly paid, far away: none
        paid(booking(check_in=5, total=30000), "_cand_full")   # paid in full: none
        failed = booking(check_in=40)
        self.accepted(event("payment_intent.payment_failed", "_cand_fail", BASE + 10,
                            booking=failed))
        over = booking(check_in=20, total=30000)
        paid(over, "_cand_over")
        r = self.lucia.patch("/api/bookings/" + over, {"total_cents": 20000})
        self.assertEqual(r.status, 200, r)      # the trigger moves the summary's total
        moved = booking(check_in=0)
        paid(moved, "_cand_moved")
        r = self.lucia.patch("/api/bookings/" + moved, {"currency": "usd"})
        self.assertEqual(r.status, 200, r)      # money summed in eur: stale until the next fold
        self.assertEqual(self.summary(moved)["money_currency"], "eur")
        arriving = booking(check_in=0)
        paid(arriving, "_cand_arriving")
        disputed = booking(check_in=60)
        for name, t in (("payment_intent.succeeded", 40), ("charge.succeeded", 41),
                        ("charge.dispute.created", 300)):
            kw = {"booking": disputed} if name.startswith("payment") else {}
            self.accepted(event(name, "_cand_disp", BASE + t, **kw))
        r = self.lucia.post("/api/bookings/%s/transition" % disputed,
                            {"to": "cancelled", "note": "guest cancelled; dispute still open"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.summary(disputed)["status"], "cancelled")

        r = self.lucia.get("/api/payments/risks?property_id=" + prop)
        self.assertEqual(r.status, 200, r)
        listed = r.json()
        self.assertEqual(sorted(x["reason"] for x in listed["data"]),
                         sorted(["balance_overdue", "balance_due_soon", "balance_overdue",
                                 "payment_failed", "overpaid", "balance_due_soon",
                                 "balance_due_soon", "dispute_open"]), listed)
        self.assertFalse(listed["truncated"])
        self.assertEqual(sorted(json.dumps(x, sort_keys=True) for x in listed["data"]),
                         self.every_risk_booking_by_booking(prop))
        # The day's stays show each booking's own balance, from its summary
        # or (money summed in another currency) from its records.
        d = self.lucia.get("/api/today?property_id=" + prop).json()
        self.assertEqual(sorted(s["id"] for s in d["arrivals"]), sorted([moved, arriving]))
        for stay in d["arrivals"]:
            p = self.payments(stay["id"])
            self.assertEqual(stay["balance"], {"total_cents": p["total_cents"],
                                               "paid_cents": p["paid_cents"],
                                               "open_cents": p["open_cents"],
                                               "currency": p["currency"]}, stay["id"])
        r = self.reconcile()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_reconcile_reports_a_drifted_summary(self):
        bk = self.booking(total=100000, check_in=50)
        for e in life(bk, "_drift")[:6]:
            self.accepted(e)
        self.assertEqual(self.reconcile().returncode, 0)
        paid = self.summary(bk)["paid_cents"]
        db = self.lucia.db
        db.execute(("UPDATE booking_payment_summaries SET paid_cents = paid_cents + 1 "
                    "WHERE booking_id = ?", (bk,)))
        r = self.reconcile()
        self.assertEqual(r.returncode, 1)
        self.assertIn("booking %s: payment summary paid_cents %d vs %d" % (bk, paid + 1, paid),
                      r.stdout)
        db.execute(("UPDATE booking_payment_summaries SET paid_cents = paid_cents - 1, "
                    "status = 'cancelled' WHERE booking_id = ?", (bk,)))
        r = self.reconcile()
        self.assertEqual(r.returncode, 1)
        self.assertIn("booking %s: payment summary status cancelled vs the booking's requested"
                      % bk, r.stdout)
        db.execute(("DELETE FROM booking_payment_summaries WHERE booking_id = ?", (bk,)))
        r = self.reconcile()
        self.assertEqual(r.returncode, 1)
        self.assertIn("booking %s: no payment summary row" % bk, r.stdout)
        # The next event of the booking writes its row whole again.
        self.accepted(life(bk, "_drift")[6])
        r = self.reconcile()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_an_upgraded_database_is_backfilled(self):
        bk = self.booking(total=100000, check_in=2)
        for e in life(bk, "_upg")[:10]:   # up to the open dispute
            self.accepted(e)
        failed = self.booking(total=50000, check_in=20, currency="usd")
        self.accepted(event("payment_intent.payment_failed", "_upg_fail", BASE, booking=failed))
        self.accepted(event("payment_intent.succeeded", "_upg_unknown", BASE,
                            booking="bk_upgradednobodyknows"))
        before = self.lucia.get("/api/payments/risks?property_id=" + self.prop).json()
        summaries = self.lucia.db.query("SELECT * FROM booking_payment_summaries "
                                        "ORDER BY booking_id")
        self.assertEqual(self.summary(bk)["disputes_open"], 1)
        self.lucia.stop()
        try:
            r = harness.run_cli(["migrate", "down", "1"], db=self.lucia)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertNotIn("booking_payment_summaries", self.lucia.db.tables())
            r = harness.run_cli(["migrate", "up"], db=self.lucia)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        finally:
            self.lucia.start()
        self.assertEqual(self.lucia.db.query("SELECT * FROM booking_payment_summaries "
                                             "ORDER BY booking_id"), summaries)
        r = self.reconcile()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        after = self.lucia.get("/api/payments/risks?property_id=" + self.prop).json()
        self.assertEqual((after["data"], after["truncated"]), (before["data"], before["truncated"]))
        self.assertEqual(len(before["data"]), 3)  # disputed, due soon, and the failed payment


if __name__ == "__main__":
    unittest.main()
