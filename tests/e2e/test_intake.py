"""Inbound messages (SPEC §7, issue 6 items 1-4 read side) end to end:
Twilio SMS, MMS and WhatsApp with X-Twilio-Signature, Postmark email with
HTTP Basic auth, linking to guest and booking, unlinked senders, threads,
triage into `requested` items, duplicates stored once, and GET
/api/messages with its filters and scopes.

Signatures are computed here, independently of Lucia: with Python's
hmac/hashlib/base64 following Twilio's RequestValidator.compute_signature
(names sorted, then each name's values), and once with the openssl CLI.
Postmark payloads follow Postmark's documented inbound format
(fixtures/postmark_inbound.json)."""
import base64
import datetime
import hashlib
import hmac
import json
import os
import subprocess
import threading
import time
import unittest
import urllib.parse

import harness
from harness import Lucia
import tokens

TOKEN = "twilio-auth-token-0123456789abcdef"
PUBLIC_URL = "https://lucia.example.com"
PM_USER = "postmark-hook"
PM_PASSWORD = "pm-password-0123456789"
JWT_SECRET = "intake-test-secret-0123456789abcdef0123456789"
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")

ENV = {"TWILIO_AUTH_TOKEN": TOKEN, "LUCIA_PUBLIC_URL": PUBLIC_URL,
       "LUCIA_POSTMARK_USER": PM_USER, "LUCIA_POSTMARK_PASSWORD": PM_PASSWORD,
       "LUCIA_JWT_SECRET": JWT_SECRET}


def twilio_signature(url, pairs, token=TOKEN):
    """RequestValidator.compute_signature, written out."""
    s = url
    for name in sorted({n for n, _ in pairs}):
        for value in sorted(v for n, v in pairs if n == name):
            s += name + value
    return base64.b64encode(hmac.new(token.encode(), s.encode(), hashlib.sha1).digest()).decode()


def openssl_signature(url, pairs, token=TOKEN):
    s = url + "".join(n + v for n, v in sorted(pairs))
    mac = subprocess.run(["openssl", "dgst", "-sha1", "-hmac", token, "-binary"],
                         input=s.encode(), capture_output=True, check=True).stdout
    return base64.b64encode(mac).decode()


def day(offset):
    return (datetime.datetime.utcnow().date() + datetime.timedelta(days=offset)).isoformat()


_sids = iter(range(1, 1000000))


def sid():
    return "SM%032x" % next(_sids)


class IntakeBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lucia = Lucia(env=ENV).start()
        cls.prop = cls.ok(cls.lucia.post("/api/properties", {
            "name": "Villa Aurora", "time_zone": "Europe/Rome"}), 201)["id"]
        cls.other = cls.ok(cls.lucia.post("/api/properties", {
            "name": "Casa Marea", "time_zone": "America/Los_Angeles"}), 201)["id"]

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()

    @staticmethod
    def ok(r, status):
        assert r.status == status, r
        return r.json()

    def guest(self, prop=None, **kw):
        body = {"property_id": prop or self.prop, "name": kw.pop("name", "Guest")}
        body.update(kw)
        return self.ok(self.lucia.post("/api/guests", body), 201)

    def booking(self, guest, check_in, check_out, prop=None, status=None):
        b = self.ok(self.lucia.post("/api/bookings", {
            "property_id": prop or guest["property_id"], "guest_id": guest["id"],
            "check_in": check_in, "check_out": check_out}), 201)
        if status == "cancelled":
            self.ok(self.lucia.post("/api/bookings/%s/transition" % b["id"],
                                    {"to": "cancelled", "note": "guest cancelled"}), 200)
        return b

    def token(self, role, props):
        return tokens.hs256(tokens.claims_for(role, props), JWT_SECRET)

    # -- Twilio ------------------------------------------------------------
    def twilio(self, pairs, path="/webhooks/twilio", signature=None, url=None):
        body = urllib.parse.urlencode(pairs)
        if signature is None:
            signature = twilio_signature(url or PUBLIC_URL + path, pairs)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature is not False:
            headers["X-Twilio-Signature"] = signature
        return self.lucia.post(path, body, token=None, headers=headers)

    def sms(self, from_addr, body, message_sid=None, media=(), **extra):
        pairs = [("MessageSid", message_sid or sid()), ("AccountSid", "AC" + "0" * 32),
                 ("From", from_addr), ("To", "+15005550006"), ("Body", body),
                 ("NumMedia", str(len(media))), ("SmsStatus", "received")]
        for i, (url, ctype) in enumerate(media):
            pairs += [("MediaUrl%d" % i, url), ("MediaContentType%d" % i, ctype)]
        pairs += list(extra.items())
        r = self.twilio(pairs)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "text/xml")
        self.assertEqual(r.body, b"<Response></Response>")
        return dict(pairs)["MessageSid"]

    def message_by_provider_id(self, provider_id):
        rows = self.lucia.db.query("SELECT id FROM messages WHERE provider_id = ?", provider_id)
        self.assertEqual(len(rows), 1, provider_id)
        return self.ok(self.lucia.get("/api/messages/" + rows[0]["id"]), 200)

    def count(self, table="messages"):
        return int(self.lucia.db.scalar("SELECT count(*) AS n FROM %s" % table))

    # -- Postmark ----------------------------------------------------------
    def fixture(self, **changes):
        with open(os.path.join(FIXTURES, "postmark_inbound.json")) as f:
            payload = json.load(f)
        payload.update(changes)
        return payload

    def postmark(self, payload, user=PM_USER, password=PM_PASSWORD, auth=None):
        headers = {"Content-Type": "application/json"}
        if auth is None and user is not None:
            auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        if auth is not None:
            headers["Authorization"] = auth
        return self.lucia.post("/webhooks/postmark", json.dumps(payload), token=None,
                               headers=headers)

    def email(self, from_addr, subject, text, message_id=None, headers=(), **extra):
        payload = self.fixture(MessageID="pm-%s" % sid(), FromFull={"Email": from_addr},
                               From=from_addr, Subject=subject, TextBody=text,
                               StrippedTextReply="", Attachments=[])
        hdrs = [{"Name": "Message-ID", "Value": message_id or "<%s@mail.example.com>" % sid()}]
        hdrs += [{"Name": n, "Value": v} for n, v in headers]
        payload["Headers"] = hdrs
        payload.update(extra)
        r = self.postmark(payload)
        self.assertEqual(r.status, 200, r)
        return self.ok(self.lucia.get("/api/messages/" + r.json()["id"]), 200)


