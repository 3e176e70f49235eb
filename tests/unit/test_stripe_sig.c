/*
 * test_stripe_sig.c — unit tests for ledger/stripe_sig: Stripe-Signature
 * checking against vectors computed outside this code (the openssl CLI,
 * and OpenSSL's one-shot HMAC() in the test), several v1 values, v0
 * ignored, stale and future timestamps at the tolerance's edge, a body
 * changed by one byte, NUL bytes in the body, and malformed headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ledger/stripe_sig.h"

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define BODY "{\"id\":\"evt_test_webhook\",\"object\":\"event\"}"
#define T 1700000000
/* printf '%s' '1700000000.{"id":"evt_test_webhook","object":"event"}' |
 *   openssl dgst -sha256 -hmac 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' */
#define V1 "3efef2fc86ab92af50778a553d93da056136947399051c48d4767fe8950449bf"
/* The same with the body's last "t" of "event" upper-cased: one byte. */
#define V1_ONE_BYTE_CHANGED "11bcec092b176e653fb63424d42af3715ebbb872473dd0958d6ea76868e18dd7"
#define OTHER "0000000000000000000000000000000000000000000000000000000000000000"
#define TOLERANCE 300

static enum stripe_sig_result check(const char *header, const char *body, int64_t now)
{
    return stripe_signature_check(SECRET, header, body, strlen(body), now, TOLERANCE);
}

static void test_openssl_cli_vector(void **state)
{
    (void)state;
    assert_int_equal(check("t=1700000000,v1=" V1, BODY, T), STRIPE_SIG_OK);
    char out[65];
    assert_true(stripe_signature_compute(SECRET, T, BODY, strlen(BODY), out));
    assert_string_equal(out, V1);
}

static void test_agrees_with_openssl_hmac_one_shot(void **state)
{
    (void)state;
    /* Many bodies and times, each signed by HMAC() here and checked there. */
    char body[128];
    for (int i = 0; i < 200; i++) {
        int len = snprintf(body, sizeof body, "{\"id\":\"evt_%d\",\"n\":%d}", i, i * 7919);
        int64_t t = T + i * 13;
        char signed_text[160];
        int slen = snprintf(signed_text, sizeof signed_text, "%lld.%s", (long long)t, body);
        unsigned char mac[32];
        unsigned int mac_len = 0;
        HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (unsigned char *)signed_text, (size_t)slen,
             mac, &mac_len);
        assert_int_equal(mac_len, 32);
        char header[128];
        int n = snprintf(header, sizeof header, "t=%lld,v1=", (long long)t);
        for (int k = 0; k < 32; k++) {
            n += snprintf(header + n, sizeof header - (size_t)n, "%02x", mac[k]);
        }
        assert_int_equal(stripe_signature_check(SECRET, header, body, (size_t)len, t, TOLERANCE),
                         STRIPE_SIG_OK);
    }
}

static void test_any_of_several_v1(void **state)
{
    (void)state;
    assert_int_equal(check("t=1700000000,v1=" OTHER ",v1=" V1, BODY, T), STRIPE_SIG_OK);
    assert_int_equal(check("t=1700000000,v1=" OTHER ",v1=" OTHER ",v1=" V1, BODY, T),
                     STRIPE_SIG_OK);
    assert_int_equal(check("t=1700000000,v1=" V1 ",v1=" OTHER, BODY, T), STRIPE_SIG_OK);
    assert_int_equal(check("t=1700000000,v1=" OTHER ",v1=" OTHER, BODY, T), STRIPE_SIG_MISMATCH);
    /* Stripe's legacy v0 is never accepted, even when it holds the digest. */
    assert_int_equal(check("t=1700000000,v0=" V1, BODY, T), STRIPE_SIG_MALFORMED);
    assert_int_equal(check("t=1700000000,v0=" V1 ",v1=" OTHER, BODY, T), STRIPE_SIG_MISMATCH);
    assert_int_equal(check("t=1700000000,v1=" V1 ",v0=" OTHER, BODY, T), STRIPE_SIG_OK);
}

static void test_body_changed_by_one_byte(void **state)
{
    (void)state;
    const char *changed = "{\"id\":\"evt_test_webhook\",\"object\":\"evenT\"}";
    assert_int_equal(check("t=1700000000,v1=" V1, changed, T), STRIPE_SIG_MISMATCH);
    assert_int_equal(check("t=1700000000,v1=" V1_ONE_BYTE_CHANGED, changed, T), STRIPE_SIG_OK);
    /* One byte more, one byte less, a space added. */
    assert_int_equal(check("t=1700000000,v1=" V1, BODY " ", T), STRIPE_SIG_MISMATCH);
    assert_int_equal(
        stripe_signature_check(SECRET, "t=1700000000,v1=" V1, BODY, strlen(BODY) - 1, T, TOLERANCE),
        STRIPE_SIG_MISMATCH);
    /* The timestamp is signed too. */
    assert_int_equal(check("t=1700000001,v1=" V1, BODY, T), STRIPE_SIG_MISMATCH);
    /* And the secret. */
    assert_int_equal(stripe_signature_check("whsec_other", "t=1700000000,v1=" V1, BODY,
                                            strlen(BODY), T, TOLERANCE),
                     STRIPE_SIG_MISMATCH);
}

