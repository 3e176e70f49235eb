/*
 * config.c — parse and validate the environment (see config.h).
 */
#include "core/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/limits.h"

/* Empty values count as unset: `FOO= lucia serve` must not configure FOO. */
static const char *get(config_lookup_fn lookup, const char *name)
{
    const char *v = lookup(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static bool parse_int(const char *s, long min, long max, int *out)
{
    /* strtol would accept " 80" and "+80"; a configuration value is digits. */
    if (!((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9'))) {
        return false;
    }
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        return false;
    }
    *out = (int)v;
    return true;
}

static bool int_var(config_lookup_fn lookup, const char *name, long min, long max, int *out,
                    char *err, size_t cap)
{
    const char *v = get(lookup, name);
    if (v == NULL) {
        return true;
    }
    if (!parse_int(v, min, max, out)) {
        snprintf(err, cap, "%s must be an integer from %ld to %ld", name, min, max);
        return false;
    }
    return true;
}

static bool bool_var(config_lookup_fn lookup, const char *name, bool *out, char *err, size_t cap)
{
    const char *v = get(lookup, name);
    if (v == NULL) {
        return true;
    }
    if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0) {
        *out = true;
    } else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0) {
        *out = false;
    } else {
        snprintf(err, cap, "%s must be 0 or 1", name);
        return false;
    }
    return true;
}

static bool parse_listen(const char *v, struct lu_config *cfg, char *err, size_t cap)
{
    const char *colon = strrchr(v, ':');
    if (colon == NULL || colon == v || (size_t)(colon - v) >= sizeof cfg->listen_addr ||
        !parse_int(colon + 1, 1, 65535, &cfg->port)) {
        snprintf(err, cap, "LUCIA_LISTEN must be addr:port, for example 127.0.0.1:8080");
        return false;
    }
    memcpy(cfg->listen_addr, v, (size_t)(colon - v));
    cfg->listen_addr[colon - v] = '\0';
    return true;
}

static bool parse_env_name(const char *v, enum lu_env *out)
{
    static const char *const names[] = {"development", "staging", "production"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = (enum lu_env)i;
            return true;
        }
    }
    return false;
}

const char *config_env_name(enum lu_env env)
{
    switch (env) {
    case ENV_DEVELOPMENT: return "development";
    case ENV_STAGING: return "staging";
    case ENV_PRODUCTION: return "production";
    }
    return "development";
}

static bool url_var(config_lookup_fn lookup, const char *name, const char *const *schemes,
                    const char **out, char *err, size_t cap)
{
    const char *v = get(lookup, name);
    if (v == NULL) {
        return true;
    }
    for (size_t i = 0; schemes[i] != NULL; i++) {
        size_t n = strlen(schemes[i]);
        const char *rest = v + n;
        bool host_first = strcmp(schemes[i], "unix://") != 0; /* unix:///path has none */
        if (strncmp(v, schemes[i], n) == 0 && rest[0] != '\0' && (!host_first || rest[0] != '/') &&
            strpbrk(rest, " \t\r\n") == NULL) {
            *out = v;
            return true;
        }
    }
    snprintf(err, cap, "%s must start with %s", name, schemes[0]);
    return false;
}

/*
 * In production, an integration that is switched on by one variable but lacks
 * the secret it needs stops start-up: running it half-configured would either
 * accept unsigned webhooks or silently never send. Each row is
 * "if `when` is set, `need` must be".
 */
struct requirement {
    const char *when;
    const char *need;
};

