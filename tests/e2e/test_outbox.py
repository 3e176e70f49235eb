"""Outbound (SPEC §7, issue 6 items 4-6) end to end, on both backends: the
outbox and its worker against local stand-ins for Resend and Twilio
(standin.py) — success, 500 twice then success, 422 failing at once,
timeouts, 429 with Retry-After, eight attempts then failed; an unconfigured
provider leaving rows queued; SIGTERM finishing the current row; kill -9
mid-send losing nothing and re-sending only under the same idempotency key;
two engine processes sending 200 emails exactly once; the waitlist
(validation, lower-case, dedupe, 201/200, 429 per client address); guest
email verification (single use, expiry); replies by SMS and WhatsApp with
the 24-hour window.

Traffic goes only to 127.0.0.1; the waitlist's per-address limit is
exercised from other loopback addresses (127.0.0.x) as distinct clients.
Every wait is bounded in time."""
import hashlib
import http.client
import json
import re
import signal
import threading
import time
import unittest
import urllib.parse

import harness
from harness import Lucia, SERVICE_KEY
import standin
import tokens

SECRET = "hs256-outbox-test-secret-0123456789abcdef"
# Short backoffs; a call timeout that a loaded test machine's stand-in
# never reaches by accident (the timeout test sets its own).
FAST = {"LUCIA_OUTBOX_BACKOFF_MS": "50", "LUCIA_OUTBOX_TIMEOUT_MS": "5000",
        "LUCIA_JWT_SECRET": SECRET}

_addresses = iter(range(2, 250))


def fresh_address():
    """A loopback address no other test has used: a new waitlist client."""
    return "127.0.0.%d" % next(_addresses)


def post_from(lucia, ip, path, body, headers=None):
    """POSTs JSON from source address ip (a distinct client to Lucia)."""
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    if isinstance(data, str):
        data = data.encode()
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    conn = http.client.HTTPConnection("127.0.0.1", lucia.port, timeout=30,
                                      source_address=(ip, 0))
    try:
        conn.request("POST", path, body=data, headers=hdrs)
        r = conn.getresponse()
        return harness.Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def outbox_rows(lucia, query=""):
    """Every outbox row (following the cursor), as GET /api/outbox shows them."""
    rows, after = [], None
    for _ in range(100):
        q = "limit=500" + ("&" + query if query else "") + ("&after=" + after if after else "")
        r = lucia.get("/api/outbox?" + q)
        assert r.status == 200, r
        page = r.json()
        rows += page["data"]
        if not page["has_more"]:
            return rows
        after = page["next"]
    raise AssertionError("more than 100 pages of outbox rows")


