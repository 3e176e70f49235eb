"""Operator focus (SPEC §8, issue 7) end to end, on both backends.

A scenario is built through the API (and Stripe's signed webhook for the
payments): a villa in a zone chosen so that it is morning there now, the
Quinns in the house with an urgent leak, an unconfirmed dinner tonight, a
confirmed boat tomorrow and an overdue task; Chiara's payment failed, Paul
and Daniel paid in full; and a second property the operator cannot see.
Then:
  - the eight validation prompts of ../shared/eval/prompts.json in one
    session, each must-pass row checked with concrete assertions, followed
    by "yes" and "next" continuing the distressed triage one item at a time;
  - the transcript per user (another user's session is 404);
  - continuity across an engine restart and across two engine processes on
    one database (Redis on the real stack), and a fresh start after the TTL;
  - validation and roles;
  - optional model phrasing against a stand-in OpenAI-compatible server on
    loopback answering good, bad, slow and failing rewordings (the model is
    an external paid service; our own database is never faked);
  - `lucia ask` in-process and `lucia eval` against the running engine.
"""
import datetime
import http.server
import json
import re
import threading
import time
import unittest
import zoneinfo

import harness
import test_stripe as stripe_events
import tokens
from harness import Lucia

JWT_SECRET = "focus-test-jwt-secret-0123456789abcdef0123456"
MODEL = "standin-focus-model"
MODEL_KEY = "sk-standin-focus-0123456789"
PROMPTS = [
    ("Good morning", "greeting"),
    ("How are you?", "human_utility"),
    ("I'm overwhelmed", "distress"),
    ("What matters most right now?", "priority_triage"),
    ("Show payment risks I need to handle now.", "payment_risk"),
    ("Show open concierge requests needing confirmation.", "concierge_readiness"),
    ("Any urgent maintenance issues today?", "maintenance_focus"),
    ("What's the capital of France?", "off_topic"),
]


def morning_zone():
    """An Etc/GMT zone where the local hour is 9 right now, so "Good
    morning" is the right part of the day and 19:30 is tonight."""
    hour = datetime.datetime.now(datetime.timezone.utc).hour
    offset = (9 - hour) % 24
    if offset > 14:
        offset -= 24
    if offset == 0:
        return "Etc/GMT"
    return "Etc/GMT%+d" % -offset  # Etc/GMT-5 is UTC+5


def has_word(text, word):
    return re.search(r"\b%s\b" % re.escape(word), text, re.IGNORECASE) is not None


