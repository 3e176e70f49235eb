/*
 * zone.h — IANA time zones, read from the system's TZif files
 * (/usr/share/zoneinfo, RFC 8536) by our own parser, so that "today",
 * "tonight" and a day's boundaries are judged in a property's zone.
 *
 * Why not setenv("TZ") + tzset + mktime: setenv rewrites the process
 * environment, and any other thread calling getenv at that moment (libcurl,
 * OpenSSL and glibc itself all do) can read freed memory; a mutex of ours
 * cannot stop them. A zone here is a plain value read from its file: no
 * global state, no locks, no environment, so any number of request threads
 * may open and use zones at once.
 *
 * Times are epoch seconds (int64_t). "Local seconds" are the wall clock of
 * the zone written as if it were UTC: local_s = t + offset(t).
 *
 * Leap-second ("right/…") zones are read as their plain counterparts would
 * be; their transition times are off by the leap seconds (under a minute).
 */
#ifndef LU_ZONE_H
#define LU_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"

/* The largest TZif file read. The biggest in tzdata 2025 ("fat" files with
 * every transition to 2037) is under 4 KiB; anything near this is not a
 * zone file. */
#define ZONE_FILE_BYTES_MAX (64 * 1024)

/* Transitions kept from one file. Fat files hold at most a few hundred
 * (two a year from about 1900 to 2037). */
#define ZONE_TRANSITIONS_MAX 2048

/* Local time types in one file: RFC 8536 caps typecnt at 256. */
#define ZONE_TYPES_MAX 256

/* A POSIX TZ rule string ("CET-1CEST,M3.5.0,M10.5.0/3"); tzdata's longest
 * is under 60 bytes. */
#define ZONE_RULE_BYTES_MAX 128

/* "YYYY-MM-DD" and its NUL. */
#define ZONE_DATE_BYTES 11

struct zone; /* opaque; owned by whoever opened it, freed by zone_close */

/* Opens the IANA zone `name` (borrowed). LU_NOT_FOUND when the name is not
 * a zone this machine knows (clock_zone_valid's rules: no paths), LU_INVALID
 * when its file is malformed, LU_TOO_LARGE past a limit above, LU_NOMEM.
 * On LU_OK *out is owned: zone_close. */
enum lu_rc zone_open(const char *name, struct zone **out);

/* A zone made of a POSIX TZ rule alone ("PST8PDT,M3.2.0,M11.1.0",
 * "<+0530>-5:30"), as a TZif footer carries it. LU_INVALID when the rule
 * does not parse. On LU_OK *out is owned: zone_close. */
enum lu_rc zone_open_rule(const char *rule, struct zone **out);

/* A zone from the bytes of a TZif file (borrowed), as zone_open reads
 * them; for tests and fuzzing. LU_INVALID when malformed, LU_TOO_LARGE past
 * a limit. On LU_OK *out is owned: zone_close. */
enum lu_rc zone_open_tzif(const unsigned char *data, size_t len, struct zone **out);

/* Frees a zone; NULL is fine. */
void zone_close(struct zone *z);

/* The UTC offset in seconds (east positive) in effect at instant t. */
int32_t zone_offset_s(const struct zone *z, int64_t t);

/*
 * The first instant whose wall clock in z reads local_s or later. For an
 * ordinary local time that is its only instant; for one that occurs twice
 * (clocks set back) it is the earlier; for one that never occurs (clocks
 * set forward over it) it is the moment the clocks jumped.
 */
int64_t zone_local_to_utc(const struct zone *z, int64_t local_s);

/* The local calendar date in z at instant t, as YYYY-MM-DD. */
void zone_date_of(const struct zone *z, int64_t t, char out[ZONE_DATE_BYTES]);

/*
 * The instants a local day begins and ends: *start_s is the first instant
 * of `date` (YYYY-MM-DD, borrowed) in z and *end_s the first instant of
 * the next day, so the day is [start_s, end_s) and lasts 23, 24 or 25 hours
 * across a DST change. False (outputs untouched) when date is not a real
 * date.
 */
bool zone_day_bounds(const struct zone *z, const char *date, int64_t *start_s, int64_t *end_s);

/* Local seconds of 00:00 on date (YYYY-MM-DD); false when date is not a
 * real date. Add hours and minutes, then zone_local_to_utc. */
bool zone_date_local_s(const char *date, int64_t *local_s);

/* The date `days` days after date (negative: before). False when date is
 * not a real date. */
bool zone_date_add(const char *date, int days, char out[ZONE_DATE_BYTES]);

#endif
