/*
 * zone.c — IANA time zones from TZif files and POSIX TZ rules (see zone.h).
 *
 * A TZif file (RFC 8536) lists every transition as a UTC instant with the
 * offset that follows it, then a POSIX TZ rule (the "footer") for instants
 * after the last one. Debian's fat files list transitions to 2037; slim
 * ones stop earlier and lean on the footer, so both paths matter.
 *
 * Everything here works on values the caller owns: no static state, no
 * environment, no libc time zone functions, so it is safe on any thread.
 * The file is outside data: every count is checked against the file's size
 * and the limits in zone.h before it is trusted.
 */
#include "core/zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/clock.h"

#define ZONE_DIR "/usr/share/zoneinfo"
#define DAY_S 86400
#define HOUR_S 3600

/* Offsets a file may carry. RFC 8536 suggests -25 h to +26 h; real zones
 * stay within -12 h and +14 h. Local-to-UTC probes two days either side,
 * which this bound keeps sufficient. */
#define ZONE_OFFSET_S_MAX (26 * HOUR_S)
_Static_assert(ZONE_OFFSET_S_MAX < 2 * DAY_S, "probes must bracket every offset");

/* A rule's change time may be -167 h to +167 h (RFC 8536, section 3.3.1). */
#define RULE_HOURS_MAX 167

/* TZif header: magic, version, 15 reserved bytes, six 32-bit counts. */
#define TZIF_HEADER_BYTES 44

struct rule_date {
    char kind;      /* 'J' (1..365, Feb 29 never counted), 'N' (0..365), 'M' */
    int a, b, c;    /* J, N: a is the day; M: month a, week b (5 = last), weekday c */
    int32_t time_s; /* local time of day of the change; may be < 0 or > 24 h */
};

struct rule {
    int32_t std_off_s;
    int32_t dst_off_s;
    bool has_dst;
    struct rule_date start; /* the change into DST, in standard time */
    struct rule_date end;   /* the change back, in DST */
};

struct zone {
    size_t ntimes;
    int64_t times[ZONE_TRANSITIONS_MAX];
    uint8_t type_of[ZONE_TRANSITIONS_MAX];
    size_t ntypes;
    int32_t type_off_s[ZONE_TYPES_MAX];
    bool has_rule;
    struct rule rule;
};

