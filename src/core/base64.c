/*
 * base64.c — hand-written base64 and base64url codecs (see base64.h).
 *
 * Written out rather than taken from OpenSSL's EVP_DecodeBlock because that
 * function skips leading and trailing whitespace, counts padding into the
 * output length and does not reject stray bits; the verifiers need an exact,
 * canonical decoder. Must not log: the bytes are often secrets or signatures.
 */
#include "core/base64.h"

#include <stdint.h>
#include <stdlib.h>

#include "core/assert.h"

/* The two alphabets differ only in the last two symbols (RFC 4648 §4, §5). */
static const char STD_ALPHABET[65] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char URL_ALPHABET[65] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

enum padding {
    PADDING_REQUIRED, /* length must be a multiple of 4 */
    PADDING_OPTIONAL, /* either no '=' at all, or exactly the '=' a full quad needs */
};

/* The 6-bit value of c in the alphabet whose symbols 62 and 63 are s62 and s63, or -1. */
static int symbol_value(unsigned char c, char s62, char s63)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == (unsigned char)s62) {
        return 62;
    }
    if (c == (unsigned char)s63) {
        return 63;
    }
    return -1;
}

static char *encode(const unsigned char *in, size_t len, const char *alphabet, int pad)
{
    LU_ASSERT(in != NULL || len == 0);
    size_t full = len / 3;
    size_t rest = len % 3;
    /* Four characters per started group of three bytes, plus the NUL. */
    if (full >= (SIZE_MAX - 8) / 4) {
        return NULL;
    }
    size_t out_len = full * 4 + (rest == 0 ? 0 : (pad ? 4 : rest + 1));
    char *out = malloc(out_len + 1);
    if (out == NULL) {
        return NULL;
    }
    char *o = out;
    for (size_t i = 0; i < full * 3; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        *o++ = alphabet[v >> 6 & 63];
        *o++ = alphabet[v & 63];
    }
    if (rest > 0) {
        uint32_t v = (uint32_t)in[full * 3] << 16;
        if (rest == 2) {
            v |= (uint32_t)in[full * 3 + 1] << 8;
        }
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        if (rest == 2) {
            *o++ = alphabet[v >> 6 & 63];
        } else if (pad) {
            *o++ = '=';
        }
        if (pad) {
            *o++ = '=';
        }
    }
    *o = '\0';
    LU_ASSERT((size_t)(o - out) == out_len);
    return out;
}

/*
 * Splits the input into its data characters and its padding, checking the
 * padding rule. Writes the number of data characters to *data_len.
 */
static enum lu_rc measure(const char *in, size_t in_len, enum padding rule, size_t *data_len)
{
    size_t pads = 0;
    while (pads < 2 && pads < in_len && in[in_len - 1 - pads] == '=') {
        pads++;
    }
    if ((rule == PADDING_REQUIRED || pads > 0) && in_len % 4 != 0) {
        return LU_INVALID;
    }
    /* A lone character carries 6 bits: never a whole byte. */
    if ((in_len - pads) % 4 == 1) {
        return LU_INVALID;
    }
    *data_len = in_len - pads;
    return LU_OK;
}

static enum lu_rc decode(const char *in, size_t in_len, const char *alphabet, enum padding rule,
                         unsigned char **out, size_t *out_len)
{
    LU_ASSERT(in != NULL || in_len == 0);
    LU_ASSERT(out != NULL && out_len != NULL);
    *out = NULL;
    *out_len = 0;
    size_t data_len = 0;
    if (measure(in, in_len, rule, &data_len) != LU_OK) {
        return LU_INVALID;
    }
    size_t rest = data_len % 4;
    size_t bytes = data_len / 4 * 3 + (rest == 0 ? 0 : rest - 1);
    unsigned char *buf = malloc(bytes + 1);
    if (buf == NULL) {
        return LU_NOMEM;
    }
    uint32_t acc = 0;
    size_t n = 0;
    for (size_t i = 0; i < data_len; i++) {
        int v = symbol_value((unsigned char)in[i], alphabet[62], alphabet[63]);
        if (v < 0) {
            free(buf);
            return LU_INVALID;
        }
        acc = acc << 6 | (uint32_t)v;
        if (i % 4 == 3) {
            buf[n++] = (unsigned char)(acc >> 16);
            buf[n++] = (unsigned char)(acc >> 8);
            buf[n++] = (unsigned char)acc;
            acc = 0;
        }
    }
    /*
     * Two leftover characters hold 12 bits (one byte and 4 spare), three hold
     * 18 bits (two bytes and 2 spare). Spare bits must be zero, or several
     * texts would decode to the same bytes.
     */
    if (rest == 2) {
        if ((acc & 0x0f) != 0) {
            free(buf);
            return LU_INVALID;
        }
        buf[n++] = (unsigned char)(acc >> 4);
    } else if (rest == 3) {
        if ((acc & 0x03) != 0) {
            free(buf);
            return LU_INVALID;
        }
        buf[n++] = (unsigned char)(acc >> 10);
        buf[n++] = (unsigned char)(acc >> 2);
    }
    LU_ASSERT(n == bytes);
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return LU_OK;
}

enum lu_rc b64url_decode(const char *in, size_t in_len, unsigned char **out, size_t *out_len)
{
    return decode(in, in_len, URL_ALPHABET, PADDING_OPTIONAL, out, out_len);
}

char *b64url_encode(const unsigned char *in, size_t len)
{
    return encode(in, len, URL_ALPHABET, 0);
}

enum lu_rc b64_decode(const char *in, size_t in_len, unsigned char **out, size_t *out_len)
{
    return decode(in, in_len, STD_ALPHABET, PADDING_REQUIRED, out, out_len);
}

char *b64_encode(const unsigned char *in, size_t len)
{
    return encode(in, len, STD_ALPHABET, 1);
}
