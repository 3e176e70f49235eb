/*
 * jwt.c — JWKS parsing and JWS/JWT verification for operator tokens (see jwt.h).
 *
 * Called by the auth layer on every bearer token, from many request threads
 * at once, so it keeps no mutable state: a keyset is read-only after parsing.
 * The algorithm is never taken on the token's word alone: HS256 uses only the
 * configured secret, RS256 only an RSA key and ES256 only an EC P-256 key, so
 * a token cannot make us use an RSA public key as an HMAC secret. It must not
 * log, and the reasons it returns never quote the token.
 */
#include "auth/jwt.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>

#include "core/assert.h"
#include "core/base64.h"

/* Sizes fixed by RFC 7518: an HS256 MAC, and ES256's r||s on P-256. */
#define HS256_MAC_BYTES 32
#define P256_COORD_BYTES 32
#define ES256_SIG_BYTES (2 * P256_COORD_BYTES)

enum jwt_alg {
    ALG_HS256,
    ALG_RS256,
    ALG_ES256,
};

struct jwt_key {
    char *kid;        /* owned; NULL when the JWK has no "kid" */
    enum jwt_alg alg; /* RS256 for an RSA key, ES256 for an EC P-256 key */
    EVP_PKEY *pkey;   /* owned public key */
};

struct jwt_keyset {
    size_t count;
    struct jwt_key keys[JWT_JWKS_KEYS_MAX];
};

/* ---- JWKS ---------------------------------------------------------------- */

/*
 * Reads an optional string member. Absent: *out = NULL and LU_OK. Present but
 * not a string: LU_INVALID. jansson rejects "\u0000" (no JSON_ALLOW_NUL), so
 * the C string is the whole value.
 */
static enum lu_rc member_string(const json_t *obj, const char *name, const char **out)
{
    const json_t *m = json_object_get(obj, name);
    *out = NULL;
    if (m == NULL) {
        return LU_OK;
    }
    if (!json_is_string(m)) {
        return LU_INVALID;
    }
    *out = json_string_value(m);
    return LU_OK;
}

/* Decodes a required base64url string member; *out is owned (free()). */
static enum lu_rc member_bytes(const json_t *obj, const char *name, unsigned char **out,
                               size_t *out_len)
{
    const char *text = NULL;
    *out = NULL;
    *out_len = 0;
    if (member_string(obj, name, &text) != LU_OK || text == NULL) {
        return LU_INVALID;
    }
    return b64url_decode(text, strlen(text), out, out_len);
}

/*
 * Builds a public key of the given OpenSSL type from bld's parameters and
 * checks it (RSA modulus and exponent sanity, EC point on the curve).
 */
static enum lu_rc pkey_build(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out)
{
    enum lu_rc rc = LU_NOMEM;
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *check = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (params == NULL || ctx == NULL) {
        goto done;
    }
    rc = LU_INVALID;
    if (EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        goto done;
    }
    check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (check == NULL) {
        rc = LU_NOMEM;
        goto done;
    }
    if (EVP_PKEY_public_check(check) != 1) {
        goto done;
    }
    *out = pkey;
    pkey = NULL;
    rc = LU_OK;
done:
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return rc;
}

static enum lu_rc rsa_key_build(const json_t *jwk, EVP_PKEY **out)
{
    unsigned char *n_bytes = NULL;
    unsigned char *e_bytes = NULL;
    size_t n_len = 0;
    size_t e_len = 0;
    BIGNUM *n = NULL;
    BIGNUM *e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    enum lu_rc rc = member_bytes(jwk, "n", &n_bytes, &n_len);
    if (rc == LU_OK) {
        rc = member_bytes(jwk, "e", &e_bytes, &e_len);
    }
    if (rc != LU_OK) {
        goto done;
    }
    /* Bound the lengths before BN_bin2bn so int conversion cannot overflow. */
    if (n_len > JWT_RSA_BITS_MAX / 8 + 1 || e_len == 0 || e_len > 8) {
        rc = LU_INVALID;
        goto done;
    }
    rc = LU_NOMEM;
    n = BN_bin2bn(n_bytes, (int)n_len, NULL);
    e = BN_bin2bn(e_bytes, (int)e_len, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (n == NULL || e == NULL || bld == NULL) {
        goto done;
    }
    if (BN_num_bits(n) < JWT_RSA_BITS_MIN || BN_num_bits(n) > JWT_RSA_BITS_MAX) {
        rc = LU_INVALID;
        goto done;
    }
    if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1) {
        goto done;
    }
    rc = pkey_build("RSA", bld, out);
done:
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    free(n_bytes);
    free(e_bytes);
    return rc;
}

