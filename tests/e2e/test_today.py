"""GET /api/today end to end: exact membership of arrivals, departures,
in_house and items_due for chosen dates, with items due at the edges of local
midnight on DST-change days (Los Angeles 2026-03-08, 23 h, and 2026-11-01,
25 h; Rome 2026-03-29, 23 h), the zone choice (property's zone, else
OPERATOR_TIME_ZONE), balances, scope by token, and validation.

A naive day of 24 hours from local midnight would put the *_edge_after items
inside the day on 2026-03-08 and 2026-03-29, and miss the 23:30 item on
2026-11-01; the assertions below catch each."""
import datetime
import unittest
import zoneinfo

import tokens
from harness import Lucia

SECRET = "today-test-secret-that-is-long-enough-0123456789"


class TodayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lucia = Lucia(env={"LUCIA_JWT_SECRET": SECRET,
                               "OPERATOR_TIME_ZONE": "America/Los_Angeles"}).start()
        cls.build()

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()

    # -- scenario ----------------------------------------------------------
    @classmethod
    def made(cls, path, body):
        r = cls.lucia.post(path, body)
        assert r.status == 201, (path, body, r)
        return r.json()

    @classmethod
    def move(cls, kind, record, *steps):
        for to in steps:
            body = {"to": to}
            if to in ("confirmed", "done"):
                body["evidence"] = "seen by the test"
            if to in ("cancelled", "failed"):
                body["note"] = "a test note"
            r = cls.lucia.post("/api/%s/%s/transition" % (kind, record["id"]), body)
            assert r.status == 200, (kind, to, r)

    @classmethod
    def booking(cls, prop, guest, check_in, check_out, *steps, total=100000, currency="usd"):
        b = cls.made("/api/bookings", {"property_id": prop, "guest_id": guest,
                                       "check_in": check_in, "check_out": check_out,
                                       "total_cents": total, "currency": currency})
        cls.move("bookings", b, *steps)
        return b["id"]

    @classmethod
    def item(cls, prop, title, due_at, *steps):
        body = {"property_id": prop, "kind": "task", "title": title}
        if due_at is not None:
            body["due_at"] = due_at
        i = cls.made("/api/items", body)
        cls.move("items", i, *steps)
        return i["id"]

    @classmethod
    def build(cls):
        la = cls.made("/api/properties", {"name": "Today LA", "time_zone": "America/Los_Angeles"})
        rome = cls.made("/api/properties", {"name": "Today Rome", "time_zone": "Europe/Rome"})
        cls.la, cls.rome = la["id"], rome["id"]
        g = {}
        for name in ("Ada Arrival", "Cora Cancelled", "Dan Departure", "Hana House",
                     "Otto Overstay", "Xena Left", "Finn Future"):
            g[name] = cls.made("/api/guests", {"property_id": cls.la, "name": name})["id"]
        rg = cls.made("/api/guests", {"property_id": cls.rome, "name": "Rosa Roma"})["id"]
        cls.guests = g
        b = {}
        b["arrival"] = cls.booking(cls.la, g["Ada Arrival"], "2026-03-08", "2026-03-10",
                                   total=123400)
        b["cancelled"] = cls.booking(cls.la, g["Cora Cancelled"], "2026-03-08", "2026-03-09",
                                     "confirmed", "cancelled")
        b["departure"] = cls.booking(cls.la, g["Dan Departure"], "2026-03-05", "2026-03-08",
                                     "confirmed", "checked_in")
        b["house"] = cls.booking(cls.la, g["Hana House"], "2026-03-06", "2026-03-10", "confirmed")
        b["overstay"] = cls.booking(cls.la, g["Otto Overstay"], "2026-03-01", "2026-03-04",
                                    "confirmed", "checked_in")
        b["left"] = cls.booking(cls.la, g["Xena Left"], "2026-03-01", "2026-03-07",
                                "confirmed", "checked_in", "checked_out")
        b["future"] = cls.booking(cls.la, g["Finn Future"], "2026-03-09", "2026-03-12",
                                  "confirmed")
        b["rome"] = cls.booking(cls.rome, rg, "2026-03-29", "2026-04-02", "confirmed",
                                total=250000, currency="eur")
        cls.b = b
        i = {}
        # Los Angeles, 2026-03-08: 08:00Z to 2026-03-09T07:00Z (23 hours).
        i["overdue"] = cls.item(cls.la, "Overdue since March 1", "2026-03-01T12:00:00Z")
        i["confirmed"] = cls.item(cls.la, "Confirmed today", "2026-03-08T20:00:00Z", "confirmed")
        i["edge_before"] = cls.item(cls.la, "23:59:59 PDT", "2026-03-09T06:59:59Z")
        i["edge_after"] = cls.item(cls.la, "00:00 PDT next day", "2026-03-09T07:00:00Z")
        i["done"] = cls.item(cls.la, "Done", "2026-03-08T12:00:00Z",
                             "confirmed", "in_progress", "done")
        i["cancelled"] = cls.item(cls.la, "Cancelled", "2026-03-08T12:00:00Z", "cancelled")
        i["failed"] = cls.item(cls.la, "Failed", "2026-03-08T12:00:00Z", "confirmed", "failed")
        i["no_due"] = cls.item(cls.la, "No due time", None)
        # Los Angeles, 2026-11-01: 07:00Z to 2026-11-02T08:00Z (25 hours).
        i["fall_2330"] = cls.item(cls.la, "23:30 PST", "2026-11-02T07:30:00+00:00")
        i["fall_next"] = cls.item(cls.la, "00:00 PST next day", "2026-11-02T08:00:00Z")
        # Rome, 2026-03-29: 2026-03-28T23:00Z to 2026-03-29T22:00Z (23 hours).
        i["rome_before"] = cls.item(cls.rome, "23:59:59 CEST", "2026-03-29T23:59:59+02:00")
        i["rome_after"] = cls.item(cls.rome, "00:00 CEST next day", "2026-03-29T22:00:00Z")
        cls.i = i

    # -- helpers -----------------------------------------------------------
    def today(self, query="", token=None, status=200):
        kw = {} if token is None else {"token": token}
        r = self.lucia.get("/api/today" + query, **kw)
        self.assertEqual(r.status, status, r)
        return r.json()

    def ids(self, day, key):
        return [e["id"] for e in day[key]]

    def token(self, role, properties):
        return tokens.hs256(tokens.claims_for(role, properties), SECRET)

    # -- tests -------------------------------------------------------------
    def test_spring_forward_day_membership(self):
        d = self.today("?property_id=%s&date=2026-03-08" % self.la)
        self.assertEqual((d["date"], d["time_zone"], d["property_id"]),
                         ("2026-03-08", "America/Los_Angeles", self.la))
        self.assertEqual((d["day_start"], d["day_end"]),
                         ("2026-03-08T08:00:00Z", "2026-03-09T07:00:00Z"))
        b, i = self.b, self.i
        self.assertEqual(self.ids(d, "arrivals"), [b["arrival"]])
        self.assertEqual(self.ids(d, "departures"), [b["departure"]])
        self.assertEqual(self.ids(d, "in_house"), [b["house"], b["overstay"]])  # by name
        self.assertEqual(self.ids(d, "items_due"),
                         [i["overdue"], i["confirmed"], i["edge_before"]])
        # The ledger's current risks (judged now, not on ?date=): these March
        # stays were never paid through Stripe, so their balances are overdue.
        risks = self.lucia.get("/api/payments/risks?property_id=" + self.la).json()["data"]
        self.assertEqual(d["payment_risks"], risks)
        self.assertTrue(risks)
        self.assertEqual({r["reason"] for r in risks}, {"balance_overdue"})
        self.assertEqual(d["truncated"], [])
        self.assertRegex(d["generated_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_next_day(self):
        d = self.today("?property_id=%s&date=2026-03-09" % self.la)
        b, i = self.b, self.i
        self.assertEqual(self.ids(d, "arrivals"), [b["future"]])
        self.assertEqual(self.ids(d, "departures"), [])  # Cora's is cancelled
        # Dan was due out yesterday but is still checked in: in the house.
        self.assertEqual(self.ids(d, "in_house"),
                         [b["arrival"], b["departure"], b["house"], b["overstay"]])
        self.assertEqual(self.ids(d, "items_due"),
                         [i["overdue"], i["confirmed"], i["edge_before"], i["edge_after"]])

    def test_fall_back_day(self):
        d = self.today("?property_id=%s&date=2026-11-01" % self.la)
        self.assertEqual((d["day_start"], d["day_end"]),
                         ("2026-11-01T07:00:00Z", "2026-11-02T08:00:00Z"))
        i = self.i
        self.assertEqual(self.ids(d, "items_due"),
                         [i["overdue"], i["confirmed"], i["edge_before"], i["edge_after"],
                          i["fall_2330"]])
        # Dan and Otto are still checked in; every other stay is over.
        self.assertEqual(self.ids(d, "in_house"), [self.b["departure"], self.b["overstay"]])
        self.assertEqual(self.ids(d, "arrivals") + self.ids(d, "departures"), [])

    def test_rome_day_in_its_own_zone(self):
        d = self.today("?property_id=%s&date=2026-03-29" % self.rome)
        self.assertEqual(d["time_zone"], "Europe/Rome")
        self.assertEqual((d["day_start"], d["day_end"]),
                         ("2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"))
        self.assertEqual(self.ids(d, "arrivals"), [self.b["rome"]])
        self.assertEqual(self.ids(d, "items_due"), [self.i["rome_before"]])

    def test_without_property_uses_operator_zone_and_every_property(self):
        d = self.today("?date=2026-03-29")
        self.assertEqual(d["time_zone"], "America/Los_Angeles")
        self.assertIsNone(d["property_id"])
        self.assertEqual(d["day_end"], "2026-03-30T07:00:00Z")
        self.assertEqual(self.ids(d, "arrivals"), [self.b["rome"]])
        # The operator's day ends later than Rome's: both Rome items are due.
        i = self.i
        self.assertEqual(self.ids(d, "items_due"),
                         [i["overdue"], i["confirmed"], i["edge_before"], i["edge_after"],
                          i["rome_before"], i["rome_after"]])

    def test_stay_entries_carry_guest_and_balance(self):
        d = self.today("?property_id=%s&date=2026-03-08" % self.la)
        a = d["arrivals"][0]
        self.assertEqual(a["guest"], {"id": self.guests["Ada Arrival"], "name": "Ada Arrival"})
        self.assertEqual(a["balance"], {"total_cents": 123400, "paid_cents": 0,
                                        "open_cents": 123400, "currency": "usd"})
        for key in ("check_in", "check_out", "status", "property_id", "version"):
            self.assertIn(key, a)
        self.assertEqual(a["status"], "requested")
        r = self.today("?property_id=%s&date=2026-03-29" % self.rome)["arrivals"][0]
        self.assertEqual(r["balance"]["currency"], "eur")
        self.assertEqual(r["balance"]["open_cents"], 250000)

    def test_default_date_is_today_in_the_zone(self):
        for prop, zone in ((self.la, "America/Los_Angeles"), (self.rome, "Europe/Rome")):
            before = datetime.datetime.now(zoneinfo.ZoneInfo(zone)).date().isoformat()
            d = self.today("?property_id=" + prop)
            after = datetime.datetime.now(zoneinfo.ZoneInfo(zone)).date().isoformat()
            self.assertIn(d["date"], (before, after))
            self.assertEqual(d["time_zone"], zone)
        d = self.today("")
        self.assertEqual(d["time_zone"], "America/Los_Angeles")

    def test_scope(self):
        la_op = self.token("operator", [self.la])
        d = self.today("?date=2026-03-29", token=la_op)
        self.assertEqual(d["arrivals"], [])  # Rome's arrival is invisible
        due = self.ids(d, "items_due")
        self.assertNotIn(self.i["rome_before"], due)
        self.assertNotIn(self.i["rome_after"], due)
        self.assertIn(self.i["overdue"], due)
        r = self.lucia.get("/api/today?property_id=%s&date=2026-03-29" % self.rome, token=la_op)
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json()["error"]["code"], "not_found")
        rome_viewer = self.token("viewer", [self.rome])
        d = self.today("?date=2026-03-08", token=rome_viewer)
        self.assertEqual(d["arrivals"] + d["departures"] + d["in_house"], [])
        self.assertEqual(self.ids(d, "items_due"), [])
        d = self.today("?property_id=%s&date=2026-03-29" % self.rome, token=rome_viewer)
        self.assertEqual(self.ids(d, "arrivals"), [self.b["rome"]])
        nothing = self.token("operator", [])
        d = self.today("?date=2026-03-08", token=nothing)
        self.assertEqual(d["arrivals"] + d["items_due"], [])

    def test_not_found_and_auth(self):
        for pid in ("prop_00000000000000000000000000", "nonsense"):
            r = self.lucia.get("/api/today?property_id=" + pid)
            self.assertEqual(r.status, 404, pid)
            self.assertEqual(r.json()["error"]["code"], "not_found")
        self.assertEqual(self.lucia.get("/api/today", token=None).status, 401)
        self.assertEqual(self.lucia.post("/api/today", {}).status, 405)

    def test_validation(self):
        for bad in ("2026-02-30", "2026-3-8", "today", "", "2026-03-08T00:00:00Z",
                    "2026-13-01", "%27%20OR%201%3D1"):
            r = self.lucia.get("/api/today?date=" + bad)
            self.assertEqual(r.status, 400, (bad, r))
            err = r.json()["error"]
            self.assertEqual((err["code"], err["field"]), ("invalid_field", "date"), bad)
        r = self.lucia.get("/api/today?property_id=bad%20id")
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"]["field"], "property_id")


if __name__ == "__main__":
    unittest.main()