class TwilioTest(IntakeBase):
    def test_sms_linked_to_guest_and_current_booking_with_item(self):
        g = self.guest(name="Sam Sink", phone="+14155550101")
        self.booking(g, day(-30), day(-25))  # an old stay does not link
        current = self.booking(g, day(-2), day(3))
        self.booking(g, day(20), day(25))
        message_sid = self.sms("+14155550101", "The kitchen sink is leaking everywhere")
        m = self.message_by_provider_id(message_sid)
        self.assertEqual((m["channel"], m["direction"], m["provider"], m["status"]),
                         ("sms", "inbound", "twilio", "received"))
        self.assertEqual((m["property_id"], m["guest_id"], m["booking_id"]),
                         (self.prop, g["id"], current["id"]))
        self.assertEqual(m["thread_id"], m["id"])
        self.assertEqual(m["body"], "The kitchen sink is leaking everywhere")
        self.assertFalse(m["needs_human"])
        self.assertRegex(m["id"], r"^msg_")
        item = self.ok(self.lucia.get("/api/items/" + m["item_id"]), 200)
        self.assertEqual((item["kind"], item["state"], item["priority"], item["guest_impacting"]),
                         ("maintenance", "requested", "high", True))
        self.assertEqual((item["booking_id"], item["guest_id"], item["property_id"]),
                         (current["id"], g["id"], self.prop))
        self.assertEqual(item["title"], "The kitchen sink is leaking everywhere")
        self.assertEqual(item["details"], "The kitchen sink is leaking everywhere")
        # Intake never confirms: no transition was ever made.
        self.assertEqual(self.ok(self.lucia.get("/api/items/%s/history" % item["id"]),
                                 200)["data"], [])
        # Both records are in the audit chain (and so the change stream).
        for rid, action in ((m["id"], "message.created"), (item["id"], "item.created")):
            events = self.ok(self.lucia.get("/api/audit?entity_id=" + rid), 200)["data"]
            self.assertEqual([e["action"] for e in events], [action])
            self.assertEqual(events[0]["actor"], "intake:twilio")

    def test_safety_words_make_an_urgent_item(self):
        g = self.guest(name="Fay Flood", phone="+14155550102")
        b = self.booking(g, day(-1), day(4))
        m = self.message_by_provider_id(self.sms("+14155550102", "HELP the bathroom is flooding"))
        self.assertTrue(m["needs_human"])
        item = self.ok(self.lucia.get("/api/items/" + m["item_id"]), 200)
        self.assertEqual((item["kind"], item["priority"], item["guest_impacting"], item["state"],
                          item["booking_id"]),
                         ("maintenance", "urgent", True, "requested", b["id"]))

    def test_next_booking_when_none_current_and_cancelled_never(self):
        g = self.guest(name="Nell Next", phone="+14155550103")
        self.booking(g, day(2), day(5), status="cancelled")
        nxt = self.booking(g, day(9), day(12))
        self.booking(g, day(30), day(33))
        m = self.message_by_provider_id(self.sms("+14155550103", "Can you book a boat trip?"))
        self.assertEqual(m["booking_id"], nxt["id"])
        item = self.ok(self.lucia.get("/api/items/" + m["item_id"]), 200)
        self.assertEqual((item["kind"], item["priority"], item["booking_id"]),
                         ("concierge", "normal", nxt["id"]))

    def test_guest_without_stay_is_linked_without_booking(self):
        g = self.guest(name="Noa Nostay", phone="+14155550104")
        m = self.message_by_provider_id(self.sms("+14155550104", "Hello, just saying hi"))
        self.assertEqual((m["guest_id"], m["property_id"], m["booking_id"], m["item_id"]),
                         (g["id"], self.prop, None, None))

    def test_shared_phone_picks_guest_with_current_stay(self):
        # The same phone in two properties: the guest staying now wins over a
        # newer guest record with only a later stay.
        staying = self.guest(name="Tia Twin", phone="+14155550105")
        self.booking(staying, day(-1), day(2))
        later = self.guest(prop=self.other, name="Tia Twin", phone="+14155550105")
        self.booking(later, day(40), day(45))
        m = self.message_by_provider_id(self.sms("+14155550105", "no hot water"))
        self.assertEqual((m["guest_id"], m["property_id"]), (staying["id"], self.prop))
        # Nobody with a stay: the most recently created guest.
        a = self.guest(name="Ola Old", phone="+14155550106")
        b = self.guest(prop=self.other, name="Ola New", phone="+14155550106")
        m = self.message_by_provider_id(self.sms("+14155550106", "hi"))
        self.assertEqual(m["guest_id"], max(a["id"], b["id"]))

    def test_mms_keeps_media_references(self):
        g = self.guest(name="Mo Media", phone="+14155550107")
        media = [("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
                  "image/jpeg"),
                 ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
                  "video/mp4")]
        m = self.message_by_provider_id(self.sms("+14155550107", "", media=media))
        self.assertEqual(m["channel"], "mms")
        self.assertEqual(m["guest_id"], g["id"])
        self.assertEqual(m["media"], [{"url": u, "content_type": t} for u, t in media])
        self.assertIsNone(m["item_id"])  # a photo alone is for a person to look at

    def test_whatsapp_links_by_phone_and_threads_apart(self):
        g = self.guest(name="Wes App", phone="+393471234567")
        self.booking(g, day(-1), day(6))
        first = self.message_by_provider_id(
            self.sms("whatsapp:+393471234567", "Ciao! Can we have a massage tomorrow?",
                     ProfileName="Wes", WaId="393471234567"))
        self.assertEqual((first["channel"], first["guest_id"], first["from_addr"]),
                         ("whatsapp", g["id"], "whatsapp:+393471234567"))
        self.assertEqual(self.ok(self.lucia.get("/api/items/" + first["item_id"]),
                                 200)["kind"], "concierge")
        second = self.message_by_provider_id(self.sms("whatsapp:+393471234567", "grazie"))
        self.assertEqual(second["thread_id"], first["id"])
        # SMS and MMS from the same guest are one conversation; WhatsApp another.
        sms1 = self.message_by_provider_id(self.sms("+393471234567", "text one"))
        mms = self.message_by_provider_id(self.sms("+393471234567", "",
                                                   media=[("https://x.test/m", "image/png")]))
        self.assertNotEqual(sms1["thread_id"], first["thread_id"])
        self.assertEqual(mms["thread_id"], sms1["thread_id"])

    def test_unknown_sender_is_kept_unlinked(self):
        before_items = self.count("items")
        m = self.message_by_provider_id(self.sms("+12025550199", "Is the villa free in May?"))
        self.assertEqual((m["property_id"], m["guest_id"], m["booking_id"], m["item_id"]),
                         (None, None, None, None))
        self.assertTrue(m["needs_human"])
        self.assertEqual(self.count("items"), before_items)
        again = self.message_by_provider_id(self.sms("+12025550199", "The sink is leaking"))
        self.assertEqual(again["thread_id"], m["id"])  # per sender and channel
        self.assertEqual(self.count("items"), before_items)  # no property, no item
        listed = self.ok(self.lucia.get("/api/messages?unlinked=true&limit=500"), 200)["data"]
        ids = [x["id"] for x in listed]
        self.assertIn(m["id"], ids)
        self.assertTrue(all(x["property_id"] is None for x in listed))
        # Only the roles that see every property see unlinked messages.
        owner = self.token("owner", None)
        self.assertEqual(self.lucia.get("/api/messages/" + m["id"], token=owner).status, 200)
        op = self.token("operator", [self.prop, self.other])
        self.assertEqual(self.lucia.get("/api/messages/" + m["id"], token=op).status, 404)
        self.assertEqual(self.ok(self.lucia.get("/api/messages?unlinked=true", token=op),
                                 200)["data"], [])

    def test_duplicate_message_sid_stored_once(self):
        g = self.guest(name="Dee Dup", phone="+14155550108")
        self.booking(g, day(-1), day(1))
        pairs = [("MessageSid", sid()), ("From", "+14155550108"), ("To", "+15005550006"),
                 ("Body", "The wifi is down"), ("NumMedia", "0")]
        before = (self.count(), self.count("items"), self.count("audit_events"))
        for _ in range(3):
            r = self.twilio(pairs)
            self.assertEqual((r.status, r.body), (200, b"<Response></Response>"))
        self.assertEqual((self.count(), self.count("items"), self.count("audit_events")),
                         (before[0] + 1, before[1] + 1, before[2] + 2))

    def test_concurrent_deliveries_of_one_sid_store_once(self):
        # Twilio retrying while the first delivery is still in flight.
        pairs = [("MessageSid", sid()), ("From", "+14155550114"), ("Body", "broken window"),
                 ("NumMedia", "0")]
        before = self.count()
        results = []
        lock = threading.Lock()

        def deliver():
            r = self.twilio(pairs)
            with lock:
                results.append(r.status)

        threads = [threading.Thread(target=deliver) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(results, [200] * 8)
        self.assertEqual(self.count(), before + 1)

    def test_signature_over_query_and_sort_order(self):
        g = self.guest(name="Quinn Query", phone="+14155550109")
        path = "/webhooks/twilio?property=aurora&b=2&a=1"
        # Names whose order differs between byte order and a naive sort:
        # upper case before lower, "MediaUrl10" before "MediaUrl2".
        pairs = [("To", "+15005550006"), ("body", "lower-case name"), ("Body", "lights flicker"),
                 ("From", "+14155550109"), ("MessageSid", sid()), ("NumMedia", "0"),
                 ("a", "x"), ("B", "y"), ("MediaUrl10", "p"), ("MediaUrl2", "q")]
        sig = twilio_signature(PUBLIC_URL + path, pairs)
        self.assertEqual(sig, openssl_signature(PUBLIC_URL + path, pairs))
        # The same request signed over the parameters in arrival order fails.
        naive = PUBLIC_URL + path + "".join(n + v for n, v in pairs)
        wrong = base64.b64encode(hmac.new(TOKEN.encode(), naive.encode(),
                                          hashlib.sha1).digest()).decode()
        self.assertNotEqual(wrong, sig)
        before = self.count()
        self.assertEqual(self.twilio(pairs, path=path, signature=wrong).status, 403)
        # Without the query, or over another query, the signature is wrong.
        no_query = twilio_signature(PUBLIC_URL + "/webhooks/twilio", pairs)
        self.assertEqual(self.twilio(pairs, path=path, signature=no_query).status, 403)
        self.assertEqual(self.count(), before)
        r = self.twilio(pairs, path=path, signature=sig)
        self.assertEqual((r.status, r.body), (200, b"<Response></Response>"))
        m = self.message_by_provider_id(dict(pairs)["MessageSid"])
        self.assertEqual((m["guest_id"], m["body"]), (g["id"], "lights flicker"))

    def test_bad_signatures_are_403_and_store_nothing(self):
        pairs = [("MessageSid", sid()), ("From", "+14155550110"), ("Body", "fire!"),
                 ("NumMedia", "0")]
        before = (self.count(), self.count("items"), self.count("audit_events"))
        local = "http://127.0.0.1:%d/webhooks/twilio" % self.lucia.port
        cases = [
            ("missing", False),
            ("empty", ""),
            ("garbage", "not-a-signature"),
            ("other token", twilio_signature(PUBLIC_URL + "/webhooks/twilio", pairs,
                                             token="another-token")),
            ("local url", twilio_signature(local, pairs)),  # LUCIA_PUBLIC_URL is what counts
            ("other params", twilio_signature(PUBLIC_URL + "/webhooks/twilio",
                                              pairs[:-1] + [("NumMedia", "1")])),
        ]
        for name, signature in cases:
            r = self.twilio(pairs, signature=signature)
            self.assertEqual(r.status, 403, name)
            err = r.json()["error"]
            self.assertEqual(err["code"], "forbidden", name)
            self.assertNotIn(TOKEN, r.body.decode())
        self.assertEqual((self.count(), self.count("items"), self.count("audit_events")), before)
        # A port the SDK adds or drops is accepted, as RequestValidator does.
        with_port = twilio_signature("https://lucia.example.com:443/webhooks/twilio", pairs)
        self.assertEqual(self.twilio(pairs, signature=with_port).status, 200)
        self.assertEqual(self.count(), before[0] + 1)

    def test_status_callbacks_and_invalid_forms(self):
        before = self.count()
        r = self.twilio([("MessageSid", sid()), ("MessageStatus", "delivered"),
                         ("From", "+15005550006"), ("To", "+14155550111")])
        self.assertEqual((r.status, r.body), (200, b"<Response></Response>"))
        r = self.twilio([("From", "+14155550111"), ("Body", "no sid")])
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "MessageSid"))
        r = self.twilio([("MessageSid", sid()), ("From", "+14155550111"), ("NumMedia", "99")])
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "NumMedia"))
        many = [("MessageSid", sid()), ("From", "+14155550111")]
        many += [("p%d" % i, "1") for i in range(200)]
        self.assertEqual(self.twilio(many).status, 413)
        self.assertEqual(self.count(), before)

    def test_unconfigured_token_refuses_everything(self):
        with Lucia(env={"LUCIA_PUBLIC_URL": PUBLIC_URL}) as bare:
            pairs = [("MessageSid", sid()), ("From", "+14155550112"), ("Body", "hi")]
            r = bare.post("/webhooks/twilio", urllib.parse.urlencode(pairs), token=None,
                          headers={"Content-Type": "application/x-www-form-urlencoded",
                                   "X-Twilio-Signature": twilio_signature(
                                       PUBLIC_URL + "/webhooks/twilio", pairs)})
            self.assertEqual(r.status, 403)
            self.assertEqual(bare.db.scalar("SELECT count(*) AS n FROM messages"), 0)

    def test_metrics_count_webhook_results(self):
        self.sms("+14155550113", "hello")
        self.twilio([("MessageSid", sid()), ("From", "+1")], signature="bad")
        text = self.lucia.get("/metrics").body.decode()
        self.assertIn('lucia_webhook_results_total{source="twilio",outcome="stored"}', text)
        self.assertIn('lucia_webhook_results_total{source="twilio",outcome="bad_signature"}', text)


