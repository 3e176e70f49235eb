/*
 * test_ops_status.c — unit tests for ops/status: each integration's state
 * follows its configuration and the proofs recorded in this process, an
 * extra integration registers with one call, and no report ever holds a
 * secret value. No database: the database row without one is "configured"
 * with a failed check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app.h"
#include "ops/status.h"

#define SECRET_MARK "Zq7sEcReT"

static const char *const *env_current;

static const char *lookup(const char *name)
{
    for (size_t i = 0; env_current[i] != NULL; i += 2) {
        if (strcmp(env_current[i], name) == 0) {
            return env_current[i + 1];
        }
    }
    return NULL;
}

static void app_load(struct lu_app *app, const char *const *env)
{
    memset(app, 0, sizeof *app);
    char err[256];
    env_current = env;
    assert_int_equal(config_load(&app->cfg, lookup, err, sizeof err), LU_OK);
}

/* The row of name in a report; fails when absent. */
static const json_t *row_of(const json_t *report, const char *name)
{
    const json_t *list = json_object_get(report, "integrations");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *r = json_array_get(list, i);
        if (strcmp(json_string_value(json_object_get(r, "name")), name) == 0) {
            return r;
        }
    }
    fail_msg("no row %s", name);
    return NULL;
}

static const char *state_of(const json_t *report, const char *name)
{
    return json_string_value(json_object_get(row_of(report, name), "state"));
}

static void test_states_follow_configuration_and_proofs(void **state)
{
    (void)state;
    static const char *const env[] = {"STRIPE_WEBHOOK_SECRET", "whsec_" SECRET_MARK,
                                      "LUCIA_JWT_SECRET", "jwt-" SECRET_MARK,
                                      "LUCIA_SERVICE_KEY", "svc-" SECRET_MARK, NULL};
    struct lu_app app;
    app_load(&app, env);
    json_t *report = ops_status_json(&app);
    assert_string_equal(state_of(report, "stripe"), "configured");
    assert_string_equal(state_of(report, "twilio"), "deferred");
    assert_string_equal(state_of(report, "postmark"), "deferred");
    assert_string_equal(state_of(report, "resend"), "deferred");
    assert_string_equal(state_of(report, "model"), "deferred");
    assert_string_equal(state_of(report, "sessions"), "implemented");
    /* No database handle: the ping fails, so never "tested". */
    assert_string_equal(state_of(report, "database"), "configured");
    assert_true(json_is_string(json_object_get(row_of(report, "database"), "failed_at")));
    char *text = json_dumps(report, 0);
    assert_null(strstr(text, SECRET_MARK));
    free(text);
    json_decref(report);

    ops_status_prove("stripe", true, "last verified webhook");
    report = ops_status_json(&app);
    assert_string_equal(state_of(report, "stripe"), "tested");
    assert_true(json_is_string(json_object_get(row_of(report, "stripe"), "proved_at")));
    json_decref(report);
}

static void extra_row(struct lu_app *app, struct ops_row *row)
{
    (void)app;
    row->state = OPS_DEFERRED;
    snprintf(row->why, sizeof row->why, "an example integration");
}

static void test_register_adds_a_row_after_the_eight(void **state)
{
    (void)state;
    static const char *const env[] = {NULL};
    struct lu_app app;
    app_load(&app, env);
    ops_status_register("example", extra_row);
    json_t *report = ops_status_json(&app);
    const json_t *list = json_object_get(report, "integrations");
    assert_true(json_array_size(list) >= 9);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "name")),
                        "database");
    assert_string_equal(state_of(report, "example"), "deferred");
    json_decref(report);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_states_follow_configuration_and_proofs),
        cmocka_unit_test(test_register_adds_a_row_after_the_eight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
