/*
 * clock.c — time formatting and parsing (see clock.h).
 *
 * Parsing is strict on purpose: a date a person typed wrongly must be an
 * invalid_field error, never silently normalised into another day.
 */
#include "core/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t clock_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

double clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void clock_format_utc(int64_t t, char out[RFC3339_BYTES])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, RFC3339_BYTES, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static bool parse_date(const char *s, int *y, int *m, int *d)
{
    if (!digits(s, 4, y) || s[4] != '-' || !digits(s + 5, 2, m) || s[7] != '-' ||
        !digits(s + 8, 2, d)) {
        return false;
    }
    return *y >= 1900 && *y <= 9999 && *m >= 1 && *m <= 12 && *d >= 1 &&
           *d <= days_in_month(*y, *m);
}

bool clock_date_valid(const char *s)
{
    int y, m, d;
    return s != NULL && strlen(s) == 10 && parse_date(s, &y, &m, &d);
}

bool clock_parse_rfc3339(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec;
    if (s == NULL || strlen(s) < 20 || !parse_date(s, &y, &mo, &d)) {
        return false;
    }
    if ((s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) || s[13] != ':' ||
        !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec)) {
        return false;
    }
    if (h > 23 || mi > 59 || sec > 59) {
        return false;
    }
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        const char *start = p;
        while (*p >= '0' && *p <= '9' && p - start < 9) {
            p++;
        }
        if (p == start) {
            return false;
        }
    }
    int offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 ||
            om > 59) {
            return false;
        }
        offset_s = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return false;
    }
    if (*p != '\0') {
        return false;
    }
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = (int64_t)timegm(&tm) - offset_s;
    return true;
}

bool clock_zone_valid(const char *name)
{
    if (name == NULL || name[0] == '\0' || name[0] == '/' || strlen(name) > 64 ||
        strstr(name, "..") != NULL || strstr(name, "//") != NULL ||
        name[strlen(name) - 1] == '/') {
        return false;
    }
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '/' || c == '_' || c == '-' || c == '+';
        if (!ok) {
            return false;
        }
    }
    if (strcmp(name, "localtime") == 0) {
        return false; /* the host's zone, not a name another machine would share */
    }
    char path[128];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    /* A real zone is a TZif file; this refuses tzdata's text files
     * (leapseconds, zone.tab) that glibc would quietly read as UTC. */
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return false;
    }
    char magic[4] = {0};
    size_t n = fread(magic, 1, sizeof magic, f);
    fclose(f);
    return n == 4 && memcmp(magic, "TZif", 4) == 0;
}
