"""tokens.py — operator tokens made independently of Lucia's own code.

HS256 with Python's hmac; RS256 and ES256 signed by the openssl command line,
with keys generated per test run and published as a JWKS file.
"""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import time


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segments(header, claims):
    return (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
            b64url(json.dumps(claims, separators=(",", ":")).encode()))


def claims_for(role="operator", properties=None, sub="user_1", ttl=3600, **extra):
    now = int(time.time())
    c = {"sub": sub, "iat": now, "exp": now + ttl}
    if role is not None:
        c["role"] = role
    if properties is not None:
        c["properties"] = properties
    c.update(extra)
    return c


def hs256(claims, secret, header=None):
    h = header or {"alg": "HS256", "typ": "JWT"}
    signing = _segments(h, claims)
    sig = hmac.new(secret.encode() if isinstance(secret, str) else secret,
                   signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64url(sig)


def unsigned(claims):
    return _segments({"alg": "none", "typ": "JWT"}, claims) + "."


def _openssl(args, data=None):
    return subprocess.run(["openssl"] + args, input=data, capture_output=True,
                          check=True).stdout


def _der_ints(der):
    """Reads the two INTEGERs (r, s) of a DER ECDSA signature."""
    assert der[0] == 0x30
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7f)
    out = []
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        out.append(int.from_bytes(der[i + 2:i + 2 + n], "big"))
        i += 2 + n
    return out


class KeySet:
    """An RSA and an EC P-256 key in dir, and the JWKS that publishes them."""

    def __init__(self, directory):
        self.dir = directory
        self.rsa = os.path.join(directory, "rsa.pem")
        self.ec = os.path.join(directory, "ec.pem")
        _openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                  "-out", self.rsa])
        _openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                  "-out", self.ec])
        self.jwks_path = os.path.join(directory, "jwks.json")
        with open(self.jwks_path, "w") as f:
            json.dump({"keys": [self.rsa_jwk(), self.ec_jwk()]}, f)

    def rsa_jwk(self):
        modulus = _openssl(["rsa", "-in", self.rsa, "-noout", "-modulus"]).decode()
        n = bytes.fromhex(modulus.strip().split("=", 1)[1])
        return {"kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256",
                "n": b64url(n), "e": b64url((65537).to_bytes(3, "big"))}

    def ec_jwk(self):
        der = _openssl(["pkey", "-in", self.ec, "-pubout", "-outform", "DER"])
        point = der[-65:]
        assert point[0] == 4
        return {"kty": "EC", "kid": "ec-1", "use": "sig", "alg": "ES256", "crv": "P-256",
                "x": b64url(point[1:33]), "y": b64url(point[33:])}

    def rs256(self, claims, kid="rsa-1"):
        signing = _segments({"alg": "RS256", "typ": "JWT", "kid": kid}, claims)
        sig = _openssl(["dgst", "-sha256", "-sign", self.rsa], signing.encode())
        return signing + "." + b64url(sig)

    def es256(self, claims, kid="ec-1"):
        signing = _segments({"alg": "ES256", "typ": "JWT", "kid": kid}, claims)
        der = _openssl(["dgst", "-sha256", "-sign", self.ec], signing.encode())
        r, s = _der_ints(der)
        return signing + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def rsa_public_pem(self):
        return _openssl(["pkey", "-in", self.rsa, "-pubout"])
