/*
 * stripe_sig.h — verifying Stripe's webhook signature (SPEC §6), as
 * Stripe documents it and its SDKs implement it:
 *
 *   Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]
 *   v1 = hex(HMAC-SHA256(key = the whole STRIPE_WEBHOOK_SECRET string,
 *                        data = "<t>" "." <raw body bytes>))
 *
 * Any v1 may match (Stripe sends two while a secret is being rolled); other
 * schemes (v0) are ignored; the first t counts, as in Stripe's SDKs. The
 * comparison is constant-time (CRYPTO_memcmp) over the whole digest. The
 * body is the exact bytes received: nothing here parses or re-serialises
 * it. Pure: no I/O, no logging (signatures are never logged), thread-safe.
 */
#ifndef LU_STRIPE_SIG_H
#define LU_STRIPE_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A real header holds t and one or two v1 (and maybe a v0): ~220 bytes.
 * Longer ones are not Stripe's and are refused without parsing. */
#define STRIPE_SIG_HEADER_BYTES_MAX 4096

/* v1 values tried per request. Stripe sends at most a few; a header with
 * hundreds would only make us compute comparisons for an attacker. */
#define STRIPE_SIG_V1_MAX 16

/* Digits of t: Unix seconds fit in 10 until 2286; 18 keeps int64 safe. */
#define STRIPE_SIG_TIMESTAMP_DIGITS_MAX 18

enum stripe_sig_result {
    STRIPE_SIG_OK = 0,
    STRIPE_SIG_MISSING,   /* no header, or an empty one */
    STRIPE_SIG_MALFORMED, /* no usable t, too long, or no v1 at all */
    STRIPE_SIG_STALE,     /* |now - t| beyond the tolerance */
    STRIPE_SIG_MISMATCH,  /* no v1 equals the expected digest */
};

/*
 * Checks header (may be NULL) against body[0..body_len) with secret (a
 * non-empty C string). now_s is the current Unix time; tolerance_s the
 * accepted distance of t from it in either direction (SPEC §2,
 * LUCIA_STRIPE_TOLERANCE_SECONDS). All arguments are borrowed; body may
 * contain any bytes, NUL included.
 */
enum stripe_sig_result stripe_signature_check(const char *secret, const char *header,
                                              const char *body, size_t body_len, int64_t now_s,
                                              int64_t tolerance_s);

/* The expected v1 for t and body, as 64 lower-case hex digits and a NUL;
 * for tests and for tools that sign fixtures. False when OpenSSL fails. */
bool stripe_signature_compute(const char *secret, int64_t t, const char *body, size_t body_len,
                              char out[65]);

/* A sentence for the 400 answer; never contains the header or the secret. */
const char *stripe_sig_result_message(enum stripe_sig_result r);

#endif
