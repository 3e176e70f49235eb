"""The guest agent (SPEC §8b, issue 12) end to end, on both backends.

Sign-in by emailed code read from the Resend stand-in (standin.py): single
use, expiry (LUCIA_GUEST_CODE_TTL_SECONDS shortens the 10-minute default),
a new code replacing the old, five wrong tries locking the code, rate limits
per client address and per email (429 + Retry-After), enumeration (the same
status and body for known and unknown emails, one code row written either
way, and the same timing class); guest tokens revoked by sign-out and by the
operator; the isolation table (a guest token against another guest's
booking, balance, item and thread: 404; against operator and service
endpoints: 401); the chat's requests landing in /api/items, /api/today and
operator focus, the operator's confirmation reaching the guest with its
time; and the truth: 50 seeded scripted conversations in which no reply
calls an item confirmed, done or paid unless its record (read with the
service key) says so, every confirmed item is reported confirmed, and
balance replies carry /api/bookings/{id}/payments' figures exactly.

Traffic goes only to 127.0.0.1 (rate-limit tests use other loopback
addresses, 127.0.0.x, as distinct clients). Every wait is bounded."""
import datetime
import http.client
import json
import random
import re
import statistics
import time
import unittest
import zoneinfo

import harness
from harness import Lucia, SERVICE_KEY
import standin
import tokens
import test_stripe

SECRET = "guest-test-jwt-secret-0123456789abcdef012345"
ZONES = ("Pacific/Kiritimati", "Asia/Tokyo", "Europe/Rome", "America/New_York",
         "Pacific/Honolulu", "Pacific/Pago_Pago")
BASE_ENV = {"LUCIA_JWT_SECRET": SECRET, "LUCIA_OUTBOX_BACKOFF_MS": "50",
            "LUCIA_GUEST_SIGNIN_RATE_LIMIT": "100000",
            "STRIPE_WEBHOOK_SECRET": test_stripe.SECRET}
CODE_RE = re.compile(r"sign-in code is (\d{6})")
SIGNIN_MESSAGE = ("If this email belongs to a guest with a current or upcoming stay, "
                  "we have sent a sign-in code.")

_addresses = iter(range(30, 250))
_emails = iter(range(1, 1000000))


def fresh_address():
    return "127.0.0.%d" % next(_addresses)


