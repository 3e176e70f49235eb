/*
 * test_jwt.c — unit tests for auth/jwt: JWKS parsing and token verification.
 *
 * Keys are generated at test time (RSA 2048 twice, EC P-256, a 1024-bit RSA
 * key that must be refused), the JWKS JSON is written here from their public
 * numbers, and tokens are signed here with OpenSSL directly and encoded with a
 * base64url written on top of EVP_EncodeBlock, so the verifier is checked
 * against an independent implementation rather than against itself.
 * A table of cases drives jwt_verify; each row is its own cmocka test.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "auth/jwt.h"

#define NOW 1700000000 /* 2023-11-14T22:13:20Z */
#define LEEWAY 60
#define ISSUER "https://issuer.example"
#define SECRET "test-secret-0123456789abcdef0123456789abcdef"

/* ---- helpers: strings, base64url, signing ------------------------------------ */

/* A malloc'd formatted string (test code only; the engine has no asprintf). */
static char *fmt(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(NULL, 0, format, ap);
    va_end(ap);
    assert_true(n >= 0);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    va_start(ap, format);
    vsnprintf(s, (size_t)n + 1, format, ap);
    va_end(ap);
    return s;
}

/* base64url without padding, built on OpenSSL's standard encoder. */
static char *url64(const unsigned char *in, size_t len)
{
    char *out = malloc(4 * (len / 3 + 1) + 1);
    assert_non_null(out);
    int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    while (n > 0 && out[n - 1] == '=') {
        n--;
    }
    out[n] = '\0';
    for (int i = 0; i < n; i++) {
        out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    }
    return out;
}

static char *url64_text(const char *text)
{
    return url64((const unsigned char *)text, strlen(text));
}

static char *bn_url64(const BIGNUM *bn, int pad_bytes)
{
    unsigned char buf[1024];
    int n = pad_bytes > 0 ? BN_bn2binpad(bn, buf, pad_bytes) : BN_bn2bin(bn, buf);
    assert_true(n > 0);
    return url64(buf, (size_t)n);
}

struct keys {
    EVP_PKEY *rsa1;
    EVP_PKEY *rsa2;
    EVP_PKEY *rsa_small; /* 1024 bits: the parser must refuse it */
    EVP_PKEY *ec1;
    EVP_PKEY *ec2;
    char *rsa1_pem; /* PEM of rsa1's public key: the classic confusion HMAC key */
    char *rsa1_n;   /* base64url JWK members */
    char *rsa1_e;
    char *rsa2_n;
    char *rsa_small_n;
    char *ec1_x;
    char *ec1_y;
    char *ec1_y_bad; /* y with one bit flipped: off the curve */
    char *ec2_x;
    char *ec2_y;
    jwt_keyset *main_set; /* rsa-1, ec-1, and keys that must be skipped */
    jwt_keyset *two_rsa;  /* rsa-1 and rsa-2 */
};

static struct keys K;

enum signer {
    SIGN_HS,       /* HMAC with SECRET */
    SIGN_HS_WRONG, /* HMAC with another secret */
    SIGN_HS_PEM,   /* HMAC keyed with rsa1's public PEM (algorithm confusion) */
    SIGN_RS1,
    SIGN_RS2,
    SIGN_ES1,
    SIGN_ES2,
    SIGN_ES1_DER,   /* ES256 but the DER form, not r||s */
    SIGN_ES1_SHORT, /* r||s without its last byte */
    SIGN_EMPTY,     /* no signature at all: "h.p." */
    SIGN_AAAA,      /* three zero bytes */
};

static unsigned char *digest_sign(EVP_PKEY *key, const char *data, size_t *sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_non_null(md);
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
    size_t len = 0;
    assert_int_equal(EVP_DigestSign(md, NULL, &len, (const unsigned char *)data, strlen(data)), 1);
    unsigned char *sig = malloc(len);
    assert_non_null(sig);
    assert_int_equal(EVP_DigestSign(md, sig, &len, (const unsigned char *)data, strlen(data)), 1);
    EVP_MD_CTX_free(md);
    *sig_len = len;
    return sig;
}

/* ES256: OpenSSL gives DER; JOSE wants r||s, each left-padded to 32 bytes. */
static unsigned char *es256_sign(EVP_PKEY *key, const char *data, size_t *sig_len)
{
    size_t der_len = 0;
    unsigned char *der = digest_sign(key, data, &der_len);
    const unsigned char *p = der;
    ECDSA_SIG *ecdsa = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    assert_non_null(ecdsa);
    unsigned char *raw = malloc(64);
    assert_non_null(raw);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), raw, 32), 32);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), raw + 32, 32), 32);
    ECDSA_SIG_free(ecdsa);
    free(der);
    *sig_len = 64;
    return raw;
}

static unsigned char *hmac_sign(const char *key, const char *data, size_t *sig_len)
{
    unsigned char *mac = malloc(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    assert_non_null(mac);
    assert_non_null(HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)data,
                         strlen(data), mac, &len));
    *sig_len = len;
    return mac;
}

static unsigned char *sign(enum signer signer, const char *data, size_t *sig_len)
{
    switch (signer) {
    case SIGN_HS:
        return hmac_sign(SECRET, data, sig_len);
    case SIGN_HS_WRONG:
        return hmac_sign(SECRET "x", data, sig_len);
    case SIGN_HS_PEM:
        return hmac_sign(K.rsa1_pem, data, sig_len);
    case SIGN_RS1:
        return digest_sign(K.rsa1, data, sig_len);
    case SIGN_RS2:
        return digest_sign(K.rsa2, data, sig_len);
    case SIGN_ES1:
        return es256_sign(K.ec1, data, sig_len);
    case SIGN_ES2:
        return es256_sign(K.ec2, data, sig_len);
    case SIGN_ES1_DER:
        return digest_sign(K.ec1, data, sig_len);
    case SIGN_ES1_SHORT: {
        unsigned char *sig = es256_sign(K.ec1, data, sig_len);
        *sig_len = 63;
        return sig;
    }
    case SIGN_EMPTY:
        *sig_len = 0;
        return calloc(1, 1);
    case SIGN_AAAA:
        *sig_len = 3;
        return calloc(1, 3);
    }
    fail();
    return NULL;
}