@unittest.skipUnless(harness.ON_POSTGRES, "a database outage is the real stack's")
class IntakeOutageTest(IntakeBase):
    def test_database_down_is_503_and_the_retry_stores_once(self):
        g = self.guest(name="Otto Outage", phone="+14155550401")
        pairs = [("MessageSid", sid()), ("From", "+14155550401"), ("Body", "AC is broken"),
                 ("NumMedia", "0")]
        with harness.backends().postgres.stopped():
            r = self.twilio(pairs)
            self.assertEqual((r.status, r.json()["error"]["code"]), (503, "unavailable"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            r = self.twilio(pairs)  # Twilio's retry
            if r.status != 503:
                break
            time.sleep(0.2)
        self.assertEqual((r.status, r.body), (200, b"<Response></Response>"))
        self.assertEqual(self.twilio(pairs).status, 200)
        m = self.message_by_provider_id(dict(pairs)["MessageSid"])
        self.assertEqual(m["guest_id"], g["id"])
        self.assertEqual(int(self.lucia.db.scalar(
            "SELECT count(*) AS n FROM items WHERE guest_id = ?", g["id"])), 1)


class PostmarkTest(IntakeBase):
    def test_documented_fixture_links_by_email_with_attachments(self):
        g = self.guest(name="Ann Quinn", email="ann.quinn@example.com", phone="+14155550201")
        b = self.booking(g, day(-3), day(2))
        payload = self.fixture()
        r = self.postmark(payload)
        self.assertEqual(r.status, 200, r)
        out = r.json()
        self.assertEqual(out["status"], "stored")
        m = self.ok(self.lucia.get("/api/messages/" + out["id"]), 200)
        self.assertEqual((m["channel"], m["provider"], m["provider_id"], m["direction"]),
                         ("email", "postmark", payload["MessageID"], "inbound"))
        self.assertEqual((m["guest_id"], m["property_id"], m["booking_id"]),
                         (g["id"], self.prop, b["id"]))
        self.assertEqual(m["from_addr"], "ann.quinn@example.com")
        self.assertEqual(m["subject"], "Leak in the bathroom")
        self.assertTrue(m["body"].startswith("Hi, the bathroom sink is leaking"))
        self.assertEqual(m["email_message_id"],
                         "<CAGXpo2WKfxHWZ5UFYCR3H_J9SNMG+5AXUovfEFL6DjWBJSyZaA@mail.example.com>")
        self.assertEqual(m["attachments"], [
            {"name": "leak.jpg", "content_type": "image/jpeg", "size": 4096},
            {"name": "invoice.pdf", "content_type": "application/pdf", "size": 12345}])
        # The attachment bytes are nowhere in the database.
        raw = self.lucia.db.query("SELECT attachments, body FROM messages WHERE id = ?", m["id"])
        self.assertNotIn("/9j/4AAQ", json.dumps(raw))
        dump = json.dumps(self.lucia.db.query("SELECT after_json FROM audit_events"))
        self.assertNotIn("/9j/4AAQ", dump)
        item = self.ok(self.lucia.get("/api/items/" + m["item_id"]), 200)
        self.assertEqual((item["kind"], item["state"], item["booking_id"], item["title"]),
                         ("maintenance", "requested", b["id"], "Leak in the bathroom"))
        # A repeated MessageID is stored once.
        before = (self.count(), self.count("items"))
        r = self.postmark(payload)
        self.assertEqual((r.status, r.json()["status"], r.json()["id"]),
                         (200, "duplicate", m["id"]))
        self.assertEqual((self.count(), self.count("items")), before)

    def test_bad_credentials_are_401_and_store_nothing(self):
        payload = self.fixture(MessageID="pm-auth-%s" % sid())
        before = (self.count(), self.count("audit_events"))
        cases = [
            dict(user=None),
            dict(user=PM_USER, password="wrong"),
            dict(user="someone", password=PM_PASSWORD),
            dict(user=PM_USER, password=PM_PASSWORD + "x"),
            dict(auth="Bearer " + PM_PASSWORD),
            dict(auth="Basic not-base64!"),
            dict(auth="Basic " + base64.b64encode(PM_USER.encode()).decode()),
        ]
        for kw in cases:
            r = self.postmark(payload, **kw)
            self.assertEqual(r.status, 401, kw)
            self.assertEqual(r.json()["error"]["code"], "unauthorized")
            self.assertTrue(r.header("WWW-Authenticate").startswith("Basic "), kw)
        self.assertEqual((self.count(), self.count("audit_events")), before)
        # A service bearer token is not Postmark's credential either.
        r = self.lucia.post("/webhooks/postmark", payload)
        self.assertEqual(r.status, 401)

    def test_payload_validation_and_unknown_fields(self):
        r = self.postmark("not json at all")
        self.assertEqual(r.status, 400)
        r = self.postmark({"FromFull": {"Email": "x@y.io"}})
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "MessageID"))
        # Fields Lucia does not know are Postmark's business, not an error.
        payload = self.fixture(MessageID="pm-new-%s" % sid(), SomethingPostmarkAdded={"x": 1},
                               FromFull={"Email": "stranger@example.org", "Name": "S"})
        r = self.postmark(payload)
        self.assertEqual(r.status, 200, r)
        m = self.ok(self.lucia.get("/api/messages/" + r.json()["id"]), 200)
        self.assertEqual((m["property_id"], m["guest_id"], m["needs_human"], m["item_id"]),
                         (None, None, True, None))

    def test_threading_by_in_reply_to_and_references(self):
        g = self.guest(name="Theo Thread", email="theo@example.com")
        self.booking(g, day(-1), day(5))
        first = self.email("Theo@Example.com", "Our arrival", "We land at 5pm.",
                           message_id="<first-1@mail.example.com>")
        self.assertEqual(first["thread_id"], first["id"])
        # A reply naming it joins its thread, even from an address no guest has.
        reply = self.email("theo.work@example.net", "Re: Our arrival", "Also, 2 kids.",
                           headers=[("In-Reply-To", "<first-1@mail.example.com>")])
        self.assertEqual(reply["thread_id"], first["id"])
        self.assertIsNone(reply["guest_id"])
        self.assertEqual(reply["in_reply_to"], "<first-1@mail.example.com>")
        # References alone, the known id among unknown ones.
        ref = self.email("someone@example.org", "Fwd", "see below",
                         headers=[("References", "<unknown@x> <first-1@mail.example.com> "
                                                 "<also-unknown@y>")])
        self.assertEqual(ref["thread_id"], first["id"])
        # The guest's next email without references: their open thread.
        again = self.email("theo@example.com", "Another thing", "Is there a crib?")
        self.assertEqual(again["thread_id"], first["id"])
        # Another guest's first email starts a thread of its own.
        other = self.guest(name="Una Other", email="una@example.com")
        hers = self.email("una@example.com", "Hello", "Hi there")
        self.assertEqual((hers["thread_id"], hers["guest_id"]), (hers["id"], other["id"]))
        listed = self.ok(self.lucia.get("/api/messages?thread_id=" + first["id"]), 200)["data"]
        self.assertEqual([x["id"] for x in listed],
                         [first["id"], reply["id"], ref["id"], again["id"]])

    def test_email_thread_closes_after_quiet_days(self):
        g = self.guest(name="Quiet Quill", email="quill@example.com")
        old = self.email("quill@example.com", "Booking", "hello")
        # Age the thread past INTAKE_EMAIL_THREAD_OPEN_DAYS (14).
        stale = "2020-01-01T00:00:00Z"
        self.lucia.db.execute(("UPDATE messages SET created_at = ? WHERE id = ?",
                               (stale, old["id"])))
        new = self.email("quill@example.com", "New trip", "hello again")
        self.assertEqual(new["guest_id"], g["id"])
        self.assertEqual(new["thread_id"], new["id"])