static enum lu_rc ec_key_build(const json_t *jwk, EVP_PKEY **out)
{
    unsigned char *x = NULL;
    unsigned char *y = NULL;
    size_t x_len = 0;
    size_t y_len = 0;
    OSSL_PARAM_BLD *bld = NULL;
    unsigned char point[1 + 2 * P256_COORD_BYTES];
    enum lu_rc rc = member_bytes(jwk, "x", &x, &x_len);
    if (rc == LU_OK) {
        rc = member_bytes(jwk, "y", &y, &y_len);
    }
    if (rc != LU_OK) {
        goto done;
    }
    /* RFC 7518 §6.2.1.2: coordinates are full-length, leading zeros kept. */
    if (x_len != P256_COORD_BYTES || y_len != P256_COORD_BYTES) {
        rc = LU_INVALID;
        goto done;
    }
    point[0] = 0x04; /* uncompressed point: 0x04 || x || y */
    memcpy(point + 1, x, P256_COORD_BYTES);
    memcpy(point + 1 + P256_COORD_BYTES, y, P256_COORD_BYTES);
    rc = LU_NOMEM;
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL ||
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) != 1) {
        goto done;
    }
    rc = pkey_build("EC", bld, out);
done:
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);
    return rc;
}

/*
 * Reads the "kty"/"crv"/"use"/"alg" members of one JWK and decides which
 * algorithm it serves. Writes *usable = false for a key to skip.
 */
static enum lu_rc jwk_classify(const json_t *jwk, enum jwt_alg *alg, bool *usable)
{
    const char *kty = NULL;
    const char *crv = NULL;
    const char *use = NULL;
    const char *jwk_alg = NULL;
    *usable = false;
    if (member_string(jwk, "kty", &kty) != LU_OK || kty == NULL ||
        member_string(jwk, "crv", &crv) != LU_OK || member_string(jwk, "use", &use) != LU_OK ||
        member_string(jwk, "alg", &jwk_alg) != LU_OK) {
        return LU_INVALID;
    }
    /* A published key set never carries private keys; one that does leaked them. */
    if (json_object_get(jwk, "d") != NULL) {
        return LU_INVALID;
    }
    if (use != NULL && strcmp(use, "sig") != 0) {
        return LU_OK;
    }
    if (strcmp(kty, "RSA") == 0) {
        *alg = ALG_RS256;
    } else if (strcmp(kty, "EC") == 0) {
        if (crv == NULL) {
            return LU_INVALID; /* RFC 7518 §6.2.1.1: crv is required for EC */
        }
        if (strcmp(crv, "P-256") != 0) {
            return LU_OK;
        }
        *alg = ALG_ES256;
    } else {
        return LU_OK; /* oct, OKP, ...: never used, in particular never as an HMAC key */
    }
    if (jwk_alg != NULL && strcmp(jwk_alg, *alg == ALG_RS256 ? "RS256" : "ES256") != 0) {
        return LU_OK; /* e.g. an RSA key reserved for RS512 or PS256 */
    }
    *usable = true;
    return LU_OK;
}

/* Parses one JWK into *key. Writes *usable = false (and nothing to *key) to skip it. */
static enum lu_rc jwk_parse(const json_t *jwk, struct jwt_key *key, bool *usable)
{
    enum jwt_alg alg = ALG_RS256;
    const char *kid = NULL;
    *usable = false;
    if (!json_is_object(jwk)) {
        return LU_INVALID;
    }
    enum lu_rc rc = jwk_classify(jwk, &alg, usable);
    if (rc != LU_OK || !*usable) {
        return rc;
    }
    *usable = false;
    if (member_string(jwk, "kid", &kid) != LU_OK ||
        (kid != NULL && strlen(kid) > JWT_KID_BYTES_MAX)) {
        return LU_INVALID;
    }
    EVP_PKEY *pkey = NULL;
    rc = alg == ALG_RS256 ? rsa_key_build(jwk, &pkey) : ec_key_build(jwk, &pkey);
    if (rc != LU_OK) {
        ERR_clear_error();
        return rc;
    }
    char *kid_copy = NULL;
    if (kid != NULL) {
        kid_copy = strdup(kid);
        if (kid_copy == NULL) {
            EVP_PKEY_free(pkey);
            return LU_NOMEM;
        }
    }
    key->kid = kid_copy;
    key->alg = alg;
    key->pkey = pkey;
    *usable = true;
    return LU_OK;
}

