/*
 * auth.c — service key and operator tokens (see auth.h).
 *
 * The service key is compared through SHA-256 digests with CRYPTO_memcmp, so
 * neither its content nor its length shows in timing. Tokens go to
 * jwt_verify, which owns the algorithm rules; here we only read the claims.
 */
#include "auth/auth.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/jwt.h"
#include "core/clock.h"
#include "core/fetch.h"
#include "core/log.h"

/* SPEC §4: exp and nbf are enforced with 60 s leeway for clock skew. */
#define JWT_LEEWAY_S 60

#define JWKS_FETCH_TIMEOUT_MS 5000

struct auth {
    bool have_service_key;
    unsigned char service_digest[32];
    char *hs256_secret;
    jwt_keyset *keys;
    char *issuer;
};

static void sha256(const void *data, size_t len, unsigned char out[32])
{
    unsigned int n = 32;
    EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

static enum lu_rc read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return LU_IO;
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
    *out = buf;
    *len = n;
    return LU_OK;
}

static enum lu_rc load_jwks(const struct lu_config *cfg, jwt_keyset **out, char *err, size_t cap)
{
    char *text = NULL;
    size_t len = 0;
    const char *name = cfg->jwks_file ? "LUCIA_JWKS_FILE" : "LUCIA_JWKS_URL";
    enum lu_rc rc = cfg->jwks_file
                        ? read_file(cfg->jwks_file, &text, &len)
                        : fetch_get(cfg->jwks_url, JWKS_FETCH_TIMEOUT_MS, JWT_JWKS_BYTES_MAX, &text,
                                    &len);
    if (rc != LU_OK) {
        snprintf(err, cap, "%s could not be read (%s)", name, lu_rc_name(rc));
        return LU_INVALID;
    }
    rc = jwt_keyset_parse(text, len, out);
    free(text);
    if (rc != LU_OK) {
        snprintf(err, cap, "%s is not a usable JWKS document", name);
        return LU_INVALID;
    }
    return LU_OK;
}

enum lu_rc auth_new(const struct lu_config *cfg, struct auth **out, char *err, size_t cap)
{
    struct auth *a = calloc(1, sizeof *a);
    if (a == NULL) {
        return LU_NOMEM;
    }
    if (cfg->service_key != NULL) {
        a->have_service_key = true;
        sha256(cfg->service_key, strlen(cfg->service_key), a->service_digest);
    }
    if (cfg->jwt_secret != NULL && (a->hs256_secret = strdup(cfg->jwt_secret)) == NULL) {
        auth_free(a);
        return LU_NOMEM;
    }
    if (cfg->jwt_issuer != NULL && (a->issuer = strdup(cfg->jwt_issuer)) == NULL) {
        auth_free(a);
        return LU_NOMEM;
    }
    if (cfg->jwks_file != NULL || cfg->jwks_url != NULL) {
        enum lu_rc rc = load_jwks(cfg, &a->keys, err, cap);
        if (rc != LU_OK) {
            auth_free(a);
            return rc;
        }
    }
    *out = a;
    return LU_OK;
}

void auth_free(struct auth *a)
{
    if (a == NULL) {
        return;
    }
    if (a->hs256_secret != NULL) {
        OPENSSL_cleanse(a->hs256_secret, strlen(a->hs256_secret));
        free(a->hs256_secret);
    }
    jwt_keyset_free(a->keys);
    free(a->issuer);
    OPENSSL_cleanse(a, sizeof *a);
    free(a);
}

bool auth_configured(const struct auth *a)
{
    return a->have_service_key || a->hs256_secret != NULL || a->keys != NULL;
}

void principal_clear(struct principal *p)
{
    for (size_t i = 0; i < p->nproperties; i++) {
        free(p->properties[i]);
    }
    free(p->properties);
    memset(p, 0, sizeof *p);
}

