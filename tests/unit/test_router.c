/*
 * test_router.c — unit tests for http/router: literal and `{name}` segments,
 * route_param, the one ignored trailing slash, 405 with the union of allowed
 * methods, unknown methods, and paths that must not match (empty parameter
 * segments, extra segments, parameters longer than the match buffer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/router.h"

/* The handlers are never called: the router only returns the route. */
static const struct route TABLE[] = {
    {M_GET, "/health", NULL, AUTH_PUBLIC, 0, "health"},
    {M_GET, "/", NULL, AUTH_PUBLIC, 0, "root"},
    {M_GET, "/api/properties", NULL, AUTH_VIEWER, 0, "properties.list"},
    {M_POST, "/api/properties", NULL, AUTH_OWNER, 0, "properties.create"},
    {M_GET, "/api/properties/search", NULL, AUTH_VIEWER, 0, "properties.search"},
    {M_PATCH | M_DELETE, "/api/properties/{id}", NULL, AUTH_OWNER, 0, "properties.write"},
    {M_GET, "/api/properties/{id}", NULL, AUTH_VIEWER, 0, "properties.get"},
    {M_POST, "/api/properties/{id}/archive", NULL, AUTH_OWNER, 0, "properties.archive"},
    {M_GET, "/api/properties/{property_id}/bookings/{booking_id}", NULL, AUTH_VIEWER, 0,
     "bookings.get"},
    {M_GET, "/a/{p1}/{p2}/{p3}/{p4}", NULL, AUTH_PUBLIC, 0, "four"},
    {M_GET, "/b/{p1}/{p2}/{p3}/{p4}/{p5}", NULL, AUTH_PUBLIC, 0, "five"},
};
#define TABLE_LEN (sizeof TABLE / sizeof TABLE[0])

static enum route_result match(const char *method, const char *path, struct route_match *m)
{
    return router_match(TABLE, TABLE_LEN, method, path, m);
}

/* Asserts method+path is found on the route called name. */
static void expect_found(const char *method, const char *path, const char *name,
                         struct route_match *m)
{
    assert_int_equal(match(method, path, m), ROUTE_FOUND);
    assert_non_null(m->route);
    assert_string_equal(m->route->name, name);
}

static void expect_not_found(const char *method, const char *path)
{
    struct route_match m;
    assert_int_equal(match(method, path, &m), ROUTE_NOT_FOUND);
    assert_null(m.route);
    assert_int_equal(m.nparams, 0);
}

/* Parameter values must be NUL-terminated copies inside the match's own buf. */
static void expect_params_in_buf(const struct route_match *m)
{
    for (size_t i = 0; i < m->nparams; i++) {
        assert_true(m->params[i] >= m->buf);
        assert_true(m->params[i] + strlen(m->params[i]) < m->buf + sizeof m->buf);
    }
}

static void test_method_parse(void **state)
{
    (void)state;
    assert_int_equal(http_method_parse("GET"), M_GET);
    assert_int_equal(http_method_parse("POST"), M_POST);
    assert_int_equal(http_method_parse("PATCH"), M_PATCH);
    assert_int_equal(http_method_parse("PUT"), M_PUT);
    assert_int_equal(http_method_parse("DELETE"), M_DELETE);
    assert_int_equal(http_method_parse("HEAD"), M_HEAD);
    assert_int_equal(http_method_parse("OPTIONS"), M_OPTIONS);
    /* Methods are case-sensitive (RFC 9110 §9.1). */
    assert_int_equal(http_method_parse("get"), 0);
    assert_int_equal(http_method_parse("BREW"), 0);
    assert_int_equal(http_method_parse(""), 0);
    assert_int_equal(http_method_parse("GETS"), 0);
}

static void test_literal_routes(void **state)
{
    (void)state;
    struct route_match m;
    expect_found("GET", "/health", "health", &m);
    assert_int_equal(m.nparams, 0);
    expect_found("GET", "/", "root", &m);
    expect_found("GET", "/api/properties", "properties.list", &m);
    expect_found("POST", "/api/properties", "properties.create", &m);
    /* A literal earlier in the table wins over a parameter that also fits. */
    expect_found("GET", "/api/properties/search", "properties.search", &m);
    assert_int_equal(m.nparams, 0);
}

static void test_literal_is_exact(void **state)
{
    (void)state;
    expect_not_found("GET", "/Health");
    expect_not_found("GET", "/healthz");
    expect_not_found("GET", "/healt");
    expect_not_found("GET", "/api/propertiesX");
    expect_not_found("GET", "/api");
    expect_not_found("GET", "/apiproperties");
}

