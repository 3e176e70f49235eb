"""Operational truth (SPEC §5) end to end: guests, bookings and items,
their truth-state machines (every from/to pair), evidence and note rules,
If-Match, history, concurrency and Idempotency-Key."""
import json
import threading
import unittest

from harness import Lucia
import tokens

SECRET = "truth-test-secret-0123456789abcdef0123456789"

ITEM_STATES = ["requested", "confirmed", "in_progress", "done", "cancelled", "failed"]
ITEM_LEGAL = {("requested", "confirmed"), ("confirmed", "in_progress"), ("in_progress", "done"),
              ("requested", "cancelled"), ("confirmed", "cancelled"),
              ("in_progress", "cancelled"), ("requested", "failed"), ("confirmed", "failed"),
              ("in_progress", "failed")}
ITEM_PATH = {"requested": [], "confirmed": ["confirmed"],
             "in_progress": ["confirmed", "in_progress"],
             "done": ["confirmed", "in_progress", "done"], "cancelled": ["cancelled"],
             "failed": ["failed"]}
BOOKING_STATES = ["requested", "confirmed", "checked_in", "checked_out", "cancelled"]
BOOKING_LEGAL = {("requested", "confirmed"), ("confirmed", "checked_in"),
                 ("checked_in", "checked_out"), ("requested", "cancelled"),
                 ("confirmed", "cancelled")}
BOOKING_PATH = {"requested": [], "confirmed": ["confirmed"],
                "checked_in": ["confirmed", "checked_in"],
                "checked_out": ["confirmed", "checked_in", "checked_out"],
                "cancelled": ["cancelled"]}


def move_body(to):
    return {"to": to, "evidence": "seen by Marta at the desk", "note": "guest changed plans"}


class TruthBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lucia = Lucia(env={"LUCIA_JWT_SECRET": SECRET}).start()
        cls.prop = cls.ok(cls.lucia.post("/api/properties", {"name": "Villa Truth"}), 201)["id"]
        cls.other = cls.ok(cls.lucia.post("/api/properties", {"name": "Elsewhere"}), 201)["id"]
        cls.guest = cls.ok(cls.lucia.post("/api/guests", {
            "property_id": cls.prop, "name": "Ann Quinn", "email": "Ann.Quinn@Example.com",
            "phone": "+14155550123"}), 201)["id"]
        cls.other_guest = cls.ok(cls.lucia.post("/api/guests", {
            "property_id": cls.other, "name": "Olaf Other"}), 201)["id"]

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()

    @staticmethod
    def ok(r, status):
        assert r.status == status, r
        return r.json()

    def booking(self, **kw):
        body = {"property_id": self.prop, "guest_id": self.guest, "check_in": "2026-12-01",
                "check_out": "2026-12-05", "total_cents": 240000, "currency": "EUR"}
        body.update(kw)
        return self.ok(self.lucia.post("/api/bookings", body), 201)

    def item(self, **kw):
        body = {"property_id": self.prop, "kind": "concierge", "title": "Dinner for two"}
        body.update(kw)
        return self.ok(self.lucia.post("/api/items", body), 201)

    def move(self, kind, rid, to, **kw):
        return self.lucia.post("/api/%s/%s/transition" % (kind, rid), move_body(to), **kw)

    def token(self, role, props):
        return tokens.hs256(tokens.claims_for(role, props), SECRET)


class GuestsTest(TruthBase):
    def test_create_normalises_and_reads(self):
        g = self.lucia.get("/api/guests/" + self.guest).json()
        self.assertRegex(g["id"], r"^gst_")
        self.assertEqual(g["email"], "ann.quinn@example.com")
        self.assertEqual(g["phone"], "+14155550123")
        self.assertEqual(g["property_id"], self.prop)

    def test_search(self):
        for q in ("quinn", "ANN", "example.com", "%2B1415555"):
            ids = [x["id"] for x in self.lucia.get("/api/guests?q=" + q).json()["data"]]
            self.assertIn(self.guest, ids, q)
        ids = [x["id"] for x in self.lucia.get("/api/guests?q=zzz%25").json()["data"]]
        self.assertEqual(ids, [])

    def test_validation(self):
        cases = [({"property_id": self.prop}, "name"),
                 ({"property_id": self.prop, "name": "X", "email": "not-an-email"}, "email"),
                 ({"property_id": self.prop, "name": "X", "phone": "555-1234"}, "phone"),
                 ({"property_id": self.prop, "name": "X", "phone": "+0123456789"}, "phone"),
                 ({"name": "X"}, "property_id")]
        for body, field in cases:
            r = self.lucia.post("/api/guests", body)
            self.assertEqual((r.status, r.json()["error"]["field"]), (400, field), body)
        r = self.lucia.post("/api/guests", {"property_id": "prop_nope", "name": "X"})
        self.assertEqual(r.status, 404)

    def test_patch_and_scope(self):
        g = self.ok(self.lucia.post("/api/guests", {"property_id": self.prop, "name": "Bo"}), 201)
        r = self.lucia.patch("/api/guests/" + g["id"], {"email": "BO@X.IO"})
        self.assertEqual((r.status, r.json()["email"], r.json()["version"]), (200, "bo@x.io", 2))
        r = self.lucia.patch("/api/guests/" + g["id"], {"property_id": self.other})
        self.assertEqual(r.json()["error"]["code"], "unknown_field")
        op = self.token("operator", [self.other])
        self.assertEqual(self.lucia.get("/api/guests/" + g["id"], token=op).status, 404)
        listed = [x["id"] for x in self.lucia.get("/api/guests", token=op).json()["data"]]
        self.assertEqual(listed, [self.other_guest])
        r = self.lucia.patch("/api/guests/" + g["id"], {"name": "Hijack"}, token=op)
        self.assertEqual(r.status, 404)
        viewer = self.token("viewer", [self.prop])
        r = self.lucia.post("/api/guests", {"property_id": self.prop, "name": "V"}, token=viewer)
        self.assertEqual(r.status, 403)


