/*
 * access.c — Cloudflare Access verification (see access.h).
 *
 * Keys come from LUCIA_ACCESS_JWKS_FILE or LUCIA_ACCESS_JWKS_URL. With a URL,
 * a token naming an unknown "kid" (Cloudflare rotated its keys) triggers one
 * refetch, at most once per ACCESS_JWKS_REFRESH_INTERVAL_S, then one retry.
 * Verification runs under a read lock so requests never wait on each other;
 * only the swap of a refreshed key set takes the write lock.
 */
#include "ops/access.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/jwt.h"
#include "core/assert.h"
#include "core/base64.h"
#include "core/clock.h"
#include "core/fetch.h"
#include "ops/status.h"

/* Clock skew allowed on "exp", as for operator tokens. */
#define ACCESS_LEEWAY_S 60

static const struct lu_config *g_cfg;
static jwt_keyset *g_keys;
static pthread_rwlock_t g_keys_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t g_fetch_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t g_refreshed_s; /* last refresh by an unknown kid; 0 = none yet */
static atomic_uint g_fetches;
static _Atomic int64_t g_last_verified_s;

static enum lu_rc read_file(const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return LU_UNAVAILABLE;
    }
    char *buf = malloc(JWT_JWKS_BYTES_MAX + 1);
    size_t n = buf ? fread(buf, 1, JWT_JWKS_BYTES_MAX + 1, f) : 0;
    fclose(f);
    if (buf == NULL) {
        return LU_NOMEM;
    }
    if (n > JWT_JWKS_BYTES_MAX) {
        free(buf);
        return LU_TOO_LARGE;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return LU_OK;
}

/* Reads and parses the configured key set into *out (owned). */
static enum lu_rc keys_load(jwt_keyset **out)
{
    char *text = NULL;
    size_t len = 0;
    enum lu_rc rc;
    if (g_cfg->access_jwks_file != NULL) {
        rc = read_file(g_cfg->access_jwks_file, &text, &len);
    } else {
        atomic_fetch_add(&g_fetches, 1);
        rc = fetch_get(g_cfg->access_jwks_url, ACCESS_JWKS_FETCH_TIMEOUT_MS, JWT_JWKS_BYTES_MAX,
                       &text, &len);
    }
    if (rc != LU_OK) {
        return rc;
    }
    rc = jwt_keyset_parse(text, len, out);
    free(text);
    return rc;
}

/* The /admin/status row: tested once a token was admitted in this process. */
static void status_row(struct lu_app *app, struct ops_row *row)
{
    (void)app;
    if (g_cfg == NULL) {
        row->state = OPS_DEFERRED;
        snprintf(row->why, sizeof row->why,
                 "no LUCIA_ACCESS_AUD and JWKS: the Cloudflare Access front door is off");
        return;
    }
    row->proved_s = access_last_verified_s();
    row->state = row->proved_s > 0 ? OPS_TESTED : OPS_CONFIGURED;
    snprintf(row->why, sizeof row->why, "%s",
             row->proved_s > 0 ? "an Access token was verified in this process"
                               : "keys loaded; no Access token verified in this process yet");
    snprintf(row->detail, sizeof row->detail, "JWKS %s, %u fetches%s%s",
             g_cfg->access_jwks_file ? "file" : "URL", access_jwks_fetches(),
             g_cfg->access_issuer ? ", issuer checked" : "",
             g_cfg->allowed_emails ? ", email allow-list" : "");
}

enum lu_rc access_start(const struct lu_config *cfg, char *err, size_t cap)
{
    LU_ASSERT(cfg != NULL);
    ops_status_register("access", status_row);
    if (cfg->access_aud == NULL) {
        return LU_OK;
    }
    g_cfg = cfg;
    jwt_keyset *ks = NULL;
    enum lu_rc rc = keys_load(&ks);
    if (rc != LU_OK) {
        snprintf(err, cap, "%s is not a usable JWKS document (%s)",
                 cfg->access_jwks_file ? "LUCIA_ACCESS_JWKS_FILE" : "LUCIA_ACCESS_JWKS_URL",
                 lu_rc_name(rc));
        g_cfg = NULL;
        return LU_INVALID;
    }
    g_keys = ks;
    return LU_OK;
}

void access_stop(void)
{
    pthread_rwlock_wrlock(&g_keys_lock);
    jwt_keyset_free(g_keys);
    g_keys = NULL;
    pthread_rwlock_unlock(&g_keys_lock);
    g_cfg = NULL;
}

bool access_enabled(void)
{
    return g_cfg != NULL;
}

