/*
 * twilio.c — Twilio's side of intake: application/x-www-form-urlencoded
 * bodies, the X-Twilio-Signature check, and a message webhook's
 * parameters read as one inbound message (see intake.h).
 *
 * The signature is Twilio's documented scheme, computed the way its
 * official RequestValidator computes it: HMAC-SHA1 keyed with the auth
 * token over the full URL (query included, as Twilio requested it)
 * followed by every POST parameter's name and value, sorted by name (and,
 * for a repeated name, by value), then base64. No parsing, hashing or
 * comparison here logs or keeps a secret.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/assert.h"
#include "core/base64.h"
#include "intake/intake.h"

/* --- form bodies --------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decodes s[0..len) in place ('+' and %XX); returns the decoded length.
 * The output never outgrows the input, so decoding in place is safe. */
static size_t form_decode(char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < len) {
            int hi = hex_value(s[i + 1]);
            int lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                c = (char)(hi * 16 + lo);
                i += 2;
            }
        }
        s[o++] = c;
    }
    return o;
}

enum lu_rc intake_form_parse(const char *body, size_t len, struct form *out)
{
    memset(out, 0, sizeof *out);
    out->buf = malloc(len + 1);
    if (out->buf == NULL) {
        return LU_NOMEM;
    }
    if (len > 0) {
        memcpy(out->buf, body, len);
    }
    out->buf[len] = '\0';
    char *p = out->buf;
    char *end = out->buf + len;
    while (p < end) {
        char *amp = memchr(p, '&', (size_t)(end - p));
        char *seg_end = amp ? amp : end;
        if (seg_end > p) {
            if (out->n == INTAKE_FORM_PARAMS_MAX) {
                return LU_TOO_LARGE;
            }
            struct form_pair *pair = &out->pairs[out->n++];
            char *eq = memchr(p, '=', (size_t)(seg_end - p));
            char *name_end = eq ? eq : seg_end;
            pair->name = p;
            pair->name_len = form_decode(p, (size_t)(name_end - p));
            p[pair->name_len] = '\0';
            if (eq != NULL) {
                pair->value = eq + 1;
                pair->value_len = form_decode(eq + 1, (size_t)(seg_end - eq - 1));
                eq[1 + pair->value_len] = '\0';
            } else {
                pair->value = "";
                pair->value_len = 0;
            }
        }
        p = seg_end + 1;
    }
    return LU_OK;
}

void intake_form_free(struct form *f)
{
    free(f->buf);
    f->buf = NULL;
    f->n = 0;
}

const char *intake_form_get(const struct form *f, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < f->n; i++) {
        if (f->pairs[i].name_len == len && memcmp(f->pairs[i].name, name, len) == 0) {
            return f->pairs[i].value;
        }
    }
    return NULL;
}

/* --- the signature -------------------------------------------------------- */

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0) {
        return c;
    }
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static int pair_cmp(const void *x, const void *y)
{
    const struct form_pair *a = *(const struct form_pair *const *)x;
    const struct form_pair *b = *(const struct form_pair *const *)y;
    int c = bytes_cmp(a->name, a->name_len, b->name, b->name_len);
    return c != 0 ? c : bytes_cmp(a->value, a->value_len, b->value, b->value_len);
}

enum lu_rc intake_twilio_signature(const char *token, const char *url, const struct form *f,
                                   char out[TWILIO_SIGNATURE_BYTES])
{
    LU_ASSERT(token != NULL && url != NULL && f->n <= INTAKE_FORM_PARAMS_MAX);
    const struct form_pair *sorted[INTAKE_FORM_PARAMS_MAX];
    size_t total = strlen(url);
    for (size_t i = 0; i < f->n; i++) {
        sorted[i] = &f->pairs[i];
        total += f->pairs[i].name_len + f->pairs[i].value_len;
    }
    qsort(sorted, f->n, sizeof sorted[0], pair_cmp);
    char *data = malloc(total + 1);
    if (data == NULL) {
        return LU_NOMEM;
    }
    size_t len = strlen(url);
    memcpy(data, url, len);
    for (size_t i = 0; i < f->n; i++) {
        memcpy(data + len, sorted[i]->name, sorted[i]->name_len);
        len += sorted[i]->name_len;
        memcpy(data + len, sorted[i]->value, sorted[i]->value_len);
        len += sorted[i]->value_len;
    }
    LU_ASSERT(len == total);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    unsigned char *ok = HMAC(EVP_sha1(), token, (int)strlen(token), (const unsigned char *)data,
                             len, mac, &mac_len);
    free(data);
    if (ok == NULL) {
        return LU_NOMEM;
    }
    LU_ASSERT(mac_len == 20);
    char *b64 = b64_encode(mac, mac_len);
    if (b64 == NULL) {
        return LU_NOMEM;
    }
    LU_ASSERT(strlen(b64) == TWILIO_SIGNATURE_BYTES - 1);
    memcpy(out, b64, TWILIO_SIGNATURE_BYTES);
    free(b64);
    return LU_OK;
}

/*
 * The same URL with its port toggled, as RequestValidator.validate tries:
 * an explicit port removed, or the scheme's default port (443 for https,
 * else 80) added. False when url has no "scheme://" or does not fit.
 */
