"""Auth (SPEC §4) end to end: the service key, HS256 operator tokens, RS256
and ES256 from a JWKS file, roles, and 404 for properties out of scope."""
import os
import shutil
import tempfile
import time
import unittest

from harness import Lucia, SERVICE_KEY
import tokens

SECRET = "hs256-test-secret-that-is-long-enough-0123456789"
ISSUER = "https://issuer.test"


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keydir = tempfile.mkdtemp(prefix="lucia-keys-")
        cls.keys = tokens.KeySet(cls.keydir)
        cls.lucia = Lucia(env={"LUCIA_JWT_SECRET": SECRET, "LUCIA_JWKS_FILE": cls.keys.jwks_path,
                               "LUCIA_JWT_ISSUER": ISSUER}).start()
        a = cls.lucia.post("/api/properties", {"name": "Villa A", "time_zone": "Europe/Rome"})
        b = cls.lucia.post("/api/properties", {"name": "Casa B"})
        assert a.status == 201 and b.status == 201, (a, b)
        cls.a = a.json()["id"]
        cls.b = b.json()["id"]

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()
        shutil.rmtree(cls.keydir, ignore_errors=True)

    def hs(self, role="operator", properties=None, **kw):
        kw.setdefault("iss", ISSUER)
        return tokens.hs256(tokens.claims_for(role, properties, **kw), SECRET)

    def assert401(self, token):
        r = self.lucia.get("/api/properties", token=token)
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json()["error"]["code"], "unauthorized")

    def test_no_token_401(self):
        self.assert401(None)
        r = self.lucia.get("/api/properties", token=None, headers={"Authorization": "Basic eDp5"})
        self.assertEqual(r.status, 401)

    def test_service_key_has_full_access(self):
        r = self.lucia.get("/api/properties")
        self.assertEqual(r.status, 200)
        ids = {p["id"] for p in r.json()["data"]}
        self.assertTrue({self.a, self.b} <= ids)

    def test_service_key_only_in_header(self):
        r = self.lucia.get("/api/properties?access_token=" + SERVICE_KEY, token=None)
        self.assertEqual(r.status, 401)
        self.assert401(SERVICE_KEY + "x")
        self.assert401(SERVICE_KEY[:-1])

    def test_hs256_operator_sees_only_its_properties(self):
        t = self.hs("operator", [self.a])
        r = self.lucia.get("/api/properties", token=t)
        self.assertEqual(r.status, 200)
        self.assertEqual([p["id"] for p in r.json()["data"]], [self.a])
        self.assertEqual(self.lucia.get("/api/properties/" + self.a, token=t).status, 200)
        r = self.lucia.get("/api/properties/" + self.b, token=t)
        self.assertEqual(r.status, 404)  # not 403: ids do not leak
        self.assertEqual(r.json()["error"]["code"], "not_found")

    def test_roles(self):
        viewer = self.hs(None, [self.a])  # role absent = viewer
        operator = self.hs("operator", [self.a])
        owner = self.hs("owner")
        self.assertEqual(self.lucia.get("/api/properties/" + self.a, token=viewer).status, 200)
        for t in (viewer, operator):
            r = self.lucia.post("/api/properties", {"name": "Nope"}, token=t)
            self.assertEqual(r.status, 403, r)
            self.assertEqual(r.json()["error"]["code"], "forbidden")
            r = self.lucia.patch("/api/properties/" + self.a, {"name": "Nope"}, token=t)
            self.assertEqual(r.status, 403, r)
        r = self.lucia.post("/api/properties", {"name": "Owner's"}, token=owner)
        self.assertEqual(r.status, 201)
        # An owner sees every property without listing them.
        self.assertEqual(self.lucia.get("/api/properties/" + self.b, token=owner).status, 200)
        r = self.lucia.patch("/api/properties/" + self.b, {"name": "Casa B2"}, token=owner)
        self.assertEqual(r.status, 200)

    def test_unknown_role_rejected(self):
        self.assert401(self.hs("admin"))

    def test_expiry_and_leeway(self):
        now = int(time.time())
        self.assert401(tokens.hs256({"sub": "u", "role": "owner", "iss": ISSUER,
                                     "exp": now - 120}, SECRET))
        within = tokens.hs256({"sub": "u", "role": "owner", "iss": ISSUER, "exp": now - 30},
                              SECRET)
        self.assertEqual(self.lucia.get("/api/properties", token=within).status, 200)
        self.assert401(tokens.hs256({"sub": "u", "role": "owner", "iss": ISSUER,
                                     "exp": now + 600, "nbf": now + 300}, SECRET))

    def test_issuer_enforced(self):
        self.assert401(self.hs("owner", iss="https://evil.test"))
        claims = tokens.claims_for("owner")
        self.assert401(tokens.hs256(claims, SECRET))  # no iss at all

    def test_wrong_secret_alg_none_and_tampering(self):
        self.assert401(tokens.hs256(tokens.claims_for("owner", iss=ISSUER), SECRET + "x"))
        self.assert401(tokens.unsigned(tokens.claims_for("owner", iss=ISSUER)))
        good = self.hs("viewer", [self.a])
        head, _, sig = good.split(".")
        forged = tokens._segments({"alg": "HS256", "typ": "JWT"},
                                  tokens.claims_for("owner", iss=ISSUER)).split(".")[1]
        self.assert401(head + "." + forged + "." + sig)
        for junk in ("", "abc", "a.b", "a.b.c", "....", "ünïcødé"):
            self.assert401(junk)

    def test_rs256_and_es256_from_jwks(self):
        claims = tokens.claims_for("operator", [self.b], iss=ISSUER)
        for t in (self.keys.rs256(claims), self.keys.es256(claims)):
            r = self.lucia.get("/api/properties", token=t)
            self.assertEqual(r.status, 200, r)
            self.assertEqual([p["id"] for p in r.json()["data"]], [self.b])

    def test_unknown_kid_and_algorithm_confusion(self):
        claims = tokens.claims_for("owner", iss=ISSUER)
        self.assert401(self.keys.rs256(claims, kid="rsa-unknown"))
        # HS256 "signed" with the RSA public key must not verify.
        pem = self.keys.rsa_public_pem()
        confused = tokens.hs256(claims, pem, header={"alg": "HS256", "typ": "JWT",
                                                     "kid": "rsa-1"})
        self.assert401(confused)
        # An RS256 header pointing at the EC key.
        self.assert401(self.keys.rs256(claims, kid="ec-1"))

    def test_error_bodies_carry_no_secret(self):
        r = self.lucia.get("/api/properties", token="nope")
        self.assertNotIn(SECRET, r.body.decode())
        self.assertNotIn(SERVICE_KEY, r.body.decode())
        self.assertNotIn(SECRET, self.lucia.log_text())
        self.assertNotIn(SERVICE_KEY, self.lucia.log_text())


if __name__ == "__main__":
    unittest.main()
