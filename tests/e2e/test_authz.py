"""Auth table (SPEC §4) end to end: every way into another property's data or
a higher role, over every resource route in src/api/routes.c.

The route list is read from routes.c itself, and test_every_route_is_in_the_table
fails when a route has no row here, so a new route cannot slip past the
table. Each row names the route and what a caller scoped to property A must
get when it reaches for property B's records: 404 (ids do not leak) for a
record in a path, 403 for a role too low, 401 for a token that is not one.
Any 500 anywhere is a failure.

A second test configures every secret with a recognisable value and checks
that none of them appears in the server's log, any error body this file
provoked, /metrics, /health, /ready, /admin/status or the admin page.
"""
import json
import os
import re
import unittest

from harness import Lucia, SERVICE_KEY
import tokens

JWT_SECRET = "AUTHZ-JWT-SECRET-c0ffee-0123456789abcdef"
SECRETS = {
    "LUCIA_JWT_SECRET": JWT_SECRET,
    "STRIPE_WEBHOOK_SECRET": "whsec_AUTHZSTRIPESECRET0123456789",
    "TWILIO_AUTH_TOKEN": "AUTHZTWILIOTOKEN0123456789abcdef",
    "LUCIA_POSTMARK_PASSWORD": "AUTHZ-POSTMARK-PASSWORD-0123",
    "RESEND_API_KEY": "re_AUTHZRESENDKEY0123456789",
    "LUCIA_OPENAI_API_KEY": "sk-AUTHZOPENAIKEY0123456789",
}
# Outbound providers point at a closed loopback port: nothing leaves the box.
DEAD_URL = "http://127.0.0.1:9"

ROUTES_C = os.path.join(os.path.dirname(__file__), "..", "..", "src", "api", "routes.c")


def route_table():
    """(method, pattern) of every entry of api_routes[] in routes.c (the
    test class leaves out those its binary does not serve)."""
    with open(ROUTES_C) as f:
        text = f.read()
    return [(m, p) for m, p in re.findall(r'\{M_([A-Z]+),\s*"([^"]+)"', text)]


# Routes that are public by contract (SPEC §4) or authenticate with their
# provider's own scheme: they are not in the role table.
PUBLIC = {
    ("GET", "/health"), ("GET", "/ready"), ("GET", "/"), ("GET", "/static/{file}"),
    ("GET", "/static/{dir}/{file}"), ("POST", "/webhooks/stripe"),
    ("POST", "/webhooks/twilio"), ("POST", "/webhooks/postmark"),
    ("POST", "/api/waitlist"), ("GET", "/verify"),
    ("POST", "/guest/session"), ("POST", "/guest/session/verify"), ("GET", "/guest"),
}
# Guest-token routes (SPEC §8b): no operator role opens them, so every
# operator token, the service key and every bad token is 401 there; the
# guest isolation table is tests/e2e/test_guest.py's.
GUEST = {
    ("DELETE", "/guest/session"), ("GET", "/guest/me"), ("POST", "/guest/chat"),
    ("GET", "/guest/items"),
}

# Writes: what a viewer must be refused with 403. The body is a valid one
# for property A, so the only reason to refuse is the role.
WRITES = {
    ("POST", "/api/properties"), ("PATCH", "/api/properties/{id}"),
    ("POST", "/api/guests"), ("PATCH", "/api/guests/{id}"),
    ("POST", "/api/bookings"), ("PATCH", "/api/bookings/{id}"),
    ("POST", "/api/bookings/{id}/transition"),
    ("POST", "/api/items"), ("PATCH", "/api/items/{id}"),
    ("POST", "/api/items/{id}/transition"),
    ("POST", "/api/messages"), ("POST", "/api/guests/{id}/verify-email"),
    ("POST", "/admin/operator-focus"), ("DELETE", "/api/guests/{id}/tokens"),
}
# Owner-only routes: an operator is refused with 403.
OWNER_ONLY = {
    ("POST", "/api/properties"), ("PATCH", "/api/properties/{id}"),
    ("GET", "/api/payments/unlinked"), ("GET", "/api/outbox"), ("GET", "/admin/status"),
}
# Routes without a path id, answered by the handler with a list or a
# document; filters from another property must not leak its records.
FILTERS = {
    "/api/properties": [""],
    "/api/guests": ["?property_id={B}", "?q=Bertha"],
    "/api/bookings": ["?property_id={B}"],
    "/api/items": ["?property_id={B}", "?booking_id={bk}", "?guest_id={gst}"],
    "/api/today": ["?property_id={B}"],
    "/api/audit": ["?entity_id={itm}", "?entity_id={B}"],
    "/api/messages": ["?guest_id={gst}", "?property_id={B}"],
    "/api/payments/risks": ["?property_id={B}"],
    "/api/sessions": [""],
    "/metrics": [""],
    "/admin/status": [""],
    "/api/payments/unlinked": [""],
    "/api/outbox": [""],
}
# Read apart (a live stream): test_stream_of_another_property_leaks_nothing.
STREAMS = {("GET", "/api/stream")}


class AuthzTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = dict(SECRETS)
        env.update({"LUCIA_POSTMARK_USER": "authz-postmark-user",
                    "TWILIO_ACCOUNT_SID": "ACauthz0123456789",
                    "TWILIO_FROM_NUMBER": "+15550001111",
                    "TWILIO_API_URL": DEAD_URL, "RESEND_API_URL": DEAD_URL,
                    "OPENAI_BASE_URL": DEAD_URL,
                    "LUCIA_EMAIL_FROM": "desk@lucia.test"})
        cls.lucia = Lucia(env=env).start()
        cls.bodies = []  # every response body, searched for secrets at the end
        cls.ids = {}
        for side, name in (("A", "Villa Alma"), ("B", "Casa Bertha")):
            p = cls.make("/api/properties", {"name": name})
            g = cls.make("/api/guests", {"property_id": p, "name": "Bertha " + side,
                                         "phone": "+1555000%04d" % (1 if side == "A" else 2),
                                         "email": "guest%s@example.test" % side})
            b = cls.make("/api/bookings", {"property_id": p, "guest_id": g,
                                           "check_in": "2030-01-10", "check_out": "2030-01-12",
                                           "total_cents": 50000, "currency": "USD"})
            i = cls.make("/api/items", {"property_id": p, "kind": "concierge",
                                        "title": "Dinner " + side, "booking_id": b})
            cls.ids[side] = {"prop": p, "gst": g, "bk": b, "itm": i}
        cls.A, cls.B = cls.ids["A"]["prop"], cls.ids["B"]["prop"]
        cls.operator = cls.token("operator", [cls.A])
        cls.viewer = cls.token("viewer", [cls.A])
        cls.owner = cls.token("owner", None)
        # A route in routes.c that this binary does not have yet (the tree
        # moves faster than a copied binary) is skipped, not failed.
        cls.absent = set()
        for m, p in route_table():
            if m == "GET" and "{" not in p and p != "/api/stream":
                r = cls.lucia.get(p)
                if r.status == 404 and b"no such resource" in r.body:
                    cls.absent.add((m, p))

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()

    @classmethod
    def make(cls, path, body):
        r = cls.lucia.post(path, body)
        assert r.status == 201, (path, r)
        return r.json()["id"]

    @classmethod
    def token(cls, role, props, **kw):
        return tokens.hs256(tokens.claims_for(role, props, **kw), JWT_SECRET)

    def routes(self):
        return [r for r in route_table() if r not in self.absent]

    def call(self, method, path, body=None, token=SERVICE_KEY, headers=None):
        r = self.lucia.request(method, path, body=body, token=token, headers=headers,
                               timeout=10)
        self.bodies.append(r.body)
        self.assertNotEqual(r.status // 100, 5, "%s %s -> %r" % (method, path, r))
        return r

    def expect(self, status, method, path, body=None, token=SERVICE_KEY, code=None):
        r = self.call(method, path, body, token)
        self.assertEqual(r.status, status, "%s %s -> %r" % (method, path, r))
        if code is not None:
            self.assertEqual(r.json()["error"]["code"], code, r)
        return r

    # -- the path of each route filled with one side's ids -------------------
    def path_for(self, pattern, side):
        ids = self.ids[side]
        kind = pattern.split("/")[2] if pattern.startswith("/api/") else ""
        rid = {"properties": ids["prop"], "guests": ids["gst"], "bookings": ids["bk"],
               "items": ids["itm"], "messages": "msg_authz_none",
               "sessions": "ses_authz_none"}.get(kind, "x")
        return pattern.replace("{id}", rid)

    def body_for(self, method, pattern, side):
        """A body that would be valid for `side`: used both for role checks
        (side A with a low role) and cross-property checks (side B ids)."""
        ids = self.ids[side]
        if method == "GET":
            return None
        bodies = {
            "/api/properties": {"name": "New place"},
            "/api/properties/{id}": {"name": "Renamed"},
            "/api/guests": {"property_id": ids["prop"], "name": "Nora"},
            "/api/guests/{id}": {"name": "Renamed"},
            "/api/bookings": {"property_id": ids["prop"], "guest_id": ids["gst"],
                              "check_in": "2030-02-01", "check_out": "2030-02-03"},
            "/api/bookings/{id}": {"total_cents": 1},
            "/api/bookings/{id}/transition": {"to": "cancelled", "note": "authz"},
            "/api/items": {"property_id": ids["prop"], "kind": "task", "title": "Towels"},
            "/api/items/{id}": {"title": "Renamed"},
            "/api/items/{id}/transition": {"to": "cancelled", "note": "authz"},
            "/api/messages": {"guest_id": ids["gst"], "channel": "sms", "body": "Hello"},
            "/api/guests/{id}/verify-email": {},
            "/admin/operator-focus": {"message": "what matters now?"},
            "/api/guests/{id}/tokens": None,
            "/guest/session": None,
            "/guest/chat": {"message": "any update?"},
        }
        return bodies[pattern]

    # -- the table -----------------------------------------------------------
    def test_every_route_is_in_the_table(self):
        known = PUBLIC | WRITES | STREAMS | GUEST | {("GET", p) for p in FILTERS}
        for m, p in route_table():
            if "{id}" in p and m == "GET":
                continue  # the path-id rows below cover every GET /{id}
            self.assertIn((m, p), known, "route %s %s has no row in the auth table" % (m, p))

    def test_no_token_or_bad_token_is_401_on_every_private_route(self):
        now = tokens.claims_for("owner", None)
        bad = {
            "none": None,
            "expired": self.token("owner", None, ttl=-600),
            "not yet valid": self.token("owner", None, nbf=now["iat"] + 600),
            "forged": tokens.hs256(now, "not-the-secret"),
            "alg none": tokens.unsigned(now),
            "garbage": "abc.def.ghi",
            "service key prefix": SERVICE_KEY[:-1],
        }
        for m, p in self.routes():
            if (m, p) in PUBLIC:
                continue
            path = self.path_for(p, "A")
            for why, tok in bad.items():
                with self.subTest(route=(m, p), token=why):
                    body = self.body_for(m, p, "A") if m != "GET" else None
                    self.expect(401, m, path, body, token=tok, code="unauthorized")

    def test_service_key_in_query_string_is_401(self):
        for m, p in self.routes():
            if (m, p) in PUBLIC or m != "GET":
                continue
            path = self.path_for(p, "A")
            for name in ("access_token", "key", "service_key", "token", "apikey"):
                sep = "&" if "?" in path else "?"
                with self.subTest(route=p, param=name):
                    self.expect(401, m, path + sep + name + "=" + SERVICE_KEY, token=None)

    def test_viewer_writes_are_403(self):
        for m, p in sorted(WRITES):
            with self.subTest(route=(m, p)):
                self.expect(403, m, self.path_for(p, "A"), self.body_for(m, p, "A"),
                            token=self.viewer, code="forbidden")

    def test_operator_owner_only_routes_are_403(self):
        for m, p in sorted(OWNER_ONLY - self.absent):
            with self.subTest(route=(m, p)):
                self.expect(403, m, self.path_for(p, "A"), self.body_for(m, p, "A"),
                            token=self.operator, code="forbidden")
        self.assertEqual(self.call("GET", "/api/outbox", token=self.owner).status, 200)

    def test_ids_of_another_property_in_paths_are_404(self):
        for tok_name in ("operator", "viewer"):
            tok = getattr(self, tok_name)
            for m, p in route_table():
                if "{id}" not in p or p.startswith(("/api/messages", "/api/sessions", "/guest/")):
                    continue  # /guest/: 401 to every operator token (GUEST above)
                if tok_name == "viewer" and m != "GET":
                    continue  # a viewer's write is 403 before any lookup
                if p.startswith("/api/properties") and m != "GET":
                    continue  # owner-only: 403 for every operator (above)
                with self.subTest(route=(m, p), token=tok_name):
                    self.expect(404, m, self.path_for(p, "B"), self.body_for(m, p, "A"),
                                token=tok, code="not_found")
        # The same records through the service key exist: the 404 is scope.
        for key in ("gst", "bk", "itm"):
            path = {"gst": "/api/guests/", "bk": "/api/bookings/",
                    "itm": "/api/items/"}[key] + self.ids["B"][key]
            self.assertEqual(self.call("GET", path).status, 200)

    def test_ids_of_another_property_in_bodies_are_refused(self):
        b = self.ids["B"]
        a = self.ids["A"]
        cases = [
            ("/api/guests", {"property_id": b["prop"], "name": "Sneaky"}),
            ("/api/bookings", {"property_id": b["prop"], "guest_id": b["gst"],
                               "check_in": "2030-03-01", "check_out": "2030-03-02"}),
            # A's property with B's guest: the guest is not visible.
            ("/api/bookings", {"property_id": a["prop"], "guest_id": b["gst"],
                               "check_in": "2030-03-01", "check_out": "2030-03-02"}),
            ("/api/items", {"property_id": b["prop"], "kind": "task", "title": "x"}),
            ("/api/items", {"kind": "task", "title": "x", "booking_id": b["bk"]}),
            ("/api/items", {"property_id": a["prop"], "kind": "task", "title": "x",
                            "booking_id": b["bk"]}),
            ("/api/items", {"property_id": a["prop"], "kind": "task", "title": "x",
                            "guest_id": b["gst"]}),
            ("/api/messages", {"guest_id": b["gst"], "channel": "sms", "body": "hi"}),
        ]
        for path, body in cases:
            with self.subTest(path=path, body=body):
                # A record you cannot see answers 404 (SPEC §4), in a body too.
                self.expect(404, "POST", path, body, token=self.operator, code="not_found")
        # PATCH moving an own record into (or pointing at) B's.
        patches = [
            ("/api/items/" + a["itm"], {"booking_id": b["bk"]}),
            ("/api/items/" + a["itm"], {"guest_id": b["gst"]}),
            ("/api/items/" + a["itm"], {"property_id": b["prop"]}),
            ("/api/bookings/" + a["bk"], {"guest_id": b["gst"]}),
            ("/api/bookings/" + a["bk"], {"property_id": b["prop"]}),
            ("/api/guests/" + a["gst"], {"property_id": b["prop"]}),
        ]
        for path, body in patches:
            with self.subTest(path=path, body=body):
                r = self.call("PATCH", path, body, token=self.operator)
                self.assertIn(r.status, (400, 403, 404, 422), r)
        # B's records are untouched, A's item still in A.
        item = self.call("GET", "/api/items/" + a["itm"]).json()
        self.assertEqual(item["property_id"], a["prop"])
        self.assertEqual(item.get("booking_id"), a["bk"])

    def test_filters_with_another_propertys_ids_leak_nothing(self):
        b = self.ids["B"]
        subst = {"{B}": b["prop"], "{bk}": b["bk"], "{gst}": b["gst"], "{itm}": b["itm"]}
        secret_ids = [b["gst"], b["bk"], b["itm"], "Casa Bertha", "Dinner B"]
        for tok_name in ("operator", "viewer"):
            tok = getattr(self, tok_name)
            for path, queries in FILTERS.items():
                if path in ("/metrics", "/admin/status") or ("GET", path) in self.absent:
                    continue
                for q in queries:
                    for k, v in subst.items():
                        q = q.replace(k, v)
                    with self.subTest(path=path + q, token=tok_name):
                        r = self.call("GET", path + q, token=tok)
                        self.assertIn(r.status, (200, 403, 404), r)
                        text = r.body.decode("utf-8", "replace")
                        for s in secret_ids:
                            self.assertNotIn(s, text, "%s%s leaks %s" % (path, q, s))

    def test_stream_of_another_property_leaks_nothing(self):
        """The change stream is read to its first events with a short
        timeout: B's records must not be in what an operator of A sees."""
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.lucia.port, timeout=2)
        try:
            conn.request("GET", "/api/stream?since=0",
                         headers={"Authorization": "Bearer " + self.operator})
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            data = b""
            try:
                while len(data) < 65536:
                    chunk = r.read1(4096)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass  # the read timeout ends a live stream
        finally:
            conn.close()
        text = data.decode("utf-8", "replace")
        self.assertIn(self.ids["A"]["itm"], text)
        for key in ("gst", "bk", "itm", "prop"):
            self.assertNotIn(self.ids["B"][key], text)

    def test_operator_without_properties_sees_nothing(self):
        nobody = self.token("operator", [])
        r = self.call("GET", "/api/items", token=nobody)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["data"], [])
        self.expect(404, "GET", "/api/items/" + self.ids["A"]["itm"], token=nobody)
        r = self.call("POST", "/api/items", {"property_id": self.A, "kind": "task",
                                             "title": "x"}, token=nobody)
        self.assertIn(r.status, (403, 404))

    def test_role_claim_cannot_be_raised(self):
        """An unknown role, a role in a list, or properties given as a string
        are not an owner."""
        odd = [
            self.token("admin", [self.A]),
            self.token(["owner"], [self.A]),
            self.token("OWNER", [self.A]),
            self.token("operator", self.B),
        ]
        for tok in odd:
            r = self.call("POST", "/api/properties", {"name": "Escalated"}, token=tok)
            self.assertIn(r.status, (401, 403), r)
            r = self.call("GET", "/api/items/" + self.ids["B"]["itm"], token=tok)
            self.assertIn(r.status, (401, 404), r)

    # -- secrets -------------------------------------------------------------
    def test_zz_no_secret_anywhere(self):
        """Runs last in this class (zz): provokes errors with each secret in
        a request, then searches every surface for every secret."""
        for name, value in SECRETS.items():
            self.call("GET", "/api/properties", token=value)
            self.call("GET", "/api/items?x=" + value[:12])
            self.call("POST", "/webhooks/stripe", "{}",
                      headers={"Stripe-Signature": "t=1,v1=" + value})
        self.call("POST", "/webhooks/postmark", "{}", token=None,
                  headers={"Authorization": "Basic YXV0aHotcG9zdG1hcmstdXNlcjp3cm9uZw=="})
        surfaces = {}
        for path in ("/metrics", "/health", "/ready", "/admin/status", "/", "/api/outbox"):
            surfaces[path] = self.call("GET", path).body
        surfaces["/admin/status (owner)"] = self.call("GET", "/admin/status",
                                                      token=self.owner).body
        surfaces["error bodies"] = b"\n".join(self.bodies)
        surfaces["log"] = self.lucia.log_text().encode()
        everything = dict(SECRETS, LUCIA_SERVICE_KEY=SERVICE_KEY)
        for where, text in surfaces.items():
            for name, value in everything.items():
                # The bodies include requests that carried the secret in a
                # query only as its first 12 characters: search the core.
                core = value[-16:].encode()
                with self.subTest(where=where, secret=name):
                    if where == "error bodies" and name in ("LUCIA_SERVICE_KEY",):
                        pass
                    self.assertNotIn(core, text, "%s appears in %s" % (name, where))


if __name__ == "__main__":
    unittest.main()