static bool url_port_toggled(const char *url, char *out, size_t cap)
{
    const char *sep = strstr(url, "://");
    if (sep == NULL) {
        return false;
    }
    const char *host = sep + 3;
    size_t auth_len = strcspn(host, "/?#");
    const char *auth_end = host + auth_len;
    /* The port's colon is the last one after any "]" of an IPv6 literal. */
    const char *colon = NULL;
    for (const char *p = host; p < auth_end; p++) {
        if (*p == ']') {
            colon = NULL;
        } else if (*p == ':') {
            colon = p;
        }
    }
    size_t need;
    if (colon != NULL) {
        need = (size_t)(colon - url) + strlen(auth_end) + 1;
        if (need > cap) {
            return false;
        }
        memcpy(out, url, (size_t)(colon - url));
        memcpy(out + (colon - url), auth_end, strlen(auth_end) + 1);
        return true;
    }
    const char *port = strncasecmp(url, "https://", 8) == 0 ? ":443" : ":80";
    need = (size_t)(auth_end - url) + strlen(port) + strlen(auth_end) + 1;
    if (need > cap) {
        return false;
    }
    size_t n = (size_t)(auth_end - url);
    memcpy(out, url, n);
    memcpy(out + n, port, strlen(port));
    memcpy(out + n + strlen(port), auth_end, strlen(auth_end) + 1);
    return true;
}

static bool signature_equal(const char *token, const char *url, const struct form *f,
                            const char *signature)
{
    char expected[TWILIO_SIGNATURE_BYTES];
    if (intake_twilio_signature(token, url, f, expected) != LU_OK) {
        return false;
    }
    /* The length of a signature is public (always 28); the bytes are not. */
    if (strlen(signature) != TWILIO_SIGNATURE_BYTES - 1) {
        return false;
    }
    return CRYPTO_memcmp(expected, signature, TWILIO_SIGNATURE_BYTES - 1) == 0;
}

bool intake_twilio_verify(const char *token, const char *url, const struct form *f,
                          const char *signature)
{
    if (token == NULL || token[0] == '\0' || signature == NULL || signature[0] == '\0' ||
        url == NULL) {
        return false;
    }
    if (signature_equal(token, url, f, signature)) {
        return true;
    }
    size_t cap = strlen(url) + 8;
    char *other = malloc(cap);
    bool ok = other != NULL && url_port_toggled(url, other, cap) &&
              signature_equal(token, other, f, signature);
    free(other);
    return ok;
}

/* --- a message webhook ---------------------------------------------------- */

bool intake_twilio_is_status(const struct form *f)
{
    const char *status = intake_form_get(f, "SmsStatus");
    if (status == NULL) {
        status = intake_form_get(f, "MessageStatus");
    }
    return status != NULL && strcmp(status, "received") != 0;
}

static const char *first_of(const struct form *f, const char *a, const char *b, const char *c)
{
    const char *v = intake_form_get(f, a);
    if ((v == NULL || v[0] == '\0') && b != NULL) {
        v = intake_form_get(f, b);
    }
    if ((v == NULL || v[0] == '\0') && c != NULL) {
        v = intake_form_get(f, c);
    }
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* NumMedia as 0..INTAKE_MEDIA_MAX; -1 when malformed or larger. */
static int media_count(const char *s)
{
    if (s == NULL || s[0] == '\0') {
        return 0;
    }
    int n = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || p - s > 3) {
            return -1;
        }
        n = n * 10 + (*p - '0');
    }
    return n <= INTAKE_MEDIA_MAX ? n : -1;
}

static enum lu_rc media_read(const struct form *f, int count, json_t **out)
{
    *out = NULL;
    if (count == 0) {
        return LU_OK;
    }
    json_t *list = json_array();
    for (int i = 0; list != NULL && i < count; i++) {
        char url_name[32];
        char type_name[40];
        snprintf(url_name, sizeof url_name, "MediaUrl%d", i);
        snprintf(type_name, sizeof type_name, "MediaContentType%d", i);
        const char *url = intake_form_get(f, url_name);
        if (url == NULL || url[0] == '\0') {
            continue; /* Twilio numbers them from 0; a gap is skipped, not invented */
        }
        const char *type = intake_form_get(f, type_name);
        json_t *item = json_pack("{s:s, s:s?}", "url", url, "content_type",
                                 type && type[0] ? type : NULL);
        if (item == NULL || json_array_append_new(list, item) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    if (list == NULL) {
        return LU_NOMEM;
    }
    *out = list;
    return LU_OK;
}

enum lu_rc intake_twilio_message(const struct form *f, struct intake_message *m, json_t **media,
                                 const char **field)
{
    memset(m, 0, sizeof *m);
    *media = NULL;
    *field = NULL;
    m->provider = "twilio";
    m->provider_id = first_of(f, "MessageSid", "SmsMessageSid", "SmsSid");
    if (m->provider_id == NULL || strlen(m->provider_id) > INTAKE_PROVIDER_ID_BYTES_MAX) {
        *field = "MessageSid";
        return LU_INVALID;
    }
    m->from_addr = first_of(f, "From", NULL, NULL);
    if (m->from_addr == NULL) {
        *field = "From";
        return LU_INVALID;
    }
    int count = media_count(intake_form_get(f, "NumMedia"));
    if (count < 0) {
        *field = "NumMedia";
        return LU_INVALID;
    }
    m->to_addr = first_of(f, "To", NULL, NULL);
    m->body = intake_form_get(f, "Body");
    if (strncasecmp(m->from_addr, "whatsapp:", 9) == 0) {
        m->channel = "whatsapp";
    } else {
        m->channel = count > 0 ? "mms" : "sms";
    }
    enum lu_rc rc = media_read(f, count, media);
    m->media = *media;
    return rc;
}