static void test_param_extracted(void **state)
{
    (void)state;
    struct route_match m;
    expect_found("GET", "/api/properties/prop_01hx", "properties.get", &m);
    assert_int_equal(m.nparams, 1);
    assert_string_equal(m.params[0], "prop_01hx");
    assert_string_equal(route_param(&m, "id"), "prop_01hx");
    expect_params_in_buf(&m);
    /* Names are compared whole: prefixes, extensions and others are absent. */
    assert_null(route_param(&m, "i"));
    assert_null(route_param(&m, "idx"));
    assert_null(route_param(&m, "ID"));
    assert_null(route_param(&m, "property_id"));
    assert_null(route_param(&m, ""));
}

static void test_param_later_route_by_method(void **state)
{
    (void)state;
    struct route_match m;
    /* The literal /search route takes only GET; PATCH falls through to {id}. */
    expect_found("PATCH", "/api/properties/search", "properties.write", &m);
    assert_string_equal(route_param(&m, "id"), "search");
    /* GET on an id skips the PATCH|DELETE entry and finds the GET one. */
    expect_found("GET", "/api/properties/p9", "properties.get", &m);
    assert_string_equal(route_param(&m, "id"), "p9");
    expect_params_in_buf(&m);
}

static void test_two_params(void **state)
{
    (void)state;
    struct route_match m;
    expect_found("GET", "/api/properties/prop_1/bookings/bk_2", "bookings.get", &m);
    assert_int_equal(m.nparams, 2);
    assert_string_equal(route_param(&m, "property_id"), "prop_1");
    assert_string_equal(route_param(&m, "booking_id"), "bk_2");
    assert_null(route_param(&m, "id"));
    assert_null(route_param(&m, "property"));
    expect_params_in_buf(&m);
}

static void test_params_max(void **state)
{
    (void)state;
    struct route_match m;
    expect_found("GET", "/a/w/x/y/z", "four", &m);
    assert_int_equal(m.nparams, ROUTE_PARAMS_MAX);
    assert_string_equal(route_param(&m, "p1"), "w");
    assert_string_equal(route_param(&m, "p4"), "z");
    /* A pattern with more parameters than ROUTE_PARAMS_MAX never matches. */
    expect_not_found("GET", "/b/v/w/x/y/z");
}

static void test_trailing_slash(void **state)
{
    (void)state;
    struct route_match m;
    expect_found("GET", "/health/", "health", &m);
    expect_found("GET", "/api/properties/", "properties.list", &m);
    expect_found("GET", "/api/properties/p1/", "properties.get", &m);
    assert_string_equal(route_param(&m, "id"), "p1");
    expect_found("GET", "/api/properties/p1/bookings/b2/", "bookings.get", &m);
    assert_string_equal(route_param(&m, "booking_id"), "b2");
    /* Only one slash is forgiven. */
    expect_not_found("GET", "/health//");
    expect_not_found("GET", "//health");
}

