/*
 * access.h — the private staging front door (SPEC §9): Cloudflare Access
 * tokens in Cf-Access-Jwt-Assertion, checked before any route's own auth.
 *
 * main.c calls access_start once before the server starts and access_stop
 * after it stops; server.c calls access_admit for every request. Access is a
 * second door: a request it admits still needs the operator's own
 * Authorization. This module never logs any part of a token.
 */
#ifndef LU_ACCESS_H
#define LU_ACCESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/rc.h"

/*
 * Fewest seconds between two JWKS fetches triggered by an unknown "kid": a
 * stranger sending random kids must not turn us into a fetch amplifier.
 */
#define ACCESS_JWKS_REFRESH_INTERVAL_S 30

/* Longest a JWKS fetch may take, in milliseconds. */
#define ACCESS_JWKS_FETCH_TIMEOUT_MS 5000

/* Most entries read from LUCIA_ALLOWED_EMAILS. */
#define ACCESS_EMAILS_MAX 64

/*
 * Loads the keys when cfg (borrowed; must outlive access_stop) configures the
 * front door; a no-op otherwise. LU_INVALID with a sentence in err when the
 * keys cannot be read or parsed.
 */
enum lu_rc access_start(const struct lu_config *cfg, char *err, size_t cap);

/* Frees the keys. Safe when access_start did nothing. */
void access_stop(void);

/* True when the front door is on. */
bool access_enabled(void);

/* True for the paths that never need an Access token: /health and the
 * provider webhooks (they carry their own signatures). */
bool access_path_exempt(const char *path);

/*
 * Checks one token (borrowed, NULL = header missing) for a request to path.
 * True when the door is off, the path is exempt, or the token is valid;
 * otherwise false with *why a static reason for logs.
 */
bool access_admit(const char *path, const char *token, const char **why);

/*
 * The claim checks beyond the signature, exposed for unit tests: "aud" (a
 * string or an array of strings) must contain aud; "email", when emails_csv
 * is non-NULL, must be one of its comma-separated entries (any case).
 */
bool access_claims_ok(const json_t *claims, const char *aud, const char *emails_csv,
                      const char **why);

/* For /admin/status: the Unix time of the last admitted token (0 = never)
 * and how many JWKS fetches ran. */
int64_t access_last_verified_s(void);
unsigned access_jwks_fetches(void);

#endif