class MessagesApiTest(IntakeBase):
    def test_filters_pagination_and_scope(self):
        ga = self.guest(name="Alma A", phone="+14155550301")
        gb = self.guest(prop=self.other, name="Bert B", phone="+14155550302",
                        email="bert@example.com")
        for text in ("one", "two", "three"):
            self.sms("+14155550301", text)
        self.sms("whatsapp:+14155550301", "wa")
        self.email("bert@example.com", "Hi", "hello")
        mine = self.ok(self.lucia.get("/api/messages?guest_id=" + ga["id"]), 200)["data"]
        self.assertEqual([x["body"] for x in mine], ["one", "two", "three", "wa"])
        sms = self.ok(self.lucia.get("/api/messages?guest_id=%s&channel=sms" % ga["id"]),
                      200)["data"]
        self.assertEqual([x["body"] for x in sms], ["one", "two", "three"])
        self.assertEqual(len({x["thread_id"] for x in sms}), 1)
        page = self.ok(self.lucia.get("/api/messages?guest_id=%s&limit=2" % ga["id"]), 200)
        self.assertTrue(page["has_more"])
        rest = self.ok(self.lucia.get("/api/messages?guest_id=%s&limit=2&after=%s"
                                      % (ga["id"], page["next"])), 200)
        self.assertEqual([x["body"] for x in page["data"] + rest["data"]],
                         ["one", "two", "three", "wa"])
        # An operator of one property sees only its messages.
        op = self.token("operator", [self.prop])
        seen = self.ok(self.lucia.get("/api/messages?limit=500", token=op), 200)["data"]
        self.assertTrue(seen)
        self.assertTrue(all(x["property_id"] == self.prop for x in seen))
        bert = self.ok(self.lucia.get("/api/messages?guest_id=" + gb["id"]), 200)["data"][0]
        self.assertEqual(self.lucia.get("/api/messages/" + bert["id"], token=op).status, 404)
        viewer = self.token("viewer", [self.other])
        self.assertEqual(self.lucia.get("/api/messages/" + bert["id"], token=viewer).status, 200)
        # Bad filters are 400 naming the field; unknown ids are 404.
        for q, field in (("channel=fax", "channel"), ("unlinked=yes", "unlinked"),
                         ("guest_id=a%20b", "guest_id"), ("limit=0", "limit")):
            r = self.lucia.get("/api/messages?" + q)
            self.assertEqual((r.status, r.json()["error"]["field"]), (400, field), q)
        self.assertEqual(self.lucia.get("/api/messages/msg_nope").status, 404)
        self.assertEqual(self.lucia.get("/api/messages", token=None).status, 401)
        # Reads only: inbound messages are written by intake alone.
        self.assertEqual(self.lucia.patch("/api/messages/" + bert["id"], {"body": "x"}).status,
                         405)


if __name__ == "__main__":
    unittest.main()
