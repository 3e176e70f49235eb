/*
 * test_config.c — unit tests for core/config: config_load against a fake
 * environment table (no getenv), defaults, each invalid value stopping with a
 * message naming its variable, the production checks, and that no message
 * ever repeats a secret value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/limits.h"

/* Every secret value below contains this marker, so one search proves that an
 * error message repeats none of them. */
#define SECRET_MARK "s3cr3t"
/* Production wants at least 32 bytes (config.c). */
#define SERVICE_KEY "svc_" SECRET_MARK "_9f8e7d6c5b4a_0123456789abcdef"

struct env_var {
    const char *name;
    const char *value;
};

/* The fake environment config_load reads through env_lookup. A lookup
 * function takes no context, so the current table is file state. */
static const struct env_var *env_current;

static const char *env_lookup(const char *name)
{
    for (const struct env_var *v = env_current; v != NULL && v->name != NULL; v++) {
        if (strcmp(v->name, name) == 0) {
            return v->value;
        }
    }
    return NULL;
}

static enum lu_rc load(const struct env_var *env, struct lu_config *cfg, char *err, size_t cap)
{
    env_current = env;
    enum lu_rc rc = config_load(cfg, env_lookup, err, cap);
    env_current = NULL;
    return rc;
}

static void expect_ok(const struct env_var *env, struct lu_config *cfg)
{
    char err[512];
    enum lu_rc rc = load(env, cfg, err, sizeof err);
    if (rc != LU_OK) {
        fail_msg("expected LU_OK, got %d: %s", rc, err);
    }
    assert_string_equal(err, "");
}

/* Expects LU_INVALID with a message that names variable and holds no secret. */
static void expect_invalid(const struct env_var *env, const char *variable)
{
    struct lu_config cfg;
    char err[512];
    assert_int_equal(load(env, &cfg, err, sizeof err), LU_INVALID);
    if (strstr(err, variable) == NULL) {
        fail_msg("error \"%s\" does not name %s", err, variable);
    }
    if (strstr(err, SECRET_MARK) != NULL) {
        fail_msg("error \"%s\" repeats a secret", err);
    }
}

/* Sets one variable alone and expects it to be refused by name. */
static void expect_one_invalid(const char *name, const char *value)
{
    const struct env_var env[] = {{name, value}, {NULL, NULL}};
    expect_invalid(env, name);
}

static void test_defaults(void **state)
{
    (void)state;
    const struct env_var env[] = {{NULL, NULL}};
    struct lu_config cfg;
    expect_ok(env, &cfg);
    assert_int_equal(cfg.port, 8080);
    assert_string_equal(cfg.listen_addr, "127.0.0.1");
    assert_int_equal(cfg.env, ENV_DEVELOPMENT);
    assert_string_equal(cfg.db_path, "./var/lucia.db");
    assert_null(cfg.database_url);
    /* SQLite: a connection per worker and two spare (group commit). */
    assert_int_equal(cfg.db_pool, cfg.threads + 2);
    assert_null(cfg.redis_url);
    assert_string_equal(cfg.redis_prefix, "lucia:");
    assert_int_equal(cfg.session_ttl_s, 1800);
    assert_int_equal(cfg.stripe_tolerance_s, 300);
    assert_string_equal(cfg.public_url, "http://127.0.0.1:8080");
    assert_string_equal(cfg.operator_time_zone, "America/Los_Angeles");
    assert_string_equal(cfg.resend_api_url, "https://api.resend.com");
    assert_null(cfg.service_key);
    assert_null(cfg.jwt_secret);
    assert_null(cfg.openai_api_key);
    assert_true(cfg.auto_migrate);
    assert_false(cfg.metrics_public);
    /* 4 per core, at least 16 (docs/PERFORMANCE.md). */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long want = 4 * cores < THREADS_DEFAULT_MIN ? THREADS_DEFAULT_MIN
                : 4 * cores > THREADS_MAX      ? THREADS_MAX
                                               : 4 * cores;
    assert_int_equal(cfg.threads, want);
    /* A NULL table behaves like an empty environment too. */
    expect_ok(NULL, &cfg);
    assert_int_equal(cfg.port, 8080);
}