static void test_method_not_allowed_single(void **state)
{
    (void)state;
    struct route_match m;
    assert_int_equal(match("POST", "/health", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_null(m.route);
    assert_string_equal(m.allow, "GET");
    assert_int_equal(match("POST", "/api/properties/p1/bookings/b2", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET");
}

static void test_method_not_allowed_union(void **state)
{
    (void)state;
    struct route_match m;
    /* Two patterns for the same path: the Allow list names both methods. */
    assert_int_equal(match("DELETE", "/api/properties", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, POST");
    assert_int_equal(match("DELETE", "/api/properties/", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, POST");
    /* {id} has two entries (PATCH|DELETE, GET); each method once. */
    assert_int_equal(match("PUT", "/api/properties/p1", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "PATCH, DELETE, GET");
    /* A literal and parameter patterns both fit: GET appears once. */
    assert_int_equal(match("POST", "/api/properties/search", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, PATCH, DELETE");
    assert_int_equal(match("GET", "/api/properties/p1/archive", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "POST");
}

static void test_unknown_method(void **state)
{
    (void)state;
    struct route_match m;
    /* An unknown method on a known path is 405, with the path's methods. */
    assert_int_equal(match("BREW", "/health", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET");
    assert_int_equal(match("get", "/api/properties", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, POST");
    assert_int_equal(match("", "/api/properties/p1", &m), ROUTE_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "PATCH, DELETE, GET");
    /* On an unknown path it is still 404. */
    expect_not_found("BREW", "/nope");
}

static void test_no_match(void **state)
{
    (void)state;
    expect_not_found("GET", "/nope");
    expect_not_found("GET", "");
    expect_not_found("GET", "health");
    expect_not_found("GET", "api/properties");
    expect_not_found("GET", "///");
    expect_not_found("POST", "/nope/");
}

static void test_empty_param_segment(void **state)
{
    (void)state;
    expect_not_found("POST", "/api/properties//archive");
    expect_not_found("GET", "/api/properties//bookings/b2");
    expect_not_found("GET", "/api/properties/p1/bookings//");
    expect_not_found("GET", "/api/properties//");
    expect_not_found("GET", "/a/w//y/z");
}

static void test_extra_and_missing_segments(void **state)
{
    (void)state;
    expect_not_found("GET", "/health/x");
    expect_not_found("GET", "/api/properties/p1/bookings");
    expect_not_found("GET", "/api/properties/p1/bookings/b2/extra");
    expect_not_found("GET", "/api/properties/p1/bookings/b2/extra/");
    expect_not_found("POST", "/api/properties/p1/archive/now");
    expect_not_found("GET", "/a/w/x/y");
    expect_not_found("GET", "/a/w/x/y/z/more");
}

/* Builds prefix + n copies of c + suffix into a fresh allocation. */
static char *path_make(const char *prefix, size_t n, char c, const char *suffix)
{
    size_t plen = strlen(prefix);
    size_t slen = strlen(suffix);
    char *p = malloc(plen + n + slen + 1);
    assert_non_null(p);
    memcpy(p, prefix, plen);
    memset(p + plen, c, n);
    memcpy(p + plen + n, suffix, slen + 1);
    return p;
}

static void test_long_param(void **state)
{
    (void)state;
    struct route_match m;
    size_t fits = sizeof m.buf - 1; /* the value and its NUL fill buf exactly */

    char *path = path_make("/api/properties/", fits, 'x', "");
    expect_found("GET", path, "properties.get", &m);
    assert_int_equal(strlen(route_param(&m, "id")), fits);
    expect_params_in_buf(&m);
    free(path);

    path = path_make("/api/properties/", fits + 1, 'x', "");
    expect_not_found("GET", path);
    free(path);

    path = path_make("/api/properties/", 64 * 1024, 'x', "/");
    expect_not_found("GET", path);
    free(path);

    /* Two parameters that fit alone but not together. */
    char *value = path_make("", 300, 'y', "");
    path = path_make("/api/properties/", 300, 'x', "/bookings/");
    char *full = path_make(path, 0, 'z', value);
    expect_not_found("GET", full);
    free(full);
    free(path);
    free(value);
}

static void test_long_literal_path(void **state)
{
    (void)state;
    char *path = path_make("/", 100 * 1024, 'h', "");
    expect_not_found("GET", path);
    free(path);
    path = path_make("/health", 10 * 1024, '/', "");
    expect_not_found("GET", path);
    free(path);
}

static void test_param_url_characters(void **state)
{
    (void)state;
    static const char *const values[] = {
        "a%20b", "prop_1;v=2", "~!$&'()*+,=:@", "x.y-z_",
        "%2F",   "caf%C3%A9",  "x?y=1",         "\xc3\xa9t\xc3\xa9",
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/api/properties/%s", values[i]);
        struct route_match m;
        expect_found("GET", path, "properties.get", &m);
        /* The router copies the segment as is; decoding is not its job. */
        assert_string_equal(route_param(&m, "id"), values[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_method_parse),
        cmocka_unit_test(test_literal_routes),
        cmocka_unit_test(test_literal_is_exact),
        cmocka_unit_test(test_param_extracted),
        cmocka_unit_test(test_param_later_route_by_method),
        cmocka_unit_test(test_two_params),
        cmocka_unit_test(test_params_max),
        cmocka_unit_test(test_trailing_slash),
        cmocka_unit_test(test_method_not_allowed_single),
        cmocka_unit_test(test_method_not_allowed_union),
        cmocka_unit_test(test_unknown_method),
        cmocka_unit_test(test_no_match),
        cmocka_unit_test(test_empty_param_segment),
        cmocka_unit_test(test_extra_and_missing_segments),
        cmocka_unit_test(test_long_param),
        cmocka_unit_test(test_long_literal_path),
        cmocka_unit_test(test_param_url_characters),
    };
    return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