def request_from(lucia, ip, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    hdrs = {"Content-Type": "application/json"}
    if token:
        hdrs["Authorization"] = "Bearer " + token
    conn = http.client.HTTPConnection("127.0.0.1", lucia.port, timeout=30,
                                      source_address=(ip, 0))
    try:
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        return harness.Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def calm_zone():
    """A zone where it is now between 00:00 and 20:59, so "tonight at 10:30
    pm" is still ahead today."""
    now = datetime.datetime.now(datetime.timezone.utc)
    for z in ZONES:
        if now.astimezone(zoneinfo.ZoneInfo(z)).hour < 21:
            return z
    raise AssertionError("no zone in %r is before 21:00 now" % (ZONES,))


def local_today(zone, offset=0):
    d = datetime.datetime.now(zoneinfo.ZoneInfo(zone)).date()
    return (d + datetime.timedelta(days=offset)).isoformat()


def money(cents, currency):
    symbol = {"usd": "$", "eur": "\u20ac", "gbp": "\u00a3"}[currency]
    return "%s%s.%02d" % (symbol, "{:,}".format(abs(cents) // 100), abs(cents) % 100)


def clock_in(zone, rfc3339):
    t = datetime.datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).astimezone(zoneinfo.ZoneInfo(zone))
    return "%d:%02d %s" % (t.hour % 12 or 12, t.minute, "AM" if t.hour < 12 else "PM")


class GuestBase(unittest.TestCase):
    ENV = {}

    @classmethod
    def setUpClass(cls):
        cls.mail = standin.StandIn().start()
        env = dict(BASE_ENV)
        env.update(cls.mail.env(email=True, twilio=False))
        env.update(cls.ENV)
        cls.lucia = Lucia(env=env).start()
        cls.zone = calm_zone()
        cls.prop = cls.made("/api/properties", {"name": "Villa Aurora", "time_zone": cls.zone})
        cls.other_prop = cls.made("/api/properties", {"name": "Casa Altrove",
                                                      "time_zone": cls.zone})

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()
        cls.mail.stop()

    @classmethod
    def made(cls, path, body):
        r = cls.lucia.post(path, body)
        assert r.status == 201, (path, r)
        return r.json()["id"]

    @classmethod
    def stay_guest(cls, prop=None, check_in=-1, check_out=3, status=None, total=180000):
        """A guest with an email and a current stay; (guest_id, booking_id, email)."""
        email = "guest%d.%d@example.test" % (next(_emails), random.randrange(10 ** 6))
        g = cls.made("/api/guests", {"property_id": prop or cls.prop, "name": "Maria Rossi",
                                     "email": email})
        b = cls.made("/api/bookings", {"guest_id": g, "property_id": prop or cls.prop,
                                       "check_in": local_today(cls.zone, check_in),
                                       "check_out": local_today(cls.zone, check_out),
                                       "total_cents": total, "currency": "eur"})
        if status:
            r = cls.lucia.post("/api/bookings/%s/transition" % b,
                               {"to": status, "evidence": "deposit received",
                                "note": "guest asked"})
            assert r.status == 200, r
        return g, b, email

    def ask_code(self, typed, ip=None):
        email = typed.lower()
        before = len(self.mail.delivered(lambda d: d["to"] == email))
        r = request_from(self.lucia, ip or "127.0.0.1", "POST", "/guest/session",
                         {"email": typed})
        self.assertEqual(r.status, 202, r)
        self.mail.wait_for(lambda: len(self.mail.delivered(lambda d: d["to"] == email)) > before,
                           what="the sign-in email to a test guest")
        d = self.mail.delivered(lambda d: d["to"] == email)[-1]
        self.assertEqual(d["json"]["subject"], "Your Lucia sign-in code")
        m = CODE_RE.search(d["json"]["text"])
        self.assertIsNotNone(m, d["json"]["text"])
        return m.group(1)

    def verify(self, email, code):
        return self.lucia.post("/guest/session/verify", {"email": email, "code": code},
                               token=None)

    def sign_in(self, email):
        r = self.verify(email, self.ask_code(email))
        self.assertEqual(r.status, 200, r)
        return r.json()["token"]

    def chat(self, token, message, session=None, headers=None):
        body = {"message": message}
        if session:
            body["session_id"] = session
        r = self.lucia.request("POST", "/guest/chat", body, token=token, headers=headers)
        self.assertEqual(r.status, 200, (message, r))
        return r.json()


class SignIn(GuestBase):
    def test_sign_in_by_code_single_use(self):
        g, b, email = self.stay_guest()
        code = self.ask_code(email.upper())  # the address is matched lower-cased
        r = self.verify(email, code)
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertRegex(body["token"], r"^gtk_[A-Za-z0-9_-]{43}$")
        self.assertEqual(body["guest"], {"id": g, "name": "Maria Rossi"})
        exp = datetime.datetime.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ")
        days = (exp - datetime.datetime.utcnow()).total_seconds() / 86400
        self.assertTrue(6.9 < days <= 7.0, days)
        me = self.lucia.get("/guest/me", token=body["token"])
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.json()["guest"]["id"], g)
        self.assertEqual([x["id"] for x in me.json()["bookings"]], [b])
        self.assertEqual(me.json()["bookings"][0]["property_name"], "Villa Aurora")
        again = self.verify(email, code)
        self.assertEqual((again.status, again.json()["error"]["code"]), (401, "unauthorized"))
        self.assertIn("ask for a new one", again.json()["error"]["message"])
        # Only digests at rest; the outbox payload is redacted once sent.
        db = harness.db_of(self.lucia)
        rows = db.query("SELECT code_hash FROM guest_sign_in_codes WHERE email = ?", email)
        self.assertTrue(rows and all(code not in r["code_hash"] for r in rows))
        self.assertFalse(db.query("SELECT 1 FROM guest_tokens WHERE token_hash = ?",
                                  body["token"]))
        sql = ("SELECT payload, state FROM outbox WHERE kind = 'guest_sign_in_code' "
               "AND recipient = ?")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(
                p["state"] != "sent" for p in db.query(sql, email)):
            time.sleep(0.05)
        payloads = db.query(sql, email)
        self.assertTrue(payloads)
        self.assertTrue(all(code not in p["payload"] for p in payloads), payloads)

    def test_a_new_code_replaces_the_previous_one(self):
        _, _, email = self.stay_guest()
        first = self.ask_code(email)
        second = self.ask_code(email)
        if first != second:  # one chance in a million that they are equal
            self.assertEqual(self.verify(email, first).status, 401)
        self.assertEqual(self.verify(email, second).status, 200)

    def test_five_wrong_codes_lock_the_code(self):
        _, _, email = self.stay_guest()
        code = self.ask_code(email)
        wrong = "%06d" % ((int(code) + 1) % 1000000)
        for _ in range(5):
            r = self.verify(email, wrong)
            self.assertEqual(r.status, 401, r)
        r = self.verify(email, code)
        self.assertEqual(r.status, 401, r)
        self.assertIn("locked", r.json()["error"]["message"])
        self.assertIn("ask for a new one", r.json()["error"]["message"])
        # Four wrong tries do not lock.
        _, _, email2 = self.stay_guest()
        code2 = self.ask_code(email2)
        for _ in range(4):
            self.assertEqual(self.verify(email2, "%06d" % ((int(code2) + 7) % 10 ** 6)).status,
                             401)
        self.assertEqual(self.verify(email2, code2).status, 200)

    def test_no_code_for_cancelled_past_or_unknown(self):
        for kw in ({"status": "cancelled"}, {"check_in": -9, "check_out": -3}):
            _, _, email = self.stay_guest(**kw)
            r = self.lucia.post("/guest/session", {"email": email}, token=None)
            self.assertEqual((r.status, r.json()["message"]), (202, SIGNIN_MESSAGE))
        r = self.lucia.post("/guest/session", {"email": "nobody@example.test"}, token=None)
        self.assertEqual(r.status, 202)
        time.sleep(0.5)
        self.assertFalse(self.mail.delivered(lambda d: d["to"] == "nobody@example.test"))
        n = harness.db_of(self.lucia).scalar(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'guest_sign_in_code' AND recipient = ?",
            "nobody@example.test")
        self.assertEqual(int(n), 0)
        r = self.verify("nobody@example.test", "123456")
        self.assertEqual(r.status, 401)

    def test_bad_input(self):
        for body, code, field in (({"email": "not-an-email"}, "invalid_field", "email"),
                                  ({"email": "a@b.test", "x": 1}, "unknown_field", "x"),
                                  ({}, "invalid_field", "email")):
            r = self.lucia.post("/guest/session", body, token=None)
            self.assertEqual((r.status, r.json()["error"]["code"]), (400, code), (body, r))
            self.assertEqual(r.json()["error"].get("field"), field)
        r = self.lucia.post("/guest/session/verify", {"email": "a@b.test", "code": "12ab56"},
                            token=None)
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "code"))

    def test_enumeration_same_answer_same_work_same_timing(self):
        db = harness.db_of(self.lucia)
        known = [self.stay_guest()[2] for _ in range(20)]
        unknown = ["stranger%d@example.test" % i for i in range(20)]
        count = lambda: int(db.scalar("SELECT COUNT(*) FROM guest_sign_in_codes"))
        times = {"known": [], "unknown": []}
        bodies = set()
        for k, u in zip(known, unknown):
            for kind, email in (("known", k), ("unknown", u)):
                before = count()
                t0 = time.perf_counter()
                r = self.lucia.post("/guest/session", {"email": email}, token=None)
                times[kind].append(time.perf_counter() - t0)
                self.assertEqual(r.status, 202)
                bodies.add(r.body)
                self.assertEqual(count(), before + 1, kind)  # one code row either way
        self.assertEqual(len(bodies), 1, bodies)
        self.assertEqual(json.loads(bodies.pop()),
                         {"status": "code_sent", "message": SIGNIN_MESSAGE})
        mk, mu = statistics.median(times["known"]), statistics.median(times["unknown"])
        print("\n  sign-in timing: median known %.2f ms, unknown %.2f ms (ratio %.2f)"
              % (mk * 1000, mu * 1000, mk / mu))
        # Both answers are one write transaction; the known one adds an
        # outbox row. Within a factor of 2 either way is one timing class
        # (a sleep, a second round trip or a network call would not fit).
        self.assertLess(mk / mu, 2.0)
        self.assertLess(mu / mk, 2.0)


