/*
 * json_out.h — a JSON writer for replies: the bytes of
 * json_dumps(v, JSON_COMPACT), written straight into one growing buffer.
 *
 * jansson's json_dumps goes through a callback per token and decodes every
 * string character by character; on list replies it was 40% of all the
 * instructions a request cost (docs/PERFORMANCE.md). This writer copies
 * runs of plain bytes at once and produces the same bytes, which
 * tests/unit/test_json_out.c checks against jansson on generated documents.
 * Used by reply_json (http/reply.c) and, sorted, by the audit chain.
 */
#ifndef LU_JSON_OUT_H
#define LU_JSON_OUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* v (borrowed) must be an object or an array, as json_dumps requires
 * without JSON_ENCODE_ANY. Returns the NUL-terminated text (owned: free)
 * and its length in *len; NULL when v is not dumpable (NULL, a bare scalar,
 * invalid UTF-8, nesting deeper than JSON_OUT_DEPTH_MAX) or memory ran out. */
char *json_out_dump(const json_t *v, size_t *len);

/* The bytes of json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
 * JSON_ENCODE_ANY): every object's keys in jansson's order, and any value
 * (a bare scalar too). For stored and hashed text (the audit chain), which
 * must stay exactly jansson's; tests/unit/test_json_out.c checks it. */
char *json_out_dump_sorted(const json_t *v, size_t *len);

/*
 * The same writer, piece by piece, for replies written straight from
 * database rows (store/common.c streams list pages this way instead of
 * building a jansson object per row). Start from JSON_OUT_INIT; a failure
 * (memory, invalid UTF-8) sticks, and json_out_finish reports it.
 */
struct json_out {
    char *buf;
    size_t len;
    size_t cap;
    bool failed;
};
#define JSON_OUT_INIT ((struct json_out){0})

/* n bytes as they are: punctuation and text already JSON. */
void json_out_raw(struct json_out *o, const char *s, size_t n);
/* A string literal as it is. */
#define json_out_literal(o, lit) json_out_raw((o), "" lit, sizeof(lit) - 1)
/* s[0..n) as a JSON string, escaped as json_dumps escapes it; invalid
 * UTF-8 fails the writer. */
void json_out_string(struct json_out *o, const char *s, size_t n);
/* v in decimal, as jansson writes an integer. */
void json_out_int(struct json_out *o, int64_t v);
/* The NUL-terminated text (owned: free) and its length; NULL, with the
 * buffer freed, when anything failed. */
char *json_out_finish(struct json_out *o, size_t *len);

/* Deeper documents are not ours: replies nest a few levels. */
#define JSON_OUT_DEPTH_MAX 64

#endif