/* header.payload.signature with the given JSON texts, signed by signer. */
static char *token_make(const char *header, const char *payload, enum signer signer)
{
    char *h = url64_text(header);
    char *p = url64_text(payload);
    char *input = fmt("%s.%s", h, p);
    size_t sig_len = 0;
    unsigned char *sig = sign(signer, input, &sig_len);
    char *s = url64(sig, sig_len);
    char *token = fmt("%s.%s", input, s);
    free(h);
    free(p);
    free(input);
    free(sig);
    free(s);
    return token;
}

/* ---- JWKS text ------------------------------------------------------------------ */

static char *jwk_rsa(const char *n, const char *fields)
{
    return fmt("{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"%s}", n, K.rsa1_e, fields);
}

static char *jwk_ec(const char *x, const char *y, const char *fields)
{
    return fmt("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"%s}", x, y, fields);
}

/* Parses {"keys":[a, b]} (b may be NULL) and checks the code and key count. */
static void jwks_expect(char *a, char *b, enum lu_rc want, size_t count)
{
    char *json = b == NULL ? fmt("{\"keys\":[%s]}", a) : fmt("{\"keys\":[%s,%s]}", a, b);
    jwt_keyset *ks = (jwt_keyset *)&K; /* any non-NULL: must be overwritten */
    enum lu_rc rc = jwt_keyset_parse(json, strlen(json), &ks);
    assert_int_equal(rc, want);
    if (want == LU_OK) {
        assert_non_null(ks);
        assert_int_equal(jwt_keyset_count(ks), count);
    } else {
        assert_null(ks);
    }
    jwt_keyset_free(ks);
    free(json);
    free(a);
    free(b);
}

static jwt_keyset *keyset_of(const char *json)
{
    jwt_keyset *ks = NULL;
    assert_int_equal(jwt_keyset_parse(json, strlen(json), &ks), LU_OK);
    return ks;
}

static EVP_PKEY *keygen_rsa(unsigned bits)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    assert_non_null(k);
    return k;
}

static EVP_PKEY *keygen_ec(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(k);
    return k;
}

static char *key_param_url64(EVP_PKEY *k, const char *name, int pad_bytes)
{
    BIGNUM *bn = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(k, name, &bn), 1);
    char *s = bn_url64(bn, pad_bytes);
    BN_free(bn);
    return s;
}

static char *public_pem(EVP_PKEY *k)
{
    BIO *bio = BIO_new(BIO_s_mem());
    assert_non_null(bio);
    assert_int_equal(PEM_write_bio_PUBKEY(bio, k), 1);
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    char *pem = fmt("%.*s", (int)len, data);
    BIO_free(bio);
    return pem;
}