static bool kid_taken(const jwt_keyset *ks, const char *kid)
{
    for (size_t i = 0; i < ks->count; i++) {
        if (ks->keys[i].kid != NULL && strcmp(ks->keys[i].kid, kid) == 0) {
            return true;
        }
    }
    return false;
}

static enum lu_rc keys_parse(const json_t *keys, jwt_keyset *ks)
{
    for (size_t i = 0; i < json_array_size(keys); i++) {
        struct jwt_key key = {0};
        bool usable = false;
        enum lu_rc rc = jwk_parse(json_array_get(keys, i), &key, &usable);
        if (rc != LU_OK) {
            return rc;
        }
        if (!usable) {
            continue;
        }
        /* Two keys under one kid would make the choice of key ambiguous. */
        if (key.kid != NULL && kid_taken(ks, key.kid)) {
            free(key.kid);
            EVP_PKEY_free(key.pkey);
            return LU_INVALID;
        }
        LU_ASSERT(ks->count < JWT_JWKS_KEYS_MAX);
        ks->keys[ks->count++] = key;
    }
    return ks->count > 0 ? LU_OK : LU_INVALID;
}

enum lu_rc jwt_keyset_parse(const char *json, size_t len, jwt_keyset **out)
{
    LU_ASSERT(out != NULL);
    LU_ASSERT(json != NULL || len == 0);
    *out = NULL;
    if (len > JWT_JWKS_BYTES_MAX) {
        return LU_TOO_LARGE;
    }
    json_error_t error;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &error);
    if (root == NULL) {
        return json_error_code(&error) == json_error_out_of_memory ? LU_NOMEM : LU_INVALID;
    }
    const json_t *keys = json_object_get(root, "keys");
    enum lu_rc rc = LU_OK;
    jwt_keyset *ks = NULL;
    if (!json_is_array(keys)) {
        rc = LU_INVALID;
    } else if (json_array_size(keys) > JWT_JWKS_KEYS_MAX) {
        rc = LU_TOO_LARGE;
    } else {
        ks = calloc(1, sizeof *ks);
        rc = ks == NULL ? LU_NOMEM : keys_parse(keys, ks);
    }
    json_decref(root);
    if (rc != LU_OK) {
        jwt_keyset_free(ks);
        return rc;
    }
    *out = ks;
    return LU_OK;
}

void jwt_keyset_free(jwt_keyset *ks)
{
    if (ks == NULL) {
        return;
    }
    LU_ASSERT(ks->count <= JWT_JWKS_KEYS_MAX);
    for (size_t i = 0; i < ks->count; i++) {
        free(ks->keys[i].kid);
        EVP_PKEY_free(ks->keys[i].pkey);
    }
    free(ks);
}

size_t jwt_keyset_count(const jwt_keyset *ks)
{
    LU_ASSERT(ks != NULL);
    return ks->count;
}

/* ---- token structure ------------------------------------------------------- */

/* Offsets of the three segments; the signing input is token[0..signed_len). */
struct segments {
    size_t header_len;
    size_t payload_off;
    size_t payload_len;
    size_t signed_len;
    size_t signature_off;
    size_t signature_len;
};