class BookingsTest(TruthBase):
    def test_create_and_validation(self):
        b = self.booking()
        self.assertRegex(b["id"], r"^bk_")
        self.assertEqual((b["status"], b["currency"], b["total_cents"], b["version"]),
                         ("requested", "eur", 240000, 1))
        bad = [({"check_in": "2026-12-05", "check_out": "2026-12-05"}, "check_out"),
               ({"check_in": "2026-02-30"}, "check_in"),
               ({"total_cents": -1}, "total_cents"),
               ({"total_cents": 12.5}, "total_cents"),
               ({"currency": "euro"}, "currency"),
               ({"status": "confirmed"}, "status"),
               ({"guest_id": self.other_guest}, "guest_id")]
        for extra, field in bad:
            body = {"property_id": self.prop, "guest_id": self.guest, "check_in": "2026-12-01",
                    "check_out": "2026-12-05"}
            body.update(extra)
            r = self.lucia.post("/api/bookings", body)
            self.assertEqual(r.status, 400, (extra, r))
            self.assertEqual(r.json()["error"]["field"], field, extra)

    def test_filters(self):
        a = self.booking(check_in="2027-01-10", check_out="2027-01-12")
        b = self.booking(check_in="2027-01-20", check_out="2027-01-22")
        self.ok(self.move("bookings", b["id"], "confirmed"), 200)
        ids = lambda q: [x["id"] for x in self.lucia.get("/api/bookings?" + q).json()["data"]]
        window = ids("arriving_from=2027-01-01&arriving_to=2027-01-15&limit=500")
        self.assertIn(a["id"], window)
        self.assertNotIn(b["id"], window)
        confirmed = ids("status=confirmed&arriving_from=2027-01-01&limit=500")
        self.assertEqual(confirmed, [b["id"]])
        self.assertEqual(ids("property_id=" + self.other), [])
        r = self.lucia.get("/api/bookings?status=lost")
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "status"))
        r = self.lucia.get("/api/bookings?arriving_from=tomorrow")
        self.assertEqual(r.status, 400)

    def test_patch_cannot_set_status(self):
        b = self.booking()
        r = self.lucia.patch("/api/bookings/" + b["id"], {"status": "checked_in"})
        self.assertEqual(r.status, 400)
        r = self.lucia.patch("/api/bookings/" + b["id"], {"check_out": "2026-11-30"})
        self.assertEqual(r.status, 400)
        r = self.lucia.patch("/api/bookings/" + b["id"], {"total_cents": 99})
        self.assertEqual((r.status, r.json()["total_cents"], r.json()["status"]),
                         (200, 99, "requested"))

    def test_every_transition_pair(self):
        for frm in BOOKING_STATES:
            for to in BOOKING_STATES:
                b = self.booking()
                for step in BOOKING_PATH[frm]:
                    self.ok(self.move("bookings", b["id"], step), 200)
                r = self.move("bookings", b["id"], to)
                if (frm, to) in BOOKING_LEGAL:
                    self.assertEqual(r.status, 200, (frm, to, r))
                    self.assertEqual(r.json()["status"], to)
                elif frm == to:
                    self.assertEqual(r.status, 409, (frm, to, r))
                else:
                    self.assertEqual(r.status, 422, (frm, to, r))
                    self.assertEqual(r.json()["error"]["code"], "illegal_transition")
                    legal = sorted(t for f, t in BOOKING_LEGAL if f == frm)
                    self.assertEqual(sorted(r.json()["error"]["allowed"]), legal)