static void test_port(void **state)
{
    (void)state;
    const struct env_var env[] = {{"PORT", "9090"}, {NULL, NULL}};
    struct lu_config cfg;
    expect_ok(env, &cfg);
    assert_int_equal(cfg.port, 9090);
    assert_string_equal(cfg.listen_addr, "127.0.0.1");
    assert_string_equal(cfg.public_url, "http://127.0.0.1:9090");

    const struct env_var edges[] = {{"PORT", "1"}, {NULL, NULL}};
    expect_ok(edges, &cfg);
    assert_int_equal(cfg.port, 1);
    const struct env_var top[] = {{"PORT", "65535"}, {NULL, NULL}};
    expect_ok(top, &cfg);
    assert_int_equal(cfg.port, 65535);
}

static void test_port_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "0", "70000", "65536", "abc", "80x", "-1", "8080.0", "99999999999999999999", "0x50", " 80", "+80", "\n80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_one_invalid("PORT", bad[i]);
    }
}

static void test_listen(void **state)
{
    (void)state;
    const struct env_var env[] = {{"LUCIA_LISTEN", "0.0.0.0:9000"}, {NULL, NULL}};
    struct lu_config cfg;
    expect_ok(env, &cfg);
    assert_string_equal(cfg.listen_addr, "0.0.0.0");
    assert_int_equal(cfg.port, 9000);
    assert_string_equal(cfg.public_url, "http://127.0.0.1:9000");

    /* The port in LUCIA_LISTEN wins over PORT. */
    const struct env_var both[] = {
        {"PORT", "7000"}, {"LUCIA_LISTEN", "10.0.0.5:7001"}, {NULL, NULL}};
    expect_ok(both, &cfg);
    assert_string_equal(cfg.listen_addr, "10.0.0.5");
    assert_int_equal(cfg.port, 7001);
}

static void test_listen_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "0.0.0.0",
        ":9000",
        "0.0.0.0:",
        "0.0.0.0:0",
        "0.0.0.0:70000",
        "host:abc",
        "host:80x",
        /* 64 bytes of address do not fit listen_addr[64] with its NUL. */
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_one_invalid("LUCIA_LISTEN", bad[i]);
    }
    /* 63 bytes fit. */
    const struct env_var env[] = {
        {"LUCIA_LISTEN", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:80"},
        {NULL, NULL}};
    struct lu_config cfg;
    expect_ok(env, &cfg);
    assert_int_equal(strlen(cfg.listen_addr), 63);
}

static void test_env_names(void **state)
{
    (void)state;
    struct lu_config cfg;
    const struct env_var staging[] = {{"LUCIA_ENV", "staging"}, {NULL, NULL}};
    expect_ok(staging, &cfg);
    assert_int_equal(cfg.env, ENV_STAGING);
    const struct env_var dev[] = {{"LUCIA_ENV", "development"}, {NULL, NULL}};
    expect_ok(dev, &cfg);
    assert_int_equal(cfg.env, ENV_DEVELOPMENT);
    assert_string_equal(config_env_name(ENV_DEVELOPMENT), "development");
    assert_string_equal(config_env_name(ENV_STAGING), "staging");
    assert_string_equal(config_env_name(ENV_PRODUCTION), "production");

    static const char *const bad[] = {"prod", "Production", "test", "dev", "production "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_one_invalid("LUCIA_ENV", bad[i]);
    }
}

static void test_time_zone(void **state)
{
    (void)state;
    const struct env_var env[] = {{"OPERATOR_TIME_ZONE", "Europe/Rome"}, {NULL, NULL}};
    struct lu_config cfg;
    expect_ok(env, &cfg);
    assert_string_equal(cfg.operator_time_zone, "Europe/Rome");

    static const char *const bad[] = {"Mars/Olympus", "../etc/passwd",  "/etc/passwd",
                                      "Europe",       "Europe/Rome;rm", "Europe/../../etc/passwd"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_one_invalid("OPERATOR_TIME_ZONE", bad[i]);
    }
}