static bool url_symbol(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/*
 * Finds the two dots of header.payload.signature. Only base64url symbols are
 * allowed in segments: no padding (RFC 7515 §2), no whitespace, no NUL.
 */
static bool segments_split(const char *token, size_t len, struct segments *s)
{
    size_t dot[2] = {0, 0};
    size_t dots = 0;
    for (size_t i = 0; i < len; i++) {
        if (token[i] == '.') {
            if (dots == 2) {
                return false;
            }
            dot[dots++] = i;
        } else if (!url_symbol((unsigned char)token[i])) {
            return false;
        }
    }
    if (dots != 2) {
        return false;
    }
    s->header_len = dot[0];
    s->payload_off = dot[0] + 1;
    s->payload_len = dot[1] - s->payload_off;
    s->signed_len = dot[1];
    s->signature_off = dot[1] + 1;
    s->signature_len = len - s->signature_off;
    /* An empty signature is let through to fail on its length, after "alg" is known. */
    return s->header_len > 0 && s->payload_len > 0;
}

/* Decodes one base64url segment and parses it as a JSON object or array. */
static enum lu_rc segment_json(const char *text, size_t len, json_t **out)
{
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    *out = NULL;
    enum lu_rc rc = b64url_decode(text, len, &raw, &raw_len);
    if (rc != LU_OK) {
        return rc == LU_NOMEM ? LU_NOMEM : LU_UNAUTHORIZED;
    }
    json_error_t error;
    *out = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, &error);
    free(raw);
    if (*out == NULL) {
        return json_error_code(&error) == json_error_out_of_memory ? LU_NOMEM : LU_UNAUTHORIZED;
    }
    return LU_OK;
}

/* Reads "alg", "typ", "crit" and "kid"; *kid borrows from header. */
static enum lu_rc header_check(const json_t *header, enum jwt_alg *alg, const char **kid,
                               const char **why)
{
    const char *name = NULL;
    const char *typ = NULL;
    if (!json_is_object(header)) {
        *why = "header is not a JSON object";
        return LU_UNAUTHORIZED;
    }
    if (member_string(header, "alg", &name) != LU_OK || name == NULL) {
        *why = "header has no alg";
        return LU_UNAUTHORIZED;
    }
    if (strcmp(name, "HS256") == 0) {
        *alg = ALG_HS256;
    } else if (strcmp(name, "RS256") == 0) {
        *alg = ALG_RS256;
    } else if (strcmp(name, "ES256") == 0) {
        *alg = ALG_ES256;
    } else if (strcasecmp(name, "none") == 0) {
        *why = "alg none is never accepted";
        return LU_UNAUTHORIZED;
    } else {
        *why = "alg is not HS256, RS256 or ES256";
        return LU_UNAUTHORIZED;
    }
    if (member_string(header, "typ", &typ) != LU_OK ||
        (typ != NULL && strcasecmp(typ, "JWT") != 0)) {
        *why = "typ is not JWT";
        return LU_UNAUTHORIZED;
    }
    /* RFC 7515 §4.1.11: extensions we do not understand must fail the token. */
    if (json_object_get(header, "crit") != NULL) {
        *why = "crit header is not supported";
        return LU_UNAUTHORIZED;
    }
    if (member_string(header, "kid", kid) != LU_OK) {
        *why = "kid is not a string";
        return LU_UNAUTHORIZED;
    }
    return LU_OK;
}

/* ---- signatures ------------------------------------------------------------ */

static enum lu_rc hs256_check(const struct jwt_verifier *v, const unsigned char *data,
                              size_t data_len, const unsigned char *sig, size_t sig_len,
                              const char **why)
{
    if (v->hs256_secret == NULL || v->hs256_secret_len == 0) {
        *why = "HS256 is not configured";
        return LU_UNAUTHORIZED;
    }
    if (sig_len != HS256_MAC_BYTES) {
        *why = "signature has the wrong length";
        return LU_UNAUTHORIZED;
    }
    LU_ASSERT(v->hs256_secret_len <= INT_MAX);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha256(), v->hs256_secret, (int)v->hs256_secret_len, data, data_len, mac,
             &mac_len) == NULL) {
        ERR_clear_error();
        *why = "HMAC failed";
        return LU_NOMEM;
    }
    LU_ASSERT(mac_len == HS256_MAC_BYTES);
    int differ = CRYPTO_memcmp(mac, sig, HS256_MAC_BYTES);
    OPENSSL_cleanse(mac, sizeof mac);
    if (differ != 0) {
        *why = "signature does not verify";
        return LU_UNAUTHORIZED;
    }
    return LU_OK;
}