class ShortCodes(GuestBase):
    ENV = {"LUCIA_GUEST_CODE_TTL_SECONDS": "2"}

    def test_expired_code(self):
        _, _, email = self.stay_guest()
        code = self.ask_code(email)
        self.assertIn("for the next 2 seconds",
                      self.mail.delivered(lambda d: d["to"] == email)[-1]["json"]["text"])
        time.sleep(2.5)
        r = self.verify(email, code)
        self.assertEqual((r.status, r.json()["error"]["code"]), (401, "unauthorized"))


class RateLimits(GuestBase):
    ENV = {"LUCIA_GUEST_SIGNIN_RATE_LIMIT": "10"}

    def test_per_address(self):
        ip = fresh_address()
        for i in range(10):
            r = request_from(self.lucia, ip, "POST", "/guest/session",
                             {"email": "rate%d@example.test" % i})
            self.assertEqual(r.status, 202, r)
        r = request_from(self.lucia, ip, "POST", "/guest/session", {"email": "x@example.test"})
        self.assertEqual((r.status, r.json()["error"]["code"]), (429, "rate_limited"))
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        # Another address is another client.
        r = request_from(self.lucia, fresh_address(), "POST", "/guest/session",
                         {"email": "x@example.test"})
        self.assertEqual(r.status, 202)
        # Verifications are limited per address too.
        ip = fresh_address()
        statuses = [request_from(self.lucia, ip, "POST", "/guest/session/verify",
                                 {"email": "x@example.test", "code": "000000"}).status
                    for _ in range(11)]
        self.assertEqual(statuses, [401] * 10 + [429])

    def test_per_email(self):
        _, _, email = self.stay_guest()
        for i in range(5):
            r = request_from(self.lucia, fresh_address(), "POST", "/guest/session",
                             {"email": email})
            self.assertEqual(r.status, 202)
        r = request_from(self.lucia, fresh_address(), "POST", "/guest/session",
                         {"email": email.upper()})
        self.assertEqual((r.status, r.json()["error"]["code"]), (429, "rate_limited"))
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)