/* --- calendar arithmetic (proleptic Gregorian, days since 1970-01-01) --- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Howard Hinnant's days_from_civil. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static int weekday(int64_t days)
{
    return (int)((days % 7 + 7 + 4) % 7);
}

static void date_format(int64_t days, char out[ZONE_DATE_BYTES])
{
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, ZONE_DATE_BYTES, "%04lld-%02d-%02d", (long long)y, m, d);
}

/* Days since the epoch of a date clock_date_valid accepts. */
static bool date_days(const char *date, int64_t *days)
{
    if (!clock_date_valid(date)) {
        return false;
    }
    int y = (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + date[3] - '0';
    int m = (date[5] - '0') * 10 + date[6] - '0';
    int d = (date[8] - '0') * 10 + date[9] - '0';
    *days = days_from_civil(y, m, d);
    return true;
}

/* --- POSIX TZ rules ------------------------------------------------------ */

/* Steps over ch when it is next. */
static bool expect(const char **p, char ch)
{
    if (**p != ch) {
        return false;
    }
    (*p)++;
    return true;
}

static bool parse_uint(const char **p, int digits_max, int *out)
{
    int v = 0;
    int n = 0;
    while (**p >= '0' && **p <= '9' && n < digits_max) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *out = v;
    return n > 0;
}

/* "PST" or "<+0530>": at least three characters either way. */
static bool parse_name(const char **p)
{
    const char *s = *p;
    if (*s == '<') {
        const char *end = strchr(s, '>');
        if (end == NULL || end - s < 4) {
            return false;
        }
        *p = end + 1;
        return true;
    }
    while ((**p >= 'A' && **p <= 'Z') || (**p >= 'a' && **p <= 'z')) {
        (*p)++;
    }
    return *p - s >= 3;
}

/* [+-]h[hh][:mm[:ss]] as signed seconds, hours at most hours_max. */
static bool parse_hms(const char **p, int hours_max, int32_t *out)
{
    int sign = 1;
    if (**p == '+' || **p == '-') {
        sign = **p == '-' ? -1 : 1;
        (*p)++;
    }
    int h = 0, m = 0, s = 0;
    if (!parse_uint(p, 3, &h) || h > hours_max) {
        return false;
    }
    if (expect(p, ':') && (!parse_uint(p, 2, &m) || m > 59)) {
        return false;
    }
    if (expect(p, ':') && (!parse_uint(p, 2, &s) || s > 59)) {
        return false;
    }
    *out = sign * (h * HOUR_S + m * 60 + s);
    return true;
}

static bool parse_rule_date(const char **p, struct rule_date *d)
{
    memset(d, 0, sizeof *d);
    bool ok;
    if (**p == 'J') {
        (*p)++;
        d->kind = 'J';
        ok = parse_uint(p, 3, &d->a) && d->a >= 1 && d->a <= 365;
    } else if (**p == 'M') {
        (*p)++;
        d->kind = 'M';
        ok = parse_uint(p, 2, &d->a) && d->a >= 1 && d->a <= 12 && expect(p, '.') &&
             parse_uint(p, 1, &d->b) && d->b >= 1 && d->b <= 5 && expect(p, '.') &&
             parse_uint(p, 1, &d->c) && d->c <= 6;
    } else {
        d->kind = 'N';
        ok = parse_uint(p, 3, &d->a) && d->a <= 365;
    }
    d->time_s = 2 * HOUR_S; /* POSIX's default */
    if (ok && expect(p, '/')) {
        ok = parse_hms(p, RULE_HOURS_MAX, &d->time_s);
    }
    return ok;
}

static bool rule_parse(const char *text, struct rule *r)
{
    memset(r, 0, sizeof *r);
    const char *p = text;
    int32_t v = 0;
    /* POSIX writes offsets west-positive ("PST8"); we keep east-positive. */
    if (!parse_name(&p) || !parse_hms(&p, 24, &v)) {
        return false;
    }
    r->std_off_s = -v;
    if (*p == '\0') {
        return true;
    }
    if (!parse_name(&p)) {
        return false;
    }
    r->has_dst = true;
    r->dst_off_s = r->std_off_s + HOUR_S;
    if (*p != ',' && *p != '\0') {
        if (!parse_hms(&p, 24, &v)) {
            return false;
        }
        r->dst_off_s = -v;
    }
    const char *dates = *p == '\0' ? ",M3.2.0,M11.1.0" : p; /* glibc's default */
    if (!expect(&dates, ',') || !parse_rule_date(&dates, &r->start) || !expect(&dates, ',') ||
        !parse_rule_date(&dates, &r->end)) {
        return false;
    }
    return *dates == '\0';
}

/* Local seconds of the change `d` in year y. */
static int64_t rule_date_local_s(const struct rule_date *d, int64_t y)
{
    int64_t day;
    if (d->kind == 'J') {
        day = days_from_civil(y, 1, 1) + d->a - 1 + (is_leap(y) && d->a >= 60 ? 1 : 0);
    } else if (d->kind == 'N') {
        day = days_from_civil(y, 1, 1) + d->a;
    } else {
        int64_t first = days_from_civil(y, d->a, 1);
        int mday = 1 + (d->c - weekday(first) + 7) % 7 + (d->b - 1) * 7;
        while (mday > month_days(y, d->a)) {
            mday -= 7;
        }
        day = first + mday - 1;
    }
    return day * DAY_S + d->time_s;
}

static int32_t rule_offset_s(const struct rule *r, int64_t t)
{
    if (!r->has_dst) {
        return r->std_off_s;
    }
    int64_t y;
    int m, d;
    civil_from_days(floor_div(t + r->std_off_s, DAY_S), &y, &m, &d);
    int64_t start = rule_date_local_s(&r->start, y) - r->std_off_s;
    int64_t end = rule_date_local_s(&r->end, y) - r->dst_off_s;
    /* Northern rules start and end in one year; southern ones end first. */
    bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? r->dst_off_s : r->std_off_s;
}

/* --- TZif files ---------------------------------------------------------- */

struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chars;
};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Reads the header at buf[at]; false when it is not one or a count could
 * not fit in the file at all. */
static bool header_read(const unsigned char *buf, size_t len, size_t at, char *version,
                        struct tzif_counts *c)
{
    if (len < TZIF_HEADER_BYTES || at > len - TZIF_HEADER_BYTES ||
        memcmp(buf + at, "TZif", 4) != 0) {
        return false;
    }
    *version = (char)buf[at + 4];
    const unsigned char *n = buf + at + 20;
    *c = (struct tzif_counts){be32(n),      be32(n + 4),  be32(n + 8),
                              be32(n + 12), be32(n + 16), be32(n + 20)};
    uint32_t all[] = {c->isut, c->isstd, c->leap, c->time, c->type, c->chars};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (all[i] > ZONE_FILE_BYTES_MAX) {
            return false;
        }
    }
    return true;
}

