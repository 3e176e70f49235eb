/*
 * json_out.c — the reply JSON writer (see json_out.h). Same bytes as
 * jansson's compact dump: keys in insertion order, "\"" "\\" and control
 * characters escaped (\b \f \n \r \t, else \u00XX in upper-case hex),
 * everything else, UTF-8 included, copied as it is; invalid UTF-8 fails the
 * whole dump as it does in jansson (in a key too, where jansson 2.14 goes on
 * and writes broken JSON). Reals are rare in replies and jansson's
 * own formatting of them is kept by asking jansson for just that value.
 */
#include "http/json_out.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(struct json_out *o, size_t n)
{
    if (o->len + n + 1 <= o->cap) {
        return true;
    }
    size_t cap = o->cap ? o->cap : 1024;
    while (cap < o->len + n + 1) {
        if (cap > SIZE_MAX / 2) {
            return false;
        }
        cap *= 2;
    }
    char *grown = realloc(o->buf, cap);
    if (grown == NULL) {
        return false;
    }
    o->buf = grown;
    o->cap = cap;
    return true;
}

static inline bool put(struct json_out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap && !reserve(o, n)) {
        return false;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    return true;
}

/* Length of the UTF-8 sequence at s (at most n bytes), or 0 when it is not
 * one jansson accepts: no overlong forms, no surrogates, nothing past
 * U+10FFFF. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        return 0;
    }
    return len;
}

/* Bytes a string copies as they are: 0x20 to 0x7F but '"' (0x22) and
 * '\\' (0x5C). Control bytes are escaped; 0x80 and up start UTF-8. */
static const unsigned char plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x30 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x70 */
    /* 0x80 to 0xFF: all 0 */
};

/* True when none of the 8 bytes at s needs a look: no byte below 0x20
 * (a control byte), none from 0x80 (UTF-8), no '"' and no '\\'. The
 * word-at-a-time "has a byte less than n" test: x - n sets a byte's high
 * bit when that byte is below n (a borrow can only add false alarms above
 * a byte that really is, and the byte loop decides those); for bytes below
 * 0x80 the three complements keep every high bit, and bytes from 0x80 are
 * caught on their own. */
static inline bool plain_word(const unsigned char *s)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t highs = 0x8080808080808080ULL;
    uint64_t w;
    memcpy(&w, s, sizeof w);
    uint64_t quote = w ^ (ones * '"'); /* 0 where the byte is '"' */
    uint64_t slash = w ^ (ones * '\\');
    uint64_t low = ((w - ones * 0x20) | (quote - ones) | (slash - ones)) & ~w & ~quote & ~slash;
    return ((low | w) & highs) == 0;
}

static bool put_string(struct json_out *o, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    if (!put(o, "\"", 1)) {
        return false;
    }
    size_t run = 0; /* start of the bytes not yet copied */
    size_t i = 0;
    while (i < n) {
        while (i + 8 <= n && plain_word(s + i)) {
            i += 8;
        }
        while (i < n && plain[s[i]]) {
            i++;
        }
        if (i == n) {
            break;
        }
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t len = utf8_length(s + i, n - i);
            if (len == 0) {
                return false;
            }
            i += len;
            continue;
        }
        if (!put(o, str + run, i - run)) {
            return false;
        }
        char esc[8];
        size_t elen = 2;
        switch (c) {
        case '"': memcpy(esc, "\\\"", 2); break;
        case '\\': memcpy(esc, "\\\\", 2); break;
        case '\b': memcpy(esc, "\\b", 2); break;
        case '\f': memcpy(esc, "\\f", 2); break;
        case '\n': memcpy(esc, "\\n", 2); break;
        case '\r': memcpy(esc, "\\r", 2); break;
        case '\t': memcpy(esc, "\\t", 2); break;
        default: elen = (size_t)snprintf(esc, sizeof esc, "\\u%04X", (unsigned)c); break;
        }
        if (!put(o, esc, elen)) {
            return false;
        }
        i++;
        run = i;
    }
    return put(o, str + run, n - run) && put(o, "\"", 1);
}

/* Decimal digits of v into buf (at least 21 bytes), no NUL; the count. */
static size_t format_int(int64_t v, char *buf)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    size_t len = 0;
    if (v < 0) {
        buf[len++] = '-';
    }
    while (n > 0) {
        buf[len++] = tmp[--n];
    }
    return len;
}

/* An object's member, for writing the members in key order. */
struct member {
    const char *key;
    size_t len;
    const json_t *value;
};