/* Verifies a DER (ECDSA) or PKCS#1 v1.5 (RSA) signature over data with SHA-256. */
static enum lu_rc digest_verify(EVP_PKEY *pkey, const unsigned char *data, size_t data_len,
                                const unsigned char *sig, size_t sig_len, const char **why)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL) {
        *why = "out of memory";
        return LU_NOMEM;
    }
    int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
             EVP_DigestVerify(md, sig, sig_len, data, data_len) == 1;
    EVP_MD_CTX_free(md);
    if (!ok) {
        /* A bad signature leaves errors queued; they must not confuse later calls. */
        ERR_clear_error();
        *why = "signature does not verify";
        return LU_UNAUTHORIZED;
    }
    return LU_OK;
}

/* ES256 signatures are JOSE r||s (RFC 7518 §3.4); OpenSSL wants DER. */
static enum lu_rc es256_check(EVP_PKEY *pkey, const unsigned char *data, size_t data_len,
                              const unsigned char *sig, size_t sig_len, const char **why)
{
    if (sig_len != ES256_SIG_BYTES) {
        *why = "signature has the wrong length";
        return LU_UNAUTHORIZED;
    }
    BIGNUM *r = BN_bin2bn(sig, P256_COORD_BYTES, NULL);
    BIGNUM *s = BN_bin2bn(sig + P256_COORD_BYTES, P256_COORD_BYTES, NULL);
    ECDSA_SIG *ecdsa = ECDSA_SIG_new();
    if (r == NULL || s == NULL || ecdsa == NULL || ECDSA_SIG_set0(ecdsa, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(ecdsa);
        *why = "out of memory";
        return LU_NOMEM;
    }
    unsigned char *der = NULL;
    int der_len = i2d_ECDSA_SIG(ecdsa, &der);
    ECDSA_SIG_free(ecdsa); /* also frees r and s, which it took */
    if (der_len <= 0) {
        ERR_clear_error();
        *why = "out of memory";
        return LU_NOMEM;
    }
    enum lu_rc rc = digest_verify(pkey, data, data_len, der, (size_t)der_len, why);
    OPENSSL_free(der);
    return rc;
}

/*
 * Picks the key for alg: the one named by kid, or with no kid the only key
 * for alg. A kid naming a key of another type fails (no RS256 with an EC key).
 */
static EVP_PKEY *key_pick(const jwt_keyset *ks, enum jwt_alg alg, const char *kid, const char **why)
{
    const struct jwt_key *found = NULL;
    if (kid != NULL) {
        for (size_t i = 0; i < ks->count && found == NULL; i++) {
            if (ks->keys[i].kid != NULL && strcmp(ks->keys[i].kid, kid) == 0) {
                found = &ks->keys[i];
            }
        }
        if (found == NULL) {
            *why = "kid is not in the key set";
            return NULL;
        }
        if (found->alg != alg) {
            *why = "kid names a key for another algorithm";
            return NULL;
        }
        return found->pkey;
    }
    size_t matches = 0;
    for (size_t i = 0; i < ks->count; i++) {
        if (ks->keys[i].alg == alg) {
            found = &ks->keys[i];
            matches++;
        }
    }
    if (matches != 1) {
        *why = matches == 0 ? "no key for this alg" : "token has no kid and several keys match";
        return NULL;
    }
    return found->pkey;
}

static enum lu_rc signature_check(const struct jwt_verifier *v, enum jwt_alg alg, const char *kid,
                                  const char *token, const struct segments *s, const char **why)
{
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    enum lu_rc rc = b64url_decode(token + s->signature_off, s->signature_len, &sig, &sig_len);
    if (rc != LU_OK) {
        *why = rc == LU_NOMEM ? "out of memory" : "signature is not base64url";
        return rc == LU_NOMEM ? LU_NOMEM : LU_UNAUTHORIZED;
    }
    const unsigned char *data = (const unsigned char *)token;
    if (alg == ALG_HS256) {
        rc = hs256_check(v, data, s->signed_len, sig, sig_len, why);
    } else if (v->keys == NULL) {
        *why = "RS256/ES256 are not configured";
        rc = LU_UNAUTHORIZED;
    } else {
        EVP_PKEY *pkey = key_pick(v->keys, alg, kid, why);
        if (pkey == NULL) {
            rc = LU_UNAUTHORIZED;
        } else if (alg == ALG_ES256) {
            rc = es256_check(pkey, data, s->signed_len, sig, sig_len, why);
        } else if (sig_len != (size_t)EVP_PKEY_get_size(pkey)) {
            *why = "signature has the wrong length";
            rc = LU_UNAUTHORIZED;
        } else {
            rc = digest_verify(pkey, data, s->signed_len, sig, sig_len, why);
        }
    }
    free(sig);
    return rc;
}

/* ---- claims ---------------------------------------------------------------- */

/* Compares a JSON number (integer or real) with limit: -1, 0 or 1 for <, ==, >. */
static int number_cmp(const json_t *number, int64_t limit)
{
    if (json_is_integer(number)) {
        json_int_t i = json_integer_value(number);
        return i < limit ? -1 : i > limit;
    }
    double d = json_real_value(number);
    double l = (double)limit;
    return d < l ? -1 : d > l;
}

static enum lu_rc claims_check(const struct jwt_verifier *v, const json_t *claims, const char **why)
{
    if (!json_is_object(claims)) {
        *why = "payload is not a JSON object";
        return LU_UNAUTHORIZED;
    }
    const json_t *exp = json_object_get(claims, "exp");
    const json_t *nbf = json_object_get(claims, "nbf");
    if ((exp != NULL && !json_is_number(exp)) || (nbf != NULL && !json_is_number(nbf))) {
        *why = "exp or nbf is not a number";
        return LU_UNAUTHORIZED;
    }
    /* now > exp + leeway, written so that nothing can overflow. */
    if (exp != NULL && number_cmp(exp, v->now_s - v->leeway_s) < 0) {
        *why = "token has expired";
        return LU_UNAUTHORIZED;
    }
    /* now + leeway < nbf */
    if (nbf != NULL && number_cmp(nbf, v->now_s + v->leeway_s) > 0) {
        *why = "token is not valid yet";
        return LU_UNAUTHORIZED;
    }
    if (v->issuer != NULL) {
        const char *iss = NULL;
        if (member_string(claims, "iss", &iss) != LU_OK || iss == NULL) {
            *why = "iss is missing or not a string";
            return LU_UNAUTHORIZED;
        }
        if (strcmp(iss, v->issuer) != 0) {
            *why = "iss does not match";
            return LU_UNAUTHORIZED;
        }
    }
    return LU_OK;
}

/* ---- verify ---------------------------------------------------------------- */

enum lu_rc jwt_verify(const struct jwt_verifier *v, const char *token, size_t token_len,
                      json_t **claims_out, const char **why_out)
{
    LU_ASSERT(v != NULL && claims_out != NULL && why_out != NULL);
    LU_ASSERT(token != NULL || token_len == 0);
    LU_ASSERT(v->leeway_s >= 0 && v->leeway_s <= JWT_LEEWAY_SECONDS_MAX);
    LU_ASSERT(v->now_s >= 0 && v->now_s <= INT64_MAX - JWT_LEEWAY_SECONDS_MAX);
    *claims_out = NULL;
    *why_out = "ok";
    struct segments s;
    if (token_len > JWT_TOKEN_BYTES_MAX) {
        *why_out = "token is too long";
        return LU_UNAUTHORIZED;
    }
    if (!segments_split(token, token_len, &s)) {
        *why_out = "token is not three base64url segments";
        return LU_UNAUTHORIZED;
    }
    json_t *header = NULL;
    enum lu_rc rc = segment_json(token, s.header_len, &header);
    if (rc != LU_OK) {
        *why_out = rc == LU_NOMEM ? "out of memory" : "header is not base64url JSON";
        return rc;
    }
    enum jwt_alg alg = ALG_HS256;
    const char *kid = NULL;
    rc = header_check(header, &alg, &kid, why_out);
    if (rc == LU_OK) {
        rc = signature_check(v, alg, kid, token, &s, why_out);
    }
    json_decref(header); /* kid borrowed from it; no longer used */
    if (rc != LU_OK) {
        return rc;
    }
    /* Only a signed payload is parsed. */
    json_t *claims = NULL;
    rc = segment_json(token + s.payload_off, s.payload_len, &claims);
    if (rc != LU_OK) {
        *why_out = rc == LU_NOMEM ? "out of memory" : "payload is not base64url JSON";
        return rc;
    }
    rc = claims_check(v, claims, why_out);
    if (rc != LU_OK) {
        json_decref(claims);
        return rc;
    }
    *claims_out = claims;
    return LU_OK;
}