static enum lu_rc claims_read(json_t *claims, struct principal *p, const char **why)
{
    json_t *sub = json_object_get(claims, "sub");
    if (!json_is_string(sub) || json_string_length(sub) == 0 ||
        json_string_length(sub) >= sizeof p->sub) {
        *why = "token has no usable sub";
        return LU_UNAUTHORIZED;
    }
    snprintf(p->sub, sizeof p->sub, "%s", json_string_value(sub));
    json_t *role = json_object_get(claims, "role");
    const char *r = json_is_string(role) ? json_string_value(role) : "viewer";
    if (role != NULL && !json_is_string(role)) {
        *why = "role claim is not a string";
        return LU_UNAUTHORIZED;
    }
    if (strcmp(r, "owner") == 0) {
        p->role = ROLE_OWNER;
        p->all_properties = true;
    } else if (strcmp(r, "operator") == 0) {
        p->role = ROLE_OPERATOR;
    } else if (strcmp(r, "viewer") == 0) {
        p->role = ROLE_VIEWER;
    } else {
        *why = "unknown role";
        return LU_UNAUTHORIZED;
    }
    json_t *props = json_object_get(claims, "properties");
    if (props == NULL || p->all_properties) {
        return LU_OK;
    }
    if (!json_is_array(props) || json_array_size(props) > AUTH_PROPERTIES_MAX) {
        *why = "properties claim is not a list of at most 256 ids";
        return LU_UNAUTHORIZED;
    }
    p->properties = calloc(json_array_size(props) + 1, sizeof *p->properties);
    if (p->properties == NULL) {
        return LU_NOMEM;
    }
    size_t i;
    json_t *v;
    json_array_foreach(props, i, v)
    {
        if (!json_is_string(v)) {
            *why = "properties claim holds a non-string";
            return LU_UNAUTHORIZED;
        }
        p->properties[p->nproperties] = strdup(json_string_value(v));
        if (p->properties[p->nproperties] == NULL) {
            return LU_NOMEM;
        }
        p->nproperties++;
    }
    return LU_OK;
}

enum lu_rc auth_authenticate(const struct auth *a, const char *header, struct principal *out,
                             const char **why)
{
    memset(out, 0, sizeof *out);
    *why = "missing bearer token";
    if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0) {
        return LU_UNAUTHORIZED;
    }
    const char *token = header + 7;
    while (*token == ' ') {
        token++;
    }
    size_t len = strlen(token);
    if (len == 0) {
        return LU_UNAUTHORIZED;
    }
    if (a->have_service_key) {
        unsigned char digest[32];
        sha256(token, len, digest);
        if (CRYPTO_memcmp(digest, a->service_digest, sizeof digest) == 0) {
            out->role = ROLE_SERVICE;
            out->all_properties = true;
            snprintf(out->sub, sizeof out->sub, "service");
            return LU_OK;
        }
    }
    struct jwt_verifier v = {
        .hs256_secret = (const unsigned char *)a->hs256_secret,
        .hs256_secret_len = a->hs256_secret ? strlen(a->hs256_secret) : 0,
        .keys = a->keys,
        .issuer = a->issuer,
        .now_s = clock_now_s(),
        .leeway_s = JWT_LEEWAY_S,
    };
    if (v.hs256_secret == NULL && v.keys == NULL) {
        *why = "bearer token is not the service key and no JWT keys are configured";
        return LU_UNAUTHORIZED;
    }
    json_t *claims = NULL;
    enum lu_rc rc = jwt_verify(&v, token, len, &claims, why);
    if (rc != LU_OK) {
        return rc;
    }
    rc = claims_read(claims, out, why);
    json_decref(claims);
    if (rc != LU_OK) {
        principal_clear(out);
    }
    return rc;
}

bool principal_has_role(const struct principal *p, enum role min)
{
    if (p->guest) {
        return false; /* a guest holds no operator role */
    }
    return p->role >= min;
}

bool principal_sees(const struct principal *p, const char *property_id)
{
    if (p->all_properties) {
        return true;
    }
    if (property_id == NULL) {
        return false;
    }
    for (size_t i = 0; i < p->nproperties; i++) {
        if (strcmp(p->properties[i], property_id) == 0) {
            return true;
        }
    }
    return false;
}
