/*
 * checks.c — value checks shared by the resources' field tables.
 */
#include <string.h>

#include "api/checks.h"
#include "core/clock.h"

bool check_date(const char *s)
{
    return clock_date_valid(s);
}

bool check_time(const char *s)
{
    int64_t t;
    return clock_parse_rfc3339(s, &t);
}

bool check_email(const char *s)
{
    /* Deliberately simple: one @, something before it, a dot after it, no
     * spaces. Real validation is the verification email. */
    const char *at = strchr(s, '@');
    if (at == NULL || at == s || strchr(at + 1, '@') != NULL || strpbrk(s, " \t\r\n<>,;") != NULL) {
        return false;
    }
    const char *dot = strrchr(at, '.');
    return dot != NULL && dot > at + 1 && dot[1] != '\0';
}

bool check_phone(const char *s)
{
    /* E.164: a plus and 8 to 15 digits, the first not 0. */
    size_t n = strlen(s);
    if (n < 9 || n > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9') {
        return false;
    }
    for (size_t i = 1; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

bool check_currency(const char *s)
{
    if (strlen(s) != 3) {
        return false;
    }
    for (int i = 0; i < 3; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            return false;
        }
    }
    return true;
}

bool check_not_blank(const char *s)
{
    for (; *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
            return true;
        }
    }
    return false;
}

bool check_item_kind(const char *s)
{
    return strcmp(s, "concierge") == 0 || strcmp(s, "maintenance") == 0 || strcmp(s, "task") == 0;
}

bool check_priority(const char *s)
{
    return strcmp(s, "low") == 0 || strcmp(s, "normal") == 0 || strcmp(s, "high") == 0 ||
           strcmp(s, "urgent") == 0;
}

bool check_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64) {
        return false;
    }
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-')) {
            return false;
        }
    }
    return true;
}

bool normalise_time(json_t *obj, const char *field)
{
    json_t *v = json_object_get(obj, field);
    if (!json_is_string(v)) {
        return true;
    }
    int64_t t;
    if (!clock_parse_rfc3339(json_string_value(v), &t)) {
        return false;
    }
    char utc[RFC3339_BYTES];
    clock_format_utc(t, utc);
    return json_object_set_new(obj, field, json_string(utc)) == 0;
}
