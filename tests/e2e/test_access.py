"""The private staging front door (SPEC §9) end to end: Cloudflare Access
tokens in Cf-Access-Jwt-Assertion, RS256 from a JWKS served by a loopback
stand-in that counts fetches; /health and the provider webhooks stay open,
and the operator's own Authorization is still required behind the door."""
import http.server
import json
import os
import shutil
import tempfile
import threading
import time
import unittest

from harness import Lucia, SERVICE_KEY, run_cli
import tokens

AUD = "aud-0123456789abcdef-staging"
ISSUER = "https://villa-team.cloudflareaccess.com"
EMAILS = "Ops@Example.com, owner@example.com"


class JwksServer:
    """Serves {"keys": self.keys} on 127.0.0.1 and counts GETs."""

    def __init__(self, keys):
        self.keys = list(keys)
        self.fetches = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.fetches += 1
                body = json.dumps({"keys": outer.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/cdn-cgi/access/certs" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def access_claims(ttl=3600, **extra):
    now = int(time.time())
    c = {"aud": [AUD], "iss": ISSUER, "sub": "cf-user-1", "email": "ops@example.com",
         "iat": now, "exp": now + ttl}
    c.update(extra)
    return c


class AccessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keydir = tempfile.mkdtemp(prefix="lucia-access-")
        cls.keys = tokens.KeySet(cls.keydir)
        # A second RSA key Cloudflare has not published (yet).
        os.makedirs(os.path.join(cls.keydir, "other"))
        cls.other = tokens.KeySet(os.path.join(cls.keydir, "other"))
        cls.jwks = JwksServer([cls.keys.rsa_jwk()])
        cls.lucia = Lucia(env={"LUCIA_ACCESS_AUD": AUD, "LUCIA_ACCESS_JWKS_URL": cls.jwks.url,
                               "LUCIA_ACCESS_ISSUER": ISSUER,
                               "LUCIA_ALLOWED_EMAILS": EMAILS}).start()

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()
        cls.jwks.close()
        shutil.rmtree(cls.keydir, ignore_errors=True)

    def get(self, access, path="/api/properties", token=SERVICE_KEY):
        headers = {} if access is None else {"Cf-Access-Jwt-Assertion": access}
        return self.lucia.get(path, token=token, headers=headers)

    def assert403(self, r):
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json()["error"]["code"], "forbidden")
        self.assertTrue(r.header("X-Request-Id"))

    def test_valid_token_admits(self):
        r = self.get(self.keys.rs256(access_claims()))
        self.assertEqual(r.status, 200, r)

    def test_aud_as_string_admits(self):
        self.assertEqual(self.get(self.keys.rs256(access_claims(aud=AUD))).status, 200)

    def test_operator_auth_still_required(self):
        r = self.get(self.keys.rs256(access_claims()), token=None)
        self.assertEqual(r.status, 401, r)

    def test_header_missing(self):
        self.assert403(self.get(None))
        self.assert403(self.get(""))
        self.assert403(self.get(None, path="/no/such/path"))
        self.assert403(self.get(None, path="/ready", token=None))

    def test_wrong_aud(self):
        self.assert403(self.get(self.keys.rs256(access_claims(aud=["someone-else"]))))
        self.assert403(self.get(self.keys.rs256(access_claims(aud=AUD + "x"))))
        claims = access_claims()
        del claims["aud"]
        self.assert403(self.get(self.keys.rs256(claims)))

    def test_expired(self):
        self.assert403(self.get(self.keys.rs256(access_claims(ttl=-3600))))

    def test_wrong_issuer(self):
        self.assert403(self.get(self.keys.rs256(access_claims(iss="https://evil.test"))))

    def test_email_allow_list(self):
        self.assert403(self.get(self.keys.rs256(access_claims(email="guest@example.com"))))
        claims = access_claims()
        del claims["email"]
        self.assert403(self.get(self.keys.rs256(claims)))
        # Matched without regard to case.
        r = self.get(self.keys.rs256(access_claims(email="OWNER@example.COM")))
        self.assertEqual(r.status, 200, r)

    def test_other_algorithms_refused(self):
        self.assert403(self.get(self.keys.es256(access_claims())))
        self.assert403(self.get(tokens.hs256(access_claims(), "secret")))
        self.assert403(self.get(tokens.unsigned(access_claims())))
        self.assert403(self.get("not.a.token"))

    def test_wrong_signature(self):
        token = self.other.rs256(access_claims(), kid="rsa-1")
        self.assert403(self.get(token))

    def test_unknown_kid_refreshes_once_then_403(self):
        before = self.jwks.fetches
        self.assert403(self.get(self.other.rs256(access_claims(), kid="ghost-1")))
        self.assertEqual(self.jwks.fetches, before + 1)
        # Within the refresh interval another unknown kid fetches nothing.
        self.assert403(self.get(self.other.rs256(access_claims(), kid="ghost-2")))
        self.assertEqual(self.jwks.fetches, before + 1)

    def test_open_paths(self):
        r = self.lucia.get("/health", token=None)
        self.assertEqual(r.status, 200, r)
        for path in ("/webhooks/stripe", "/webhooks/twilio", "/webhooks/postmark"):
            r = self.lucia.post(path, "{}", token=None)
            # The provider's own check answers (400/401/403), never the door.
            self.assertNotIn(b"Cloudflare Access", r.body, (path, r))

    def test_status_row(self):
        self.assertEqual(self.get(self.keys.rs256(access_claims())).status, 200)
        r = self.get(self.keys.rs256(access_claims()), path="/admin/status")
        self.assertEqual(r.status, 200, r)
        rows = {row["name"]: row for row in r.json()["integrations"]}
        self.assertEqual(rows["access"]["state"], "tested", rows["access"])
        self.assertIsNotNone(rows["access"]["proved_at"])
        self.assertIn("error_reporting", rows)

    def test_no_token_part_in_log(self):
        token = self.keys.rs256(access_claims(aud=["someone-else"]))
        self.assert403(self.get(token))
        text = self.lucia.log_text()
        for part in token.split("."):
            self.assertNotIn(part, text)


class AccessRotationTest(unittest.TestCase):
    """A key Cloudflare publishes after start is picked up by the one
    refresh an unknown kid triggers."""

    def test_new_key_after_refresh(self):
        keydir = tempfile.mkdtemp(prefix="lucia-access-rot-")
        try:
            keys = tokens.KeySet(keydir)
            jwks = JwksServer([])
            jwks.keys = [dict(keys.rsa_jwk(), kid="old-1")]
            # The old key is from the same pair but named differently.
            with Lucia(env={"LUCIA_ACCESS_AUD": AUD,
                            "LUCIA_ACCESS_JWKS_URL": jwks.url}) as lucia:
                self.assertEqual(jwks.fetches, 1)
                jwks.keys.append(keys.rsa_jwk())  # now "rsa-1" is published
                r = lucia.get("/api/properties",
                              headers={"Cf-Access-Jwt-Assertion": keys.rs256(access_claims())})
                self.assertEqual(r.status, 200, r)
                self.assertEqual(jwks.fetches, 2)
            jwks.close()
        finally:
            shutil.rmtree(keydir, ignore_errors=True)


class AccessConfigTest(unittest.TestCase):
    def test_half_configured_refuses_to_start(self):
        tmp = tempfile.mkdtemp(prefix="lucia-access-cfg-")
        try:
            db = os.path.join(tmp, "lucia.db")
            for env in ({"LUCIA_ACCESS_AUD": AUD},
                        {"LUCIA_ACCESS_JWKS_FILE": "/nonexistent/jwks.json"},
                        {"LUCIA_ACCESS_AUD": AUD, "LUCIA_ACCESS_JWKS_FILE": "/nonexistent.json"},
                        {"LUCIA_ENV": "production", "LUCIA_ACCESS_ISSUER": ISSUER}):
                full = {"LUCIA_DB_PATH": db, "LUCIA_SERVICE_KEY": SERVICE_KEY, "PORT": "1"}
                full.update(env)
                p = run_cli(["serve"], env=full, cwd=tmp, timeout=30)
                self.assertNotEqual(p.returncode, 0, (env, p.stderr))
                self.assertIn("ACCESS", p.stderr, (env, p.stderr))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