/* jansson's JSON_SORT_KEYS order: bytes compared, then the shorter first. */
static int member_cmp(const void *a, const void *b)
{
    const struct member *x = a;
    const struct member *y = b;
    int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);
    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static bool put_value(struct json_out *o, const json_t *v, int depth, bool sorted);

static bool put_sorted_object(struct json_out *o, const json_t *v, int depth)
{
    size_t n = json_object_size(v);
    struct member few[32];
    struct member *m = n <= 32 ? few : malloc(n * sizeof *m);
    if (m == NULL) {
        return false;
    }
    size_t k = 0;
    for (void *it = json_object_iter((json_t *)v); it != NULL && k < n;
         it = json_object_iter_next((json_t *)v, it)) {
        m[k++] = (struct member){json_object_iter_key(it), json_object_iter_key_len(it),
                                 json_object_iter_value(it)};
    }
    qsort(m, k, sizeof *m, member_cmp);
    bool ok = put(o, "{", 1);
    for (size_t i = 0; ok && i < k; i++) {
        ok = (i == 0 || put(o, ",", 1)) && put_string(o, m[i].key, m[i].len) && put(o, ":", 1) &&
             put_value(o, m[i].value, depth + 1, true);
    }
    if (m != few) {
        free(m);
    }
    return ok && put(o, "}", 1);
}

static bool put_value(struct json_out *o, const json_t *v, int depth, bool sorted)
{
    if (v == NULL || depth > JSON_OUT_DEPTH_MAX) {
        return false;
    }
    switch (json_typeof(v)) {
    case JSON_NULL: return put(o, "null", 4);
    case JSON_TRUE: return put(o, "true", 4);
    case JSON_FALSE: return put(o, "false", 5);
    case JSON_INTEGER: {
        char digits[24];
        return put(o, digits, format_int(json_integer_value(v), digits));
    }
    case JSON_REAL: {
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        bool ok = text != NULL && put(o, text, strlen(text));
        free(text);
        return ok;
    }
    case JSON_STRING: return put_string(o, json_string_value(v), json_string_length(v));
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (!put(o, "[", 1)) {
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            if ((i > 0 && !put(o, ",", 1)) ||
                !put_value(o, json_array_get(v, i), depth + 1, sorted)) {
                return false;
            }
        }
        return put(o, "]", 1);
    }
    case JSON_OBJECT: {
        if (sorted) {
            return put_sorted_object(o, v, depth);
        }
        if (!put(o, "{", 1)) {
            return false;
        }
        bool first = true;
        for (void *it = json_object_iter((json_t *)v); it != NULL;
             it = json_object_iter_next((json_t *)v, it)) {
            if ((!first && !put(o, ",", 1)) ||
                !put_string(o, json_object_iter_key(it), json_object_iter_key_len(it)) ||
                !put(o, ":", 1) || !put_value(o, json_object_iter_value(it), depth + 1, false)) {
                return false;
            }
            first = false;
        }
        return put(o, "}", 1);
    }
    }
    return false;
}

void json_out_raw(struct json_out *o, const char *s, size_t n)
{
    if (!o->failed && !put(o, s, n)) {
        o->failed = true;
    }
}

void json_out_string(struct json_out *o, const char *s, size_t n)
{
    if (!o->failed && !put_string(o, s, n)) {
        o->failed = true;
    }
}

void json_out_int(struct json_out *o, int64_t v)
{
    char digits[24];
    json_out_raw(o, digits, format_int(v, digits));
}

char *json_out_finish(struct json_out *o, size_t *len)
{
    if (o->failed || !reserve(o, 0)) {
        free(o->buf);
        *o = JSON_OUT_INIT;
        return NULL;
    }
    o->buf[o->len] = '\0';
    *len = o->len;
    char *text = o->buf;
    *o = JSON_OUT_INIT;
    return text;
}

char *json_out_dump(const json_t *v, size_t *len)
{
    if (v == NULL || (!json_is_object(v) && !json_is_array(v))) {
        return NULL;
    }
    struct json_out o = {0};
    if (!put_value(&o, v, 0, false) || !reserve(&o, 0)) {
        free(o.buf);
        return NULL;
    }
    o.buf[o.len] = '\0';
    *len = o.len;
    return o.buf;
}

char *json_out_dump_sorted(const json_t *v, size_t *len)
{
    struct json_out o = JSON_OUT_INIT;
    if (!put_value(&o, v, 0, true) || !reserve(&o, 0)) {
        free(o.buf);
        return NULL;
    }
    o.buf[o.len] = '\0';
    *len = o.len;
    return o.buf;
}