static void test_tolerance(void **state)
{
    (void)state;
    const char *h = "t=1700000000,v1=" V1;
    assert_int_equal(check(h, BODY, T + TOLERANCE), STRIPE_SIG_OK);
    assert_int_equal(check(h, BODY, T + TOLERANCE + 1), STRIPE_SIG_STALE);
    assert_int_equal(check(h, BODY, T - TOLERANCE), STRIPE_SIG_OK);
    assert_int_equal(check(h, BODY, T - TOLERANCE - 1), STRIPE_SIG_STALE);
    assert_int_equal(check(h, BODY, T + 86400 * 365), STRIPE_SIG_STALE);
    /* A stale forgery is a mismatch first: no hint that the time was off. */
    assert_int_equal(check("t=1700000000,v1=" OTHER, BODY, T + 99999), STRIPE_SIG_MISMATCH);
}

static void test_raw_bytes_with_nul(void **state)
{
    (void)state;
    /* printf '1700000000.a\0b' | openssl dgst -sha256 -hmac 'whsec_x' */
    const char body[] = {'a', '\0', 'b'};
    const char *h =
        "t=1700000000,v1=330b16857acfebe4f52dedc789f2687aa0fb4766d757dd539cb5b1bfde3c252e";
    assert_int_equal(stripe_signature_check("whsec_x", h, body, 3, T, TOLERANCE), STRIPE_SIG_OK);
    assert_int_equal(stripe_signature_check("whsec_x", h, body, 1, T, TOLERANCE),
                     STRIPE_SIG_MISMATCH);
    /* printf '%s' '1700000000.' | openssl dgst -sha256 -hmac 'whsec_x': an empty body */
    const char *empty =
        "t=1700000000,v1=841bbb970af089f6550c05982b199562655b425e53140a47fe7871362131f178";
    assert_int_equal(stripe_signature_check("whsec_x", empty, NULL, 0, T, TOLERANCE),
                     STRIPE_SIG_OK);
}

static void test_header_shapes(void **state)
{
    (void)state;
    assert_int_equal(check(NULL, BODY, T), STRIPE_SIG_MISSING);
    assert_int_equal(check("", BODY, T), STRIPE_SIG_MISSING);
    assert_int_equal(check("v1=" V1, BODY, T), STRIPE_SIG_MALFORMED);       /* no t */
    assert_int_equal(check("t=1700000000", BODY, T), STRIPE_SIG_MALFORMED); /* no v1 */
    assert_int_equal(check("t=17000000x0,v1=" V1, BODY, T), STRIPE_SIG_MALFORMED);
    assert_int_equal(check("t=-1700000000,v1=" V1, BODY, T), STRIPE_SIG_MALFORMED);
    assert_int_equal(check("t=,v1=" V1, BODY, T), STRIPE_SIG_MALFORMED);
    assert_int_equal(check("t=1234567890123456789,v1=" V1, BODY, T), STRIPE_SIG_MALFORMED);
    assert_int_equal(check("garbage", BODY, T), STRIPE_SIG_MALFORMED);
    /* Spaces around elements are tolerated; the first t counts. */
    assert_int_equal(check(" t=1700000000 , v1=" V1 " ", BODY, T), STRIPE_SIG_OK);
    assert_int_equal(check("t=1700000000,t=1700000001,v1=" V1, BODY, T), STRIPE_SIG_OK);
    /* Leading zeros: signed as the number, as Stripe's SDKs do. */
    assert_int_equal(check("t=01700000000,v1=" V1, BODY, T), STRIPE_SIG_OK);
    /* The digest is compared whole, in Stripe's lower-case hex. */
    char upper[] = "t=1700000000,v1=" V1;
    for (char *p = upper; *p; p++) {
        *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
    }
    upper[0] = 't';
    assert_int_equal(check(upper, BODY, T), STRIPE_SIG_MISMATCH);
    assert_int_equal(check("t=1700000000,v1=" V1 "00", BODY, T), STRIPE_SIG_MISMATCH);
    char shortened[] = "t=1700000000,v1=" V1;
    shortened[strlen(shortened) - 1] = '\0';
    assert_int_equal(check(shortened, BODY, T), STRIPE_SIG_MISMATCH);
}

static void test_limits(void **state)
{
    (void)state;
    /* Past STRIPE_SIG_V1_MAX, later v1 values are not looked at. */
    char header[4096];
    int n = snprintf(header, sizeof header, "t=1700000000");
    for (int i = 0; i < STRIPE_SIG_V1_MAX; i++) {
        n += snprintf(header + n, sizeof header - (size_t)n, ",v1=" OTHER);
    }
    snprintf(header + n, sizeof header - (size_t)n, ",v1=" V1);
    assert_int_equal(check(header, BODY, T), STRIPE_SIG_MISMATCH);
    /* A header longer than any Stripe sends is refused unread. */
    char *huge = malloc(STRIPE_SIG_HEADER_BYTES_MAX + 100);
    assert_non_null(huge);
    n = snprintf(huge, STRIPE_SIG_HEADER_BYTES_MAX + 100, "t=1700000000,v1=" V1 ",x=");
    memset(huge + n, 'a', STRIPE_SIG_HEADER_BYTES_MAX);
    huge[n + STRIPE_SIG_HEADER_BYTES_MAX] = '\0';
    assert_int_equal(check(huge, BODY, T), STRIPE_SIG_MALFORMED);
    free(huge);
    for (int r = STRIPE_SIG_OK; r <= STRIPE_SIG_MISMATCH; r++) {
        const char *msg = stripe_sig_result_message((enum stripe_sig_result)r);
        assert_non_null(msg);
        assert_null(strstr(msg, SECRET));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openssl_cli_vector),
        cmocka_unit_test(test_agrees_with_openssl_hmac_one_shot),
        cmocka_unit_test(test_any_of_several_v1),
        cmocka_unit_test(test_body_changed_by_one_byte),
        cmocka_unit_test(test_tolerance),
        cmocka_unit_test(test_raw_bytes_with_nul),
        cmocka_unit_test(test_header_shapes),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
