/*
 * test_base64.c — unit tests for core/base64: RFC 4648 vectors, the url
 * alphabet, padding rules, rejection of non-canonical text, and round trips
 * of every length up to a few hundred bytes against OpenSSL's encoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "core/base64.h"

struct vector {
    const char *plain;
    const char *std;
    const char *url;
};

/* RFC 4648 §10, plus the url form (no padding). */
static const struct vector RFC_VECTORS[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

/* Decodes text with decoder and checks it gives plain, NUL-terminated. */
static void expect_decoded(enum lu_rc (*decoder)(const char *, size_t, unsigned char **, size_t *),
                           const char *text, const char *plain)
{
    unsigned char *out = NULL;
    size_t out_len = 0;
    assert_int_equal(decoder(text, strlen(text), &out, &out_len), LU_OK);
    assert_non_null(out);
    assert_int_equal(out_len, strlen(plain));
    assert_memory_equal(out, plain, out_len);
    assert_int_equal(out[out_len], '\0');
    free(out);
}

static void test_rfc_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof RFC_VECTORS / sizeof RFC_VECTORS[0]; i++) {
        const struct vector *v = &RFC_VECTORS[i];
        char *std = b64_encode((const unsigned char *)v->plain, strlen(v->plain));
        char *url = b64url_encode((const unsigned char *)v->plain, strlen(v->plain));
        assert_non_null(std);
        assert_non_null(url);
        assert_string_equal(std, v->std);
        assert_string_equal(url, v->url);
        free(std);
        free(url);

        expect_decoded(b64_decode, v->std, v->plain);
        expect_decoded(b64url_decode, v->url, v->plain);
        /* base64url also accepts the padded form. */
        expect_decoded(b64url_decode, v->std, v->plain);
    }
}

static void test_alphabets(void **state)
{
    (void)state;
    const unsigned char bytes[] = {0xfb, 0xff, 0xbf};
    char *std = b64_encode(bytes, sizeof bytes);
    char *url = b64url_encode(bytes, sizeof bytes);
    assert_string_equal(std, "+/+/");
    assert_string_equal(url, "-_-_");
    free(std);
    free(url);

    unsigned char *out = NULL;
    size_t out_len = 0;
    assert_int_equal(b64url_decode("-_-_", 4, &out, &out_len), LU_OK);
    assert_int_equal(out_len, 3);
    assert_memory_equal(out, bytes, 3);
    free(out);
    assert_int_equal(b64_decode("+/+/", 4, &out, &out_len), LU_OK);
    assert_memory_equal(out, bytes, 3);
    free(out);

    /* Each alphabet rejects the other's two symbols. */
    assert_int_equal(b64url_decode("+/+/", 4, &out, &out_len), LU_INVALID);
    assert_null(out);
    assert_int_equal(out_len, 0);
    assert_int_equal(b64_decode("-_-_", 4, &out, &out_len), LU_INVALID);
    assert_null(out);
}

static void test_rejects_garbage(void **state)
{
    (void)state;
    static const char *const url_bad[] = {
        "Z",        /* a lone char is never a byte */
        "Zm9vY",    /* length % 4 == 1 */
        "Zg=",      /* padding that does not complete a quad */
        "Zg===",    /* too much padding */
        "Z===",     /* three pads */
        "=",        /* padding alone */
        "==",       /* padding alone */
        "====",     /* padding alone */
        "Zg==Zg==", /* padding in the middle */
        "Zm 9",     /* whitespace */
        "Zm9vYg\n", /* trailing newline */
        "Zm9!",     /* outside the alphabet */
        "Zm9.",     /* outside the alphabet */
        "Zm9+",     /* standard alphabet only */
        "Zh",       /* stray bits: "Zg" is the only text for "f" */
        "Zm9",      /* stray bits: "Zm8" is the only text for "fo" */
        "Zm9=",     /* stray bits, padded */
    };
    for (size_t i = 0; i < sizeof url_bad / sizeof url_bad[0]; i++) {
        unsigned char *out = (unsigned char *)"sentinel";
        size_t out_len = 99;
        assert_int_equal(b64url_decode(url_bad[i], strlen(url_bad[i]), &out, &out_len), LU_INVALID);
        assert_null(out);
        assert_int_equal(out_len, 0);
    }
    static const char *const std_bad[] = {
        "Zg",         /* padding is required */
        "Zm8",        /* padding is required */
        "Zg=",        /* padding that does not complete a quad */
        "Zh==",       /* stray bits */
        "Zm9=",       /* stray bits */
        "Zg===",      /* too much padding */
        "Z===",       /* three pads */
        "====",       /* padding alone */
        "Zm9vYg\r\n", /* trailing line break */
        " Zm9vYg=",   /* leading space */
        "Zm9vYg= ",   /* trailing space */
        "Zg==Zg==",   /* padding in the middle */
        "Zm9v-_==",   /* url alphabet only */
    };
    for (size_t i = 0; i < sizeof std_bad / sizeof std_bad[0]; i++) {
        unsigned char *out = NULL;
        size_t out_len = 0;
        assert_int_equal(b64_decode(std_bad[i], strlen(std_bad[i]), &out, &out_len), LU_INVALID);
        assert_null(out);
    }
    /* An embedded NUL is a character outside the alphabet, not an end. */
    unsigned char *out = NULL;
    size_t out_len = 0;
    assert_int_equal(b64url_decode("Zm\0v", 4, &out, &out_len), LU_INVALID);
    assert_int_equal(b64_decode("Zm\0v", 4, &out, &out_len), LU_INVALID);
}