bool access_path_exempt(const char *path)
{
    static const char *const open_paths[] = {"/health", "/webhooks/stripe", "/webhooks/twilio",
                                             "/webhooks/postmark"};
    for (size_t i = 0; i < sizeof open_paths / sizeof open_paths[0]; i++) {
        if (strcmp(path, open_paths[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Cloudflare signs with RS256 only; jwt_verify would also take ES256 or
 * HS256, so the header's alg is checked here first. */
static bool header_is_rs256(const char *token)
{
    const char *dot = strchr(token, '.');
    if (dot == NULL || dot == token) {
        return false;
    }
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    if (b64url_decode(token, (size_t)(dot - token), &raw, &raw_len) != LU_OK) {
        return false;
    }
    json_t *header = json_loadb((const char *)raw, raw_len, 0, NULL);
    free(raw);
    const char *alg = json_string_value(json_object_get(header, "alg"));
    bool ok = alg != NULL && strcmp(alg, "RS256") == 0;
    json_decref(header);
    return ok;
}

static bool email_listed(const char *email, const char *csv)
{
    const char *p = csv;
    size_t email_len = strlen(email);
    for (int i = 0; i < ACCESS_EMAILS_MAX && *p != '\0'; i++) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;
        while (n > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
            n--;
        }
        if (n == email_len && n > 0 && strncasecmp(s, email, n) == 0) {
            return true;
        }
        if (end == NULL) {
            break;
        }
        p = end + 1;
    }
    return false;
}

bool access_claims_ok(const json_t *claims, const char *aud, const char *emails_csv,
                      const char **why)
{
    LU_ASSERT(claims != NULL && aud != NULL && why != NULL);
    const json_t *a = json_object_get(claims, "aud");
    bool aud_ok = false;
    if (json_is_string(a)) {
        aud_ok = strcmp(json_string_value(a), aud) == 0;
    } else if (json_is_array(a)) {
        for (size_t i = 0; i < json_array_size(a) && i < JWT_JWKS_KEYS_MAX && !aud_ok; i++) {
            const char *s = json_string_value(json_array_get(a, i));
            aud_ok = s != NULL && strcmp(s, aud) == 0;
        }
    }
    if (!aud_ok) {
        *why = "aud does not contain LUCIA_ACCESS_AUD";
        return false;
    }
    if (json_object_get(claims, "exp") == NULL) {
        *why = "token has no exp";
        return false;
    }
    if (emails_csv != NULL) {
        const char *email = json_string_value(json_object_get(claims, "email"));
        if (email == NULL || !email_listed(email, emails_csv)) {
            *why = "email is not in LUCIA_ALLOWED_EMAILS";
            return false;
        }
    }
    *why = "ok";
    return true;
}

static enum lu_rc verify(const char *token, json_t **claims, const char **why)
{
    pthread_rwlock_rdlock(&g_keys_lock);
    struct jwt_verifier v = {
        .keys = g_keys,
        .issuer = g_cfg->access_issuer,
        .now_s = clock_now_s(),
        .leeway_s = ACCESS_LEEWAY_S,
    };
    enum lu_rc rc = jwt_verify(&v, token, strlen(token), claims, why);
    pthread_rwlock_unlock(&g_keys_lock);
    return rc;
}

/* Refetches the URL's key set unless one was fetched within the interval.
 * True when a new set is in place. */
static bool keys_refresh(void)
{
    if (g_cfg->access_jwks_url == NULL) {
        return false;
    }
    pthread_mutex_lock(&g_fetch_lock);
    int64_t now = clock_now_s();
    /* The first unknown kid always refreshes (keys may rotate right after
     * start); later ones at most once per interval. */
    bool due = g_refreshed_s == 0 || now - g_refreshed_s >= ACCESS_JWKS_REFRESH_INTERVAL_S;
    jwt_keyset *ks = NULL;
    if (due) {
        g_refreshed_s = now;
        if (keys_load(&ks) != LU_OK) {
            ks = NULL; /* keep the old set: the collector may be briefly down */
        }
    }
    pthread_mutex_unlock(&g_fetch_lock);
    if (ks == NULL) {
        return false;
    }
    pthread_rwlock_wrlock(&g_keys_lock);
    jwt_keyset *old = g_keys;
    g_keys = ks;
    pthread_rwlock_unlock(&g_keys_lock);
    jwt_keyset_free(old);
    return true;
}

bool access_admit(const char *path, const char *token, const char **why)
{
    LU_ASSERT(path != NULL && why != NULL);
    *why = "ok";
    if (g_cfg == NULL || access_path_exempt(path)) {
        return true;
    }
    if (token == NULL || token[0] == '\0') {
        *why = "Cf-Access-Jwt-Assertion is missing";
        return false;
    }
    if (strlen(token) > JWT_TOKEN_BYTES_MAX || !header_is_rs256(token)) {
        *why = "access token is not RS256";
        return false;
    }
    json_t *claims = NULL;
    enum lu_rc rc = verify(token, &claims, why);
    if (rc == LU_UNAUTHORIZED && strcmp(*why, "kid is not in the key set") == 0 && keys_refresh()) {
        rc = verify(token, &claims, why);
    }
    if (rc != LU_OK) {
        return false;
    }
    bool ok = access_claims_ok(claims, g_cfg->access_aud, g_cfg->allowed_emails, why);
    json_decref(claims);
    if (ok) {
        atomic_store(&g_last_verified_s, clock_now_s());
    }
    return ok;
}

int64_t access_last_verified_s(void)
{
    return atomic_load(&g_last_verified_s);
}

unsigned access_jwks_fetches(void)
{
    return atomic_load(&g_fetches);
}
