"""`lucia demo [--force]` end to end: it fills a fresh database and exits 0,
refuses a second run without --force (exit 1, nothing changed), adds a
second copy with --force without deleting anything, and the data it writes
reads as the SPEC §9 story through the real API: two properties, a dozen
guests and bookings, arrivals today in each property's zone, a dinner
tonight still `requested`, an open urgent guest-impacting leak, items in all
six states, and /history with the evidence and notes of each move. Its
payments are Stripe events stored through the webhook's own write: past
and in-house stays paid, Chiara's balance declined (the one payment_failed
risk), and `lucia ledger reconcile` clean after one run and after --force."""
import os
import re
import shutil
import tempfile
import unittest

import harness
from harness import Lucia, run_cli

TABLES = ("properties", "guests", "bookings", "items", "transitions", "audit_events",
          "stripe_financial_events", "stripe_financial_records")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def counts(db):
    """Rows per table, read from the database itself (sqlite3 or psql)."""
    return {t: db.scalar("SELECT COUNT(*) AS n FROM %s" % t) for t in TABLES}


class DemoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="lucia-demo-")
        cls.db = harness.database(os.path.join(cls.tmp, "demo.db"))
        cls.made = [cls.db]
        cls.first = cls.demo(cls.db)
        cls.after_first = counts(cls.db)
        cls.second = cls.demo(cls.db)
        cls.after_second = counts(cls.db)
        cls.reconcile = run_cli(["ledger", "reconcile"], db=cls.db, cwd=cls.tmp)
        cls.lucia = Lucia(tmp=cls.tmp, db=cls.db).start()

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()
        for db in cls.made:
            db.drop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def demo(cls, db, *args):
        return run_cli(["demo"] + list(args), db=db, cwd=cls.tmp)

    def fresh(self, name):
        db = harness.database(os.path.join(self.tmp, name))
        self.made.append(db)
        return db

    def assertClean(self, proc):
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, proc.stderr)

    def all(self, path):
        r = self.lucia.get(path + ("&" if "?" in path else "?") + "limit=500")
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertFalse(body["has_more"])
        return body["data"]

    # -- the command -------------------------------------------------------
    def test_first_run_loads_and_prints_a_summary(self):
        self.assertEqual(self.first.returncode, 0, self.first.stderr)
        self.assertClean(self.first)
        out = self.first.stdout
        self.assertIn("2 properties", out)
        ids = re.findall(r"prop_[0-9a-z]{26}", out)
        self.assertEqual(sorted(ids), sorted(p["id"] for p in self.all("/api/properties")))
        self.assertEqual(self.after_first["properties"], 2)
        self.assertGreaterEqual(self.after_first["guests"], 12)
        self.assertGreaterEqual(self.after_first["bookings"], 12)

    def test_second_run_refuses_and_changes_nothing(self):
        self.assertEqual(self.second.returncode, 1, self.second.stdout)
        self.assertClean(self.second)
        self.assertIn("already has properties", self.second.stderr)
        self.assertIn("--force", self.second.stderr)
        self.assertEqual(self.after_second, self.after_first)

    def test_bad_arguments(self):
        unused = self.fresh("unused.db")
        r = self.demo(unused, "--wipe")
        self.assertEqual(r.returncode, 2)
        self.assertIn("demo takes only --force", r.stderr)
        self.assertTrue(unused.untouched(), "a usage error made the database")

    def test_force_adds_beside_and_deletes_nothing(self):
        db = self.fresh("force.db")
        self.assertEqual(self.demo(db).returncode, 0)
        once = counts(db)
        forced = self.demo(db, "--force")
        self.assertEqual(forced.returncode, 0, forced.stderr)
        self.assertClean(forced)
        self.assertEqual(counts(db), {t: 2 * n for t, n in once.items()})
        verify = run_cli(["audit", "verify"], db=db, cwd=self.tmp)
        self.assertEqual(verify.returncode, 0, verify.stderr)
        # the second copy's Stripe ids are its own: nothing collided, all folded
        reconcile = run_cli(["ledger", "reconcile"], db=db, cwd=self.tmp)
        self.assertEqual(reconcile.returncode, 0, reconcile.stdout + reconcile.stderr)
        self.assertClean(reconcile)

    def test_audit_chain_verifies(self):
        verify = run_cli(["audit", "verify"], db=self.db, cwd=self.tmp)
        self.assertEqual(verify.returncode, 0, verify.stderr)
        self.assertIn("%d events" % self.after_first["audit_events"], verify.stdout)

    # -- the data, through the API -----------------------------------------
    def test_properties_guests_and_bookings(self):
        props = {p["name"]: p for p in self.all("/api/properties")}
        self.assertEqual(set(props), {"Villa Aurora", "Casa Marea"})
        self.assertEqual(props["Villa Aurora"]["time_zone"], "Europe/Rome")
        self.assertEqual(props["Casa Marea"]["time_zone"], "America/Los_Angeles")
        guests = self.all("/api/guests")
        self.assertGreaterEqual(len(guests), 12)
        for g in guests:
            self.assertRegex(g["phone"], r"^\+[1-9]\d{7,14}$")
            self.assertRegex(g["email"], r"^[^@\s]+@[^@\s]+\.[a-z]+$")
            self.assertTrue(g["name"].strip())
        bookings = self.all("/api/bookings")
        self.assertGreaterEqual(len(bookings), 12)
        statuses = {b["status"] for b in bookings}
        self.assertEqual(statuses,
                         {"requested", "confirmed", "checked_in", "checked_out", "cancelled"})
        self.assertEqual({b["currency"] for b in bookings}, {"eur", "usd"})
        for b in bookings:
            self.assertGreater(b["total_cents"], 0)

    def test_each_property_has_arrivals_today(self):
        for p in self.all("/api/properties"):
            d = self.lucia.get("/api/today?property_id=" + p["id"]).json()
            self.assertEqual(d["time_zone"], p["time_zone"])
            self.assertTrue(d["arrivals"], p["name"])
            self.assertTrue(d["in_house"], p["name"])
            for stay in d["arrivals"] + d["in_house"]:
                self.assertTrue(stay["guest"]["name"])
                balance = stay["balance"]
                self.assertEqual(balance["paid_cents"] + balance["open_cents"],
                                 stay["total_cents"])
                if stay["guest"]["name"] != "Chiara Benedetti":
                    self.assertEqual(balance["open_cents"], 0, stay)
            for stay in d["in_house"]:
                self.assertEqual(stay["status"], "checked_in")
            if p["name"] == "Villa Aurora":
                self.assertTrue(d["departures"])

    def test_dinner_tonight_awaits_confirmation(self):
        aurora = [p for p in self.all("/api/properties") if p["name"] == "Villa Aurora"][0]
        d = self.lucia.get("/api/today?property_id=" + aurora["id"]).json()
        dinners = [i for i in d["items_due"]
                   if i["kind"] == "concierge" and "dinner" in i["title"].lower()]
        self.assertEqual(len(dinners), 1, d["items_due"])
        dinner = dinners[0]
        self.assertEqual(dinner["state"], "requested")
        self.assertTrue(d["day_start"] <= dinner["due_at"] < d["day_end"])
        self.assertIsNotNone(dinner["guest_id"])
        self.assertIsNotNone(dinner["booking_id"])
        guest = self.lucia.get("/api/guests/" + dinner["guest_id"]).json()
        self.assertTrue(guest["name"])

    def test_urgent_leak_is_open_and_due(self):
        leaks = [i for i in self.all("/api/items?kind=maintenance")
                 if i["priority"] == "urgent" and i["guest_impacting"]]
        self.assertEqual(len(leaks), 1)
        leak = leaks[0]
        self.assertIn("leak", leak["title"].lower())
        self.assertNotIn(leak["state"], ("done", "cancelled", "failed"))
        d = self.lucia.get("/api/today?property_id=" + leak["property_id"]).json()
        self.assertIn(leak["id"], [i["id"] for i in d["items_due"]])

    def test_items_in_every_state_with_history(self):
        items = self.all("/api/items")
        by_state = {}
        for i in items:
            by_state.setdefault(i["state"], []).append(i)
        self.assertEqual(set(by_state), {"requested", "confirmed", "in_progress", "done",
                                         "cancelled", "failed"})
        titles = " ".join(i["title"].lower() for i in items)
        for word in ("pool", "linen"):
            self.assertIn(word, titles)
        for state, need in (("confirmed", "evidence"), ("done", "evidence"),
                            ("cancelled", "note"), ("failed", "note")):
            for item in by_state[state]:
                h = self.lucia.get("/api/items/%s/history" % item["id"]).json()["data"]
                self.assertEqual(h[-1]["to"], state)
                self.assertTrue(h[-1][need], (state, h))
                self.assertEqual(h[0]["from"], "requested")
                self.assertEqual(h[-1]["actor"], "demo")
        confirmed = by_state["confirmed"][0]
        h = self.lucia.get("/api/items/%s/history" % confirmed["id"]).json()["data"]
        self.assertEqual([(e["from"], e["to"]) for e in h], [("requested", "confirmed")])
        self.assertTrue(h[0]["evidence"].strip())

    def test_routine_tasks_due_today_and_one_overdue(self):
        for p in self.all("/api/properties"):
            d = self.lucia.get("/api/today?property_id=" + p["id"]).json()
            tasks = [i for i in d["items_due"] if i["kind"] == "task"]
            self.assertTrue(tasks, p["name"])
            if p["name"] == "Villa Aurora":
                overdue = [i for i in tasks if i["due_at"] < d["day_start"]]
                self.assertTrue(overdue, tasks)

    # -- payments: Stripe events through the webhook's write ----------------
    def booking_of(self, guest_name):
        guest = [g for g in self.all("/api/guests") if g["name"] == guest_name][0]
        return [b for b in self.all("/api/bookings") if b["guest_id"] == guest["id"]][0]

    def risks(self):
        r = self.lucia.get("/api/payments/risks")
        self.assertEqual(r.status, 200, r)
        return r.json()["data"]

    def test_ledger_reconciles(self):
        self.assertEqual(self.reconcile.returncode, 0,
                         self.reconcile.stdout + self.reconcile.stderr)
        self.assertClean(self.reconcile)
        self.assertIn("ledger clean", self.reconcile.stdout)
        self.assertGreater(self.after_first["stripe_financial_events"], 0)

    def test_one_failed_payment_chiaras_declined_balance(self):
        chiara = self.booking_of("Chiara Benedetti")
        risks = self.risks()
        failed = [r for r in risks if r["reason"] == "payment_failed"]
        self.assertEqual(len(failed), 1, risks)
        self.assertEqual(failed[0]["booking_id"], chiara["id"])
        self.assertEqual(failed[0]["guest_name"], "Chiara Benedetti")
        balance = chiara["total_cents"] - chiara["total_cents"] * 30 // 100
        self.assertEqual(failed[0]["amount_cents"], balance)
        self.assertEqual(failed[0]["currency"], chiara["currency"])
        self.assertIn("declined", failed[0]["detail"].lower())
        # a handful of risks, not every booking: Chiara's (failed, and the
        # balance was due yesterday) and Lukas's balance due in three days
        self.assertEqual(sorted((r["guest_name"], r["reason"]) for r in risks),
                         [("Chiara Benedetti", "balance_overdue"),
                          ("Chiara Benedetti", "payment_failed"),
                          ("Lukas Becker", "balance_due_soon")])
        pay = self.lucia.get("/api/bookings/%s/payments" % chiara["id"]).json()
        self.assertEqual(pay["status"], "partially_paid")
        self.assertEqual(pay["open_cents"], balance)
        intents = [r for r in pay["records"] if r["object"] == "payment_intent"]
        self.assertEqual(sorted(r["status"] for r in intents),
                         ["requires_payment_method", "succeeded"])
        declined = [r for r in intents if r["status"] == "requires_payment_method"][0]
        self.assertEqual(declined["failure_code"], "card_declined")
        self.assertEqual(declined["failure_message"], "Your card was declined.")
        self.assertTrue(declined["id"].startswith("pi_demo_"))

    def test_in_house_and_past_stays_are_paid(self):
        for name in ("Amelia Hart", "Elena Vasquez", "Sophie Laurent"):
            b = self.booking_of(name)
            pay = self.lucia.get("/api/bookings/%s/payments" % b["id"]).json()
            self.assertEqual(pay["status"], "paid", (name, pay))
            self.assertEqual(pay["paid_cents"], b["total_cents"])
            self.assertEqual(pay["open_cents"], 0)
            self.assertFalse(pay["risks"], name)
        paid_ids = {self.booking_of(n)["id"] for n in ("Amelia Hart", "Daniel Okafor")}
        risky = {r["booking_id"] for r in self.risks()}
        self.assertFalse(paid_ids & risky)

    def test_upcoming_stay_has_its_deposit_and_the_cancellation_a_refund(self):
        lukas = self.booking_of("Lukas Becker")
        pay = self.lucia.get("/api/bookings/%s/payments" % lukas["id"]).json()
        self.assertEqual(pay["status"], "partially_paid")
        self.assertEqual(pay["paid_cents"], lukas["total_cents"] * 30 // 100)
        self.assertIsNotNone(lukas["balance_due_on"])
        oliver = self.booking_of("Oliver Grant")
        pay = self.lucia.get("/api/bookings/%s/payments" % oliver["id"]).json()
        self.assertEqual(pay["status"], "refunded")
        self.assertFalse(pay["risks"])

    def test_stripe_writes_have_audit_events(self):
        chiara = self.booking_of("Chiara Benedetti")
        pay = self.lucia.get("/api/bookings/%s/payments" % chiara["id"]).json()
        for record in pay["records"]:
            r = self.lucia.get("/api/audit?entity_id=" + record["id"])
            self.assertEqual(r.status, 200, r)
            events = r.json()["data"]
            self.assertTrue(events, record["id"])
            self.assertEqual(events[0]["action"], "payment.created")
            self.assertEqual({e["actor"] for e in events}, {"stripe"})

    def test_every_record_has_its_audit_events(self):
        for path in ("/api/guests", "/api/bookings", "/api/items"):
            record = self.all(path)[0]
            r = self.lucia.get("/api/audit?entity_id=" + record["id"])
            self.assertEqual(r.status, 200, r)
            events = r.json()["data"]
            self.assertTrue(events, path)
            self.assertEqual(events[0]["actor"], "demo")


if __name__ == "__main__":
    unittest.main()