static void test_empty_and_null(void **state)
{
    (void)state;
    unsigned char *out = NULL;
    size_t out_len = 1;
    assert_int_equal(b64url_decode(NULL, 0, &out, &out_len), LU_OK);
    assert_non_null(out);
    assert_int_equal(out_len, 0);
    free(out);
    assert_int_equal(b64_decode("", 0, &out, &out_len), LU_OK);
    assert_int_equal(out_len, 0);
    free(out);
    char *s = b64url_encode(NULL, 0);
    assert_string_equal(s, "");
    free(s);
    s = b64_encode(NULL, 0);
    assert_string_equal(s, "");
    free(s);
}

/* Only the first in_len bytes are read: the input need not be NUL-terminated. */
static void test_length_bounded(void **state)
{
    (void)state;
    unsigned char *out = NULL;
    size_t out_len = 0;
    assert_int_equal(b64url_decode("Zm9v!!!!", 4, &out, &out_len), LU_OK);
    assert_int_equal(out_len, 3);
    assert_memory_equal(out, "foo", 3);
    free(out);
}

/* Every length 0..300 round-trips, and the encoders agree with OpenSSL's. */
static void test_round_trip(void **state)
{
    (void)state;
    unsigned char bytes[300];
    for (size_t i = 0; i < sizeof bytes; i++) {
        bytes[i] = (unsigned char)(i * 131 + 7);
    }
    for (size_t len = 0; len <= sizeof bytes; len++) {
        char reference[4 * (sizeof bytes / 3 + 1) + 1];
        int ref_len = EVP_EncodeBlock((unsigned char *)reference, bytes, (int)len);
        char *std = b64_encode(bytes, len);
        char *url = b64url_encode(bytes, len);
        assert_non_null(std);
        assert_non_null(url);
        assert_int_equal(strlen(std), (size_t)ref_len);
        assert_string_equal(std, reference);

        /* The url form is the standard form with -_ and no padding. */
        size_t url_len = strlen(url);
        assert_true(url_len <= (size_t)ref_len && (size_t)ref_len - url_len <= 2);
        for (size_t i = 0; i < (size_t)ref_len; i++) {
            char c = reference[i] == '+' ? '-' : reference[i] == '/' ? '_' : reference[i];
            if (i < url_len) {
                assert_int_equal(url[i], c);
            } else {
                assert_int_equal(reference[i], '=');
            }
        }

        unsigned char *out = NULL;
        size_t out_len = 0;
        assert_int_equal(b64_decode(std, strlen(std), &out, &out_len), LU_OK);
        assert_int_equal(out_len, len);
        assert_memory_equal(out, bytes, len);
        free(out);
        assert_int_equal(b64url_decode(url, url_len, &out, &out_len), LU_OK);
        assert_int_equal(out_len, len);
        assert_memory_equal(out, bytes, len);
        free(out);
        free(std);
        free(url);
    }
}

/* Changing any single character of a canonical text either fails or changes the bytes. */
static void test_single_char_changes(void **state)
{
    (void)state;
    const unsigned char bytes[] = {0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20};
    char *url = b64url_encode(bytes, sizeof bytes);
    size_t len = strlen(url);
    for (size_t i = 0; i < len; i++) {
        for (int c = 1; c < 256; c++) {
            if (c == (unsigned char)url[i]) {
                continue;
            }
            char copy[64];
            memcpy(copy, url, len);
            copy[i] = (char)c;
            unsigned char *out = NULL;
            size_t out_len = 0;
            if (b64url_decode(copy, len, &out, &out_len) == LU_OK) {
                assert_false(out_len == sizeof bytes && memcmp(out, bytes, out_len) == 0);
                free(out);
            }
        }
    }
    free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_vectors),         cmocka_unit_test(test_alphabets),
        cmocka_unit_test(test_rejects_garbage),     cmocka_unit_test(test_empty_and_null),
        cmocka_unit_test(test_length_bounded),      cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_single_char_changes),
    };
    return cmocka_run_group_tests_name("base64", tests, NULL, NULL);
}