class FocusBase(unittest.TestCase):
    ENV = {}

    @classmethod
    def setUpClass(cls):
        cls.zone = morning_zone()
        env = {"LUCIA_JWT_SECRET": JWT_SECRET, "STRIPE_WEBHOOK_SECRET": stripe_events.SECRET,
               "OPERATOR_TIME_ZONE": cls.zone}
        env.update(cls.ENV)
        cls.lucia = Lucia(env=env).start()
        try:
            cls.build()
        except BaseException:
            cls.lucia.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()

    # -- the scenario --------------------------------------------------------
    @classmethod
    def made(cls, path, body):
        r = cls.lucia.post(path, body)
        assert r.status == 201, (path, body, r)
        return r.json()["id"]

    @classmethod
    def move(cls, kind, rid, *steps):
        for to in steps:
            body = {"to": to, "evidence": "seen by the test", "note": "a test note"}
            r = cls.lucia.post("/api/%s/%s/transition" % (kind, rid), body)
            assert r.status == 200, (kind, to, r)

    @classmethod
    def local(cls, days, hour, minute=0):
        z = zoneinfo.ZoneInfo(cls.zone)
        d = datetime.datetime.now(z).date() + datetime.timedelta(days=days)
        t = datetime.datetime(d.year, d.month, d.day, hour, minute, tzinfo=z)
        return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    @classmethod
    def day(cls, days):
        z = zoneinfo.ZoneInfo(cls.zone)
        return (datetime.datetime.now(z).date() + datetime.timedelta(days=days)).isoformat()

    @classmethod
    def booking(cls, prop, guest, check_in, nights, total, *steps):
        bid = cls.made("/api/bookings", {
            "property_id": prop, "guest_id": guest, "check_in": cls.day(check_in),
            "check_out": cls.day(check_in + nights), "total_cents": total, "currency": "eur"})
        cls.move("bookings", bid, *steps)
        return bid

    @classmethod
    def item(cls, kind, title, due, *steps, **fields):
        body = {"kind": kind, "title": title, "due_at": due}
        body.update(fields)
        iid = cls.made("/api/items", body)
        cls.move("items", iid, *steps)
        return iid

    @classmethod
    def pay(cls, booking, amount, sfx, failed=False):
        name = "payment_intent.payment_failed" if failed else "payment_intent.succeeded"
        fields = {"amount": amount, "currency": "eur"}
        if not failed:
            fields["amount_received"] = amount
        body = stripe_events.event(name, sfx, stripe_events.BASE, booking=booking, **fields)
        r = cls.lucia.post("/webhooks/stripe", body=body, token=None, headers={
            "Content-Type": "application/json", "Stripe-Signature": stripe_events.header(body)})
        assert r.status == 200, r

    @classmethod
    def build(cls):
        tag = "_f%d" % (time.time_ns() % 10**9)
        cls.prop = cls.made("/api/properties", {"name": "Villa Quinn", "time_zone": cls.zone})
        cls.other = cls.made("/api/properties", {"name": "Casa Other", "time_zone": cls.zone})
        g = {}
        for name in ("Ann Quinn", "Chiara Benedetti", "Paul Paid", "Daniel Okafor"):
            g[name] = cls.made("/api/guests", {"property_id": cls.prop, "name": name,
                                               "email": name.split()[0].lower() + "@example.com",
                                               "phone": "+14155550100"})
        olaf = cls.made("/api/guests", {"property_id": cls.other, "name": "Olaf Other"})
        cls.b_quinn = cls.booking(cls.prop, g["Ann Quinn"], -1, 4, 300000, "confirmed",
                                  "checked_in")
        cls.b_chiara = cls.booking(cls.prop, g["Chiara Benedetti"], 2, 4, 290000, "confirmed")
        cls.b_paul = cls.booking(cls.prop, g["Paul Paid"], 2, 3, 150000, "confirmed")
        cls.b_daniel = cls.booking(cls.prop, g["Daniel Okafor"], 0, 7, 690000, "confirmed")
        cls.b_olaf = cls.booking(cls.other, olaf, 0, 2, 80000, "confirmed")
        cls.pay(cls.b_quinn, 300000, tag + "q")
        cls.pay(cls.b_paul, 150000, tag + "p")
        cls.pay(cls.b_daniel, 690000, tag + "d")
        cls.pay(cls.b_chiara, 290000, tag + "c", failed=True)

        q = {"booking_id": cls.b_quinn}
        now = datetime.datetime.now(datetime.timezone.utc)
        cls.leak = cls.item("maintenance", "Leak under the pool-house sink",
                            (now - datetime.timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                            priority="urgent", guest_impacting=True, **q)
        cls.dinner = cls.item("concierge", "Dinner for 4 at Da Adolfo", cls.local(0, 19, 30),
                              priority="high", guest_impacting=True, **q)
        cls.boat = cls.item("concierge", "Boat charter to Capri", cls.local(1, 9, 30),
                            "confirmed", guest_impacting=True, **q)
        cls.sail = cls.item("concierge", "Sunset sail for two", cls.local(3, 17, 30),
                            guest_impacting=True, booking_id=cls.b_daniel)
        cls.hottub = cls.item("maintenance", "Hot tub heater not reaching temperature",
                              cls.local(0, 16), "confirmed", "in_progress", priority="high",
                              guest_impacting=True, assignee="Pacific Spa Service", **q)
        cls.drip = cls.item("maintenance", "Dripping tap in the laundry", cls.local(0, 11),
                            property_id=cls.prop)
        cls.hamper = cls.item("task", "Restock welcome hampers", cls.local(-1, 17),
                              property_id=cls.prop)
        cls.pool = cls.item("task", "Pool cleaning", cls.local(0, 15), property_id=cls.prop)
        cls.other_leak = cls.item("maintenance", "Flood in the other kitchen", cls.local(0, 8),
                                  priority="urgent", guest_impacting=True,
                                  property_id=cls.other)
        # What needs the operator today, by the rules of src/focus/rank.c.
        cls.needs_you = {cls.leak, cls.b_chiara, cls.dinner, cls.hottub, cls.b_daniel,
                         cls.hamper}

    # -- helpers -------------------------------------------------------------
    @classmethod
    def token(cls, sub="op_ann", role="operator", props=None):
        return tokens.hs256(tokens.claims_for(role, props if props is not None else [cls.prop],
                                              sub=sub), JWT_SECRET)

    def focus(self, message, session=None, token=None, lucia=None, status=200, **extra):
        body = {"message": message}
        if session is not None:
            body["session_id"] = session
        body.update(extra)
        kw = {} if token is None else {"token": token}
        r = (lucia or self.lucia).post("/admin/operator-focus", body, **kw)
        self.assertEqual(r.status, status, r)
        return r.json()

    def ids(self, answer):
        return [i["id"] for i in answer["items"]]


class FocusPromptsTest(FocusBase):
    def test_prompts_in_one_session(self):
        op = self.token()
        answers = []
        session = None
        for message, route in PROMPTS:
            a = self.focus(message, session, token=op)
            session = session or a["session_id"]
            self.assertEqual(a["session_id"], session)
            self.assertEqual(a["route"], route, (message, a))
            self.assertEqual(set(a), {"session_id", "route", "reply", "items", "generated_at",
                                      "model"})
            self.assertEqual(a["model"], "rules")
            self.assertRegex(a["generated_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertRegex(session, r"^ses_[0-9a-z]{26}$")
            for it in a["items"]:
                for k in ("type", "id", "title", "state", "reason"):
                    self.assertTrue(it.get(k), (k, it))
            answers.append(a)
        greet, how, distress, triage, pay, concierge, maint, off = answers

        # greeting / human utility: warm, short, right part of day, the count, no list
        self.assertEqual(greet["items"], [])
        self.assertTrue(greet["reply"].startswith("Good morning."), greet["reply"])
        self.assertIn("%d things need you today" % len(self.needs_you), greet["reply"])
        self.assertLessEqual(greet["reply"].count("\n"), 1)
        self.assertEqual(how["items"], [])
        self.assertIn("I'm well", how["reply"])
        self.assertLessEqual(how["reply"].count("\n"), 1)

        # distress: calm, no list, offers one thing at a time
        self.assertEqual(distress["items"], [])
        self.assertIn("one thing at a time", distress["reply"])

        # priority triage in the distressed session: exactly one item, the
        # most important (the urgent guest-facing leak), and the next offered
        self.assertEqual(self.ids(triage), [self.leak])
        self.assertEqual(triage["items"][0]["type"], "maintenance")
        self.assertIn("urgent", triage["items"][0]["reason"])
        self.assertIn('"next"', triage["reply"])
        self.assertNotIn("\n2.", triage["reply"])

        # payment risk: exactly the ledger's risks, with amounts; Chiara's
        # failed payment named, Paul's paid booking not, the other property not
        risks = self.lucia.get("/api/payments/risks", token=op).json()["data"]
        # Chiara's booking is the only one at risk, for its failed payment
        # (the ledger may add that her open balance is due soon: whatever it
        # lists, focus lists exactly the same)
        self.assertEqual({r["booking_id"] for r in risks}, {self.b_chiara})
        self.assertEqual(risks[0]["reason"], "payment_failed")
        self.assertEqual([(i["id"], i["state"], i["amount_cents"], i["currency"])
                          for i in pay["items"]],
                         [(r["booking_id"], r["reason"], r["amount_cents"], r["currency"])
                          for r in risks])
        self.assertIn("Chiara Benedetti", pay["reply"])
        self.assertIn("\u20ac2,900.00", pay["reply"])
        for absent in ("Paul", "Olaf", "Daniel", "Quinn"):
            self.assertNotIn(absent, pay["reply"])
        self.assertFalse(has_word(pay["reply"], "paid"))

        # concierge readiness: requested only, soonest first; the confirmed
        # boat never listed; the dinner never called confirmed
        self.assertEqual(self.ids(concierge), [self.dinner, self.sail])
        self.assertNotIn(self.boat, self.ids(concierge))
        for it in concierge["items"]:
            self.assertEqual((it["type"], it["state"]), ("concierge", "requested"))
            self.assertFalse(has_word(it["reason"], "confirmed"), it["reason"])
        dinner = concierge["items"][0]
        self.assertIn("tonight at 19:30", dinner["reason"])
        self.assertIn("still unconfirmed", dinner["reason"])
        self.assertIn("the Quinns", dinner["reason"])
        self.assertFalse(has_word(concierge["reply"], "confirmed"))

        # maintenance focus: urgent or guest-impacting, due today or overdue
        self.assertEqual(self.ids(maint), [self.leak, self.hottub])
        self.assertNotIn(self.drip, self.ids(maint))
        self.assertNotIn(self.other_leak, self.ids(maint))
        self.assertIn("in progress with Pacific Spa Service", maint["items"][1]["reason"])

        # off-topic: declined, nothing answered, pointed back to operations
        self.assertEqual(off["items"], [])
        self.assertNotIn("Paris", off["reply"])
        self.assertIn("operations", off["reply"])

        # truth: every cited id is a real record the operator can see
        for a in answers:
            for it in a["items"]:
                kind = "bookings" if it["id"].startswith("bk_") else "items"
                self.assertEqual(self.lucia.get("/api/%s/%s" % (kind, it["id"]),
                                                token=op).status, 200)

        # continuity: the same session, still distressed; "yes" and "next"
        # give the ranked list one item at a time
        ranked = self.ranking()
        again = self.focus("What matters most right now?", session, token=op)
        self.assertEqual(self.ids(again), ranked[:1])
        yes = self.focus("yes", session, token=op)
        self.assertEqual(yes["route"], "priority_triage")
        self.assertEqual(self.ids(yes), ranked[1:2])
        nxt = self.focus("next", session, token=op)
        self.assertEqual(self.ids(nxt), ranked[2:3])
        thanks = self.focus("thanks", session, token=op)
        self.assertEqual((thanks["route"], thanks["items"]), ("human_utility", []))
        what_else = self.focus("what else", session, token=op)
        self.assertEqual(self.ids(what_else), ranked[3:4])

        # the transcript, this user's only
        t = self.lucia.get("/api/sessions/" + session, token=op)
        self.assertEqual(t.status, 200, t)
        turns = t.json()["transcript"]
        self.assertEqual(len(turns), len(PROMPTS) + 5)
        self.assertEqual([x["route"] for x in turns[:len(PROMPTS)]], [r for _, r in PROMPTS])
        self.assertEqual([x["cited_ids"] for x in turns[:len(PROMPTS)]],
                         [self.ids(a) for a in answers])
        self.assertEqual([x["message"] for x in turns[:3]], [m for m, _ in PROMPTS[:3]])
        self.assertEqual(turns[0]["reply"], greet["reply"])
        mine = self.lucia.get("/api/sessions", token=op).json()["data"]
        self.assertIn(session, [s["id"] for s in mine])
        self.assertEqual([s["turns"] for s in mine if s["id"] == session], [len(turns)])
        other = self.token(sub="op_bob")
        self.assertEqual(self.lucia.get("/api/sessions/" + session, token=other).status, 404)
        self.assertEqual(self.lucia.get("/api/sessions/" + session).status, 404)  # service
        self.assertNotIn(session, [s["id"] for s in
                                   self.lucia.get("/api/sessions", token=other).json()["data"]])
        # another user cannot continue it either
        self.focus("yes", session, token=other, status=404)
        self.assertEqual(self.lucia.get("/api/sessions/ses_nope").status, 404)

    def ranking(self):
        """The ranked triage list, read in a session of its own."""
        first = self.focus("What matters most right now?", token=self.token(sub="op_rank"))
        more = self.focus("what else", first["session_id"], token=self.token(sub="op_rank"))
        ids = self.ids(first) + self.ids(more)
        self.assertEqual(set(ids), self.needs_you)
        scores = [i["score"] for i in first["items"] + more["items"]]
        self.assertEqual(scores, sorted(scores, reverse=True))
        self.assertEqual(ids[0], self.leak)
        return ids

    def test_triage_lists_ranked_items_with_reasons(self):
        a = self.focus("what should I do first?", token=self.token(sub="op_list"))
        self.assertEqual(a["route"], "priority_triage")
        self.assertEqual(len(a["items"]), 5)
        self.assertIn("1 more after these", a["reply"])
        self.assertEqual(a["items"][0]["id"], self.leak)
        for i, it in enumerate(a["items"]):
            self.assertIn("%d. %s" % (i + 1, it["reason"]), a["reply"])
        arrival = [i for i in a["items"] if i["type"] == "arrival"]
        self.assertEqual([i["id"] for i in arrival], [self.b_daniel])
        self.assertIn("Daniel Okafor arrives today", arrival[0]["reason"])
        # no contact details of guests in any answer
        for word in ("@example.com", "+1415"):
            self.assertNotIn(word, json.dumps(a))

    def test_paraphrases_route_the_same(self):
        op = self.token(sub="op_para")
        for message, route in (("whats most importnat rn?", "priority_triage"),
                               ("any paymnet problems", "payment_risk"),
                               ("which restaurant bookings are still unconfirmed",
                                "concierge_readiness"),
                               ("is anything broken or leaking today", "maintenance_focus"),
                               ("im so stressed", "distress"),
                               ("tell me a joke", "off_topic"),
                               ("hmm", "off_topic")):
            self.assertEqual(self.focus(message, token=op)["route"], route, message)
        unsure = self.focus("the Smiths?", token=op)
        self.assertIn("not sure what you need", unsure["reply"])

    def test_property_scope(self):
        a = self.focus("Any urgent maintenance issues today?", property_id=self.other)
        self.assertEqual(self.ids(a), [self.other_leak])
        self.focus("hello", property_id=self.other, token=self.token(sub="op_scope"),
                   status=404)
        everything = self.focus("Any urgent maintenance issues today?")  # service: both
        self.assertEqual(set(self.ids(everything)), {self.leak, self.hottub, self.other_leak})
        self.assertIn("Villa Quinn", everything["reply"])

    def test_validation_and_roles(self):
        op = self.token(sub="op_val")
        for body, field in (({}, "message"), ({"message": ""}, "message"),
                            ({"message": "   "}, "message"), ({"message": 5}, "message"),
                            ({"message": "x" * 2001}, "message"),
                            ({"message": "hi", "session_id": "bad id!"}, "session_id"),
                            ({"message": "hi", "session_id": "bk_01abc"}, "session_id"),
                            ({"message": "hi", "colour": "red"}, "colour")):
            r = self.lucia.post("/admin/operator-focus", body, token=op)
            self.assertEqual(r.status, 400, (body, r))
            self.assertEqual(r.json()["error"]["field"], field, body)
        # 2000 characters of two bytes each are fine
        self.assertEqual(self.focus("\u00e9" * 2000, token=op)["route"], "off_topic")
        self.assertEqual(self.lucia.post("/admin/operator-focus", "{", token=op).status, 400)
        self.assertEqual(self.lucia.post("/admin/operator-focus", {"message": "hi"},
                                         token=None).status, 401)
        viewer = self.token(sub="v", role="viewer")
        self.assertEqual(self.lucia.post("/admin/operator-focus", {"message": "hi"},
                                         token=viewer).status, 403)
        self.assertEqual(self.lucia.get("/admin/operator-focus", token=op).status, 405)
        self.assertEqual(self.lucia.get("/api/sessions", token=viewer).json()["data"], [])

    def test_idempotency_key_replays_the_turn(self):
        op = self.token(sub="op_idem")
        first = self.focus("I'm overwhelmed", token=op)
        s = first["session_id"]
        hdr = {"Idempotency-Key": "focus-turn-1"}
        body = {"message": "What matters most right now?", "session_id": s}
        a = self.lucia.post("/admin/operator-focus", body, token=op, headers=hdr)
        b = self.lucia.post("/admin/operator-focus", body, token=op, headers=hdr)
        self.assertEqual((a.status, b.status), (200, 200))
        self.assertEqual(a.json(), b.json())
        self.assertEqual(b.header("Idempotent-Replayed"), "true")
        turns = self.lucia.get("/api/sessions/" + s, token=op).json()["transcript"]
        self.assertEqual(len(turns), 2)
        # the replay did not move the offer on: "yes" gives the second item
        yes = self.focus("yes", s, token=op)
        self.assertNotEqual(self.ids(yes), self.ids(a.json()))
        self.assertEqual(len(yes["items"]), 1)

    def test_lists_are_paged(self):
        op = self.token(sub="op_pages")
        made = [self.focus("hello", token=op)["session_id"] for _ in range(3)]
        page = self.lucia.get("/api/sessions?limit=2", token=op).json()
        self.assertEqual(len(page["data"]), 2)
        self.assertTrue(page["has_more"])
        rest = self.lucia.get("/api/sessions?limit=2&after=" + page["next"], token=op).json()
        self.assertEqual([s["id"] for s in page["data"] + rest["data"]], sorted(made))
        self.assertEqual(set(page["data"][0]),
                         {"id", "turns", "last_route", "created_at", "updated_at"})


class FocusContinuityTest(FocusBase):
    def test_restart_and_a_second_process(self):
        op = self.token(sub="op_cont")
        s = self.focus("I'm overwhelmed", token=op)["session_id"]
        self.lucia.stop()
        self.lucia.start()
        first = self.focus("what first?", s, token=op)
        self.assertEqual(len(first["items"]), 1, first)  # the distress survived the restart
        second = Lucia(db=self.lucia.db, env=self.lucia.extra_env).start()
        try:
            yes = self.focus("yes", s, token=op, lucia=second)  # the offer reached it
            self.assertEqual(yes["route"], "priority_triage")
            self.assertEqual(len(yes["items"]), 1)
            self.assertNotEqual(self.ids(yes), self.ids(first))
            nxt = self.focus("next", s, token=op)  # and back on the first process
            self.assertEqual(len(nxt["items"]), 1)
            self.assertNotIn(self.ids(nxt)[0], self.ids(first) + self.ids(yes))
        finally:
            second.close()
        turns = self.lucia.get("/api/sessions/" + s, token=op).json()["transcript"]
        self.assertEqual([t["turn"] for t in turns], [1, 2, 3, 4])

    @unittest.skipUnless(harness.ON_POSTGRES, "Redis is the real stack's")
    def test_state_lives_in_redis_and_the_table(self):
        op = self.token(sub="op_redis")
        s = self.focus("I'm overwhelmed", token=op)["session_id"]
        rows = self.lucia.db.query("SELECT state FROM sessions WHERE id = ?", s)
        state = json.loads(rows[0]["state"])
        self.assertTrue(state["distressed"])
        self.assertEqual(state["owner"], "op_redis")
        self.assertEqual(state["offer"]["route"], "priority_triage")


class FocusExpiryTest(FocusBase):
    ENV = {"LUCIA_SESSION_TTL_SECONDS": "1"}

    def test_expired_session_starts_fresh(self):
        op = self.token(sub="op_exp")
        s = self.focus("I'm overwhelmed", token=op)["session_id"]
        time.sleep(2.5)
        a = self.focus("What matters most right now?", s, token=op)
        self.assertEqual(a["session_id"], s)
        self.assertGreater(len(a["items"]), 1)  # no longer distressed
        time.sleep(2.5)
        # the offer of "what else" expired with the state: "yes" is small talk
        self.assertEqual(self.focus("yes", s, token=op)["route"], "human_utility")
        # the transcript still belongs to op_exp
        self.focus("hello", s, token=self.token(sub="op_other"), status=404)
        self.assertEqual(len(self.lucia.get("/api/sessions/" + s, token=op)
                             .json()["transcript"]), 3)


class ModelStandIn:
    """An OpenAI-compatible chat endpoint on loopback. mode: good (rewords
    faithfully), bad (adds a false claim and an amount), slow (answers
    after 5 s), error (500)."""

    def __init__(self):
        self.mode = "good"
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                n = min(int(self.headers.get("Content-Length", "0")), 1 << 20)
                body = json.loads(self.rfile.read(n))
                outer.requests.append({"path": self.path, "auth": self.headers.get(
                    "Authorization"), "body": body})
                facts = json.loads(body["messages"][-1]["content"])
                if outer.mode == "slow":
                    time.sleep(5)
                if outer.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                text = "Here you go. " + facts["reply"]
                if outer.mode == "bad":
                    text += " The dinner is confirmed and Chiara has paid \u20ac9,999.00."
                data = json.dumps({"id": "chatcmpl-1", "object": "chat.completion",
                                   "choices": [{"index": 0, "message": {
                                       "role": "assistant", "content": text},
                                       "finish_reason": "stop"}]}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the engine gave up waiting (the slow mode)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class FocusModelTest(FocusBase):
    @classmethod
    def setUpClass(cls):
        cls.model = ModelStandIn()
        cls.ENV = {"LUCIA_MODEL_FOCUS_OPS_REPLY": MODEL, "OPENAI_API_KEY": MODEL_KEY,
                   "OPENAI_BASE_URL": "http://127.0.0.1:%d/v1" % cls.model.port}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.model.close()

    def ask(self, mode, message="Show open concierge requests needing confirmation."):
        self.model.mode = mode
        started = time.monotonic()
        a = self.focus(message, token=self.token(sub="op_model"))
        return a, time.monotonic() - started

    def test_good_bad_slow_and_failing_rewordings(self):
        rules, _ = self.ask("error")
        self.assertEqual(rules["model"], "rules")
        good, _ = self.ask("good")
        self.assertEqual(good["model"], MODEL)
        self.assertEqual(good["reply"], "Here you go. " + rules["reply"])
        self.assertEqual((good["route"], self.ids(good)), (rules["route"], self.ids(rules)))
        req = self.model.requests[-1]
        self.assertEqual(req["path"], "/v1/chat/completions")
        self.assertEqual(req["auth"], "Bearer " + MODEL_KEY)
        self.assertEqual(req["body"]["model"], MODEL)
        facts = req["body"]["messages"][-1]["content"]
        self.assertNotIn("@example.com", facts)  # the facts only: no contact details
        self.assertNotIn("+1415", facts)
        bad, _ = self.ask("bad")
        self.assertEqual(bad["model"], "rules")
        self.assertEqual(bad["reply"], rules["reply"])
        slow, took = self.ask("slow")
        self.assertEqual(slow["model"], "rules")
        self.assertEqual(slow["reply"], rules["reply"])
        self.assertLess(took, 4.5)  # the 3 s budget, not the stand-in's 5 s
        # the model never answers off-topic questions; the key never reaches the log
        count = len(self.model.requests)
        off, _ = self.ask("good", "What's the capital of France?")
        self.assertEqual((off["route"], off["model"]), ("off_topic", "rules"))
        self.assertEqual(len(self.model.requests), count)
        self.assertNotIn(MODEL_KEY, self.lucia.log_text())
        # the transcript keeps what went out and who worded it
        turns = [t for s in self.lucia.get("/api/sessions", token=self.token(
            sub="op_model")).json()["data"]
            for t in self.lucia.get("/api/sessions/" + s["id"], token=self.token(
                sub="op_model")).json()["transcript"]]
        self.assertIn(MODEL, [t["model"] for t in turns])
        self.assertIn(good["reply"], [t["reply"] for t in turns])


class FocusCliTest(FocusBase):
    def test_ask_in_process(self):
        r = harness.run_cli(["ask", "What matters most right now?"], db=self.lucia)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Here's what matters most right now:", r.stdout)
        self.assertIn("route: priority_triage", r.stdout)
        s = self.focus("I'm overwhelmed")["session_id"]  # the service key's session
        r = harness.run_cli(["ask", "--json", "--session", s, "what first?"], db=self.lucia)
        self.assertEqual(r.returncode, 0, r.stderr)
        a = json.loads(r.stdout)
        self.assertEqual((a["session_id"], a["route"], len(a["items"])),
                         (s, "priority_triage", 1))
        turns = self.lucia.get("/api/sessions/" + s).json()["transcript"]
        self.assertEqual([t["route"] for t in turns], ["distress", "priority_triage"])
        self.assertEqual(harness.run_cli(["ask"], db=self.lucia).returncode, 2)
        bad = harness.run_cli(["ask", "--property", "prop_nope", "hi"], db=self.lucia)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("property_id", bad.stderr)

    def test_eval_passes_and_fails(self):
        url = "http://127.0.0.1:%d" % self.lucia.port
        r = harness.run_cli(["eval", "--url", url, "--key", harness.SERVICE_KEY])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rows = [line.split(None, 1) for line in r.stdout.splitlines()]
        table = r.stdout[r.stdout.index("check "):]
        for check in ("route contract", "greeting / human utility", "distress continuity",
                      "priority triage", "payment risk", "concierge readiness",
                      "maintenance focus", "off-topic boundary"):
            self.assertRegex(table, r"(?m)^%s +PASS " % re.escape(check))
        self.assertNotIn("FAIL", table)
        self.assertNotIn(harness.SERVICE_KEY, r.stdout + r.stderr)
        self.assertTrue(rows)
        path = self.lucia.tmp + "/prompts.json"
        with open(path, "w") as f:
            json.dump({"prompts": [{"message": "Good morning", "route": "off_topic",
                                    "check": "a wrong contract"}]}, f)
        r = harness.run_cli(["eval", "--url", url, "--key", harness.SERVICE_KEY,
                             "--prompts", path])
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertRegex(r.stdout, r"(?m)^route contract +FAIL ")
        r = harness.run_cli(["eval", "--url", url, "--key", "wrong-key"])
        self.assertEqual(r.returncode, 1)
        self.assertEqual(harness.run_cli(["eval", "--url", url]).returncode, 2)


if __name__ == "__main__":
    unittest.main()