static void test_database_url(void **state)
{
    (void)state;
    struct lu_config cfg;
    const struct env_var pg[] = {{"DATABASE_URL", "postgresql://u:p@db.example/lucia"},
                                 {NULL, NULL}};
    expect_ok(pg, &cfg);
    assert_string_equal(cfg.database_url, "postgresql://u:p@db.example/lucia");
    const struct env_var pg2[] = {{"DATABASE_URL", "postgres://localhost/lucia"}, {NULL, NULL}};
    expect_ok(pg2, &cfg);
    assert_string_equal(cfg.database_url, "postgres://localhost/lucia");
    /* PostgreSQL's pool stays 8 per process whatever the thread count;
     * SQLite's follows LUCIA_THREADS unless LUCIA_DB_POOL is given. */
    assert_int_equal(cfg.db_pool, 8);
    const struct env_var pg3[] = {{"DATABASE_URL", "postgres://localhost/lucia"},
                                  {"LUCIA_THREADS", "40"},
                                  {NULL, NULL}};
    expect_ok(pg3, &cfg);
    assert_int_equal(cfg.db_pool, 8);
    const struct env_var sq[] = {{"LUCIA_THREADS", "40"}, {NULL, NULL}};
    expect_ok(sq, &cfg);
    assert_int_equal(cfg.db_pool, 42);
    const struct env_var sq_max[] = {{"LUCIA_THREADS", "64"}, {NULL, NULL}};
    expect_ok(sq_max, &cfg);
    assert_int_equal(cfg.db_pool, DB_POOL_MAX);
    const struct env_var sq_given[] = {{"LUCIA_THREADS", "40"}, {"LUCIA_DB_POOL", "5"},
                                       {NULL, NULL}};
    expect_ok(sq_given, &cfg);
    assert_int_equal(cfg.db_pool, 5);

    /* The message names the variable but never repeats the URL, which
     * usually carries a password. */
    expect_one_invalid("DATABASE_URL", "mysql://lucia:" SECRET_MARK "@db/lucia");
    expect_one_invalid("DATABASE_URL", "postgres:/" SECRET_MARK "@db/lucia");
    expect_one_invalid("DATABASE_URL", "postgres://");
    expect_one_invalid("DATABASE_URL", "sqlite:///var/lucia.db");
}

static void test_other_urls(void **state)
{
    (void)state;
    struct lu_config cfg;
    const struct env_var ok[] = {{"REDIS_URL", "rediss://:" SECRET_MARK "@cache:6380/0"},
                                 {"OPENAI_BASE_URL", "https://llm.example/v1"},
                                 {"RESEND_API_URL", "http://127.0.0.1:9999"},
                                 {NULL, NULL}};
    expect_ok(ok, &cfg);
    assert_string_equal(cfg.redis_url, "rediss://:" SECRET_MARK "@cache:6380/0");
    assert_string_equal(cfg.openai_base_url, "https://llm.example/v1");
    assert_string_equal(cfg.resend_api_url, "http://127.0.0.1:9999");

    expect_one_invalid("REDIS_URL", "http://:" SECRET_MARK "@cache");
    expect_one_invalid("LUCIA_JWKS_URL", "ftp://keys.example/jwks.json");
    expect_one_invalid("RESEND_API_URL", "api.resend.com");
    expect_one_invalid("OPENAI_BASE_URL", "https://");
}

static void test_public_url(void **state)
{
    (void)state;
    struct lu_config cfg;
    const struct env_var one[] = {{"LUCIA_PUBLIC_URL", "https://lucia.example.com/"}, {NULL, NULL}};
    expect_ok(one, &cfg);
    assert_string_equal(cfg.public_url, "https://lucia.example.com");
    const struct env_var many[] = {{"LUCIA_PUBLIC_URL", "https://lucia.example.com/base///"},
                                   {NULL, NULL}};
    expect_ok(many, &cfg);
    assert_string_equal(cfg.public_url, "https://lucia.example.com/base");
    const struct env_var none[] = {{"LUCIA_PUBLIC_URL", "http://10.0.0.1:8080"}, {NULL, NULL}};
    expect_ok(none, &cfg);
    assert_string_equal(cfg.public_url, "http://10.0.0.1:8080");

    expect_one_invalid("LUCIA_PUBLIC_URL", "lucia.example.com");
    expect_one_invalid("LUCIA_PUBLIC_URL", "ftp://lucia.example.com");
    expect_one_invalid("LUCIA_PUBLIC_URL", "http:///");
    expect_one_invalid("LUCIA_PUBLIC_URL", "https://a b");

    /* Longer than public_url[256]: refused, not cut. */
    char long_url[400];
    int n = snprintf(long_url, sizeof long_url, "https://");
    memset(long_url + n, 'a', 300);
    long_url[n + 300] = '\0';
    expect_one_invalid("LUCIA_PUBLIC_URL", long_url);
}