static const struct requirement production_requirements[] = {
    {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"},
    {"TWILIO_FROM_NUMBER", "TWILIO_ACCOUNT_SID"},
    {"TWILIO_WHATSAPP_FROM", "TWILIO_ACCOUNT_SID"},
    {"LUCIA_POSTMARK_USER", "LUCIA_POSTMARK_PASSWORD"},
    {"LUCIA_POSTMARK_PASSWORD", "LUCIA_POSTMARK_USER"},
    {"LUCIA_EMAIL_FROM", "RESEND_API_KEY"},
    {"RESEND_API_KEY", "LUCIA_EMAIL_FROM"},
    {"LUCIA_MODEL_FOCUS_OPS_REPLY", "OPENAI_API_KEY"},
};

/* SPEC §9 production posture: a service key or HS256 secret shorter than
 * 32 bytes (256 bits, HS256's own output size) is guessable or typed by
 * hand; 32 random bytes are not. */
#define CONFIG_SECRET_BYTES_MIN 32

static bool check_production(const struct lu_config *cfg, config_lookup_fn lookup, char *err,
                             size_t cap)
{
    if (cfg->service_key == NULL) {
        snprintf(err, cap, "LUCIA_SERVICE_KEY is required when LUCIA_ENV=production");
        return false;
    }
    if (strlen(cfg->service_key) < CONFIG_SECRET_BYTES_MIN) {
        snprintf(err, cap, "LUCIA_SERVICE_KEY must be at least %d bytes when LUCIA_ENV=production",
                 CONFIG_SECRET_BYTES_MIN);
        return false;
    }
    if (cfg->jwt_secret != NULL && strlen(cfg->jwt_secret) < CONFIG_SECRET_BYTES_MIN) {
        snprintf(err, cap, "LUCIA_JWT_SECRET (HS256) must be at least %d bytes when "
                           "LUCIA_ENV=production", CONFIG_SECRET_BYTES_MIN);
        return false;
    }
    bool metrics_allowed = false;
    if (!bool_var(lookup, "LUCIA_METRICS_PUBLIC_IN_PRODUCTION", &metrics_allowed, err, cap)) {
        return false;
    }
    if (cfg->metrics_public && !metrics_allowed) {
        snprintf(err, cap, "LUCIA_METRICS_PUBLIC=1 exposes /metrics without a key; in production "
                           "set LUCIA_METRICS_PUBLIC_IN_PRODUCTION=1 as well to allow it");
        return false;
    }
    if (cfg->jwt_issuer != NULL && cfg->jwt_secret == NULL && cfg->jwks_file == NULL &&
        cfg->jwks_url == NULL) {
        snprintf(err, cap,
                 "LUCIA_JWT_ISSUER is set but neither LUCIA_JWT_SECRET nor LUCIA_JWKS_FILE/"
                 "LUCIA_JWKS_URL is: operator tokens could not be verified");
        return false;
    }
    for (size_t i = 0; i < sizeof production_requirements / sizeof production_requirements[0];
         i++) {
        const struct requirement *r = &production_requirements[i];
        if (get(lookup, r->when) == NULL) {
            continue;
        }
        bool have = get(lookup, r->need) != NULL;
        if (!have && strcmp(r->need, "OPENAI_API_KEY") == 0) {
            have = cfg->openai_api_key != NULL;
        }
        if (!have) {
            snprintf(err, cap, "%s is set but %s is missing (required when LUCIA_ENV=production)",
                     r->when, r->need);
            return false;
        }
    }
    return true;
}

static void strings_load(struct lu_config *cfg, config_lookup_fn lookup)
{
    const char *v;
    cfg->db_path = (v = get(lookup, "LUCIA_DB_PATH")) ? v : "./var/lucia.db";
    cfg->redis_prefix = (v = get(lookup, "LUCIA_REDIS_PREFIX")) ? v : "lucia:";
    cfg->operator_time_zone = (v = get(lookup, "OPERATOR_TIME_ZONE")) ? v : "America/Los_Angeles";
    cfg->service_key = get(lookup, "LUCIA_SERVICE_KEY");
    cfg->jwt_secret = get(lookup, "LUCIA_JWT_SECRET");
    cfg->jwks_file = get(lookup, "LUCIA_JWKS_FILE");
    cfg->jwt_issuer = get(lookup, "LUCIA_JWT_ISSUER");
    cfg->stripe_webhook_secret = get(lookup, "STRIPE_WEBHOOK_SECRET");
    cfg->twilio_auth_token = get(lookup, "TWILIO_AUTH_TOKEN");
    cfg->twilio_account_sid = get(lookup, "TWILIO_ACCOUNT_SID");
    cfg->twilio_from_number = get(lookup, "TWILIO_FROM_NUMBER");
    cfg->twilio_whatsapp_from = get(lookup, "TWILIO_WHATSAPP_FROM");
    cfg->postmark_user = get(lookup, "LUCIA_POSTMARK_USER");
    cfg->postmark_password = get(lookup, "LUCIA_POSTMARK_PASSWORD");
    cfg->resend_api_key = get(lookup, "RESEND_API_KEY");
    cfg->email_from = get(lookup, "LUCIA_EMAIL_FROM");
    cfg->openai_api_key = get(lookup, "LUCIA_OPENAI_API_KEY");
    if (cfg->openai_api_key == NULL) {
        cfg->openai_api_key = get(lookup, "OPENAI_API_KEY");
    }
    cfg->model_focus = get(lookup, "LUCIA_MODEL_FOCUS_OPS_REPLY");
    cfg->log_level = (v = get(lookup, "LUCIA_LOG_LEVEL")) ? v : "info";
    cfg->access_aud = get(lookup, "LUCIA_ACCESS_AUD");
    cfg->access_jwks_file = get(lookup, "LUCIA_ACCESS_JWKS_FILE");
    cfg->access_issuer = get(lookup, "LUCIA_ACCESS_ISSUER");
    cfg->allowed_emails = get(lookup, "LUCIA_ALLOWED_EMAILS");
    cfg->crash_dir = get(lookup, "LUCIA_CRASH_DIR");
}

static bool urls_load(struct lu_config *cfg, config_lookup_fn lookup, char *err, size_t cap)
{
    static const char *const pg[] = {"postgres://", "postgresql://", NULL};
    static const char *const redis[] = {"redis://", "rediss://", "unix://", NULL};
    static const char *const http[] = {"https://", "http://", NULL};
    cfg->resend_api_url = "https://api.resend.com";
    cfg->twilio_api_url = "https://api.twilio.com";
    const char *pub = NULL;
    if (!url_var(lookup, "DATABASE_URL", pg, &cfg->database_url, err, cap) ||
        !url_var(lookup, "REDIS_URL", redis, &cfg->redis_url, err, cap) ||
        !url_var(lookup, "LUCIA_JWKS_URL", http, &cfg->jwks_url, err, cap) ||
        !url_var(lookup, "LUCIA_ACCESS_JWKS_URL", http, &cfg->access_jwks_url, err, cap) ||
        !url_var(lookup, "SENTRY_DSN", http, &cfg->sentry_dsn, err, cap) ||
        !url_var(lookup, "RESEND_API_URL", http, &cfg->resend_api_url, err, cap) ||
        !url_var(lookup, "TWILIO_API_URL", http, &cfg->twilio_api_url, err, cap) ||
        !url_var(lookup, "OPENAI_BASE_URL", http, &cfg->openai_base_url, err, cap) ||
        !url_var(lookup, "LUCIA_PUBLIC_URL", http, &pub, err, cap)) {
        return false;
    }
    if (pub != NULL) {
        size_t n = strlen(pub);
        while (n > 0 && pub[n - 1] == '/') {
            n--; /* signatures are computed over base + path; no doubled slash */
        }
        if (n >= sizeof cfg->public_url) {
            snprintf(err, cap, "LUCIA_PUBLIC_URL is longer than %zu bytes",
                     sizeof cfg->public_url - 1);
            return false;
        }
        memcpy(cfg->public_url, pub, n);
        cfg->public_url[n] = '\0';
    } else {
        snprintf(cfg->public_url, sizeof cfg->public_url, "http://127.0.0.1:%d", cfg->port);
    }
    return true;
}

enum lu_rc config_load(struct lu_config *cfg, config_lookup_fn lookup, char *err, size_t cap)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen_addr, sizeof cfg->listen_addr, "127.0.0.1");
    cfg->port = 8080;
    cfg->db_pool = 8;
    cfg->session_ttl_s = 1800;
    cfg->guest_code_ttl_s = GUEST_CODE_TTL_S_DEFAULT;
    cfg->guest_signin_rate_limit = GUEST_SIGNIN_RATE_LIMIT_DEFAULT;
    cfg->stripe_tolerance_s = 300;
    cfg->outbox_backoff_ms = OUTBOX_BACKOFF_MS_DEFAULT;
    cfg->outbox_timeout_ms = OUTBOX_TIMEOUT_MS_DEFAULT;
    cfg->auto_migrate = true;
    /* A worker waiting for its batch's fsync or for PostgreSQL holds no
     * core, and a group commit holds at most one request per waiting
     * worker: 4 per core, at least 16 (docs/PERFORMANCE.md, change 7). */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long threads = cores < 1 ? THREADS_DEFAULT_MIN : 4 * cores;
    cfg->threads = threads < THREADS_DEFAULT_MIN ? THREADS_DEFAULT_MIN
                   : threads > THREADS_MAX       ? THREADS_MAX
                                                 : (int)threads;
    err[0] = '\0';

    const char *v;
    if ((v = get(lookup, "LUCIA_ENV")) != NULL && !parse_env_name(v, &cfg->env)) {
        snprintf(err, cap, "LUCIA_ENV must be development, staging or production");
        return LU_INVALID;
    }
    if (!int_var(lookup, "PORT", 1, 65535, &cfg->port, err, cap)) {
        return LU_INVALID;
    }
    if ((v = get(lookup, "LUCIA_LISTEN")) != NULL && !parse_listen(v, cfg, err, cap)) {
        return LU_INVALID;
    }
    if (!int_var(lookup, "LUCIA_DB_POOL", 1, DB_POOL_MAX, &cfg->db_pool, err, cap) ||
        !int_var(lookup, "LUCIA_SESSION_TTL_SECONDS", 1, 30 * 86400, &cfg->session_ttl_s, err,
                 cap) ||
        !int_var(lookup, "LUCIA_STRIPE_TOLERANCE_SECONDS", 1, 86400, &cfg->stripe_tolerance_s,
                 err, cap) ||
        !int_var(lookup, "LUCIA_GUEST_CODE_TTL_SECONDS", 1, GUEST_CODE_TTL_S_DEFAULT,
                 &cfg->guest_code_ttl_s, err, cap) ||
        !int_var(lookup, "LUCIA_GUEST_SIGNIN_RATE_LIMIT", 1, 100000,
                 &cfg->guest_signin_rate_limit, err, cap) ||
        !int_var(lookup, "LUCIA_THREADS", 1, THREADS_MAX, &cfg->threads, err, cap) ||
        !int_var(lookup, "LUCIA_OUTBOX_BACKOFF_MS", 1, OUTBOX_BACKOFF_MAX_MS,
                 &cfg->outbox_backoff_ms, err, cap) ||
        !int_var(lookup, "LUCIA_OUTBOX_TIMEOUT_MS", OUTBOX_TIMEOUT_MS_MIN, OUTBOX_TIMEOUT_MS_MAX,
                 &cfg->outbox_timeout_ms, err, cap) ||
        !bool_var(lookup, "LUCIA_AUTO_MIGRATE", &cfg->auto_migrate, err, cap) ||
        !bool_var(lookup, "LUCIA_METRICS_PUBLIC", &cfg->metrics_public, err, cap) ||
        !bool_var(lookup, "LUCIA_TEST_CRASH_ROUTE", &cfg->test_crash_route, err, cap)) {
        return LU_INVALID;
    }
    strings_load(cfg, lookup);
    if (!urls_load(cfg, lookup, err, cap)) {
        return LU_INVALID;
    }
    /* SQLite's connections are in-process and cheap: by default one per
     * worker and two spare, so every waiting worker's write can join one
     * group commit. PostgreSQL's stay at 8 per process (its
     * max_connections is shared by every process). */
    if (cfg->database_url == NULL && get(lookup, "LUCIA_DB_POOL") == NULL) {
        cfg->db_pool = cfg->threads + 2 > DB_POOL_MAX ? DB_POOL_MAX : cfg->threads + 2;
    }
    if (!clock_zone_valid(cfg->operator_time_zone)) {
        snprintf(err, cap, "OPERATOR_TIME_ZONE must be an IANA time zone such as Europe/Rome");
        return LU_INVALID;
    }
    /* The deliberate-crash route exists for tests only: never outside
     * development, whatever else is set. */
    if (cfg->test_crash_route && cfg->env != ENV_DEVELOPMENT) {
        snprintf(err, cap, "LUCIA_TEST_CRASH_ROUTE is only allowed when LUCIA_ENV=development");
        return LU_INVALID;
    }
    /* A half-configured front door would either lock everyone out or
     * (worse) look on while letting everyone in: refuse it everywhere. */
    bool access_keys = cfg->access_jwks_file != NULL || cfg->access_jwks_url != NULL;
    if ((cfg->access_aud != NULL) != access_keys ||
        (cfg->env == ENV_PRODUCTION && (cfg->access_issuer || cfg->allowed_emails) &&
         cfg->access_aud == NULL)) {
        snprintf(err, cap, "LUCIA_ACCESS_AUD and LUCIA_ACCESS_JWKS_FILE (or LUCIA_ACCESS_JWKS_URL) "
                           "must be set together");
        return LU_INVALID;
    }
    /* LUCIA_JWT_SECRET and a JWKS may both be set: HS256 tokens use the
     * secret, RS256/ES256 tokens the JWKS, never the other way round. */
    if (cfg->env == ENV_PRODUCTION && !check_production(cfg, lookup, err, cap)) {
        return LU_INVALID;
    }
    return LU_OK;
}
