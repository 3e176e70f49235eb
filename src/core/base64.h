/*
 * base64.h — exact base64 (RFC 4648 §4) and base64url (§5) encoding and decoding.
 *
 * Used by the JWT verifier (base64url segments, JWK key material) and by the
 * webhook verifiers (Twilio's base64 HMAC). Decoders accept only canonical
 * text: no whitespace, no characters outside the alphabet, no misplaced
 * padding and no stray bits in the last character, so one byte string has
 * exactly one accepted encoding (a signature cannot be re-spelled).
 * Nothing here logs or keeps state; every function is thread-safe.
 */
#ifndef LU_BASE64_H
#define LU_BASE64_H

#include <stddef.h>

#include "core/rc.h"

/*
 * Decodes base64url text in[0..in_len). Padding is optional: the text may end
 * without '=' (as JWTs and JWKs do) or with exactly the padding that makes its
 * length a multiple of 4. `in` is borrowed and need not be NUL-terminated; it
 * may be NULL when in_len is 0.
 * On LU_OK, *out is owned by the caller (free it with free()) and holds
 * *out_len bytes followed by one NUL byte that *out_len does not count, so
 * decoded text may be used as a C string when it holds no NUL of its own.
 * Returns LU_INVALID for text that is not canonical base64url (then *out is
 * NULL and *out_len 0), LU_NOMEM when allocation fails.
 */
enum lu_rc b64url_decode(const char *in, size_t in_len, unsigned char **out, size_t *out_len);

/*
 * Encodes in[0..len) as base64url without padding. `in` is borrowed; it may be
 * NULL when len is 0. Returns an owned NUL-terminated string (free it with
 * free()), or NULL when allocation fails or the result's size would overflow.
 */
char *b64url_encode(const unsigned char *in, size_t len);

/*
 * Decodes standard base64 text in[0..in_len). Padding is required: the length
 * must be a multiple of 4. Same ownership, NUL byte and return codes as
 * b64url_decode.
 */
enum lu_rc b64_decode(const char *in, size_t in_len, unsigned char **out, size_t *out_len);

/*
 * Encodes in[0..len) as standard base64 with '=' padding. Same ownership and
 * failure rules as b64url_encode.
 */
char *b64_encode(const unsigned char *in, size_t len);

#endif