class TokensAndIsolation(GuestBase):
    def test_sign_out_and_operator_revocation(self):
        g, _, email = self.stay_guest()
        t1, t2 = self.sign_in(email), self.sign_in(email)
        r = self.lucia.request("DELETE", "/guest/session", token=t1)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.lucia.get("/guest/me", token=t1).status, 401)
        self.assertEqual(self.lucia.get("/guest/me", token=t2).status, 200)
        # The operator: another property's operator sees no such guest; a
        # viewer may not; the property's operator revokes every token.
        other = tokens.hs256(tokens.claims_for("operator", [self.other_prop]), SECRET)
        viewer = tokens.hs256(tokens.claims_for("viewer", [self.prop]), SECRET)
        operator = tokens.hs256(tokens.claims_for("operator", [self.prop]), SECRET)
        path = "/api/guests/%s/tokens" % g
        self.assertEqual(self.lucia.request("DELETE", path, token=other).status, 404)
        self.assertEqual(self.lucia.request("DELETE", path, token=viewer).status, 403)
        self.assertEqual(self.lucia.request("DELETE", path, token=t2).status, 401)
        r = self.lucia.request("DELETE", path, token=operator)
        self.assertEqual((r.status, r.json()), (200, {"revoked": 1}))
        self.assertEqual(self.lucia.get("/guest/me", token=t2).status, 401)
        self.assertEqual(self.lucia.post("/guest/chat", {"message": "hi"}, token=t2).status, 401)
        audit = self.lucia.get("/api/audit?entity_id=" + g).json()["data"]
        self.assertIn("guest_token.revoked", [a["action"] for a in audit])

    def test_isolation_table(self):
        ga, ba, ea = self.stay_guest()
        gb, bb, eb = self.stay_guest()
        gc, bc, ec = self.stay_guest(prop=self.other_prop)
        ta, tb, tc = self.sign_in(ea), self.sign_in(eb), self.sign_in(ec)
        own = {}
        for t, who in ((ta, "a"), (tb, "b"), (tc, "c")):
            answer = self.chat(t, "Can you book a taxi to the beach tomorrow?")
            own[who] = {"item": answer["items"][0]["id"], "thread": answer["thread_id"]}
        own["a"]["booking"], own["b"]["booking"], own["c"]["booking"] = ba, bb, bc
        routes = ("/guest/bookings/%(booking)s", "/guest/bookings/%(booking)s/balance",
                  "/guest/items/%(item)s", "/guest/threads/%(thread)s")
        rows = 0
        for t, mine in ((ta, "a"), (tb, "b"), (tc, "c")):
            for other in ("a", "b", "c"):
                for route in routes:
                    r = self.lucia.get(route % own[other], token=t)
                    want = 200 if other == mine else 404
                    self.assertEqual(r.status, want, (mine, other, route, r))
                    if want == 404:
                        self.assertEqual(r.json()["error"]["code"], "not_found")
                    rows += 1
            items = self.lucia.get("/guest/items", token=t).json()["data"]
            self.assertEqual([i["id"] for i in items], [own[mine]["item"]])
        self.assertEqual(rows, 36)
        # Ids that exist nowhere are 404 too.
        for route in routes:
            r = self.lucia.get(route % {"booking": "bk_nope", "item": "itm_nope",
                                        "thread": "msg_nope"}, token=ta)
            self.assertEqual(r.status, 404, route)
        # A guest token on every operator and service endpoint: 401.
        operator_paths = [
            ("GET", "/api/properties"), ("GET", "/api/guests"), ("GET", "/api/guests/" + ga),
            ("GET", "/api/bookings"), ("GET", "/api/bookings/" + ba),
            ("GET", "/api/bookings/%s/payments" % ba), ("GET", "/api/items"),
            ("GET", "/api/items/" + own["a"]["item"]), ("GET", "/api/today"),
            ("GET", "/api/messages"), ("GET", "/api/audit"), ("GET", "/api/payments/risks"),
            ("GET", "/api/outbox"), ("GET", "/api/sessions"), ("GET", "/admin/status"),
            ("GET", "/metrics"), ("POST", "/api/items"), ("POST", "/admin/operator-focus"),
            ("DELETE", "/api/guests/%s/tokens" % ga), ("PATCH", "/api/guests/" + ga)]
        for method, path in operator_paths:
            r = self.lucia.request(method, path, {} if method != "GET" else None, token=ta)
            self.assertEqual(r.status, 401, (method, path, r))
        # Operator tokens and the service key on guest routes: 401.
        operator = tokens.hs256(tokens.claims_for("owner"), SECRET)
        for t in (SERVICE_KEY, operator, None, "gtk_" + "A" * 43):
            for method, path in (("GET", "/guest/me"), ("GET", "/guest/items"),
                                 ("POST", "/guest/chat"), ("DELETE", "/guest/session"),
                                 ("GET", "/guest/bookings/" + ba)):
                r = self.lucia.request(method, path, {"message": "hi"} if method == "POST"
                                       else None, token=t)
                self.assertEqual(r.status, 401, (t and t[:6], method, path))


