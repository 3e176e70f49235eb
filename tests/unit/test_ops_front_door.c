/*
 * test_ops_front_door.c — unit tests for ops/access (the claim checks beyond
 * the signature, exempt paths), ops/sentry (DSN parsing, scrubbing) and the
 * configuration rules of SPEC §9 (the front door set whole or not at all, the
 * crash route only in development).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "ops/access.h"
#include "ops/sentry.h"

static json_t *claims(const char *json)
{
    json_t *c = json_loads(json, 0, NULL);
    assert_non_null(c);
    return c;
}

static bool check(const char *json, const char *emails)
{
    json_t *c = claims(json);
    const char *why = NULL;
    bool ok = access_claims_ok(c, "aud-1", emails, &why);
    assert_non_null(why);
    json_decref(c);
    return ok;
}

static void test_aud_string_or_array(void **state)
{
    (void)state;
    assert_true(check("{\"aud\":\"aud-1\",\"exp\":1}", NULL));
    assert_true(check("{\"aud\":[\"x\",\"aud-1\"],\"exp\":1}", NULL));
    assert_false(check("{\"aud\":\"aud-12\",\"exp\":1}", NULL));
    assert_false(check("{\"aud\":[\"aud\"],\"exp\":1}", NULL));
    assert_false(check("{\"aud\":[1,null],\"exp\":1}", NULL));
    assert_false(check("{\"aud\":{},\"exp\":1}", NULL));
    assert_false(check("{\"exp\":1}", NULL));
}

static void test_exp_required(void **state)
{
    (void)state;
    assert_false(check("{\"aud\":\"aud-1\"}", NULL));
}

static void test_email_allow_list(void **state)
{
    (void)state;
    const char *list = " Ops@Example.com ,owner@example.com";
    assert_true(check("{\"aud\":\"aud-1\",\"exp\":1,\"email\":\"ops@example.COM\"}", list));
    assert_true(check("{\"aud\":\"aud-1\",\"exp\":1,\"email\":\"owner@example.com\"}", list));
    assert_false(check("{\"aud\":\"aud-1\",\"exp\":1,\"email\":\"ops@example.co\"}", list));
    assert_false(check("{\"aud\":\"aud-1\",\"exp\":1,\"email\":\"\"}", list));
    assert_false(check("{\"aud\":\"aud-1\",\"exp\":1}", list));
    assert_false(check("{\"aud\":\"aud-1\",\"exp\":1,\"email\":\"a@b.c\"}", ""));
}

static void test_exempt_paths(void **state)
{
    (void)state;
    assert_true(access_path_exempt("/health"));
    assert_true(access_path_exempt("/webhooks/stripe"));
    assert_true(access_path_exempt("/webhooks/twilio"));
    assert_true(access_path_exempt("/webhooks/postmark"));
    assert_false(access_path_exempt("/health/"));
    assert_false(access_path_exempt("/ready"));
    assert_false(access_path_exempt("/webhooks/stripe/x"));
    assert_false(access_path_exempt("/api/properties"));
}

static void test_door_off_admits(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_false(access_enabled());
    assert_true(access_admit("/api/properties", NULL, &why));
}

static void test_dsn_parse(void **state)
{
    (void)state;
    struct sentry_dsn d;
    assert_int_equal(sentry_dsn_parse("https://abc123@o1.ingest.sentry.io/4567", &d), LU_OK);
    assert_string_equal(d.public_key, "abc123");
    assert_string_equal(d.envelope_url, "https://o1.ingest.sentry.io/api/4567/envelope/");
    assert_int_equal(sentry_dsn_parse("http://k@127.0.0.1:9000/42", &d), LU_OK);
    assert_string_equal(d.envelope_url, "http://127.0.0.1:9000/api/42/envelope/");
    assert_int_equal(sentry_dsn_parse("https://k:legacy@host/prefix/7/", &d), LU_OK);
    assert_string_equal(d.public_key, "k");
    assert_string_equal(d.envelope_url, "https://host/prefix/api/7/envelope/");
    assert_int_equal(sentry_dsn_parse("https://host/42", &d), LU_INVALID);
    assert_int_equal(sentry_dsn_parse("https://@host/42", &d), LU_INVALID);
    assert_int_equal(sentry_dsn_parse("https://k@host", &d), LU_INVALID);
    assert_int_equal(sentry_dsn_parse("https://k@host/", &d), LU_INVALID);
    assert_int_equal(sentry_dsn_parse("k@host/1", &d), LU_INVALID);
}

static void test_scrub(void **state)
{
    (void)state;
    char text[] = "token=abc secret=abcabc end xyz";
    const char *secrets[] = {"abc", "", "xyz", NULL};
    assert_int_equal(sentry_scrub(text, secrets), 4);
    assert_string_equal(text, "token=*** secret=****** end ***");
    const char *none[] = {NULL};
    assert_int_equal(sentry_scrub(text, none), 0);
}

struct env_var {
    const char *name;
    const char *value;
};

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

static enum lu_rc load(const struct env_var *env, struct lu_config *cfg, char *err)
{
    env_current = env;
    enum lu_rc rc = config_load(cfg, env_lookup, err, 512);
    env_current = NULL;
    return rc;
}

static void test_config_front_door(void **state)
{
    (void)state;
    struct lu_config cfg;
    char err[512];
    const struct env_var whole[] = {{"LUCIA_ACCESS_AUD", "a"},
                                    {"LUCIA_ACCESS_JWKS_URL", "https://t.example/certs"},
                                    {"LUCIA_ALLOWED_EMAILS", "a@b.c"},
                                    {"SENTRY_DSN", "https://k@h/1"},
                                    {NULL, NULL}};
    assert_int_equal(load(whole, &cfg, err), LU_OK);
    assert_string_equal(cfg.access_aud, "a");
    assert_string_equal(cfg.access_jwks_url, "https://t.example/certs");
    assert_string_equal(cfg.sentry_dsn, "https://k@h/1");
    const struct env_var aud_only[] = {{"LUCIA_ACCESS_AUD", "a"}, {NULL, NULL}};
    assert_int_equal(load(aud_only, &cfg, err), LU_INVALID);
    assert_non_null(strstr(err, "LUCIA_ACCESS_AUD"));
    const struct env_var keys_only[] = {{"LUCIA_ACCESS_JWKS_FILE", "/k.json"}, {NULL, NULL}};
    assert_int_equal(load(keys_only, &cfg, err), LU_INVALID);
    const struct env_var bad_url[] = {
        {"LUCIA_ACCESS_AUD", "a"}, {"LUCIA_ACCESS_JWKS_URL", "ftp://x"}, {NULL, NULL}};
    assert_int_equal(load(bad_url, &cfg, err), LU_INVALID);
    const struct env_var bad_dsn[] = {{"SENTRY_DSN", "udp://k@h/1"}, {NULL, NULL}};
    assert_int_equal(load(bad_dsn, &cfg, err), LU_INVALID);
    const struct env_var prod_half[] = {
        {"LUCIA_ENV", "production"},
        {"LUCIA_SERVICE_KEY", "svc_0123456789abcdef0123456789abcdef"},
        {"LUCIA_ALLOWED_EMAILS", "a@b.c"},
        {NULL, NULL}};
    assert_int_equal(load(prod_half, &cfg, err), LU_INVALID);
}

static void test_config_crash_route_development_only(void **state)
{
    (void)state;
    struct lu_config cfg;
    char err[512];
    const struct env_var dev[] = {{"LUCIA_TEST_CRASH_ROUTE", "1"}, {NULL, NULL}};
    assert_int_equal(load(dev, &cfg, err), LU_OK);
    assert_true(cfg.test_crash_route);
    const char *envs[] = {"staging", "production"};
    for (size_t i = 0; i < 2; i++) {
        const struct env_var other[] = {
            {"LUCIA_ENV", envs[i]},
            {"LUCIA_SERVICE_KEY", "svc_0123456789abcdef0123456789abcdef"},
            {"LUCIA_TEST_CRASH_ROUTE", "1"},
            {NULL, NULL}};
        assert_int_equal(load(other, &cfg, err), LU_INVALID);
        assert_non_null(strstr(err, "LUCIA_TEST_CRASH_ROUTE"));
    }
    const struct env_var off[] = {{"LUCIA_ENV", "production"},
                                  {"LUCIA_SERVICE_KEY", "svc_0123456789abcdef0123456789abcdef"},
                                  {"LUCIA_TEST_CRASH_ROUTE", "0"},
                                  {NULL, NULL}};
    if (load(off, &cfg, err) != LU_OK) {
        fail_msg("%s", err);
    }
    assert_false(cfg.test_crash_route);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aud_string_or_array),
        cmocka_unit_test(test_exp_required),
        cmocka_unit_test(test_email_allow_list),
        cmocka_unit_test(test_exempt_paths),
        cmocka_unit_test(test_door_off_admits),
        cmocka_unit_test(test_dsn_parse),
        cmocka_unit_test(test_scrub),
        cmocka_unit_test(test_config_front_door),
        cmocka_unit_test(test_config_crash_route_development_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