static int group_setup(void **state)
{
    (void)state;
    K.rsa1 = keygen_rsa(2048);
    K.rsa2 = keygen_rsa(2048);
    K.rsa_small = keygen_rsa(1024);
    K.ec1 = keygen_ec();
    K.ec2 = keygen_ec();
    K.rsa1_pem = public_pem(K.rsa1);
    K.rsa1_n = key_param_url64(K.rsa1, OSSL_PKEY_PARAM_RSA_N, 0);
    K.rsa1_e = key_param_url64(K.rsa1, OSSL_PKEY_PARAM_RSA_E, 0);
    K.rsa2_n = key_param_url64(K.rsa2, OSSL_PKEY_PARAM_RSA_N, 0);
    K.rsa_small_n = key_param_url64(K.rsa_small, OSSL_PKEY_PARAM_RSA_N, 0);
    K.ec1_x = key_param_url64(K.ec1, OSSL_PKEY_PARAM_EC_PUB_X, 32);
    K.ec1_y = key_param_url64(K.ec1, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
    K.ec2_x = key_param_url64(K.ec2, OSSL_PKEY_PARAM_EC_PUB_X, 32);
    K.ec2_y = key_param_url64(K.ec2, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
    BIGNUM *y = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(K.ec1, OSSL_PKEY_PARAM_EC_PUB_Y, &y), 1);
    if (BN_is_bit_set(y, 0)) {
        BN_clear_bit(y, 0);
    } else {
        BN_set_bit(y, 0);
    }
    K.ec1_y_bad = bn_url64(y, 32);
    BN_free(y);

    /*
     * The main set: the keys tokens may use, plus keys that must be skipped —
     * rsa2 marked for encryption, rsa2 reserved for RS384, and an "oct" key
     * whose k is rsa1's PEM, which must never become an HMAC secret.
     */
    char *pem64 = url64_text(K.rsa1_pem);
    char *json = fmt("{\"keys\":["
                     "{\"kty\":\"RSA\",\"kid\":\"rsa-1\",\"use\":\"sig\",\"alg\":\"RS256\","
                     "\"n\":\"%s\",\"e\":\"%s\"},"
                     "{\"kty\":\"EC\",\"kid\":\"ec-1\",\"crv\":\"P-256\",\"alg\":\"ES256\","
                     "\"x\":\"%s\",\"y\":\"%s\"},"
                     "{\"kty\":\"RSA\",\"kid\":\"rsa-enc\",\"use\":\"enc\",\"n\":\"%s\","
                     "\"e\":\"AQAB\"},"
                     "{\"kty\":\"RSA\",\"kid\":\"rsa-384\",\"alg\":\"RS384\",\"n\":\"%s\","
                     "\"e\":\"AQAB\"},"
                     "{\"kty\":\"oct\",\"kid\":\"hmac-1\",\"k\":\"%s\"}]}",
                     K.rsa1_n, K.rsa1_e, K.ec1_x, K.ec1_y, K.rsa2_n, K.rsa2_n, pem64);
    K.main_set = keyset_of(json);
    assert_int_equal(jwt_keyset_count(K.main_set), 2);
    free(json);
    free(pem64);
    json = fmt("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"rsa-1\",\"n\":\"%s\",\"e\":\"AQAB\"},"
               "{\"kty\":\"RSA\",\"kid\":\"rsa-2\",\"n\":\"%s\",\"e\":\"AQAB\"}]}",
               K.rsa1_n, K.rsa2_n);
    K.two_rsa = keyset_of(json);
    free(json);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    jwt_keyset_free(K.main_set);
    jwt_keyset_free(K.two_rsa);
    EVP_PKEY_free(K.rsa1);
    EVP_PKEY_free(K.rsa2);
    EVP_PKEY_free(K.rsa_small);
    EVP_PKEY_free(K.ec1);
    EVP_PKEY_free(K.ec2);
    free(K.rsa1_pem);
    free(K.rsa1_n);
    free(K.rsa1_e);
    free(K.rsa2_n);
    free(K.rsa_small_n);
    free(K.ec1_x);
    free(K.ec1_y);
    free(K.ec1_y_bad);
    free(K.ec2_x);
    free(K.ec2_y);
    return 0;
}

/* ---- the verification table ------------------------------------------------------ */

enum config {
    CFG_HS,       /* HS256 secret only */
    CFG_JWKS,     /* the main key set only */
    CFG_BOTH,     /* secret and main key set */
    CFG_HS_ISS,   /* secret, issuer required */
    CFG_JWKS_ISS, /* main key set, issuer required */
    CFG_TWO_RSA,  /* two RSA keys */
    CFG_NOTHING,  /* nothing configured: every token fails */
};

enum tamper {
    TAMPER_NONE,
    TAMPER_PAYLOAD,       /* swap in other claims, keep the signature */
    TAMPER_SIG_SPARE_BIT, /* set a spare bit of the last signature char: same bytes */
    TAMPER_SIG_FLIP,      /* change one signature character */
    TAMPER_SIG_PAD,       /* add '=' padding to the signature */
    TAMPER_SPACE,         /* leading space */
    TAMPER_NEWLINE,       /* trailing newline */
    TAMPER_EXTRA_SEGMENT, /* a fourth segment */
};

struct row {
    const char *name;
    const char *raw; /* used verbatim when set; header/payload/signer ignored */
    const char *header;
    const char *payload;
    enum signer signer;
    enum config config;
    enum tamper tamper;
    enum lu_rc want;
};

#define H_HS "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define H_RS1 "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"rsa-1\"}"
#define H_ES1 "{\"alg\":\"ES256\",\"kid\":\"ec-1\"}"
#define P_OK "{\"sub\":\"user_1\",\"role\":\"operator\",\"exp\":1700003600}"
#define P_ISS "{\"sub\":\"user_1\",\"iss\":\"" ISSUER "\",\"exp\":1700003600}"

static const struct row ROWS[] = {
    /* Valid tokens of each algorithm. */
    {"hs256 valid", NULL, H_HS, P_OK, SIGN_HS, CFG_HS, TAMPER_NONE, LU_OK},
    {"hs256 valid, both configured", NULL, H_HS, P_OK, SIGN_HS, CFG_BOTH, TAMPER_NONE, LU_OK},
    {"rs256 valid", NULL, H_RS1, P_OK, SIGN_RS1, CFG_JWKS, TAMPER_NONE, LU_OK},
    {"rs256 valid, both configured", NULL, H_RS1, P_OK, SIGN_RS1, CFG_BOTH, TAMPER_NONE, LU_OK},
    {"es256 valid", NULL, H_ES1, P_OK, SIGN_ES1, CFG_JWKS, TAMPER_NONE, LU_OK},
    {"rs256 kid rsa-2 of two", NULL, "{\"alg\":\"RS256\",\"kid\":\"rsa-2\"}", P_OK, SIGN_RS2,
     CFG_TWO_RSA, TAMPER_NONE, LU_OK},
    {"typ jwt in lower case", NULL, "{\"alg\":\"HS256\",\"typ\":\"jwt\"}", P_OK, SIGN_HS, CFG_HS,
     TAMPER_NONE, LU_OK},

    /* Key choice without kid: only when exactly one key fits. */
    {"rs256 no kid, one rsa key", NULL, "{\"alg\":\"RS256\"}", P_OK, SIGN_RS1, CFG_JWKS,
     TAMPER_NONE, LU_OK},
    {"es256 no kid, one ec key", NULL, "{\"alg\":\"ES256\"}", P_OK, SIGN_ES1, CFG_JWKS, TAMPER_NONE,
     LU_OK},
    {"rs256 no kid, two rsa keys", NULL, "{\"alg\":\"RS256\"}", P_OK, SIGN_RS1, CFG_TWO_RSA,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"rs256 no kid, two rsa keys, second signs", NULL, "{\"alg\":\"RS256\"}", P_OK, SIGN_RS2,
     CFG_TWO_RSA, TAMPER_NONE, LU_UNAUTHORIZED},
    {"es256 no kid, no ec key", NULL, "{\"alg\":\"ES256\"}", P_OK, SIGN_ES1, CFG_TWO_RSA,
     TAMPER_NONE, LU_UNAUTHORIZED},

    /* exp and nbf with 60 s leeway (NOW = 1700000000). */
    {"expired beyond leeway", NULL, H_HS, "{\"sub\":\"user_1\",\"exp\":1699999939}", SIGN_HS,
     CFG_HS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"expired within leeway", NULL, H_HS, "{\"sub\":\"user_1\",\"exp\":1699999970}", SIGN_HS,
     CFG_HS, TAMPER_NONE, LU_OK},
    {"expired exactly leeway ago", NULL, H_HS, "{\"sub\":\"user_1\",\"exp\":1699999940}", SIGN_HS,
     CFG_HS, TAMPER_NONE, LU_OK},
    {"rs256 expired", NULL, H_RS1, "{\"sub\":\"user_1\",\"exp\":1600000000}", SIGN_RS1, CFG_JWKS,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"exp real within leeway", NULL, H_HS, "{\"sub\":\"user_1\",\"exp\":1699999940.5}", SIGN_HS,
     CFG_HS, TAMPER_NONE, LU_OK},
    {"exp real beyond leeway", NULL, H_HS, "{\"sub\":\"user_1\",\"exp\":1699999939.5}", SIGN_HS,
     CFG_HS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"exp is a string", NULL, H_HS, "{\"sub\":\"user_1\",\"exp\":\"1700003600\"}", SIGN_HS, CFG_HS,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"exp is null", NULL, H_HS, "{\"sub\":\"user_1\",\"exp\":null}", SIGN_HS, CFG_HS, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"exp absent is accepted", NULL, H_HS, "{\"sub\":\"user_1\"}", SIGN_HS, CFG_HS, TAMPER_NONE,
     LU_OK},
    {"nbf beyond leeway", NULL, H_HS, "{\"sub\":\"user_1\",\"nbf\":1700000061}", SIGN_HS, CFG_HS,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"nbf exactly leeway ahead", NULL, H_HS, "{\"sub\":\"user_1\",\"nbf\":1700000060}", SIGN_HS,
     CFG_HS, TAMPER_NONE, LU_OK},
    {"nbf within leeway", NULL, H_HS, "{\"sub\":\"user_1\",\"nbf\":1700000030}", SIGN_HS, CFG_HS,
     TAMPER_NONE, LU_OK},
    {"nbf is a string", NULL, H_HS, "{\"sub\":\"user_1\",\"nbf\":\"0\"}", SIGN_HS, CFG_HS,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"es256 not yet valid", NULL, H_ES1, "{\"sub\":\"user_1\",\"nbf\":1800000000}", SIGN_ES1,
     CFG_JWKS, TAMPER_NONE, LU_UNAUTHORIZED},

    /* Issuer. */
    {"issuer matches", NULL, H_HS, P_ISS, SIGN_HS, CFG_HS_ISS, TAMPER_NONE, LU_OK},
    {"issuer matches, rs256", NULL, H_RS1, P_ISS, SIGN_RS1, CFG_JWKS_ISS, TAMPER_NONE, LU_OK},
    {"wrong issuer", NULL, H_HS, "{\"sub\":\"user_1\",\"iss\":\"https://evil.example\"}", SIGN_HS,
     CFG_HS_ISS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"issuer with a trailing slash", NULL, H_HS, "{\"iss\":\"" ISSUER "/\"}", SIGN_HS, CFG_HS_ISS,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"issuer prefix", NULL, H_HS, "{\"iss\":\"https://issuer\"}", SIGN_HS, CFG_HS_ISS, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"issuer in another case", NULL, H_HS, "{\"iss\":\"HTTPS://ISSUER.EXAMPLE\"}", SIGN_HS,
     CFG_HS_ISS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"missing iss when required", NULL, H_RS1, P_OK, SIGN_RS1, CFG_JWKS_ISS, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"iss not a string", NULL, H_HS, "{\"iss\":[\"" ISSUER "\"]}", SIGN_HS, CFG_HS_ISS, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"iss ignored when not configured", NULL, H_HS, "{\"sub\":\"user_1\",\"iss\":\"anyone\"}",
     SIGN_HS, CFG_HS, TAMPER_NONE, LU_OK},

    /* alg none and unsupported algorithms. */
    {"alg none, empty signature", NULL, "{\"alg\":\"none\"}", P_OK, SIGN_EMPTY, CFG_BOTH,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"alg none, hmac signature", NULL, "{\"alg\":\"none\"}", P_OK, SIGN_HS, CFG_BOTH, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"alg None", NULL, "{\"alg\":\"None\",\"typ\":\"JWT\"}", P_OK, SIGN_HS, CFG_BOTH, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"alg NONE", NULL, "{\"alg\":\"NONE\"}", P_OK, SIGN_AAAA, CFG_BOTH, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"alg hs256 lower case", NULL, "{\"alg\":\"hs256\"}", P_OK, SIGN_HS, CFG_HS, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"alg HS512", NULL, "{\"alg\":\"HS512\"}", P_OK, SIGN_HS, CFG_HS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"alg PS256", NULL, "{\"alg\":\"PS256\",\"kid\":\"rsa-1\"}", P_OK, SIGN_RS1, CFG_JWKS,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"alg RS512", NULL, "{\"alg\":\"RS512\",\"kid\":\"rsa-1\"}", P_OK, SIGN_RS1, CFG_JWKS,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"alg missing", NULL, "{\"typ\":\"JWT\"}", P_OK, SIGN_HS, CFG_HS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"alg not a string", NULL, "{\"alg\":256}", P_OK, SIGN_HS, CFG_HS, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"duplicate alg in header", NULL, "{\"alg\":\"none\",\"alg\":\"HS256\"}", P_OK, SIGN_HS, CFG_HS,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"typ not JWT", NULL, "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", P_OK, SIGN_HS, CFG_HS,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"typ not a string", NULL, "{\"alg\":\"HS256\",\"typ\":1}", P_OK, SIGN_HS, CFG_HS, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"crit header", NULL, "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", P_OK, SIGN_HS, CFG_HS,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"embedded jwk header is ignored", NULL,
     "{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}}",
     P_OK, SIGN_ES2, CFG_JWKS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"kid not a string", NULL, "{\"alg\":\"RS256\",\"kid\":1}", P_OK, SIGN_RS1, CFG_JWKS,
     TAMPER_NONE, LU_UNAUTHORIZED},

    /* Algorithm confusion: HMAC keyed with the RSA public key. */
    {"confusion, jwks only", NULL, "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", P_OK, SIGN_HS_PEM,
     CFG_JWKS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"confusion, secret and jwks", NULL, "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", P_OK, SIGN_HS_PEM,
     CFG_BOTH, TAMPER_NONE, LU_UNAUTHORIZED},
    {"confusion, no kid, secret and jwks", NULL, "{\"alg\":\"HS256\"}", P_OK, SIGN_HS_PEM, CFG_BOTH,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"confusion via an oct jwk", NULL, "{\"alg\":\"HS256\",\"kid\":\"hmac-1\"}", P_OK, SIGN_HS_PEM,
     CFG_JWKS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"rs256 kid names the ec key", NULL, "{\"alg\":\"RS256\",\"kid\":\"ec-1\"}", P_OK, SIGN_RS1,
     CFG_JWKS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"es256 kid names the rsa key", NULL, "{\"alg\":\"ES256\",\"kid\":\"rsa-1\"}", P_OK, SIGN_ES1,
     CFG_JWKS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"hs256 with only jwks", NULL, H_HS, P_OK, SIGN_HS, CFG_JWKS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"rs256 with only a secret", NULL, H_RS1, P_OK, SIGN_RS1, CFG_HS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"nothing configured", NULL, H_HS, P_OK, SIGN_HS, CFG_NOTHING, TAMPER_NONE, LU_UNAUTHORIZED},

    /* Wrong keys. */
    {"hs256 wrong secret", NULL, H_HS, P_OK, SIGN_HS_WRONG, CFG_HS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"rs256 unknown kid", NULL, "{\"alg\":\"RS256\",\"kid\":\"rsa-9\"}", P_OK, SIGN_RS1, CFG_JWKS,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"rs256 signed by another key", NULL, H_RS1, P_OK, SIGN_RS2, CFG_JWKS, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"es256 signed by another key", NULL, H_ES1, P_OK, SIGN_ES2, CFG_JWKS, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"rs256 kid of a use=enc key", NULL, "{\"alg\":\"RS256\",\"kid\":\"rsa-enc\"}", P_OK, SIGN_RS2,
     CFG_JWKS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"rs256 kid of an RS384 key", NULL, "{\"alg\":\"RS256\",\"kid\":\"rsa-384\"}", P_OK, SIGN_RS2,
     CFG_JWKS, TAMPER_NONE, LU_UNAUTHORIZED},

    /* Tampering. */
    {"hs256 tampered payload", NULL, H_HS, P_OK, SIGN_HS, CFG_HS, TAMPER_PAYLOAD, LU_UNAUTHORIZED},
    {"rs256 tampered payload", NULL, H_RS1, P_OK, SIGN_RS1, CFG_JWKS, TAMPER_PAYLOAD,
     LU_UNAUTHORIZED},
    {"es256 tampered payload", NULL, H_ES1, P_OK, SIGN_ES1, CFG_JWKS, TAMPER_PAYLOAD,
     LU_UNAUTHORIZED},
    {"hs256 signature spare bit", NULL, H_HS, P_OK, SIGN_HS, CFG_HS, TAMPER_SIG_SPARE_BIT,
     LU_UNAUTHORIZED},
    {"rs256 signature spare bit", NULL, H_RS1, P_OK, SIGN_RS1, CFG_JWKS, TAMPER_SIG_SPARE_BIT,
     LU_UNAUTHORIZED},
    {"es256 signature spare bit", NULL, H_ES1, P_OK, SIGN_ES1, CFG_JWKS, TAMPER_SIG_SPARE_BIT,
     LU_UNAUTHORIZED},
    {"rs256 signature changed", NULL, H_RS1, P_OK, SIGN_RS1, CFG_JWKS, TAMPER_SIG_FLIP,
     LU_UNAUTHORIZED},
    {"es256 signature changed", NULL, H_ES1, P_OK, SIGN_ES1, CFG_JWKS, TAMPER_SIG_FLIP,
     LU_UNAUTHORIZED},
    {"hs256 signature padded", NULL, H_HS, P_OK, SIGN_HS, CFG_HS, TAMPER_SIG_PAD, LU_UNAUTHORIZED},
    {"leading space", NULL, H_HS, P_OK, SIGN_HS, CFG_HS, TAMPER_SPACE, LU_UNAUTHORIZED},
    {"trailing newline", NULL, H_HS, P_OK, SIGN_HS, CFG_HS, TAMPER_NEWLINE, LU_UNAUTHORIZED},
    {"four segments", NULL, H_HS, P_OK, SIGN_HS, CFG_HS, TAMPER_EXTRA_SEGMENT, LU_UNAUTHORIZED},
    {"empty signature, hs256", NULL, H_HS, P_OK, SIGN_EMPTY, CFG_HS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"rs256 short signature", NULL, H_RS1, P_OK, SIGN_AAAA, CFG_JWKS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"es256 DER signature", NULL, H_ES1, P_OK, SIGN_ES1_DER, CFG_JWKS, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"es256 63-byte signature", NULL, H_ES1, P_OK, SIGN_ES1_SHORT, CFG_JWKS, TAMPER_NONE,
     LU_UNAUTHORIZED},

    /* Malformed segments, correctly signed. */
    {"header not JSON", NULL, "not json", P_OK, SIGN_HS, CFG_HS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"header a JSON array", NULL, "[\"HS256\"]", P_OK, SIGN_HS, CFG_HS, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"header a JSON string", NULL, "\"HS256\"", P_OK, SIGN_HS, CFG_HS, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"payload a JSON array", NULL, H_HS, "[{\"sub\":\"user_1\"}]", SIGN_HS, CFG_HS, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"payload not JSON", NULL, H_HS, "sub=user_1", SIGN_HS, CFG_HS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"payload a number", NULL, H_HS, "42", SIGN_HS, CFG_HS, TAMPER_NONE, LU_UNAUTHORIZED},
    {"payload duplicate sub", NULL, H_HS, "{\"sub\":\"user_1\",\"sub\":\"admin\"}", SIGN_HS, CFG_HS,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"payload with NUL escape", NULL, H_HS, "{\"sub\":\"user_1\\u0000admin\"}", SIGN_HS, CFG_HS,
     TAMPER_NONE, LU_UNAUTHORIZED},

    /* Garbage. */
    {"empty", "", NULL, NULL, SIGN_HS, CFG_BOTH, TAMPER_NONE, LU_UNAUTHORIZED},
    {"a.b", "a.b", NULL, NULL, SIGN_HS, CFG_BOTH, TAMPER_NONE, LU_UNAUTHORIZED},
    {"a.b.c", "a.b.c", NULL, NULL, SIGN_HS, CFG_BOTH, TAMPER_NONE, LU_UNAUTHORIZED},
    {"dots", "....", NULL, NULL, SIGN_HS, CFG_BOTH, TAMPER_NONE, LU_UNAUTHORIZED},
    {"two dots", "..", NULL, NULL, SIGN_HS, CFG_BOTH, TAMPER_NONE, LU_UNAUTHORIZED},
    {"empty payload", "eyJhbGciOiJIUzI1NiJ9..AAAA", NULL, NULL, SIGN_HS, CFG_BOTH, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"not base64", "!!!.@@@.###", NULL, NULL, SIGN_HS, CFG_BOTH, TAMPER_NONE, LU_UNAUTHORIZED},
    {"standard base64 symbols", "eyJhbGciOiJIUzI1NiJ9.e30.ab+/", NULL, NULL, SIGN_HS, CFG_BOTH,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"impossible length", "eyJhbGciOiJIUzI1NiJ9.e.AAAA", NULL, NULL, SIGN_HS, CFG_BOTH, TAMPER_NONE,
     LU_UNAUTHORIZED},
    {"bearer prefix", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.AAAA", NULL, NULL, SIGN_HS, CFG_BOTH,
     TAMPER_NONE, LU_UNAUTHORIZED},
    {"utf-8 bytes", "\xc3\xa9.\xc3\xa9.\xc3\xa9", NULL, NULL, SIGN_HS, CFG_BOTH, TAMPER_NONE,
     LU_UNAUTHORIZED},
};

#define ROW_COUNT (sizeof ROWS / sizeof ROWS[0])

static struct jwt_verifier verifier_for(enum config config)
{
    struct jwt_verifier v = {.now_s = NOW, .leeway_s = LEEWAY};
    if (config == CFG_HS || config == CFG_BOTH || config == CFG_HS_ISS) {
        v.hs256_secret = (const unsigned char *)SECRET;
        v.hs256_secret_len = strlen(SECRET);
    }
    if (config == CFG_JWKS || config == CFG_BOTH || config == CFG_JWKS_ISS) {
        v.keys = K.main_set;
    }
    if (config == CFG_TWO_RSA) {
        v.keys = K.two_rsa;
    }
    if (config == CFG_HS_ISS || config == CFG_JWKS_ISS) {
        v.issuer = ISSUER;
    }
    return v;
}

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Replaces the base64url character at *c with the one whose value differs in bit `bit`. */
static void symbol_flip(char *c, int bit)
{
    const char *at = strchr(ALPHABET, *c);
    assert_non_null(at);
    *c = ALPHABET[(at - ALPHABET) ^ (1 << bit)];
}

static char *tamper(char *token, enum tamper how)
{
    char *sig = strrchr(token, '.') + 1;
    char *out = NULL;
    switch (how) {
    case TAMPER_NONE:
        return token;
    case TAMPER_PAYLOAD: {
        char *header_end = strchr(token, '.');
        char *claims = url64_text("{\"sub\":\"user_1\",\"role\":\"owner\",\"exp\":1700003600}");
        out = fmt("%.*s.%s.%s", (int)(header_end - token), token, claims, sig);
        free(claims);
        break;
    }
    case TAMPER_SIG_SPARE_BIT:
        /* 32, 64 and 256 bytes all leave spare low bits in the last char. */
        symbol_flip(&token[strlen(token) - 1], 0);
        return token;
    case TAMPER_SIG_FLIP:
        symbol_flip(&sig[strlen(sig) / 2], 3);
        return token;
    case TAMPER_SIG_PAD:
        out = fmt("%s=", token);
        break;
    case TAMPER_SPACE:
        out = fmt(" %s", token);
        break;
    case TAMPER_NEWLINE:
        out = fmt("%s\n", token);
        break;
    case TAMPER_EXTRA_SEGMENT:
        out = fmt("%s.AAAA", token);
        break;
    }
    free(token);
    return out;
}

/*
 * Verifies token[0..len) and checks the code, that a reason is given and does
 * not quote the token, and that claims come back exactly on success.
 */
static void verify_expect(const struct jwt_verifier *v, const char *token, size_t len,
                          enum lu_rc want, const char *name)
{
    json_t *claims = (json_t *)&K; /* any non-NULL: must be overwritten */
    const char *why = NULL;
    enum lu_rc rc = jwt_verify(v, token, len, &claims, &why);
    print_message("%s: %s\n", name, why != NULL ? why : "(null)");
    assert_non_null(why);
    if (len > 0) {
        assert_null(strstr(why, token));
    }
    assert_int_equal(rc, want);
    if (want == LU_OK) {
        assert_string_equal(why, "ok");
        assert_true(json_is_object(claims));
        assert_string_equal(json_string_value(json_object_get(claims, "sub")), "user_1");
        json_decref(claims);
    } else {
        assert_null(claims);
    }
}

static void row_run(void **state)
{
    const struct row *row = *state;
    char *token = row->raw != NULL
                      ? fmt("%s", row->raw)
                      : tamper(token_make(row->header, row->payload, row->signer), row->tamper);
    struct jwt_verifier v = verifier_for(row->config);
    verify_expect(&v, token, strlen(token), row->want, row->name);
    free(token);
}

/* ---- verification beyond the table --------------------------------------------- */

/* A payload padded so the token is as long as allowed, or one byte more. */
static char *token_of_length(size_t want)
{
    for (size_t pad = 0; pad < JWT_TOKEN_BYTES_MAX; pad++) {
        char *payload = fmt("{\"sub\":\"user_1\",\"pad\":\"%*s\"}", (int)pad, "");
        char *token = token_make(H_HS, payload, SIGN_HS);
        free(payload);
        if (strlen(token) == want) {
            return token;
        }
        free(token);
    }
    fail();
    return NULL;
}

static void test_token_length_limit(void **state)
{
    (void)state;
    struct jwt_verifier v = verifier_for(CFG_HS);
    /* Lengths reachable by base64 of a growing payload: 8192 and 8193 both are. */
    char *at_limit = token_of_length(JWT_TOKEN_BYTES_MAX);
    verify_expect(&v, at_limit, strlen(at_limit), LU_OK, "at the limit");
    free(at_limit);
    char *over = token_of_length(JWT_TOKEN_BYTES_MAX + 1);
    verify_expect(&v, over, strlen(over), LU_UNAUTHORIZED, "one byte over");
    free(over);

    /* A megabyte of junk is refused on its length alone. */
    size_t huge_len = 1 << 20;
    char *huge = malloc(huge_len + 1);
    assert_non_null(huge);
    memset(huge, 'a', huge_len);
    huge[100] = '.';
    huge[200] = '.';
    huge[huge_len] = '\0';
    verify_expect(&v, huge, huge_len, LU_UNAUTHORIZED, "a megabyte");
    free(huge);
}

/* Only token[0..len) is read, and a NUL inside the length is a bad character. */
static void test_token_bounds(void **state)
{
    (void)state;
    struct jwt_verifier v = verifier_for(CFG_HS);
    char *token = token_make(H_HS, P_OK, SIGN_HS);
    size_t len = strlen(token);
    char *buf = fmt("%s.trailing garbage", token);
    verify_expect(&v, buf, len, LU_OK, "followed by garbage");
    buf[len] = '\0';
    verify_expect(&v, buf, len + 1, LU_UNAUTHORIZED, "with its NUL");
    free(buf);
    free(token);
}

/* The claims come back whole and are the caller's to keep. */
static void test_claims_returned(void **state)
{
    (void)state;
    struct jwt_verifier v = verifier_for(CFG_JWKS);
    char *token = token_make(H_ES1,
                             "{\"sub\":\"user_1\",\"role\":\"owner\",\"properties\":[\"prop_a\"],"
                             "\"exp\":1700003600}",
                             SIGN_ES1);
    json_t *claims = NULL;
    const char *why = NULL;
    assert_int_equal(jwt_verify(&v, token, strlen(token), &claims, &why), LU_OK);
    free(token); /* claims must not borrow from the token */
    assert_string_equal(json_string_value(json_object_get(claims, "role")), "owner");
    assert_int_equal(json_array_size(json_object_get(claims, "properties")), 1);
    assert_int_equal(json_integer_value(json_object_get(claims, "exp")), 1700003600);
    json_decref(claims);
}

/* An empty secret is no secret: HS256 stays disabled. */
static void test_empty_secret(void **state)
{
    (void)state;
    struct jwt_verifier v = {
        .hs256_secret = (const unsigned char *)"", .now_s = NOW, .leeway_s = LEEWAY};
    char *token = token_make(H_HS, P_OK, SIGN_HS);
    json_t *claims = NULL;
    const char *why = NULL;
    assert_int_equal(jwt_verify(&v, token, strlen(token), &claims, &why), LU_UNAUTHORIZED);
    assert_null(claims);
    free(token);
}

struct worker {
    const char *rs_token;
    const char *es_token;
    int failures;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    struct jwt_verifier v = verifier_for(CFG_JWKS);
    for (int i = 0; i < 100; i++) {
        const char *token = i % 2 == 0 ? w->rs_token : w->es_token;
        json_t *claims = NULL;
        const char *why = NULL;
        if (jwt_verify(&v, token, strlen(token), &claims, &why) != LU_OK) {
            w->failures++;
        }
        json_decref(claims);
    }
    return NULL;
}

/* One keyset serves many request threads at once. */
static void test_shared_keyset(void **state)
{
    (void)state;
    char *rs = token_make(H_RS1, P_OK, SIGN_RS1);
    char *es = token_make(H_ES1, P_OK, SIGN_ES1);
    pthread_t threads[4];
    struct worker workers[4];
    for (int i = 0; i < 4; i++) {
        workers[i] = (struct worker){.rs_token = rs, .es_token = es};
        assert_int_equal(pthread_create(&threads[i], NULL, worker_run, &workers[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(workers[i].failures, 0);
    }
    free(rs);
    free(es);
}

/* ---- JWKS parsing ------------------------------------------------------------------ */

static void jwks_text_expect(const char *json, enum lu_rc want)
{
    jwt_keyset *ks = NULL;
    assert_int_equal(jwt_keyset_parse(json, strlen(json), &ks), want);
    assert_null(ks);
}

static void test_jwks_not_a_key_set(void **state)
{
    (void)state;
    jwks_text_expect("", LU_INVALID);
    jwks_text_expect("not json", LU_INVALID);
    jwks_text_expect("{\"keys\":[", LU_INVALID);
    jwks_text_expect("[]", LU_INVALID);
    jwks_text_expect("{}", LU_INVALID);
    jwks_text_expect("{\"keys\":{}}", LU_INVALID);
    jwks_text_expect("{\"keys\":\"x\"}", LU_INVALID);
    jwks_text_expect("{\"keys\":[]}", LU_INVALID);      /* no usable key */
    jwks_text_expect("{\"keys\":[\"x\"]}", LU_INVALID); /* entry not an object */
    jwks_text_expect("{\"keys\":[{}]}", LU_INVALID);    /* kty missing */
    jwks_text_expect("{\"keys\":[{\"kty\":1}]}", LU_INVALID);
    jwks_text_expect("{\"keys\":[],\"keys\":[]}", LU_INVALID); /* duplicate member */
    jwt_keyset_free(NULL);
}

/* Keys of kinds we do not verify with are skipped; a set of only those is refused. */
static void test_jwks_skips_unusable_keys(void **state)
{
    (void)state;
    jwks_expect(jwk_rsa(K.rsa1_n, ",\"kid\":\"a\""), fmt("{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}"),
                LU_OK, 1);
    jwks_expect(jwk_rsa(K.rsa1_n, ",\"kid\":\"a\""),
                fmt("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}"), LU_OK, 1);
    jwks_expect(jwk_rsa(K.rsa1_n, ",\"kid\":\"a\""),
                fmt("{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AAAA\",\"y\":\"AAAA\"}"), LU_OK, 1);
    jwks_expect(jwk_rsa(K.rsa1_n, ",\"kid\":\"a\""), jwk_ec(K.ec1_x, K.ec1_y, ",\"use\":\"enc\""),
                LU_OK, 1);
    jwks_expect(jwk_rsa(K.rsa1_n, ",\"kid\":\"a\""), jwk_ec(K.ec1_x, K.ec1_y, ",\"alg\":\"ES384\""),
                LU_OK, 1);
    jwks_expect(jwk_rsa(K.rsa1_n, ",\"alg\":\"PS256\""), jwk_ec(K.ec1_x, K.ec1_y, ""), LU_OK, 1);
    /* An EC key claiming RS256 can serve neither algorithm. */
    jwks_expect(jwk_rsa(K.rsa1_n, ""), jwk_ec(K.ec1_x, K.ec1_y, ",\"alg\":\"RS256\""), LU_OK, 1);
    jwks_expect(fmt("{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}"), NULL, LU_INVALID, 0);
    jwks_expect(jwk_rsa(K.rsa1_n, ",\"use\":\"enc\""), NULL, LU_INVALID, 0);
    /* Keys without kid are kept; both kinds at once. */
    jwks_expect(jwk_rsa(K.rsa1_n, ""), jwk_ec(K.ec1_x, K.ec1_y, ""), LU_OK, 2);
}

/* A usable kind of key with broken material fails the whole set. */
static void test_jwks_rejects_broken_keys(void **state)
{
    (void)state;
    jwks_expect(jwk_rsa("!!!", ""), NULL, LU_INVALID, 0);
    jwks_expect(jwk_rsa(K.rsa1_n, ",\"kid\":\"a\""), jwk_rsa("AQAB=x", ""), LU_INVALID, 0);
    jwks_expect(fmt("{\"kty\":\"RSA\",\"e\":\"AQAB\"}"), NULL, LU_INVALID, 0);
    jwks_expect(fmt("{\"kty\":\"RSA\",\"n\":\"%s\"}", K.rsa1_n), NULL, LU_INVALID, 0);
    jwks_expect(fmt("{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQ\"}", K.rsa1_n), NULL, LU_INVALID,
                0); /* e = 1 */
    jwks_expect(fmt("{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":65537}", K.rsa1_n), NULL, LU_INVALID, 0);
    jwks_expect(jwk_rsa(K.rsa_small_n, ""), NULL, LU_INVALID, 0); /* 1024 bits */
    jwks_expect(jwk_rsa(K.rsa1_n, ",\"d\":\"AQAB\""), NULL, LU_INVALID, 0);
    jwks_expect(jwk_ec(K.ec1_x, K.ec1_y_bad, ""), NULL, LU_INVALID, 0); /* off the curve */
    jwks_expect(jwk_ec(K.ec1_x, "AAAA", ""), NULL, LU_INVALID, 0);      /* short y */
    jwks_expect(jwk_ec(K.ec1_x, K.ec1_y, ",\"d\":\"AAAA\""), NULL, LU_INVALID, 0);
    jwks_expect(fmt("{\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", K.ec1_x, K.ec1_y), NULL,
                LU_INVALID, 0); /* crv missing */
    jwks_expect(jwk_rsa(K.rsa1_n, ",\"use\":1"), NULL, LU_INVALID, 0);
    jwks_expect(jwk_rsa(K.rsa1_n, ",\"alg\":null"), NULL, LU_INVALID, 0);
    jwks_expect(jwk_rsa(K.rsa1_n, ",\"kid\":7"), NULL, LU_INVALID, 0);
    char *long_kid = fmt(",\"kid\":\"%0*d\"", JWT_KID_BYTES_MAX + 1, 0);
    jwks_expect(jwk_rsa(K.rsa1_n, long_kid), NULL, LU_INVALID, 0);
    free(long_kid);
    /* Two keys under one kid: which one a token means is ambiguous. */
    jwks_expect(jwk_rsa(K.rsa1_n, ",\"kid\":\"same\""),
                jwk_ec(K.ec1_x, K.ec1_y, ",\"kid\":\"same\""), LU_INVALID, 0);
}

static void test_jwks_limits(void **state)
{
    (void)state;
    /* JWT_JWKS_KEYS_MAX entries are fine, one more is too many. */
    char *rsa = jwk_rsa(K.rsa1_n, "");
    size_t cap = JWT_JWKS_BYTES_MAX + 1;
    char *json = malloc(cap);
    assert_non_null(json);
    for (int extra = 0; extra <= 1; extra++) {
        int n = snprintf(json, cap, "{\"keys\":[%s", rsa);
        for (int i = 1; i < JWT_JWKS_KEYS_MAX + extra; i++) {
            n += snprintf(json + n, cap - (size_t)n, ",{\"kty\":\"oct\"}");
        }
        snprintf(json + n, cap - (size_t)n, "]}");
        jwt_keyset *ks = NULL;
        assert_int_equal(jwt_keyset_parse(json, strlen(json), &ks), extra ? LU_TOO_LARGE : LU_OK);
        if (!extra) {
            assert_int_equal(jwt_keyset_count(ks), 1);
        }
        jwt_keyset_free(ks);
    }
    /* JWT_JWKS_BYTES_MAX bytes are fine, one more is too large. */
    int n = snprintf(json, cap, "{\"keys\":[%s]}", rsa);
    memset(json + n, ' ', cap - (size_t)n);
    jwt_keyset *ks = NULL;
    assert_int_equal(jwt_keyset_parse(json, JWT_JWKS_BYTES_MAX, &ks), LU_OK);
    jwt_keyset_free(ks);
    ks = NULL;
    assert_int_equal(jwt_keyset_parse(json, JWT_JWKS_BYTES_MAX + 1, &ks), LU_TOO_LARGE);
    assert_null(ks);
    free(json);
    free(rsa);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_token_length_limit),
        cmocka_unit_test(test_token_bounds),
        cmocka_unit_test(test_claims_returned),
        cmocka_unit_test(test_empty_secret),
        cmocka_unit_test(test_shared_keyset),
        cmocka_unit_test(test_jwks_not_a_key_set),
        cmocka_unit_test(test_jwks_skips_unusable_keys),
        cmocka_unit_test(test_jwks_rejects_broken_keys),
        cmocka_unit_test(test_jwks_limits),
    };
    enum { FIXED_COUNT = sizeof fixed / sizeof fixed[0] };
    struct CMUnitTest tests[ROW_COUNT + FIXED_COUNT];
    for (size_t i = 0; i < ROW_COUNT; i++) {
        tests[i] = (struct CMUnitTest){
            .name = ROWS[i].name, .test_func = row_run, .initial_state = (void *)&ROWS[i]};
    }
    for (size_t i = 0; i < FIXED_COUNT; i++) {
        tests[ROW_COUNT + i] = fixed[i];
    }
    return cmocka_run_group_tests_name("jwt", tests, group_setup, group_teardown);
}
