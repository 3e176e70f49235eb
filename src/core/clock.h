/*
 * clock.h — wall-clock time as Lucia writes it: RFC 3339 UTC, seconds.
 */
#ifndef LU_CLOCK_H
#define LU_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RFC3339_BYTES 32

/* Seconds since the epoch, and a monotonic clock in milliseconds. */
int64_t clock_now_s(void);
double clock_mono_ms(void);

/* "2026-11-23T17:05:00Z" for t (UTC). */
void clock_format_utc(int64_t t, char out[RFC3339_BYTES]);

/* Parses RFC 3339 ("2026-11-23T17:05:00Z", "…+01:00", fractions allowed) into
 * epoch seconds. False when malformed or out of range. */
bool clock_parse_rfc3339(const char *s, int64_t *out);

/* True for a real calendar date written YYYY-MM-DD. */
bool clock_date_valid(const char *s);

/* True when name is an IANA time zone this machine knows (tzdata). */
bool clock_zone_valid(const char *name);

#endif