/* Bytes of the data block after a header, with times of time_bytes. */
static size_t block_bytes(const struct tzif_counts *c, size_t time_bytes)
{
    return (size_t)c->time * (time_bytes + 1) + (size_t)c->type * 6 + c->chars +
           (size_t)c->leap * (time_bytes + 4) + c->isstd + c->isut;
}

/* Fills z's transitions and types from the data block at d. */
static enum lu_rc block_parse(struct zone *z, const unsigned char *d, const struct tzif_counts *c,
                              size_t time_bytes)
{
    if (c->time > ZONE_TRANSITIONS_MAX || c->type > ZONE_TYPES_MAX) {
        return LU_TOO_LARGE;
    }
    if (c->type == 0) {
        return LU_INVALID;
    }
    z->ntimes = c->time;
    z->ntypes = c->type;
    for (size_t i = 0; i < c->time; i++) {
        const unsigned char *p = d + i * time_bytes;
        z->times[i] = time_bytes == 8 ? be64(p) : (int64_t)(int32_t)be32(p);
        if (i > 0 && z->times[i] <= z->times[i - 1]) {
            return LU_INVALID;
        }
    }
    const unsigned char *idx = d + (size_t)c->time * time_bytes;
    for (size_t i = 0; i < c->time; i++) {
        if (idx[i] >= c->type) {
            return LU_INVALID;
        }
        z->type_of[i] = idx[i];
    }
    const unsigned char *types = idx + c->time;
    for (size_t i = 0; i < c->type; i++) {
        int32_t off = (int32_t)be32(types + i * 6);
        if (off > ZONE_OFFSET_S_MAX || off < -ZONE_OFFSET_S_MAX) {
            return LU_INVALID;
        }
        z->type_off_s[i] = off;
    }
    return LU_OK;
}

/* The footer "\n<rule>\n" at buf[at]; an empty rule means "none". */
static enum lu_rc footer_parse(struct zone *z, const unsigned char *buf, size_t len, size_t at)
{
    if (at >= len || buf[at] != '\n') {
        return LU_INVALID;
    }
    const unsigned char *start = buf + at + 1;
    const unsigned char *nl = memchr(start, '\n', len - at - 1);
    if (nl == NULL) {
        return LU_INVALID;
    }
    size_t n = (size_t)(nl - start);
    if (n >= ZONE_RULE_BYTES_MAX) {
        return LU_TOO_LARGE;
    }
    if (n == 0) {
        return LU_OK;
    }
    char text[ZONE_RULE_BYTES_MAX];
    memcpy(text, start, n);
    text[n] = '\0';
    if (!rule_parse(text, &z->rule)) {
        return LU_INVALID;
    }
    z->has_rule = true;
    return LU_OK;
}

static enum lu_rc tzif_parse(struct zone *z, const unsigned char *buf, size_t len)
{
    char version;
    struct tzif_counts c;
    if (!header_read(buf, len, 0, &version, &c)) {
        return LU_INVALID;
    }
    size_t v1 = block_bytes(&c, 4);
    if (version == '\0') {
        if (v1 > len - TZIF_HEADER_BYTES) {
            return LU_INVALID;
        }
        return block_parse(z, buf + TZIF_HEADER_BYTES, &c, 4);
    }
    /* Version 2 and later repeat everything with 64-bit times; readers are
     * to skip the 32-bit block. */
    size_t at = TZIF_HEADER_BYTES + v1;
    if (v1 > len || !header_read(buf, len, at, &version, &c)) {
        return LU_INVALID;
    }
    at += TZIF_HEADER_BYTES;
    size_t v2 = block_bytes(&c, 8);
    if (v2 > len - at) {
        return LU_INVALID;
    }
    enum lu_rc rc = block_parse(z, buf + at, &c, 8);
    return rc == LU_OK ? footer_parse(z, buf, len, at + v2) : rc;
}

static enum lu_rc file_read(const char *name, unsigned char **buf, size_t *len)
{
    char path[128];
    int n = snprintf(path, sizeof path, "%s/%s", ZONE_DIR, name);
    if (n < 0 || (size_t)n >= sizeof path) {
        return LU_NOT_FOUND;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return LU_NOT_FOUND;
    }
    *buf = malloc(ZONE_FILE_BYTES_MAX + 1);
    if (*buf == NULL) {
        fclose(f);
        return LU_NOMEM;
    }
    *len = fread(*buf, 1, ZONE_FILE_BYTES_MAX + 1, f);
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed || *len > ZONE_FILE_BYTES_MAX) {
        free(*buf);
        *buf = NULL;
        return failed ? LU_IO : LU_TOO_LARGE;
    }
    return LU_OK;
}

/* --- the public functions ------------------------------------------------ */