class Chat(GuestBase):
    def test_requests_reach_the_operator_and_confirmation_reaches_the_guest(self):
        g, b, email = self.stay_guest()
        t = self.sign_in(email)
        a = self.chat(t, "Can you book dinner for 4 tonight at 10:30pm?")
        self.assertEqual(a["route"], "concierge_request")
        self.assertIn("not yet confirmed", a["reply"])
        item = a["items"][0]
        self.assertEqual((item["state"], item["kind"], item["booking_id"]),
                         ("requested", "concierge", b))
        self.assertNotIn("confirmed_at", item)
        rec = self.lucia.get("/api/items/" + item["id"]).json()
        self.assertEqual((rec["guest_id"], rec["state"]), (g, "requested"))
        self.assertEqual(rec["details"], "Can you book dinner for 4 tonight at 10:30pm?")
        due_local = datetime.datetime.strptime(rec["due_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).astimezone(zoneinfo.ZoneInfo(self.zone))
        self.assertEqual((due_local.hour, due_local.minute), (22, 30))
        listed = self.lucia.get("/api/items?kind=concierge&state=requested&limit=500").json()
        self.assertIn(item["id"], [i["id"] for i in listed["data"]])
        today = self.lucia.get("/api/today?property_id=%s&date=%s"
                               % (self.prop, local_today(self.zone))).json()
        self.assertIn(item["id"], [i["id"] for i in today["items_due"]])
        focus = self.lucia.post("/admin/operator-focus",
                                {"message": "Show open concierge requests needing confirmation.",
                                 "property_id": self.prop}).json()
        self.assertEqual(focus["route"], "concierge_readiness")
        self.assertIn(item["id"], [i["id"] for i in focus["items"]])
        audit = self.lucia.get("/api/audit?entity_id=" + item["id"]).json()["data"]
        self.assertEqual(audit[0]["actor"], "guest:" + g)
        # Not confirmed yet, said plainly.
        a2 = self.chat(t, "Is my dinner confirmed?", a["session_id"])
        self.assertEqual(a2["route"], "my_requests")
        self.assertIn("not yet confirmed", a2["reply"])
        # The operator confirms; the guest hears it with the time.
        r = self.lucia.post("/api/items/%s/transition" % item["id"],
                            {"to": "confirmed", "evidence": "Da Adolfo, ref 4471"})
        self.assertEqual(r.status, 200, r)
        a3 = self.chat(t, "is my dinner confirmed?", a["session_id"])
        it = a3["items"][0]
        self.assertEqual((it["id"], it["state"]), (item["id"], "confirmed"))
        self.assertIn("confirmed at %s" % clock_in(self.zone, it["confirmed_at"]), a3["reply"])
        self.assertNotIn("not yet", a3["reply"])
        # The conversation is in the operator's inbox.
        msgs = self.lucia.get("/api/messages?guest_id=%s&channel=chat" % g).json()["data"]
        self.assertEqual(len(msgs), 6)
        # Ids sort by their millisecond: each reply sorts after its turn
        # (chat.c), turns in the order the clock gave them.
        self.assertEqual(sorted(m["direction"] for m in msgs), ["inbound"] * 3 + ["outbound"] * 3)
        self.assertEqual({m["thread_id"] for m in msgs}, {a["thread_id"]})
        first = [m for m in msgs if m["body"] == "Can you book dinner for 4 tonight at 10:30pm?"]
        self.assertEqual([m["item_id"] for m in first], [item["id"]])
        self.assertEqual({m["body"] for m in msgs if m["direction"] == "outbound"},
                         {a["reply"], a2["reply"], a3["reply"]})
        thread = self.lucia.get("/guest/threads/" + a["thread_id"], token=t).json()
        self.assertEqual([m["id"] for m in thread["messages"]], [m["id"] for m in msgs])

    def test_continuity_safety_human_and_idempotency(self):
        g, b, email = self.stay_guest()
        t = self.sign_in(email)
        a = self.chat(t, "The AC is broken in the bedroom")
        self.assertEqual(a["route"], "maintenance_report")
        ac = a["items"][0]
        self.assertEqual((ac["kind"], ac["priority"]), ("maintenance", "high"))
        s = a["session_id"]
        d = self.chat(t, "can you book a boat trip for Friday", s)
        boat = d["items"][0]
        self.assertNotIn("due_at", {k for k, v in self.lucia.get("/api/items/" + boat["id"])
                                    .json().items() if v is not None})
        u = self.chat(t, "any update?", s)
        self.assertEqual([i["id"] for i in u["items"]], [boat["id"]])  # the last item
        u = self.chat(t, "and the AC?", s)
        self.assertEqual(u["route"], "my_requests")
        self.assertEqual([i["id"] for i in u["items"]], [ac["id"]])
        u = self.chat(t, "is it confirmed?", s)
        self.assertEqual([i["id"] for i in u["items"]], [ac["id"]])
        self.assertIn("not yet confirmed", u["reply"])
        # Safety words: urgent, a plain safety line, flagged for a person.
        f = self.chat(t, "there is smoke coming from the kitchen!", s)
        self.assertEqual(f["route"], "maintenance_report")
        self.assertEqual(f["items"][0]["priority"], "urgent")
        self.assertIn("call 112", f["reply"])
        # A person, asked for: the thread is flagged in the inbox.
        h = self.chat(t, "I want to speak to a human please", s)
        self.assertEqual(h["route"], "human")
        msgs = self.lucia.get("/api/messages?guest_id=%s&channel=chat" % g).json()["data"]
        flagged = [m["body"] for m in msgs if m["needs_human"]]
        self.assertIn("I want to speak to a human please", flagged)
        self.assertIn("there is smoke coming from the kitchen!", flagged)
        # Negatives make no item.
        n = self.chat(t, "no need for dinner, thanks", s)
        self.assertEqual((n["route"], n["items"]), ("human", []))
        # Idempotency-Key replays the first answer and writes once.
        before = len(self.lucia.get("/api/items?booking_id=" + b).json()["data"])
        k = {"Idempotency-Key": "guest-chat-key-1"}
        r1 = self.lucia.request("POST", "/guest/chat", {"message": "please book a massage"},
                                token=t, headers=k)
        r2 = self.lucia.request("POST", "/guest/chat", {"message": "please book a massage"},
                                token=t, headers=k)
        self.assertEqual((r1.status, r2.status), (200, 200))
        self.assertEqual(r1.json(), r2.json())
        self.assertEqual(r2.header("Idempotent-Replayed"), "true")
        after = len(self.lucia.get("/api/items?booking_id=" + b).json()["data"])
        self.assertEqual(after, before + 1)
        # The guest's items, newest first, paged as SPEC lists.
        p1 = self.lucia.get("/guest/items?limit=2", token=t).json()
        self.assertTrue(p1["has_more"])
        p2 = self.lucia.get("/guest/items?limit=2&after=" + p1["next"], token=t).json()
        p3 = self.lucia.get("/guest/items?limit=500", token=t).json()
        self.assertFalse(p3["has_more"])
        self.assertEqual(len(p3["data"]), after)
        self.assertEqual([i["id"] for i in p1["data"] + p2["data"]],
                         [i["id"] for i in p3["data"]][:len(p1["data"] + p2["data"])])
        ids = [i["id"] for i in p3["data"]]
        self.assertEqual(ids, sorted(ids, reverse=True))
        # Another guest's session id is not found.
        _, _, other = self.stay_guest()
        r = self.lucia.post("/guest/chat", {"message": "any update?", "session_id": s},
                            token=self.sign_in(other))
        self.assertEqual(r.status, 404, r)
        # Metrics count turns by route.
        text = self.lucia.get("/metrics").body.decode()
        self.assertRegex(text, r'lucia_guest_chat_turns_total\{route="my_requests"\} [1-9]')

    def test_stay_info_balance_and_bad_input(self):
        g, b, email = self.stay_guest(status="confirmed", total=245050)
        t = self.sign_in(email)
        a = self.chat(t, "what time is check-in?")
        self.assertEqual(a["route"], "stay_info")
        self.assertIn("Villa Aurora", a["reply"])
        self.assertIn("4:00 PM", a["reply"])
        self.assertIn("10:00 AM", a["reply"])
        self.assertIn("Your booking is confirmed.", a["reply"])
        pay = self.lucia.get("/api/bookings/%s/payments" % b).json()
        a = self.chat(t, "how much do I still owe?")
        self.assertEqual(a["route"], "balance")
        self.assertIn(money(pay["open_cents"], "eur"), a["reply"])
        self.assertNotIn("paid in full", a["reply"])
        for bad in ({}, {"message": ""}, {"message": "x" * 2001}, {"message": "hi", "y": 1},
                    {"message": "hi", "session_id": "bad id!"}):
            r = self.lucia.post("/guest/chat", bad, token=t)
            self.assertEqual(r.status, 400, (bad, r))


class Truth(GuestBase):
    """50 seeded scripted conversations: templates x operator moves."""

    CLAIMS = re.compile(r"\b(confirmed|done|completed|finished|resolved|paid|settled)\b", re.I)
    NEGATED = re.compile(r"\b(not|never|no|isn't|hasn't)\s+(\w+\s+){0,2}$", re.I)

    def stripe_paid(self, booking, amount, sfx):
        body = test_stripe.event("payment_intent.succeeded", sfx, int(time.time()),
                                 booking=booking, amount=amount, amount_received=amount,
                                 currency="eur")
        r = self.lucia.post("/webhooks/stripe", body=body, token=None,
                            headers={"Stripe-Signature": test_stripe.header(body)})
        self.assertEqual(r.status, 200, r)

    def check_reply(self, answer, bookings):
        """No claim without its record; every confirmed item said confirmed."""
        reply = answer["reply"]
        records = {i["id"]: self.lucia.get("/api/items/" + i["id"]).json()
                   for i in answer["items"]}
        titles = {i["id"]: i["title"] for i in answer["items"]}
        unquoted = re.sub(r'"[^"]*"', '"Q"', reply)
        for sentence in re.split(r"(?<=[.!?])\s+", unquoted):
            for m in self.CLAIMS.finditer(sentence):
                if self.NEGATED.search(sentence[:m.start()]):
                    continue
                word = m.group(1).lower()
                if word in ("paid", "settled"):
                    pays = [self.lucia.get("/api/bookings/%s/payments" % bk).json()["status"]
                            for bk in bookings]
                    self.assertIn("paid", pays, reply)
                    continue
                want = "confirmed" if word == "confirmed" else "done"
                self.assertTrue(any(r["state"] == want for r in records.values()),
                                (reply, {k: r["state"] for k, r in records.items()}))
        for iid, r in records.items():
            self.assertEqual(r["state"], next(i["state"] for i in answer["items"]
                                              if i["id"] == iid))
            if r["state"] == "confirmed":
                self.assertIn('"%s": confirmed at' % titles[iid], reply)
            if r["state"] == "requested":
                self.assertIn('"%s": passed to the team, not yet confirmed' % titles[iid]
                              if answer["route"] == "my_requests" else "not yet confirmed",
                              reply)

    def test_fifty_scripted_conversations(self):
        rng = random.Random(20261123)
        requests = ["Can you book dinner for two at a seafood restaurant",
                    "please arrange a taxi to the airport", "we would love a boat trip",
                    "the wifi is not working", "The shower is leaking",
                    "could you organise a massage for two"]
        followups = ["is it confirmed?", "any update?", "what's the status of my requests?",
                     "Is my request done?", "has it been sorted yet?"]
        paths = [[], ["confirmed"], ["confirmed", "in_progress"],
                 ["confirmed", "in_progress", "done"], ["cancelled"], ["confirmed", "failed"]]
        guests = [self.stay_guest(total=rng.choice([90000, 245050, 1200000]))
                  for _ in range(10)]
        toks = [self.sign_in(e) for _, _, e in guests]
        confirmed_seen = turns = 0
        for n in range(50):
            k = n % 10
            _, booking, _ = guests[k]
            token = toks[k]
            a = self.chat(token, rng.choice(requests))
            turns += 1
            self.assertIn(a["route"], ("concierge_request", "maintenance_report"))
            self.check_reply(a, [booking])
            item = a["items"][0]["id"]
            for step in rng.choice(paths):
                body = {"to": step, "evidence": "ref %d" % n, "note": "operator note"}
                r = self.lucia.post("/api/items/%s/transition" % item, body)
                self.assertEqual(r.status, 200, r)
                f = self.chat(token, rng.choice(followups), a["session_id"])
                turns += 1
                self.check_reply(f, [booking])
                if step == "confirmed" and item in [i["id"] for i in f["items"]]:
                    confirmed_seen += 1
                    self.assertIn("confirmed at", f["reply"])
            if n % 5 == 0:
                self.stripe_paid(booking, rng.choice([10000, 50000]), "_g%d" % n)
            bal = self.chat(token, rng.choice(["what is my balance?", "how much do I owe",
                                               "have I paid everything?"]), a["session_id"])
            turns += 1
            self.assertEqual(bal["route"], "balance")
            pay = self.lucia.get("/api/bookings/%s/payments" % booking).json()
            for field in ("total_cents", "paid_cents", "open_cents", "status"):
                self.assertEqual(bal["balance"][field], pay[field])
            self.assertIn(money(pay["total_cents"], "eur"), bal["reply"])
            self.assertIn(money(pay["paid_cents"], "eur"), bal["reply"])
            if pay["status"] != "paid":
                self.assertIn(money(pay["open_cents"], "eur"), bal["reply"])
            self.check_reply(bal, [booking])
        print("\n  guest truth: 50 conversations, %d turns, %d confirmations reported"
              % (turns, confirmed_seen))
        self.assertGreater(confirmed_seen, 5)


if __name__ == "__main__":
    unittest.main()
