/*
 * stripe_sig.c — Stripe webhook signatures (see stripe_sig.h). Called by
 * the webhook handler (api/stripe.c) before anything is parsed or stored.
 * It must never log, keep or echo the header, the digest or the secret.
 */
#include "ledger/stripe_sig.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

#include "core/assert.h"

#define DIGEST_BYTES 32
#define DIGEST_HEX 64

/* What the header says, pointing into it. */
struct parsed_header {
    bool have_t;
    int64_t t;
    char t_text[24]; /* any int64 in decimal, and its NUL */
    size_t nv1;
    const char *v1[STRIPE_SIG_V1_MAX];
    size_t v1_len[STRIPE_SIG_V1_MAX];
};

static bool parse_timestamp(const char *s, size_t len, struct parsed_header *h)
{
    if (len == 0 || len > STRIPE_SIG_TIMESTAMP_DIGITS_MAX) {
        return false;
    }
    int64_t t = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        t = t * 10 + (s[i] - '0');
    }
    h->have_t = true;
    h->t = t;
    /* Signed as the number, as Stripe's SDKs do ("%d" of the parsed t). */
    snprintf(h->t_text, sizeof h->t_text, "%lld", (long long)t);
    return true;
}

/* One "key=value" element, spaces around it ignored. */
static void parse_element(const char *s, size_t len, struct parsed_header *h)
{
    while (len > 0 && *s == ' ') {
        s++;
        len--;
    }
    while (len > 0 && s[len - 1] == ' ') {
        len--;
    }
    const char *eq = memchr(s, '=', len);
    if (eq == NULL) {
        return;
    }
    size_t key_len = (size_t)(eq - s);
    const char *value = eq + 1;
    size_t value_len = len - key_len - 1;
    if (key_len == 1 && s[0] == 't' && !h->have_t) {
        /* The first t counts, as in Stripe's SDKs; a bad one leaves none. */
        (void)parse_timestamp(value, value_len, h);
    } else if (key_len == 2 && s[0] == 'v' && s[1] == '1' && h->nv1 < STRIPE_SIG_V1_MAX) {
        h->v1[h->nv1] = value;
        h->v1_len[h->nv1] = value_len;
        h->nv1++;
    }
}

static void parse_header(const char *header, struct parsed_header *h)
{
    memset(h, 0, sizeof *h);
    const char *p = header;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        parse_element(p, len, h);
        if (comma == NULL) {
            break;
        }
        p = comma + 1;
    }
}

/* HMAC-SHA256 over the parts in order, without copying the body. */
static bool hmac_parts(const char *secret, const char *const *parts, const size_t *lens,
                       size_t nparts, unsigned char out[DIGEST_BYTES])
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    char digest_name[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end(),
    };
    bool ok = ctx != NULL &&
              EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) == 1;
    for (size_t i = 0; ok && i < nparts; i++) {
        ok = lens[i] == 0 || EVP_MAC_update(ctx, (const unsigned char *)parts[i], lens[i]) == 1;
    }
    size_t n = 0;
    ok = ok && EVP_MAC_final(ctx, out, &n, DIGEST_BYTES) == 1 && n == DIGEST_BYTES;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return ok;
}

static bool expected_hex(const char *secret, const char *t_text, const char *body, size_t body_len,
                         char out[DIGEST_HEX + 1])
{
    const char *parts[] = {t_text, ".", body};
    size_t lens[] = {strlen(t_text), 1, body_len};
    unsigned char digest[DIGEST_BYTES];
    if (!hmac_parts(secret, parts, lens, 3, digest)) {
        return false;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < DIGEST_BYTES; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0x0f];
    }
    out[DIGEST_HEX] = '\0';
    return true;
}

bool stripe_signature_compute(const char *secret, int64_t t, const char *body, size_t body_len,
                              char out[65])
{
    LU_ASSERT(secret != NULL && secret[0] != '\0' && t >= 0);
    char t_text[24];
    snprintf(t_text, sizeof t_text, "%lld", (long long)t);
    return expected_hex(secret, t_text, body ? body : "", body_len, out);
}

enum stripe_sig_result stripe_signature_check(const char *secret, const char *header,
                                              const char *body, size_t body_len, int64_t now_s,
                                              int64_t tolerance_s)
{
    LU_ASSERT(secret != NULL && secret[0] != '\0' && tolerance_s >= 0);
    if (header == NULL || header[0] == '\0') {
        return STRIPE_SIG_MISSING;
    }
    if (strlen(header) > STRIPE_SIG_HEADER_BYTES_MAX) {
        return STRIPE_SIG_MALFORMED;
    }
    struct parsed_header h;
    parse_header(header, &h);
    if (!h.have_t || h.nv1 == 0) {
        return STRIPE_SIG_MALFORMED;
    }
    char expected[DIGEST_HEX + 1];
    if (!expected_hex(secret, h.t_text, body ? body : "", body_len, expected)) {
        return STRIPE_SIG_MISMATCH; /* cannot verify: never accept */
    }
    bool match = false;
    for (size_t i = 0; i < h.nv1; i++) {
        if (h.v1_len[i] == DIGEST_HEX && CRYPTO_memcmp(expected, h.v1[i], DIGEST_HEX) == 0) {
            match = true;
        }
    }
    if (!match) {
        return STRIPE_SIG_MISMATCH;
    }
    int64_t age = now_s - h.t;
    if (age > tolerance_s || -age > tolerance_s) {
        return STRIPE_SIG_STALE;
    }
    return STRIPE_SIG_OK;
}

const char *stripe_sig_result_message(enum stripe_sig_result r)
{
    switch (r) {
    case STRIPE_SIG_OK:
        return "the signature is valid";
    case STRIPE_SIG_MISSING:
        return "the Stripe-Signature header is missing";
    case STRIPE_SIG_MALFORMED:
        return "the Stripe-Signature header must be t=<timestamp>,v1=<signature>";
    case STRIPE_SIG_STALE:
        return "the Stripe-Signature timestamp is outside the accepted tolerance";
    case STRIPE_SIG_MISMATCH:
        return "no v1 signature in Stripe-Signature matches the body";
    }
    return "the signature is invalid";
}