enum lu_rc zone_open(const char *name, struct zone **out)
{
    LU_ASSERT(out != NULL);
    if (!clock_zone_valid(name)) {
        return LU_NOT_FOUND;
    }
    unsigned char *buf = NULL;
    size_t len = 0;
    enum lu_rc rc = file_read(name, &buf, &len);
    if (rc != LU_OK) {
        return rc;
    }
    rc = zone_open_tzif(buf, len, out);
    free(buf);
    return rc;
}

enum lu_rc zone_open_tzif(const unsigned char *data, size_t len, struct zone **out)
{
    LU_ASSERT(out != NULL && (data != NULL || len == 0));
    if (len > ZONE_FILE_BYTES_MAX) {
        return LU_TOO_LARGE;
    }
    struct zone *z = calloc(1, sizeof *z);
    if (z == NULL) {
        return LU_NOMEM;
    }
    enum lu_rc rc = tzif_parse(z, data, len);
    if (rc != LU_OK) {
        free(z);
        return rc;
    }
    *out = z;
    return LU_OK;
}

enum lu_rc zone_open_rule(const char *rule, struct zone **out)
{
    LU_ASSERT(out != NULL);
    if (rule == NULL || strlen(rule) >= ZONE_RULE_BYTES_MAX) {
        return LU_INVALID;
    }
    struct zone *z = calloc(1, sizeof *z);
    if (z == NULL) {
        return LU_NOMEM;
    }
    if (!rule_parse(rule, &z->rule)) {
        free(z);
        return LU_INVALID;
    }
    z->has_rule = true;
    *out = z;
    return LU_OK;
}

void zone_close(struct zone *z)
{
    free(z);
}

int32_t zone_offset_s(const struct zone *z, int64_t t)
{
    LU_ASSERT(z != NULL);
    if (z->ntimes == 0 || t >= z->times[z->ntimes - 1]) {
        if (z->has_rule) {
            return rule_offset_s(&z->rule, t);
        }
        /* No rule: the last type goes on (or the only one, with no
         * transitions at all). */
        return z->ntimes == 0 ? z->type_off_s[0] : z->type_off_s[z->type_of[z->ntimes - 1]];
    }
    if (t < z->times[0]) {
        return z->type_off_s[0]; /* RFC 8536: type 0 before the first transition */
    }
    /* The last transition at or before t. */
    size_t lo = 0;
    size_t hi = z->ntimes - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (z->times[mid] <= t) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return z->type_off_s[z->type_of[lo]];
}

static int64_t wall_s(const struct zone *z, int64_t t)
{
    return t + zone_offset_s(z, t);
}

int64_t zone_local_to_utc(const struct zone *z, int64_t local_s)
{
    LU_ASSERT(z != NULL);
    /* Each offset in effect near local_s proposes an instant; it is right
     * when that offset is indeed in effect there. Of several right ones
     * (clocks set back) the earliest wins. */
    const int64_t probes[] = {local_s - 2 * DAY_S, local_s, local_s + 2 * DAY_S};
    bool found = false;
    int64_t best = 0;
    int64_t lo = INT64_MAX;
    int64_t hi = INT64_MIN;
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        int32_t off = zone_offset_s(z, probes[i]);
        int64_t t = local_s - off;
        if (zone_offset_s(z, t) == off && (!found || t < best)) {
            best = t;
            found = true;
        }
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
    }
    if (found) {
        return best;
    }
    /* local_s fell in a gap: the first instant past it is the jump, which
     * lies between the proposals; the wall clock only rises there. */
    if (wall_s(z, lo) >= local_s) {
        return lo;
    }
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (wall_s(z, mid) >= local_s) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    return hi;
}

void zone_date_of(const struct zone *z, int64_t t, char out[ZONE_DATE_BYTES])
{
    date_format(floor_div(wall_s(z, t), DAY_S), out);
}

bool zone_date_local_s(const char *date, int64_t *local_s)
{
    int64_t days;
    if (!date_days(date, &days)) {
        return false;
    }
    *local_s = days * DAY_S;
    return true;
}

bool zone_date_add(const char *date, int days, char out[ZONE_DATE_BYTES])
{
    int64_t d;
    if (!date_days(date, &d)) {
        return false;
    }
    date_format(d + days, out);
    return true;
}

bool zone_day_bounds(const struct zone *z, const char *date, int64_t *start_s, int64_t *end_s)
{
    int64_t local = 0;
    if (!zone_date_local_s(date, &local)) {
        return false;
    }
    *start_s = zone_local_to_utc(z, local);
    *end_s = zone_local_to_utc(z, local + DAY_S);
    if (*end_s <= *start_s) {
        /* Only a zone file that sets clocks back by more than a day could
         * do this; keep the day a day rather than empty. */
        *end_s = *start_s + DAY_S;
    }
    return true;
}
