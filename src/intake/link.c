/*
 * link.c — a sender's address in the form guests are stored in, so intake
 * can find the guest by plain equality: phones in E.164 (store/guests.c
 * accepts only that), emails lower-cased. Pure functions; the matching
 * itself is a query (store/contacts.c).
 */
#include <string.h>
#include <strings.h>

#include "intake/intake.h"

bool intake_phone_normalise(const char *in, char out[INTAKE_PHONE_BYTES])
{
    static const char *const prefixes[] = {"whatsapp:", "sms:", "tel:"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncasecmp(in, prefixes[i], n) == 0) {
            in += n;
            break;
        }
    }
    while (*in == ' ') {
        in++;
    }
    size_t o = 0;
    if (in[0] == '+') {
        in++;
    } else if (in[0] == '0' && in[1] == '0') {
        in += 2; /* the international prefix most of the world dials */
    } else {
        return false;
    }
    out[o++] = '+';
    for (; *in; in++) {
        char c = *in;
        if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') {
            continue;
        }
        if (c < '0' || c > '9' || o == INTAKE_PHONE_BYTES - 1) {
            return false;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    /* E.164: 8 to 15 digits, the first (the country code's) not 0. */
    return o >= 9 && out[1] != '0';
}

bool intake_email_normalise(const char *in, char out[INTAKE_EMAIL_BYTES])
{
    const char *start = in;
    const char *end = in + strlen(in);
    const char *lt = strrchr(in, '<');
    if (lt != NULL) {
        const char *gt = strchr(lt, '>');
        if (gt == NULL) {
            return false;
        }
        start = lt + 1;
        end = gt;
    }
    while (start < end && (*start == ' ' || *start == '\t')) {
        start++;
    }
    while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    size_t n = (size_t)(end - start);
    if (n == 0 || n >= INTAKE_EMAIL_BYTES) {
        return false;
    }
    size_t at = n;
    for (size_t i = 0; i < n; i++) {
        char c = start[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '<' || c == '>' ||
            c == ',' || c == ';' || c == '"') {
            return false;
        }
        if (c == '@') {
            if (at != n) {
                return false; /* two @ */
            }
            at = i;
        }
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[n] = '\0';
    return at > 0 && at < n - 1 && strchr(out + at, '.') != NULL;
}
