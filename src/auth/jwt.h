/*
 * jwt.h — verification of operator bearer tokens (JWS compact JWTs, SPEC §4).
 *
 * The auth layer calls jwt_verify for every "Authorization: Bearer <JWT>" and
 * decides roles from the returned claims; start-up (or the JWKS refresher)
 * calls jwt_keyset_parse on LUCIA_JWKS_FILE / LUCIA_JWKS_URL content.
 * Accepted: HS256 with the configured secret, RS256 with an RSA key and
 * ES256 with an EC P-256 key from the keyset, chosen by "kid". Everything
 * else — "alg":"none", other algorithms, a key of the wrong type — fails.
 * This module never logs and never fetches anything (no "jku"/"x5u").
 */
#ifndef LU_JWT_H
#define LU_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/rc.h"

/*
 * Longest token accepted, in bytes. Real operator tokens (Clerk, Auth0,
 * Cloudflare Access) are 0.5–2 KiB; 8 KiB is the common header-size budget of
 * proxies, and the cap bounds the JSON parsing and hashing a stranger can
 * make us do.
 */
#define JWT_TOKEN_BYTES_MAX 8192

/*
 * Largest JWKS document, in bytes. JWT_JWKS_KEYS_MAX keys of 8192-bit RSA take
 * about 95 KiB, and still under 200 KiB with an x5c certificate each; anything
 * bigger is not a key set we should spend memory on.
 */
#define JWT_JWKS_BYTES_MAX (256 * 1024)

/*
 * Most entries in a JWKS "keys" array (usable or not). Providers publish
 * two or three (current and next); 64 leaves room for rotation while bounding
 * parse time (each RSA key gets a primality sanity check).
 */
#define JWT_JWKS_KEYS_MAX 64

/* Longest "kid" in a JWK, in bytes; providers use 20–64. */
#define JWT_KID_BYTES_MAX 256

/*
 * RSA modulus sizes accepted in a JWK, in bits. RFC 7518 §3.3 requires at
 * least 2048 for RS256; above 8192 a verify costs milliseconds for no gain.
 */
#define JWT_RSA_BITS_MIN 2048
#define JWT_RSA_BITS_MAX 8192

/*
 * Largest clock leeway a verifier may be configured with, in seconds.
 * Production uses 60; a leeway of hours would make "exp" meaningless.
 */
#define JWT_LEEWAY_SECONDS_MAX 3600

_Static_assert(JWT_TOKEN_BYTES_MAX < JWT_JWKS_BYTES_MAX, "a token is smaller than a key set");
_Static_assert(JWT_KID_BYTES_MAX < JWT_TOKEN_BYTES_MAX, "a kid fits in a token");

/* A parsed JWKS: RSA and EC P-256 public keys by "kid". Immutable once parsed. */
typedef struct jwt_keyset jwt_keyset;

/*
 * Parses a JWKS document json[0..len) (borrowed; need not be NUL-terminated).
 *
 * Keys this verifier cannot use are skipped, not errors, so a provider that
 * also publishes other keys keeps working: a "kty" other than RSA or EC, an
 * EC curve other than P-256, a "use" other than "sig", an "alg" other than
 * RS256 (RSA) or ES256 (EC). A key of a supported type whose material is
 * broken is an error for the whole set (fail loudly at configuration time):
 * missing or malformed n/e/x/y, an RSA modulus outside
 * [JWT_RSA_BITS_MIN, JWT_RSA_BITS_MAX], a point not on the curve, private
 * material ("d") in what must be a public set, a duplicate "kid", or a
 * non-string kid/use/alg. A set with no usable key is an error too.
 *
 * On LU_OK, *out is owned by the caller: free it with jwt_keyset_free. The
 * keyset is read-only afterwards and may be shared by any number of threads
 * calling jwt_verify. Returns LU_INVALID (not a valid JWKS), LU_TOO_LARGE
 * (more than JWT_JWKS_BYTES_MAX bytes or JWT_JWKS_KEYS_MAX entries) or LU_NOMEM;
 * on failure *out is NULL.
 */
enum lu_rc jwt_keyset_parse(const char *json, size_t len, jwt_keyset **out);

/* Frees a keyset from jwt_keyset_parse. NULL is a no-op. */
void jwt_keyset_free(jwt_keyset *ks);

/* The number of usable keys kept in ks (borrowed), for status pages. */
size_t jwt_keyset_count(const jwt_keyset *ks);

/* What jwt_verify checks a token against. All pointers are borrowed. */
struct jwt_verifier {
    const unsigned char *hs256_secret; /* NULL or empty = HS256 disabled */
    size_t hs256_secret_len;
    const jwt_keyset *keys; /* NULL = RS256/ES256 disabled */
    const char *issuer;     /* NULL = "iss" not checked; else must match exactly */
    int64_t now_s;          /* current Unix time, seconds; >= 0 (asserted) */
    int64_t leeway_s;       /* clock skew allowed on exp/nbf; 60 in production;
                               0..JWT_LEEWAY_SECONDS_MAX (asserted: config validates) */
};

/*
 * Verifies the compact JWT token[0..token_len) (borrowed; need not be
 * NUL-terminated) against v (borrowed).
 *
 * The token must be exactly three unpadded base64url segments. The header
 * must be a JSON object whose "alg" is HS256 (only with a secret configured),
 * RS256 (only with an RSA key) or ES256 (only with an EC P-256 key); a "typ",
 * if present, must be "JWT" (any case); a "crit" header is rejected. The key
 * is the keyset entry with the token's "kid"; a token without "kid" is
 * accepted only when the keyset holds exactly one key for its algorithm.
 * The payload must be a JSON object. "exp" and "nbf", when present, must be
 * numbers: the token is rejected when now_s > exp + leeway_s or when
 * now_s + leeway_s < nbf. A token without "exp" never expires by itself.
 * "iat" and "aud" are not checked (a caller that needs "aud" reads the
 * claims). With v->issuer set, "iss" must be a string equal to it, byte for
 * byte. Header members that name keys ("jwk", "jku", "x5u", "x5c") are ignored:
 * keys come only from the verifier.
 *
 * Always writes *why_out: a static, human-readable reason for logs ("ok" on
 * success) that never contains any part of the token. On LU_OK, *claims_out
 * is the owned payload object (release it with json_decref); otherwise it is
 * NULL. Returns LU_OK, LU_UNAUTHORIZED or LU_NOMEM.
 */
enum lu_rc jwt_verify(const struct jwt_verifier *v, const char *token, size_t token_len,
                      json_t **claims_out, const char **why_out);

#endif