def wait_until(pred, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError("timed out after %.0fs waiting for %s" % (timeout, what))


def row_for(lucia, recipient):
    rows = [r for r in outbox_rows(lucia) if r["recipient"] == recipient]
    return rows[0] if len(rows) == 1 else None


def wait_state(lucia, recipient, states=("sent", "failed"), timeout=30.0):
    def done():
        r = row_for(lucia, recipient)
        return r if r and r["state"] in states else None
    return wait_until(done, timeout, "%s to reach %s" % (recipient, "/".join(states)))


class OutboxCase(unittest.TestCase):
    """One engine with a stand-in for each provider, short backoffs."""
    extra_env = {}

    @classmethod
    def setUpClass(cls):
        cls.standin = standin.StandIn().start()
        env = dict(FAST)
        env.update(cls.standin.env())
        env.update(cls.extra_env)
        cls.lucia = Lucia(env=env).start()

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()
        cls.standin.stop()

    def join(self, email, ip=None, **extra):
        body = {"email": email}
        body.update(extra)
        return post_from(self.lucia, ip or fresh_address(), "/api/waitlist", body)


class DeliveryTest(OutboxCase):
    def test_success_stores_resend_id_and_sends_the_idempotency_key(self):
        r = self.join("first.guest@example.com")
        self.assertEqual((r.status, r.json()), (201, {"status": "queued"}))
        row = wait_state(self.lucia, "first.guest@example.com")
        self.assertEqual((row["state"], row["attempts"], row["channel"], row["provider"]),
                         ("sent", 1, "email", "resend"))
        self.assertEqual(row["kind"], "waitlist_welcome")
        self.assertIsNone(row["last_error"])
        self.assertIsNotNone(row["sent_at"])
        self.assertTrue(row["id"].startswith("ob_"))
        reqs = self.standin.received(lambda q: q["to"] == "first.guest@example.com")
        self.assertEqual(len(reqs), 1)
        self.assertEqual(reqs[0]["auth"], "Bearer " + standin.RESEND_KEY)
        self.assertEqual(reqs[0]["key"], row["idempotency_key"])
        self.assertEqual(row["provider_id"], reqs[0]["id"])
        sent = reqs[0]["json"]
        self.assertEqual(sent["from"], standin.EMAIL_FROM)
        self.assertEqual(sent["to"], ["first.guest@example.com"])
        self.assertEqual(sent["subject"], row["subject"])
        self.assertIn("waitlist", sent["text"])

    def test_500_twice_then_success(self):
        self.standin.plan("flaky500@", 500, 500)
        self.assertEqual(self.join("flaky500@example.com").status, 201)
        row = wait_state(self.lucia, "flaky500@example.com")
        self.assertEqual((row["state"], row["attempts"]), ("sent", 3))
        self.assertIn("HTTP 500", row["last_error"])  # kept: it was sent after errors
        reqs = self.standin.received(lambda q: q["to"] == "flaky500@example.com")
        self.assertEqual([q["answer"] for q in reqs], [500, 500, 200])
        self.assertEqual({q["key"] for q in reqs}, {row["idempotency_key"]})
        self.assertEqual(len(self.standin.delivered(lambda d: d["to"] == "flaky500@example.com")),
                         1)

    def test_422_fails_at_once_with_the_error_kept(self):
        self.standin.plan("bad422@", 422)
        self.assertEqual(self.join("bad422@example.com").status, 201)
        row = wait_state(self.lucia, "bad422@example.com")
        self.assertEqual((row["state"], row["attempts"]), ("failed", 1))
        self.assertIn("HTTP 422", row["last_error"])
        self.assertIn("validation_error", row["last_error"])
        self.assertIn("stand-in error 422", row["last_error"])
        time.sleep(0.5)
        self.assertEqual(len(self.standin.received(lambda q: q["to"] == "bad422@example.com")), 1)

    def test_429_honours_retry_after(self):
        self.standin.plan("busy429@", (429, {"Retry-After": "2"}))
        self.assertEqual(self.join("busy429@example.com").status, 201)
        row = wait_state(self.lucia, "busy429@example.com")
        self.assertEqual((row["state"], row["attempts"]), ("sent", 2))
        reqs = self.standin.received(lambda q: q["to"] == "busy429@example.com")
        self.assertEqual([q["answer"] for q in reqs], [429, 200])
        gap = reqs[1]["t"] - reqs[0]["t"]
        self.assertGreaterEqual(gap, 1.9, "Retry-After: 2 was not honoured (backoff is 50 ms)")

    def test_eight_attempts_then_failed(self):
        self.standin.plan("down503@", *([503] * 12))
        self.assertEqual(self.join("down503@example.com").status, 201)
        row = wait_state(self.lucia, "down503@example.com", ("failed",), timeout=60)
        self.assertEqual(row["attempts"], 8)
        self.assertIn("gave up after 8 attempts", row["last_error"])
        time.sleep(0.5)
        reqs = self.standin.received(lambda q: q["to"] == "down503@example.com")
        self.assertEqual(len(reqs), 8)
        # Backoff doubles from 50 ms: the last gap is at least 50 * 2^6 ms.
        self.assertGreaterEqual(reqs[7]["t"] - reqs[6]["t"], 3.1)

    def test_secrets_and_addresses_stay_out_of_logs_and_errors(self):
        self.standin.plan("leaky@", 422)
        self.assertEqual(self.join("leaky@example.com").status, 201)
        wait_state(self.lucia, "leaky@example.com")
        body = self.lucia.get("/api/outbox?limit=500").body.decode()
        log = self.lucia.log_text()
        for secret in (standin.RESEND_KEY, standin.TWILIO_TOKEN, SERVICE_KEY):
            self.assertNotIn(secret, body)
            self.assertNotIn(secret, log)
        self.assertNotIn("leaky@example.com", log)
        self.assertNotIn("first.guest@example.com", log)


class TimeoutTest(OutboxCase):
    extra_env = {"LUCIA_OUTBOX_TIMEOUT_MS": "1000"}

    def test_timeout_is_retried_under_the_same_key(self):
        # The first call is accepted but answered after the 1 s timeout.
        self.standin.plan("slowpoke@", ("sleep", 2.5))
        self.assertEqual(self.join("slowpoke@example.com").status, 201)
        row = wait_state(self.lucia, "slowpoke@example.com")
        self.assertEqual((row["state"], row["attempts"]), ("sent", 2))
        self.assertIn("network", row["last_error"])
        reqs = self.standin.received(lambda q: q["to"] == "slowpoke@example.com")
        self.assertEqual(len(reqs), 2)
        self.assertEqual({q["key"] for q in reqs}, {row["idempotency_key"]})
        # Resend recognised the key: delivered once, and the id is the first's.
        ds = self.standin.delivered(lambda d: d["to"] == "slowpoke@example.com")
        self.assertEqual(len(ds), 1)
        self.assertEqual(row["provider_id"], ds[0]["id"])


class OutboxListTest(OutboxCase):
    def test_filters_pagination_and_roles(self):
        for i in range(3):
            self.assertEqual(self.join("list%d@example.com" % i).status, 201)
        for i in range(3):
            wait_state(self.lucia, "list%d@example.com" % i)
        r = self.lucia.get("/api/outbox?limit=2")
        self.assertEqual(r.status, 200)
        page = r.json()
        self.assertEqual(len(page["data"]), 2)
        self.assertTrue(page["has_more"])
        rest = self.lucia.get("/api/outbox?limit=500&after=" + page["next"]).json()["data"]
        self.assertEqual(len(page["data"]) + len(rest), len(outbox_rows(self.lucia)))
        self.assertTrue(all(x["state"] == "sent" for x in outbox_rows(self.lucia, "state=sent")))
        self.assertEqual(outbox_rows(self.lucia, "state=failed"), [])
        self.assertEqual(outbox_rows(self.lucia, "channel=sms"), [])
        self.assertEqual(len(outbox_rows(self.lucia, "kind=waitlist_welcome")), 3)
        for q in ("state=lost", "channel=fax", "limit=0", "limit=501"):
            r = self.lucia.get("/api/outbox?" + q)
            self.assertEqual(r.status, 400, q)
        self.assertTrue(all("payload" not in x for x in outbox_rows(self.lucia)))
        ch = page["channels"]
        self.assertEqual(ch["email"], {"provider": "resend", "configured": True})
        self.assertTrue(ch["sms"]["configured"] and ch["whatsapp"]["configured"])
        # /metrics counts the rows by state, across processes.
        metrics = self.lucia.get("/metrics").body.decode()
        sent = len(outbox_rows(self.lucia, "state=sent"))
        self.assertIn('lucia_outbox_rows{state="sent"} %d\n' % sent, metrics)
        self.assertIn('lucia_outbox_rows{state="queued"} 0\n', metrics)
        # Owners and the service key only.
        owner = tokens.hs256(tokens.claims_for("owner"), SECRET)
        operator = tokens.hs256(tokens.claims_for("operator", ["prop_x"]), SECRET)
        self.assertEqual(self.lucia.get("/api/outbox", token=owner).status, 200)
        self.assertEqual(self.lucia.get("/api/outbox", token=operator).status, 403)
        self.assertEqual(self.lucia.get("/api/outbox", token=None).status, 401)


class WaitlistTest(OutboxCase):
    def test_new_then_known_lowercased_one_email(self):
        r = self.join("Ana.Ruiz@Example.COM", name="Ana Ruiz", source="landing")
        self.assertEqual((r.status, r.json()), (201, {"status": "queued"}))
        r = self.join("ana.ruiz@example.com")
        self.assertEqual((r.status, r.json()), (200, {"status": "already_listed"}))
        r = self.join("ANA.RUIZ@EXAMPLE.COM", name="Someone else")
        self.assertEqual((r.status, r.json()), (200, {"status": "already_listed"}))
        rows = self.lucia.db.query("SELECT email, name, source FROM waitlist WHERE email LIKE ?",
                                   "%ruiz%")
        self.assertEqual(rows, [{"email": "ana.ruiz@example.com", "name": "Ana Ruiz",
                                 "source": "landing"}])
        wait_state(self.lucia, "ana.ruiz@example.com")
        time.sleep(0.3)
        self.assertEqual(len([x for x in outbox_rows(self.lucia)
                              if x["recipient"] == "ana.ruiz@example.com"]), 1)
        self.assertEqual(len(self.standin.delivered(lambda d: d["to"] == "ana.ruiz@example.com")),
                         1)

    def test_concurrent_signups_of_one_address_queue_one_email(self):
        results = []
        lock = threading.Lock()

        def go(ip):
            r = post_from(self.lucia, ip, "/api/waitlist", {"email": "race@example.com"})
            with lock:
                results.append(r.status)

        threads = [threading.Thread(target=go, args=(fresh_address(),)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(sorted(results), [200] * 7 + [201])
        wait_state(self.lucia, "race@example.com")

    def test_validation(self):
        ip = fresh_address()
        cases = [
            ({}, "invalid_field", "email"),
            ({"email": "not-an-email"}, "invalid_field", "email"),
            ({"email": 42}, "invalid_field", "email"),
            ({"email": "a@example.com", "name": "x" * 201}, "invalid_field", "name"),
            ({"email": "a@example.com", "source": "s" * 101}, "invalid_field", "source"),
            ({"email": "a@example.com", "plan": "pro"}, "unknown_field", "plan"),
        ]
        for body, code, field in cases:
            r = post_from(self.lucia, ip, "/api/waitlist", body)
            self.assertEqual(r.status, 400, body)
            self.assertEqual(r.json()["error"]["code"], code, body)
            self.assertEqual(r.json()["error"].get("field"), field, body)
        r = post_from(self.lucia, fresh_address(), "/api/waitlist", "{not json")
        self.assertEqual((r.status, r.json()["error"]["code"]), (400, "invalid_json"))
        self.assertEqual(self.lucia.db.scalar("SELECT count(*) FROM waitlist WHERE email = ?",
                                              "a@example.com"), 0)

    def test_rate_limit_per_client_address(self):
        ip = fresh_address()
        statuses, retry = [], None
        for i in range(25):
            r = post_from(self.lucia, ip, "/api/waitlist", {"email": "rl%d@example.com" % i})
            statuses.append(r.status)
            if r.status == 429:
                retry = retry or r
        self.assertIn(429, statuses)
        # Fixed one-minute windows: at most two windows' worth got through.
        self.assertLessEqual(len([s for s in statuses if s != 429]), 20)
        self.assertEqual(statuses[:1], [201])
        self.assertEqual(retry.json()["error"]["code"], "rate_limited")
        self.assertTrue(1 <= int(retry.header("Retry-After")) <= 60, retry.header("Retry-After"))
        # Another client is not limited by this one.
        r = post_from(self.lucia, fresh_address(), "/api/waitlist", {"email": "other@example.com"})
        self.assertEqual(r.status, 201)
        # Invalid bodies count too: hammering with junk is limited the same way.
        ip = fresh_address()
        junk = [post_from(self.lucia, ip, "/api/waitlist", {}).status for _ in range(25)]
        self.assertIn(429, junk)

    def test_idempotency_key_replays(self):
        ip = fresh_address()
        h = {"Idempotency-Key": "wl-key-1"}
        a = post_from(self.lucia, ip, "/api/waitlist", {"email": "idem@example.com"}, h)
        b = post_from(self.lucia, ip, "/api/waitlist", {"email": "idem@example.com"}, h)
        self.assertEqual((a.status, b.status), (201, 201))
        self.assertEqual(b.header("Idempotent-Replayed"), "true")
        wait_state(self.lucia, "idem@example.com")


class VerificationTest(OutboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.prop = cls.lucia.post("/api/properties", {"name": "Villa Verify"}).json()["id"]

    def guest(self, email="Mia.Rossi@Example.com", **kw):
        body = {"property_id": self.prop, "name": "Mia Rossi", "email": email}
        body.update(kw)
        r = self.lucia.post("/api/guests", body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def token_sent_to(self, email, n=1):
        self.standin.wait_for(lambda: len(self.standin.delivered(lambda d: d["to"] == email)) >= n,
                              what="verification email to " + email)
        text = self.standin.delivered(lambda d: d["to"] == email)[n - 1]["json"]["text"]
        m = re.search(r"/verify\?token=([A-Za-z0-9_-]+)", text)
        self.assertIsNotNone(m, text)
        self.assertIn(self.lucia.env().get("LUCIA_PUBLIC_URL", "http://127.0.0.1:%d"
                                           % self.lucia.port) + "/verify?token=", text)
        return m.group(1)

    def test_verify_once(self):
        g = self.guest(email="Mia.Rossi@Example.com")
        self.assertIsNone(g["email_verified_at"])
        r = self.lucia.post("/api/guests/%s/verify-email" % g["id"])
        self.assertEqual(r.status, 202, r)
        answer = r.json()
        self.assertEqual(answer["status"], "queued")
        self.assertEqual(answer["guest_id"], g["id"])
        token = self.token_sent_to("mia.rossi@example.com")
        # Only the token's SHA-256 is stored; the sent email's link is blanked.
        stored = self.lucia.db.query(
            "SELECT token_hash FROM email_verifications WHERE guest_id = ?", g["id"])
        self.assertEqual(stored, [{"token_hash": hashlib.sha256(token.encode()).hexdigest()}])
        wait_state(self.lucia, "mia.rossi@example.com")
        payload = self.lucia.db.scalar("SELECT payload FROM outbox WHERE id = ?",
                                       answer["outbox_id"])
        self.assertNotIn(token, payload)
        r = self.lucia.get("/verify?token=" + token, token=None)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["status"], "verified")
        g2 = self.lucia.get("/api/guests/" + g["id"]).json()
        self.assertEqual(g2["email_verified_at"], r.json()["email_verified_at"])
        self.assertEqual(g2["version"], g["version"] + 1)
        again = self.lucia.get("/verify?token=" + token, token=None)
        self.assertEqual((again.status, again.json()["error"]["code"]), (410, "token_used"))
        html = self.lucia.get("/verify?token=" + token, token=None,
                              headers={"Accept": "text/html,*/*"})
        self.assertEqual(html.status, 410)
        self.assertTrue(html.header("Content-Type").startswith("text/html"))
        self.assertIn(b"already been used", html.body)
        audit = self.lucia.get("/api/audit?entity_id=" + g["id"]).json()["data"]
        self.assertIn("guest.updated", [e["action"] for e in audit])

    def test_html_answer_for_a_browser(self):
        g = self.guest(email="html.guest@example.com")
        self.assertEqual(self.lucia.post("/api/guests/%s/verify-email" % g["id"]).status, 202)
        token = self.token_sent_to("html.guest@example.com")
        r = self.lucia.get("/verify?token=" + token, token=None,
                           headers={"Accept": "text/html"})
        self.assertEqual(r.status, 200)
        self.assertIn(b"Email confirmed", r.body)

    def test_expired_and_unknown_tokens(self):
        g = self.guest(email="late.guest@example.com")
        self.assertEqual(self.lucia.post("/api/guests/%s/verify-email" % g["id"]).status, 202)
        token = self.token_sent_to("late.guest@example.com")
        self.lucia.db.execute(("UPDATE email_verifications SET expires_at = ? WHERE guest_id = ?",
                               ("2020-01-01T00:00:00Z", g["id"])))
        r = self.lucia.get("/verify?token=" + token, token=None)
        self.assertEqual((r.status, r.json()["error"]["code"]), (410, "token_expired"))
        self.assertIsNone(self.lucia.get("/api/guests/" + g["id"]).json()["email_verified_at"])
        for bad in ("", "short", token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 43,
                    urllib.parse.quote("<script>")):
            r = self.lucia.get("/verify?token=" + bad, token=None)
            self.assertEqual((r.status, r.json()["error"]["code"]), (400, "invalid_token"), bad)
        r = self.lucia.get("/verify", token=None)
        self.assertEqual(r.status, 400)

    def test_email_change_unverifies_and_voids_old_links(self):
        g = self.guest(email="moving.guest@example.com")
        self.assertEqual(self.lucia.post("/api/guests/%s/verify-email" % g["id"]).status, 202)
        first = self.token_sent_to("moving.guest@example.com")
        self.assertEqual(self.lucia.post("/api/guests/%s/verify-email" % g["id"]).status, 202)
        second = self.token_sent_to("moving.guest@example.com", 2)
        self.assertEqual(self.lucia.get("/verify?token=" + first, token=None).status, 200)
        r = self.lucia.patch("/api/guests/" + g["id"], {"name": "Mover"})
        self.assertIsNotNone(r.json()["email_verified_at"])  # same email: still verified
        r = self.lucia.patch("/api/guests/" + g["id"], {"email": "new.home@example.com"})
        self.assertIsNone(r.json()["email_verified_at"])
        r = self.lucia.get("/verify?token=" + second, token=None)
        self.assertEqual((r.status, r.json()["error"]["code"]), (410, "email_changed"))

    def test_refusals(self):
        g = self.guest(email=None, phone="+14155550100")
        r = self.lucia.post("/api/guests/%s/verify-email" % g["id"])
        self.assertEqual((r.status, r.json()["error"]["code"]), (422, "guest_has_no_email"))
        r = self.lucia.post("/api/guests/gst_00000000000000000000000000/verify-email")
        self.assertEqual(r.status, 404)
        g = self.guest(email="scoped@example.com")
        other = tokens.hs256(tokens.claims_for("operator", ["prop_elsewhere"]), SECRET)
        viewer = tokens.hs256(tokens.claims_for("viewer", [self.prop]), SECRET)
        self.assertEqual(self.lucia.post("/api/guests/%s/verify-email" % g["id"],
                                         token=other).status, 404)
        self.assertEqual(self.lucia.post("/api/guests/%s/verify-email" % g["id"],
                                         token=viewer).status, 403)
        r = self.lucia.post("/api/guests/%s/verify-email" % g["id"], {"send": True})
        self.assertEqual((r.status, r.json()["error"]["code"]), (400, "unknown_field"))
        self.assertEqual(self.lucia.db.scalar(
            "SELECT count(*) FROM email_verifications WHERE guest_id = ?", g["id"]), 0)


class ReplyTest(OutboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.prop = cls.lucia.post("/api/properties", {"name": "Villa Reply"}).json()["id"]

    def guest(self, phone):
        body = {"property_id": self.prop, "name": "Luca Bianchi"}
        if phone:
            body["phone"] = phone
        r = self.lucia.post("/api/guests", body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def inbound_whatsapp(self, guest, hours_ago):
        """An inbound WhatsApp message as intake stores it, received hours_ago."""
        t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - hours_ago * 3600))
        mid = "msg_%026d" % int(time.time() * 1000000 + hours_ago)
        self.lucia.db.execute((
            "INSERT INTO messages (id, property_id, guest_id, thread_id, channel, direction, "
            "provider, provider_id, from_addr, body, status, version, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 'whatsapp', 'inbound', 'twilio', ?, ?, 'Ciao', 'received', 1, "
            "?, ?)", (mid, self.prop, guest["id"], mid, "SMin" + mid, "whatsapp:" + guest["phone"],
                      t, t)))
        return mid

    def reply(self, guest_id, channel, body="Your table is booked for 8pm.", **kw):
        return self.lucia.post("/api/messages", {"guest_id": guest_id, "channel": channel,
                                                  "body": body}, **kw)

    def wait_message(self, mid, status="sent"):
        def done():
            rows = self.lucia.db.query("SELECT status, provider_id FROM messages WHERE id = ?", mid)
            return rows[0] if rows and rows[0]["status"] == status else None
        return wait_until(done, 30, "message %s to be %s" % (mid, status))

    def test_sms_reply_is_sent_and_threaded(self):
        g = self.guest("+14155550111")
        r = self.reply(g["id"], "sms")
        self.assertEqual(r.status, 201, r)
        m = r.json()
        self.assertEqual((m["status"], m["direction"], m["channel"], m["provider"]),
                         ("queued", "outbound", "sms", "twilio"))
        self.assertEqual((m["to_addr"], m["from_addr"]), ("+14155550111", standin.SMS_FROM))
        self.assertEqual(m["thread_id"], m["id"])  # the guest's first SMS: a new thread
        self.assertTrue(m["outbox_id"].startswith("ob_"))
        row = self.wait_message(m["id"])
        reqs = self.standin.received(lambda q: q["to"] == "+14155550111")
        self.assertEqual(len(reqs), 1)
        self.assertEqual(reqs[0]["form"], {"To": "+14155550111", "From": standin.SMS_FROM,
                                           "Body": "Your table is booked for 8pm."})
        self.assertEqual(row["provider_id"], reqs[0]["id"])
        ob = [x for x in outbox_rows(self.lucia) if x["message_id"] == m["id"]]
        self.assertEqual(len(ob), 1)
        self.assertEqual((ob[0]["state"], ob[0]["provider_id"], ob[0]["provider_status"]),
                         ("sent", reqs[0]["id"], "queued"))
        # The next reply joins the same thread.
        r2 = self.reply(g["id"], "sms", "See you then.")
        self.assertEqual(r2.json()["thread_id"], m["id"])
        self.wait_message(r2.json()["id"])
        got = self.lucia.get("/api/messages/" + m["id"])
        if got.status == 200:  # intake's reader (issue 6, the inbound half)
            self.assertEqual((got.json()["status"], got.json()["provider_id"]),
                             ("sent", reqs[0]["id"]))
        audit = self.lucia.get("/api/audit?entity_id=" + m["id"]).json()["data"]
        self.assertEqual([e["action"] for e in audit], ["message.created", "message.updated"])

    def test_whatsapp_window(self):
        g = self.guest("+14155550122")
        before = len(outbox_rows(self.lucia))
        r = self.reply(g["id"], "whatsapp")
        self.assertEqual((r.status, r.json()["error"]["code"]), (422, "whatsapp_window_closed"))
        self.inbound_whatsapp(g, hours_ago=25)
        r = self.reply(g["id"], "whatsapp")
        self.assertEqual((r.status, r.json()["error"]["code"]), (422, "whatsapp_window_closed"))
        self.assertEqual(len(outbox_rows(self.lucia)), before)  # nothing queued
        self.assertEqual(self.lucia.db.scalar(
            "SELECT count(*) FROM messages WHERE guest_id = ? AND direction = 'outbound'",
            g["id"]), 0)
        thread = self.inbound_whatsapp(g, hours_ago=23)
        r = self.reply(g["id"], "whatsapp", "Ciao! Confirmed.")
        self.assertEqual(r.status, 201, r)
        m = r.json()
        self.assertEqual((m["to_addr"], m["from_addr"], m["thread_id"]),
                         ("whatsapp:+14155550122", standin.WHATSAPP_FROM, thread))
        self.wait_message(m["id"])
        req = self.standin.received(lambda q: q["to"] == "whatsapp:+14155550122")[0]
        self.assertEqual(req["form"]["From"], standin.WHATSAPP_FROM)
        # SMS has no window.
        self.assertEqual(self.reply(g["id"], "sms").status, 201)

    def test_refusals(self):
        g = self.guest(None)
        r = self.reply(g["id"], "sms")
        self.assertEqual((r.status, r.json()["error"]["code"]), (422, "guest_has_no_phone"))
        r = self.reply("gst_00000000000000000000000000", "sms")
        self.assertEqual(r.status, 404)
        g = self.guest("+14155550133")
        for body in ({"guest_id": g["id"], "channel": "email", "body": "x"},
                     {"guest_id": g["id"], "channel": "sms", "body": ""},
                     {"guest_id": g["id"], "channel": "sms", "body": "x" * 1601},
                     {"guest_id": g["id"], "channel": "sms"},
                     {"guest_id": g["id"], "channel": "sms", "body": "x", "to": "+1"}):
            self.assertEqual(self.lucia.post("/api/messages", body).status, 400, body)
        viewer = tokens.hs256(tokens.claims_for("viewer", [self.prop]), SECRET)
        other = tokens.hs256(tokens.claims_for("operator", ["prop_elsewhere"]), SECRET)
        mine = tokens.hs256(tokens.claims_for("operator", [self.prop]), SECRET)
        self.assertEqual(self.reply(g["id"], "sms", token=viewer).status, 403)
        self.assertEqual(self.reply(g["id"], "sms", token=other).status, 404)
        self.assertEqual(self.reply(g["id"], "sms", token=mine).status, 201)

    def test_idempotency_key_queues_once(self):
        g = self.guest("+14155550144")
        h = {"Idempotency-Key": "reply-once"}
        a = self.reply(g["id"], "sms", "Once.", headers=h)
        b = self.reply(g["id"], "sms", "Once.", headers=h)
        self.assertEqual((a.status, b.status), (201, 201))
        self.assertEqual(a.json(), b.json())
        c = self.reply(g["id"], "sms", "Twice?", headers=h)
        self.assertEqual((c.status, c.json()["error"]["code"]), (409, "idempotency_mismatch"))
        self.wait_message(a.json()["id"])
        time.sleep(0.3)
        self.assertEqual(len(self.standin.received(lambda q: q["to"] == "+14155550144")), 1)

    def test_twilio_refusal_fails_the_message(self):
        g = self.guest("+14155550155")
        self.standin.plan("+14155550155", 400)
        r = self.reply(g["id"], "sms")
        self.assertEqual(r.status, 201)
        self.wait_message(r.json()["id"], "failed")
        ob = [x for x in outbox_rows(self.lucia) if x["message_id"] == r.json()["id"]][0]
        self.assertEqual((ob["state"], ob["attempts"]), ("failed", 1))
        self.assertIn("HTTP 400", ob["last_error"])
        self.assertIn("code 21211", ob["last_error"])
        self.assertNotIn(standin.TWILIO_TOKEN, self.lucia.log_text())
        self.assertNotIn("+14155550155", self.lucia.log_text())


class IdleTest(OutboxCase):
    def db_calls(self):
        text = self.lucia.get("/metrics").body.decode()
        m = re.search(r"^lucia_db_query_duration_seconds_count (\d+)$", text, re.M)
        return int(m.group(1))

    def test_idle_worker_does_not_spin(self):
        # A row no claim may take (every attempt used, yet queued: an edited
        # row) must not make the worker wake again and again: idle, it reads
        # the database about three times per OUTBOX_POLL_MS (1 s).
        self.assertEqual(self.join("idle@example.com").status, 201)
        wait_state(self.lucia, "idle@example.com")
        self.lucia.db.execute(("UPDATE outbox SET state = 'queued', attempts = 8 "
                               "WHERE recipient = ?", ("idle@example.com",)))
        time.sleep(0.5)
        before = self.db_calls()
        time.sleep(3.0)
        calls = self.db_calls() - before
        self.assertLess(calls, 40, "an idle engine made %d database calls in 3 s" % calls)
        self.assertEqual(len(self.standin.received(lambda q: q["to"] == "idle@example.com")), 1)


class UnconfiguredTest(unittest.TestCase):
    def test_rows_stay_queued_until_a_provider_is_configured(self):
        lucia = Lucia(env=dict(FAST)).start()
        try:
            r = post_from(lucia, fresh_address(), "/api/waitlist", {"email": "wait@example.com"})
            self.assertEqual(r.status, 201)
            time.sleep(2.5)  # more than two polls
            page = lucia.get("/api/outbox").json()
            self.assertEqual([(x["recipient"], x["state"], x["attempts"], x["provider_id"])
                              for x in page["data"]],
                             [("wait@example.com", "queued", 0, None)])
            self.assertEqual(page["channels"]["email"],
                             {"provider": "resend", "configured": False,
                              "missing": "RESEND_API_KEY, LUCIA_EMAIL_FROM"})
            warnings = [l for l in lucia.log_lines() if "no provider configured" in
                        l.get("message", "")]
            self.assertEqual(len(warnings), 1)
            lucia.stop()
            with standin.StandIn() as s:
                env = dict(FAST)
                env.update(s.env())
                lucia.extra_env = env
                lucia.start()
                row = wait_state(lucia, "wait@example.com")
                self.assertEqual((row["state"], row["attempts"]), ("sent", 1))
                self.assertEqual(len(s.delivered()), 1)
        finally:
            lucia.close()


class CrashTest(unittest.TestCase):
    def test_sigterm_finishes_the_current_row(self):
        with standin.StandIn() as s:
            s.plan("term@", ("sleep", 1.5))
            env = dict(FAST, LUCIA_OUTBOX_TIMEOUT_MS="5000")
            env.update(s.env())
            lucia = Lucia(env=env).start()
            try:
                post_from(lucia, fresh_address(), "/api/waitlist", {"email": "term@example.com"})
                s.wait_for(lambda: s.received(lambda q: q["to"] == "term@example.com"),
                           what="the send to begin")
                self.assertEqual(lucia.stop(), 0)
                row = lucia.db.query("SELECT state, attempts, provider_id FROM outbox "
                                     "WHERE recipient = ?", "term@example.com")[0]
                self.assertEqual((row["state"], row["attempts"]), ("sent", 1))
                self.assertEqual(row["provider_id"], s.delivered()[0]["id"])
            finally:
                lucia.close()

    def test_kill9_mid_send_loses_nothing_and_resends_only_under_its_key(self):
        with standin.StandIn() as s:
            emails = ["crash%d@example.com" % i for i in range(6)]
            for e in emails:
                s.plan(e, ("sleep", 0.7))  # accepted at once, answered later
            env = dict(FAST, LUCIA_OUTBOX_TIMEOUT_MS="4000")  # lease: 4 s + 10 s
            env.update(s.env())
            lucia = Lucia(env=env).start()
            try:
                for e in emails:
                    r = post_from(lucia, fresh_address(), "/api/waitlist", {"email": e})
                    self.assertEqual(r.status, 201)
                # Let a couple go through, then kill while one is in flight.
                s.wait_for(lambda: len(s.received()) >= 3, what="three sends")
                lucia.kill9()
                t_killed = time.monotonic()
                before = lucia.db.query("SELECT recipient, state, idempotency_key FROM outbox")
                self.assertEqual(len(before), 6)  # nothing lost
                in_flight = [r for r in before if r["state"] == "sending"]
                self.assertEqual(len(in_flight), 1, before)
                done_before = {r["recipient"] for r in before if r["state"] == "sent"}
                lucia.start()
                for e in emails:
                    wait_state(lucia, e, ("sent",), timeout=45)
                rows = {r["recipient"]: r for r in outbox_rows(lucia)}
                reqs = s.received()
                # Every request carried its row's key; rows already recorded
                # sent were never sent again; the one in flight was sent again
                # only after its lease ran out, under the same key, and Resend
                # (the stand-in) delivered it once.
                for q in reqs:
                    self.assertEqual(q["key"], rows[q["to"]]["idempotency_key"])
                for e in done_before:
                    self.assertEqual(len([q for q in reqs if q["to"] == e]), 1, e)
                resent = in_flight[0]["recipient"]
                tries = [q for q in reqs if q["to"] == resent]
                self.assertEqual(len(tries), 2)
                self.assertGreaterEqual(tries[1]["t"] - t_killed, 5.0)
                self.assertTrue(tries[1].get("replayed"))
                self.assertEqual(rows[resent]["attempts"], 2)
                self.assertIn("lease ran out", rows[resent]["last_error"])
                self.assertEqual(sorted(d["to"] for d in s.delivered()), sorted(emails))
                for e in emails:
                    self.assertEqual(rows[e]["provider_id"],
                                     [d for d in s.delivered() if d["to"] == e][0]["id"])
            finally:
                lucia.close()


class TwoProcessesTest(unittest.TestCase):
    def test_200_emails_sent_exactly_once_by_two_engines(self):
        with standin.StandIn() as s:
            # The default 15 s call timeout: a loaded machine must not turn a
            # slow answer into a (legitimate) retry that this count would see.
            env = dict(FAST, LUCIA_OUTBOX_TIMEOUT_MS="15000")
            env.update(s.env())
            a = Lucia(env=env).start()
            b = Lucia(env=env, db=a.db).start()
            try:
                emails = ["pair%03d@example.com" % i for i in range(200)]
                clients = [fresh_address() for _ in range(25)]  # 8 sign-ups each
                errors = []

                def sign_up(chunk, n):
                    for i, e in enumerate(chunk):
                        engine = a if (n + i) % 2 else b
                        r = post_from(engine, clients[n], "/api/waitlist", {"email": e})
                        if r.status != 201:
                            errors.append(r)

                threads = [threading.Thread(target=sign_up, args=(emails[n * 8:(n + 1) * 8], n))
                           for n in range(25)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(120)
                self.assertEqual(errors, [])
                wait_until(lambda: len(outbox_rows(a, "state=sent")) == 200, 120,
                           "200 rows sent")
                time.sleep(1.0)  # anything sent twice would show by now
                reqs = s.received()
                by_key = {}
                for q in reqs:
                    by_key.setdefault(q["key"], []).append(q)
                twice = {k: [q.get("answer") for q in v] for k, v in by_key.items()
                         if len(v) > 1}
                self.assertEqual(twice, {}, "rows sent more than once")
                self.assertEqual(len(by_key), 200)
                self.assertEqual(len(reqs), 200)
                by_body = {(q["to"], q["json"]["subject"], q["json"]["text"]) for q in reqs}
                self.assertEqual(len(by_body), 200)
                self.assertEqual(sorted(q["to"] for q in reqs), emails)
                rows = outbox_rows(a)
                self.assertTrue(all(r["attempts"] == 1 for r in rows))
                senders = [len([l for l in e.log_lines()
                                if "sent through resend" in l.get("message", "")])
                           for e in (a, b)]
                self.assertEqual(sum(senders), 200)
                self.assertTrue(all(n > 0 for n in senders), senders)
            finally:
                b.close()
                a.close()


if __name__ == "__main__":
    unittest.main()