class ItemsTest(TruthBase):
    def test_item_takes_booking_property(self):
        b = self.booking()
        r = self.lucia.post("/api/items", {"booking_id": b["id"], "kind": "maintenance",
                                           "title": "No hot water", "priority": "urgent",
                                           "guest_impacting": True,
                                           "due_at": "2026-12-01T10:00:00+01:00"})
        self.assertEqual(r.status, 201, r)
        it = r.json()
        self.assertEqual((it["property_id"], it["guest_id"], it["state"]),
                         (self.prop, self.guest, "requested"))
        self.assertEqual(it["due_at"], "2026-12-01T09:00:00Z")
        self.assertIs(it["guest_impacting"], True)
        r = self.lucia.post("/api/items", {"booking_id": b["id"], "property_id": self.other,
                                           "kind": "task", "title": "x"})
        self.assertEqual(r.status, 400)

    def test_validation(self):
        bad = [({"kind": "party"}, "kind"), ({"priority": "asap"}, "priority"),
               ({"due_at": "tonight"}, "due_at"), ({"guest_impacting": "yes"}, "guest_impacting"),
               ({"title": ""}, "title"), ({"state": "done"}, "state"),
               ({"property_id": None}, "property_id")]
        for extra, field in bad:
            body = {"property_id": self.prop, "kind": "task", "title": "Pool"}
            body.update(extra)
            if extra.get("property_id", 1) is None:
                del body["property_id"]
            r = self.lucia.post("/api/items", body)
            self.assertEqual(r.status, 400, (extra, r))
            self.assertIn(r.json()["error"]["code"], ("invalid_field", "unknown_field"))
            self.assertEqual(r.json()["error"]["field"], field, extra)

    def test_filters(self):
        m = self.item(kind="maintenance", title="Leak", assignee="Luca",
                      due_at="2030-01-01T08:00:00Z")
        self.item(kind="task", title="Linen", due_at="2030-01-02T08:00:00Z")
        ids = lambda q: [x["id"] for x in self.lucia.get("/api/items?" + q).json()["data"]]
        self.assertEqual(ids("kind=maintenance&assignee=Luca"), [m["id"]])
        self.assertIn(m["id"], ids("due_before=2030-01-01T09:00:00Z&limit=500"))
        self.assertNotIn(m["id"], ids("due_before=2030-01-01T07:59:59Z&limit=500"))
        self.assertIn(m["id"], ids("due_before=2030-01-01T10:00:00%2B01:00&limit=500"))
        self.assertEqual(self.lucia.get("/api/items?state=lost").status, 400)
        self.assertEqual(self.lucia.get("/api/items?kind=party").status, 400)

    def test_every_transition_pair(self):
        for frm in ITEM_STATES:
            for to in ITEM_STATES:
                it = self.item()
                for step in ITEM_PATH[frm]:
                    self.ok(self.move("items", it["id"], step), 200)
                r = self.move("items", it["id"], to)
                if (frm, to) in ITEM_LEGAL:
                    self.assertEqual(r.status, 200, (frm, to, r))
                    self.assertEqual(r.json()["state"], to)
                elif frm == to:
                    self.assertEqual(r.status, 409, (frm, to, r))
                else:
                    self.assertEqual(r.status, 422, (frm, to, r))
                    self.assertEqual(r.json()["error"]["code"], "illegal_transition")

    def test_evidence_and_note_required(self):
        it = self.item()
        path = "/api/items/%s/transition" % it["id"]
        for body, code in (({"to": "confirmed"}, "evidence_required"),
                           ({"to": "confirmed", "evidence": "   "}, "evidence_required"),
                           ({"to": "cancelled"}, "note_required"),
                           ({"to": "failed", "evidence": "x"}, "note_required")):
            r = self.lucia.post(path, body)
            self.assertEqual((r.status, r.json()["error"]["code"]), (422, code), body)
        self.assertEqual(self.lucia.get("/api/items/" + it["id"]).json()["state"], "requested")
        r = self.lucia.post(path, {"to": "confirmed", "evidence": "OpenTable #4411"})
        self.assertEqual(r.status, 200)
        r = self.lucia.post(path, {"to": "in_progress"})
        self.assertEqual(r.status, 200)
        r = self.lucia.post(path, {"to": "done"})
        self.assertEqual((r.status, r.json()["error"]["code"]), (422, "evidence_required"))
        r = self.lucia.post(path, {"to": "nowhere"})
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "to"))

    def test_if_match_and_history(self):
        it = self.item()
        path = "/api/items/%s/transition" % it["id"]
        r = self.lucia.post(path, move_body("confirmed"), headers={"If-Match": "7"})
        self.assertEqual((r.status, r.json()["error"]["code"]), (412, "version_mismatch"))
        r = self.lucia.post(path, move_body("confirmed"), headers={"If-Match": "1"})
        self.assertEqual((r.status, r.json()["version"]), (200, 2))
        op = self.token("operator", [self.prop])
        r = self.lucia.post(path, {"to": "cancelled", "note": "rained out"}, token=op)
        self.assertEqual(r.status, 200)
        h = self.lucia.get("/api/items/%s/history" % it["id"]).json()["data"]
        self.assertEqual([(x["from"], x["to"]) for x in h],
                         [("requested", "confirmed"), ("confirmed", "cancelled")])
        self.assertEqual(h[0]["evidence"], "seen by Marta at the desk")
        self.assertEqual((h[0]["actor"], h[1]["actor"], h[1]["note"]),
                         ("service", "user_1", "rained out"))
        self.assertRegex(h[0]["at"], r"Z$")
        other = self.token("operator", [self.other])
        self.assertEqual(self.lucia.get("/api/items/%s/history" % it["id"], token=other).status,
                         404)
        self.assertEqual(self.lucia.post(path, move_body("failed"), token=other).status, 404)

    def test_patch_cannot_set_state(self):
        it = self.item()
        r = self.lucia.patch("/api/items/" + it["id"], {"state": "done"})
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "state"))
        r = self.lucia.patch("/api/items/" + it["id"], {"priority": "urgent", "assignee": "Luca"})
        self.assertEqual((r.status, r.json()["priority"], r.json()["state"]),
                         (200, "urgent", "requested"))

    def test_concurrent_transitions_have_one_winner(self):
        rounds = 100
        for _ in range(rounds):
            it = self.item()
            barrier = threading.Barrier(2, timeout=20)
            results = []

            def go():
                barrier.wait()
                results.append(self.move("items", it["id"], "confirmed").status)

            threads = [threading.Thread(target=go) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            self.assertEqual(sorted(results)[0], 200, results)
            self.assertIn(sorted(results)[1], (409, 412), results)
            h = self.lucia.get("/api/items/%s/history" % it["id"]).json()["data"]
            self.assertEqual(len(h), 1)


class IdempotencyTest(TruthBase):
    def test_replay_and_mismatch(self):
        body = {"property_id": self.prop, "kind": "task", "title": "Idempotent towels"}
        key = {"Idempotency-Key": "towels-1"}
        first = self.lucia.post("/api/items", body, headers=key)
        again = self.lucia.post("/api/items", body, headers=key)
        self.assertEqual((first.status, again.status), (201, 201))
        self.assertEqual(first.json(), again.json())
        self.assertEqual(again.header("Idempotent-Replayed"), "true")
        r = self.lucia.post("/api/items", dict(body, title="Different"), headers=key)
        self.assertEqual((r.status, r.json()["error"]["code"]), (409, "idempotency_mismatch"))
        listed = self.lucia.get("/api/items?limit=500").json()["data"]
        self.assertEqual(sum(1 for x in listed if x["title"] == "Idempotent towels"), 1)
        # Keys belong to their caller: another user's same key is a new request.
        op = self.token("operator", [self.prop])
        r = self.lucia.post("/api/items", body, headers=key, token=op)
        self.assertEqual(r.status, 201)
        self.assertNotEqual(r.json()["id"], first.json()["id"])
        bad = self.lucia.post("/api/items", body, headers={"Idempotency-Key": "x" * 300})
        self.assertEqual(bad.status, 400)

    def test_transition_replay(self):
        it = self.item()
        key = {"Idempotency-Key": "confirm-" + it["id"]}
        a = self.lucia.post("/api/items/%s/transition" % it["id"], move_body("confirmed"),
                            headers=key)
        b = self.lucia.post("/api/items/%s/transition" % it["id"], move_body("confirmed"),
                            headers=key)
        self.assertEqual((a.status, b.status), (200, 200))
        self.assertEqual(a.json(), b.json())

    def test_concurrent_identical_requests_make_one_record(self):
        for n in range(10):
            body = {"property_id": self.prop, "kind": "task", "title": "Race %d" % n}
            key = {"Idempotency-Key": "race-%d" % n}
            barrier = threading.Barrier(4, timeout=20)
            out = []

            def go():
                barrier.wait()
                out.append(self.lucia.post("/api/items", body, headers=key))

            threads = [threading.Thread(target=go) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            ok = [r for r in out if r.status == 201]
            self.assertGreaterEqual(len(ok), 1)
            self.assertEqual(len({r.json()["id"] for r in ok}), 1)
            for r in out:
                self.assertIn(r.status, (201, 409), r)
            listed = self.lucia.get("/api/items?limit=500").json()["data"]
            self.assertEqual(sum(1 for x in listed if x["title"] == "Race %d" % n), 1)


if __name__ == "__main__":
    unittest.main()
