/*
 * json_out.h — a JSON writer for replies: the bytes of
 * json_dumps(v, JSON_COMPACT), written straight into one growing buffer.
 *
 * jansson's json_dumps goes through a callback per token and decodes every
 * string character by character; on list replies it was 40% of all the
 * instructions a request cost (docs/PERFORMANCE.md). This writer copies
 * runs of plain bytes at once and produces the same bytes, which
 * tests/unit/test_json_out.c checks against jansson on generated documents.
 * Used by reply_json (http/reply.c); anything hashed or stored keeps using
 * jansson itself.
 */
#ifndef LU_JSON_OUT_H
#define LU_JSON_OUT_H

#include <jansson.h>
#include <stddef.h>

/* v (borrowed) must be an object or an array, as json_dumps requires
 * without JSON_ENCODE_ANY. Returns the NUL-terminated text (owned: free)
 * and its length in *len; NULL when v is not dumpable (NULL, a bare scalar,
 * invalid UTF-8, nesting deeper than JSON_OUT_DEPTH_MAX) or memory ran out. */
char *json_out_dump(const json_t *v, size_t *len);

/* Deeper documents are not ours: replies nest a few levels. */
#define JSON_OUT_DEPTH_MAX 64

#endif