static void test_empty_is_unset(void **state)
{
    (void)state;
    const struct env_var env[] = {
        {"PORT", ""},
        {"LUCIA_LISTEN", ""},
        {"LUCIA_ENV", ""},
        {"LUCIA_DB_PATH", ""},
        {"DATABASE_URL", ""},
        {"LUCIA_DB_POOL", ""},
        {"REDIS_URL", ""},
        {"OPERATOR_TIME_ZONE", ""},
        {"LUCIA_SERVICE_KEY", ""},
        {"LUCIA_PUBLIC_URL", ""},
        {"LUCIA_AUTO_MIGRATE", ""},
        {"OPENAI_API_KEY", ""},
        {NULL, NULL},
    };
    struct lu_config cfg;
    expect_ok(env, &cfg);
    assert_int_equal(cfg.port, 8080);
    assert_string_equal(cfg.listen_addr, "127.0.0.1");
    assert_int_equal(cfg.env, ENV_DEVELOPMENT);
    assert_string_equal(cfg.db_path, "./var/lucia.db");
    assert_null(cfg.database_url);
    assert_int_equal(cfg.db_pool, cfg.threads + 2);
    assert_null(cfg.redis_url);
    assert_string_equal(cfg.operator_time_zone, "America/Los_Angeles");
    assert_null(cfg.service_key);
    assert_string_equal(cfg.public_url, "http://127.0.0.1:8080");
    assert_true(cfg.auto_migrate);
    assert_null(cfg.openai_api_key);

    /* An empty service key in production is a missing one. */
    const struct env_var prod[] = {
        {"LUCIA_ENV", "production"}, {"LUCIA_SERVICE_KEY", ""}, {NULL, NULL}};
    expect_invalid(prod, "LUCIA_SERVICE_KEY");
}

static void test_numbers_and_flags(void **state)
{
    (void)state;
    const struct env_var env[] = {
        {"LUCIA_DB_POOL", "64"},
        {"LUCIA_SESSION_TTL_SECONDS", "60"},
        {"LUCIA_STRIPE_TOLERANCE_SECONDS", "600"},
        {"LUCIA_THREADS", "2"},
        {"LUCIA_AUTO_MIGRATE", "0"},
        {"LUCIA_METRICS_PUBLIC", "true"},
        {NULL, NULL},
    };
    struct lu_config cfg;
    expect_ok(env, &cfg);
    assert_int_equal(cfg.db_pool, 64);
    assert_int_equal(cfg.session_ttl_s, 60);
    assert_int_equal(cfg.stripe_tolerance_s, 600);
    assert_int_equal(cfg.threads, 2);
    assert_false(cfg.auto_migrate);
    assert_true(cfg.metrics_public);

    expect_one_invalid("LUCIA_DB_POOL", "0");
    expect_one_invalid("LUCIA_DB_POOL", "65");
    expect_one_invalid("LUCIA_SESSION_TTL_SECONDS", "0");
    expect_one_invalid("LUCIA_SESSION_TTL_SECONDS", "30m");
    expect_one_invalid("LUCIA_STRIPE_TOLERANCE_SECONDS", "86401");
    expect_one_invalid("LUCIA_THREADS", "65");
    expect_one_invalid("LUCIA_AUTO_MIGRATE", "yes");
    expect_one_invalid("LUCIA_METRICS_PUBLIC", "TRUE");
}

/* Issue 11's production posture: key lengths and public metrics. */
static void test_production_posture(void **state)
{
    (void)state;
    const struct env_var short_key[] = {
        {"LUCIA_ENV", "production"}, {"LUCIA_SERVICE_KEY", "svc_" SECRET_MARK}, {NULL, NULL}};
    expect_invalid(short_key, "LUCIA_SERVICE_KEY");
    const struct env_var short_hs256[] = {{"LUCIA_ENV", "production"},
                                          {"LUCIA_SERVICE_KEY", SERVICE_KEY},
                                          {"LUCIA_JWT_SECRET", "jwt-" SECRET_MARK},
                                          {NULL, NULL}};
    expect_invalid(short_hs256, "LUCIA_JWT_SECRET");
    const struct env_var metrics[] = {{"LUCIA_ENV", "production"},
                                      {"LUCIA_SERVICE_KEY", SERVICE_KEY},
                                      {"LUCIA_METRICS_PUBLIC", "1"},
                                      {NULL, NULL}};
    expect_invalid(metrics, "LUCIA_METRICS_PUBLIC_IN_PRODUCTION");
    const struct env_var allowed[] = {{"LUCIA_ENV", "production"},
                                      {"LUCIA_SERVICE_KEY", SERVICE_KEY},
                                      {"LUCIA_METRICS_PUBLIC", "1"},
                                      {"LUCIA_METRICS_PUBLIC_IN_PRODUCTION", "1"},
                                      {NULL, NULL}};
    struct lu_config cfg;
    expect_ok(allowed, &cfg);
    assert_true(cfg.metrics_public);
    /* Staging and development keep short development secrets working. */
    const struct env_var staging[] = {{"LUCIA_ENV", "staging"},
                                      {"LUCIA_SERVICE_KEY", "short"},
                                      {"LUCIA_JWT_SECRET", "short"},
                                      {"LUCIA_METRICS_PUBLIC", "1"},
                                      {NULL, NULL}};
    expect_ok(staging, &cfg);
}

static void test_production_needs_service_key(void **state)
{
    (void)state;
    const struct env_var env[] = {{"LUCIA_ENV", "production"}, {NULL, NULL}};
    expect_invalid(env, "LUCIA_SERVICE_KEY");
    /* Development does not. */
    const struct env_var dev[] = {{"LUCIA_ENV", "development"}, {NULL, NULL}};
    struct lu_config cfg;
    expect_ok(dev, &cfg);
    const struct env_var staging[] = {{"LUCIA_ENV", "staging"}, {NULL, NULL}};
    expect_ok(staging, &cfg);
}

static void test_production_twilio(void **state)
{
    (void)state;
    const struct env_var env[] = {
        {"LUCIA_ENV", "production"},
        {"LUCIA_SERVICE_KEY", SERVICE_KEY},
        {"TWILIO_ACCOUNT_SID", "AC" SECRET_MARK "0123456789"},
        {NULL, NULL},
    };
    expect_invalid(env, "TWILIO_AUTH_TOKEN");
    /* The same without production is allowed. */
    const struct env_var dev[] = {
        {"LUCIA_SERVICE_KEY", SERVICE_KEY},
        {"TWILIO_ACCOUNT_SID", "AC" SECRET_MARK "0123456789"},
        {NULL, NULL},
    };
    struct lu_config cfg;
    expect_ok(dev, &cfg);
}

static void test_production_other_pairs(void **state)
{
    (void)state;
    const struct env_var postmark_user[] = {
        {"LUCIA_ENV", "production"},
        {"LUCIA_SERVICE_KEY", SERVICE_KEY},
        {"LUCIA_POSTMARK_USER", "postmark"},
        {NULL, NULL},
    };
    expect_invalid(postmark_user, "LUCIA_POSTMARK_PASSWORD");
    const struct env_var postmark_password[] = {
        {"LUCIA_ENV", "production"},
        {"LUCIA_SERVICE_KEY", SERVICE_KEY},
        {"LUCIA_POSTMARK_PASSWORD", "pm_" SECRET_MARK},
        {NULL, NULL},
    };
    expect_invalid(postmark_password, "LUCIA_POSTMARK_USER");
    const struct env_var email[] = {
        {"LUCIA_ENV", "production"},
        {"LUCIA_SERVICE_KEY", SERVICE_KEY},
        {"LUCIA_EMAIL_FROM", "desk@villa.example"},
        {NULL, NULL},
    };
    expect_invalid(email, "RESEND_API_KEY");
    const struct env_var resend[] = {
        {"LUCIA_ENV", "production"},
        {"LUCIA_SERVICE_KEY", SERVICE_KEY},
        {"RESEND_API_KEY", "re_" SECRET_MARK},
        {NULL, NULL},
    };
    expect_invalid(resend, "LUCIA_EMAIL_FROM");
    const struct env_var model[] = {
        {"LUCIA_ENV", "production"},
        {"LUCIA_SERVICE_KEY", SERVICE_KEY},
        {"LUCIA_MODEL_FOCUS_OPS_REPLY", "gpt-4o-mini"},
        {NULL, NULL},
    };
    expect_invalid(model, "OPENAI_API_KEY");
    const struct env_var issuer[] = {
        {"LUCIA_ENV", "production"},
        {"LUCIA_SERVICE_KEY", SERVICE_KEY},
        {"LUCIA_JWT_ISSUER", "https://clerk.villa.example"},
        {NULL, NULL},
    };
    expect_invalid(issuer, "LUCIA_JWT_ISSUER");
}

static void test_production_model_with_either_key(void **state)
{
    (void)state;
    struct lu_config cfg;
    const struct env_var lucia_key[] = {
        {"LUCIA_ENV", "production"},
        {"LUCIA_SERVICE_KEY", SERVICE_KEY},
        {"LUCIA_MODEL_FOCUS_OPS_REPLY", "gpt-4o-mini"},
        {"LUCIA_OPENAI_API_KEY", "sk-lucia-" SECRET_MARK},
        {NULL, NULL},
    };
    expect_ok(lucia_key, &cfg);
    const struct env_var plain_key[] = {
        {"LUCIA_ENV", "production"},
        {"LUCIA_SERVICE_KEY", SERVICE_KEY},
        {"LUCIA_MODEL_FOCUS_OPS_REPLY", "gpt-4o-mini"},
        {"OPENAI_API_KEY", "sk-plain-" SECRET_MARK},
        {NULL, NULL},
    };
    expect_ok(plain_key, &cfg);
}

static void test_production_complete(void **state)
{
    (void)state;
    const struct env_var env[] = {
        {"LUCIA_ENV", "production"},
        {"LUCIA_LISTEN", "0.0.0.0:8443"},
        {"LUCIA_SERVICE_KEY", SERVICE_KEY},
        {"LUCIA_JWT_SECRET", "jwt-" SECRET_MARK "-0123456789abcdef0123456789"},
        {"LUCIA_JWT_ISSUER", "https://clerk.villa.example"},
        {"LUCIA_PUBLIC_URL", "https://ops.villa.example/"},
        {"DATABASE_URL", "postgres://lucia:" SECRET_MARK "@db/lucia"},
        {"REDIS_URL", "redis://cache:6379/0"},
        {"STRIPE_WEBHOOK_SECRET", "whsec_" SECRET_MARK},
        {"TWILIO_ACCOUNT_SID", "AC0123456789"},
        {"TWILIO_AUTH_TOKEN", "tw_" SECRET_MARK},
        {"LUCIA_POSTMARK_USER", "postmark"},
        {"LUCIA_POSTMARK_PASSWORD", "pm_" SECRET_MARK},
        {"RESEND_API_KEY", "re_" SECRET_MARK},
        {"LUCIA_EMAIL_FROM", "desk@villa.example"},
        {"LUCIA_OPENAI_API_KEY", "sk-" SECRET_MARK},
        {"LUCIA_MODEL_FOCUS_OPS_REPLY", "gpt-4o-mini"},
        {"OPERATOR_TIME_ZONE", "Europe/Rome"},
        {NULL, NULL},
    };
    struct lu_config cfg;
    expect_ok(env, &cfg);
    assert_int_equal(cfg.env, ENV_PRODUCTION);
    assert_string_equal(cfg.listen_addr, "0.0.0.0");
    assert_int_equal(cfg.port, 8443);
    assert_string_equal(cfg.service_key, SERVICE_KEY);
    assert_string_equal(cfg.jwt_secret, "jwt-" SECRET_MARK "-0123456789abcdef0123456789");
    assert_string_equal(cfg.jwt_issuer, "https://clerk.villa.example");
    assert_string_equal(cfg.public_url, "https://ops.villa.example");
    assert_string_equal(cfg.database_url, "postgres://lucia:" SECRET_MARK "@db/lucia");
    assert_string_equal(cfg.redis_url, "redis://cache:6379/0");
    assert_string_equal(cfg.stripe_webhook_secret, "whsec_" SECRET_MARK);
    assert_string_equal(cfg.twilio_account_sid, "AC0123456789");
    assert_string_equal(cfg.twilio_auth_token, "tw_" SECRET_MARK);
    assert_string_equal(cfg.postmark_user, "postmark");
    assert_string_equal(cfg.postmark_password, "pm_" SECRET_MARK);
    assert_string_equal(cfg.resend_api_key, "re_" SECRET_MARK);
    assert_string_equal(cfg.email_from, "desk@villa.example");
    assert_string_equal(cfg.openai_api_key, "sk-" SECRET_MARK);
    assert_string_equal(cfg.model_focus, "gpt-4o-mini");
    assert_string_equal(cfg.operator_time_zone, "Europe/Rome");

    /* A JWKS instead of an HS256 secret satisfies the issuer rule too. */
    const struct env_var jwks[] = {
        {"LUCIA_ENV", "production"},
        {"LUCIA_SERVICE_KEY", SERVICE_KEY},
        {"LUCIA_JWT_ISSUER", "https://clerk.villa.example"},
        {"LUCIA_JWKS_URL", "https://clerk.villa.example/.well-known/jwks.json"},
        {NULL, NULL},
    };
    expect_ok(jwks, &cfg);
    assert_string_equal(cfg.jwks_url, "https://clerk.villa.example/.well-known/jwks.json");
}

static void test_openai_key_fallback(void **state)
{
    (void)state;
    struct lu_config cfg;
    const struct env_var plain[] = {{"OPENAI_API_KEY", "sk-plain"}, {NULL, NULL}};
    expect_ok(plain, &cfg);
    assert_string_equal(cfg.openai_api_key, "sk-plain");
    const struct env_var both[] = {
        {"OPENAI_API_KEY", "sk-plain"}, {"LUCIA_OPENAI_API_KEY", "sk-lucia"}, {NULL, NULL}};
    expect_ok(both, &cfg);
    assert_string_equal(cfg.openai_api_key, "sk-lucia");
    const struct env_var empty_lucia[] = {
        {"OPENAI_API_KEY", "sk-plain"}, {"LUCIA_OPENAI_API_KEY", ""}, {NULL, NULL}};
    expect_ok(empty_lucia, &cfg);
    assert_string_equal(cfg.openai_api_key, "sk-plain");
}

static void test_errors_never_hold_secrets(void **state)
{
    (void)state;
    /* Every secret set, plus one bad variable at a time: whichever check
     * fails, the message must not repeat a secret. */
    static const struct env_var bad[] = {
        {"PORT", SECRET_MARK},
        {"LUCIA_LISTEN", SECRET_MARK},
        {"LUCIA_ENV", SECRET_MARK},
        {"DATABASE_URL", "x" SECRET_MARK},
        {"REDIS_URL", "x" SECRET_MARK},
        {"LUCIA_PUBLIC_URL", "x" SECRET_MARK},
        {"OPERATOR_TIME_ZONE", SECRET_MARK "/Zone"},
        {"LUCIA_AUTO_MIGRATE", SECRET_MARK},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const struct env_var env[] = {
            bad[i],
            {"LUCIA_ENV", "production"},
            {"LUCIA_SERVICE_KEY", SERVICE_KEY},
            {"LUCIA_JWT_SECRET", "jwt-" SECRET_MARK "-0123456789abcdef0123456789"},
            {"STRIPE_WEBHOOK_SECRET", "whsec_" SECRET_MARK},
            {"TWILIO_AUTH_TOKEN", "tw_" SECRET_MARK},
            {"LUCIA_POSTMARK_PASSWORD", "pm_" SECRET_MARK},
            {"RESEND_API_KEY", "re_" SECRET_MARK},
            {NULL, NULL},
        };
        expect_invalid(env, bad[i].name);
    }
}

static void test_small_error_buffer(void **state)
{
    (void)state;
    /* A short buffer gets a cut, NUL-terminated message, never an overrun. */
    const struct env_var env[] = {{"PORT", "abc"}, {NULL, NULL}};
    struct lu_config cfg;
    char err[8];
    assert_int_equal(load(env, &cfg, err, sizeof err), LU_INVALID);
    assert_int_equal(strlen(err), sizeof err - 1);
    assert_string_equal(err, "PORT mu");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_port),
        cmocka_unit_test(test_port_invalid),
        cmocka_unit_test(test_listen),
        cmocka_unit_test(test_listen_invalid),
        cmocka_unit_test(test_env_names),
        cmocka_unit_test(test_time_zone),
        cmocka_unit_test(test_database_url),
        cmocka_unit_test(test_other_urls),
        cmocka_unit_test(test_public_url),
        cmocka_unit_test(test_empty_is_unset),
        cmocka_unit_test(test_numbers_and_flags),
        cmocka_unit_test(test_production_needs_service_key),
        cmocka_unit_test(test_production_posture),
        cmocka_unit_test(test_production_twilio),
        cmocka_unit_test(test_production_other_pairs),
        cmocka_unit_test(test_production_model_with_either_key),
        cmocka_unit_test(test_production_complete),
        cmocka_unit_test(test_openai_key_fallback),
        cmocka_unit_test(test_errors_never_hold_secrets),
        cmocka_unit_test(test_small_error_buffer),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
