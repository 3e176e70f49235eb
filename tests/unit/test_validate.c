/*
 * test_validate.c — unit tests for http/validate: unknown fields, missing
 * required fields, wrong JSON types, string length and integer bounds,
 * nullable fields, the extra check callback, PATCH mode, control characters
 * (text_clean) and json_depth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "http/validate.h"

static int check_calls;

/* Three upper-case ASCII letters, like a currency code. */
static bool upper3(const char *value)
{
    check_calls++;
    if (strlen(value) != 3) {
        return false;
    }
    for (size_t i = 0; i < 3; i++) {
        if (value[i] < 'A' || value[i] > 'Z') {
            return false;
        }
    }
    return true;
}

static const struct field_spec SPECS[] = {
    {"name", F_STRING, true, false, 1, 10, 0, 0, NULL, "name must be 1 to 10 bytes"},
    {"nights", F_INT, true, false, 0, 0, 1, 30, NULL, "nights must be from 1 to 30"},
    {"vip", F_BOOL, false, false, 0, 0, 0, 0, NULL, "vip must be true or false"},
    {"note", F_STRING, false, true, 0, 0, 0, 0, NULL, NULL},
    {"currency", F_STRING, false, false, 0, 0, 0, 0, upper3, "currency must be like EUR"},
    {"offset", F_INT, false, true, 0, 0, -100, 100, NULL, NULL},
};
#define SPECS_LEN (sizeof SPECS / sizeof SPECS[0])

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL) {
        fail_msg("test JSON does not parse: %s (%s)", text, jerr.text);
    }
    return v;
}

/* Validates text (create or patch mode) and returns the verdict; err is filled. */
static bool run(const char *text, bool patch, struct validation_error *err)
{
    json_t *body = parse(text);
    memset(err, 0, sizeof *err);
    bool ok = validate_body(body, SPECS, SPECS_LEN, patch, err);
    /* For an unknown field err->field points into body: after this the
     * caller may read err->code and err->message, never err->field. */
    json_decref(body);
    return ok;
}

static void expect_ok(const char *text, bool patch)
{
    struct validation_error err;
    if (!run(text, patch, &err)) {
        fail_msg("expected %s to be valid, got %s: %s", text, err.code, err.message);
    }
}

/* Expects invalid_field naming field; message must equal message when given. */
static void expect_invalid(const char *text, bool patch, const char *field, const char *message)
{
    json_t *body = parse(text);
    struct validation_error err;
    memset(&err, 0, sizeof err);
    assert_false(validate_body(body, SPECS, SPECS_LEN, patch, &err));
    assert_non_null(err.code);
    assert_string_equal(err.code, "invalid_field");
    assert_non_null(err.field);
    assert_string_equal(err.field, field);
    if (message != NULL) {
        assert_string_equal(err.message, message);
    }
    json_decref(body);
}

static void test_valid_bodies(void **state)
{
    (void)state;
    expect_ok("{\"name\":\"Villa\",\"nights\":3}", false);
    expect_ok("{\"name\":\"Villa\",\"nights\":3,\"vip\":true,\"note\":\"late\","
              "\"currency\":\"EUR\",\"offset\":-100}",
              false);
    expect_ok("{\"name\":\"Villa\",\"nights\":3,\"vip\":false,\"note\":null,\"offset\":null}",
              false);
}

static void test_unknown_field(void **state)
{
    (void)state;
    json_t *body = parse("{\"name\":\"Villa\",\"nights\":3,\"colour\":\"red\"}");
    struct validation_error err;
    memset(&err, 0, sizeof err);
    assert_false(validate_body(body, SPECS, SPECS_LEN, false, &err));
    assert_string_equal(err.code, "unknown_field");
    assert_string_equal(err.field, "colour");
    assert_non_null(strstr(err.message, "colour"));
    json_decref(body);

    /* Names are compared exactly: case and prefixes matter. */
    body = parse("{\"Name\":\"Villa\"}");
    assert_false(validate_body(body, SPECS, SPECS_LEN, true, &err));
    assert_string_equal(err.code, "unknown_field");
    assert_string_equal(err.field, "Name");
    json_decref(body);

    body = parse("{\"nam\":\"Villa\"}");
    assert_false(validate_body(body, SPECS, SPECS_LEN, true, &err));
    assert_string_equal(err.code, "unknown_field");
    assert_string_equal(err.field, "nam");
    json_decref(body);
}

static void test_unknown_field_long_name(void **state)
{
    (void)state;
    /* A huge key must not overflow the message; it is cut, not refused. */
    size_t n = 5000;
    char *text = malloc(n + 16);
    assert_non_null(text);
    text[0] = '{';
    text[1] = '"';
    memset(text + 2, 'k', n);
    memcpy(text + 2 + n, "\":1}", 5);
    json_t *body = parse(text);
    struct validation_error err;
    assert_false(validate_body(body, SPECS, SPECS_LEN, false, &err));
    assert_string_equal(err.code, "unknown_field");
    assert_int_equal(strlen(err.field), n);
    assert_true(strlen(err.message) < sizeof err.message);
    json_decref(body);
    free(text);
}

static void test_required_missing(void **state)
{
    (void)state;
    expect_invalid("{\"nights\":3}", false, "name", "name is required");
    expect_invalid("{\"name\":\"Villa\"}", false, "nights", "nights is required");
    expect_invalid("{}", false, "name", "name is required");
    /* An optional field can be left out. */
    expect_ok("{\"name\":\"Villa\",\"nights\":1}", false);
}

static void test_wrong_types(void **state)
{
    (void)state;
    const char *name_hint = "name must be 1 to 10 bytes";
    const char *nights_hint = "nights must be from 1 to 30";
    const char *vip_hint = "vip must be true or false";
    /* A string field given an int, a bool, an array, an object. */
    expect_invalid("{\"name\":5,\"nights\":3}", false, "name", name_hint);
    expect_invalid("{\"name\":true,\"nights\":3}", false, "name", name_hint);
    expect_invalid("{\"name\":[\"a\"],\"nights\":3}", false, "name", name_hint);
    expect_invalid("{\"name\":{},\"nights\":3}", false, "name", name_hint);
    /* An int field given a string, a bool, a real. */
    expect_invalid("{\"name\":\"V\",\"nights\":\"3\"}", false, "nights", nights_hint);
    expect_invalid("{\"name\":\"V\",\"nights\":true}", false, "nights", nights_hint);
    expect_invalid("{\"name\":\"V\",\"nights\":2.5}", false, "nights", nights_hint);
    expect_invalid("{\"name\":\"V\",\"nights\":3.0}", false, "nights", nights_hint);
    /* A bool field given a string, an int. */
    expect_invalid("{\"name\":\"V\",\"nights\":3,\"vip\":\"true\"}", false, "vip", vip_hint);
    expect_invalid("{\"name\":\"V\",\"nights\":3,\"vip\":1}", false, "vip", vip_hint);
    expect_invalid("{\"name\":\"V\",\"nights\":3,\"vip\":0}", false, "vip", vip_hint);
}

static void test_string_length(void **state)
{
    (void)state;
    expect_invalid("{\"name\":\"\",\"nights\":3}", false, "name", NULL);
    expect_ok("{\"name\":\"a\",\"nights\":3}", false);
    expect_ok("{\"name\":\"abcdefghij\",\"nights\":3}", false);
    expect_invalid("{\"name\":\"abcdefghijk\",\"nights\":3}", false, "name", NULL);
    /* Lengths are bytes: five two-byte letters fit in 10, six do not. */
    expect_ok("{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",\"nights\":3}", false);
    expect_invalid("{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",\"nights\":3}",
                   false, "name", NULL);
    /* max_len 0 means no upper bound. */
    size_t n = 20000;
    char *text = malloc(n + 32);
    assert_non_null(text);
    memcpy(text, "{\"note\":\"", 9);
    memset(text + 9, 'n', n);
    memcpy(text + 9 + n, "\"}", 3);
    expect_ok(text, true);
    free(text);
}

static void test_int_bounds(void **state)
{
    (void)state;
    expect_invalid("{\"name\":\"V\",\"nights\":0}", false, "nights", NULL);
    expect_ok("{\"name\":\"V\",\"nights\":1}", false);
    expect_ok("{\"name\":\"V\",\"nights\":30}", false);
    expect_invalid("{\"name\":\"V\",\"nights\":31}", false, "nights", NULL);
    expect_invalid("{\"name\":\"V\",\"nights\":-1}", false, "nights", NULL);
    expect_invalid("{\"name\":\"V\",\"nights\":9223372036854775807}", false, "nights", NULL);
    expect_invalid("{\"name\":\"V\",\"nights\":-9223372036854775808}", false, "nights", NULL);
    expect_ok("{\"offset\":-100}", true);
    expect_ok("{\"offset\":100}", true);
    expect_invalid("{\"offset\":-101}", true, "offset", NULL);
    expect_invalid("{\"offset\":101}", true, "offset", NULL);
}

static void test_nullable(void **state)
{
    (void)state;
    expect_ok("{\"note\":null}", true);
    expect_ok("{\"offset\":null}", true);
    expect_invalid("{\"name\":null,\"nights\":3}", false, "name", "name must be 1 to 10 bytes");
    expect_invalid("{\"name\":\"V\",\"nights\":null}", false, "nights", NULL);
    expect_invalid("{\"vip\":null}", true, "vip", NULL);
    expect_invalid("{\"currency\":null}", true, "currency", NULL);
}

static void test_check_callback(void **state)
{
    (void)state;
    check_calls = 0;
    expect_ok("{\"currency\":\"EUR\"}", true);
    assert_int_equal(check_calls, 1);
    expect_invalid("{\"currency\":\"eur\"}", true, "currency", "currency must be like EUR");
    expect_invalid("{\"currency\":\"EURO\"}", true, "currency", "currency must be like EUR");
    expect_invalid("{\"currency\":\"\"}", true, "currency", NULL);
    assert_int_equal(check_calls, 4);
    /* A value of the wrong type never reaches the callback. */
    expect_invalid("{\"currency\":978}", true, "currency", NULL);
    assert_int_equal(check_calls, 4);
}

static void test_fallback_message(void **state)
{
    (void)state;
    /* Without a hint the message still names the field. */
    expect_invalid("{\"note\":5}", true, "note", "note has an invalid value");
    expect_invalid("{\"offset\":\"x\"}", true, "offset", "offset has an invalid value");
}

static void test_patch_mode(void **state)
{
    (void)state;
    expect_ok("{}", true);
    expect_ok("{\"nights\":4}", true);
    expect_invalid("{}", false, "name", NULL);
    /* PATCH skips only the required rule: types, bounds and unknowns stay. */
    expect_invalid("{\"nights\":\"4\"}", true, "nights", NULL);
    expect_invalid("{\"nights\":99}", true, "nights", NULL);
    expect_invalid("{\"name\":\"\"}", true, "name", NULL);
    struct validation_error err;
    assert_false(run("{\"nights\":4,\"extra\":1}", true, &err));
    assert_string_equal(err.code, "unknown_field");
}

static void test_control_characters_in_body(void **state)
{
    (void)state;
    expect_invalid("{\"note\":\"a\\u0001b\"}", true, "note", NULL);
    expect_invalid("{\"note\":\"bell\\u0007\"}", true, "note", NULL);
    expect_invalid("{\"note\":\"\\u001b[31mred\"}", true, "note", NULL);
    expect_invalid("{\"note\":\"del\\u007f\"}", true, "note", NULL);
    expect_ok("{\"note\":\"line one\\nline two\\r\\n\\tindented\"}", true);
    expect_ok("{\"note\":\"caf\\u00e9 \\ud83c\\udf0a\"}", true);

    /* An embedded NUL (only possible through JSON_ALLOW_NUL or the API) is
     * refused, not cut at the NUL. */
    json_t *body = json_object();
    assert_int_equal(json_object_set_new(body, "note", json_stringn("ok\0evil", 7)), 0);
    struct validation_error err;
    assert_false(validate_body(body, SPECS, SPECS_LEN, true, &err));
    assert_string_equal(err.field, "note");
    json_decref(body);
}

static void test_text_clean(void **state)
{
    (void)state;
    assert_true(text_clean(""));
    assert_true(text_clean("Villa Rosa"));
    assert_true(text_clean("tab\there\nnewline\rreturn"));
    assert_true(text_clean("caf\xc3\xa9"));
    assert_false(text_clean("a\x01"));
    assert_false(text_clean("\x1f"));
    assert_false(text_clean("\x1b[2J"));
    assert_false(text_clean("back\bspace"));
    assert_false(text_clean("form\ffeed"));
    assert_false(text_clean("vertical\vtab"));
    assert_false(text_clean("\x7f"));
    for (int c = 1; c < 0x20; c++) {
        char s[4] = {'a', (char)c, 'b', '\0'};
        bool allowed = c == '\t' || c == '\n' || c == '\r';
        assert_int_equal(text_clean(s), allowed);
    }
}

static void test_json_depth(void **state)
{
    (void)state;
    struct {
        const char *text;
        size_t depth;
    } cases[] = {
        {"1", 0},
        {"\"s\"", 0},
        {"null", 0},
        {"{}", 1},
        {"[]", 1},
        {"{\"a\":1,\"b\":\"x\"}", 1},
        {"[1,2,3]", 1},
        {"{\"a\":{}}", 2},
        {"[[]]", 2},
        {"{\"a\":[1,{\"b\":2}]}", 3},
        {"{\"shallow\":1,\"deep\":[[[[]]]],\"mid\":{\"x\":[]}}", 5},
        {"[{}, [[{}]], 3]", 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_error_t jerr;
        json_t *v = json_loads(cases[i].text, JSON_DECODE_ANY, &jerr);
        assert_non_null(v);
        assert_int_equal(json_depth(v), cases[i].depth);
        json_decref(v);
    }
}

static void test_json_depth_deep(void **state)
{
    (void)state;
    /* 200 nested arrays, built by hand so the parser's own cap is not hit. */
    json_t *root = json_array();
    json_t *cur = root;
    for (int i = 1; i < 200; i++) {
        json_t *child = json_array();
        assert_int_equal(json_array_append_new(cur, child), 0);
        cur = child;
    }
    assert_int_equal(json_depth(root), 200);
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_bodies),
        cmocka_unit_test(test_unknown_field),
        cmocka_unit_test(test_unknown_field_long_name),
        cmocka_unit_test(test_required_missing),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_string_length),
        cmocka_unit_test(test_int_bounds),
        cmocka_unit_test(test_nullable),
        cmocka_unit_test(test_check_callback),
        cmocka_unit_test(test_fallback_message),
        cmocka_unit_test(test_patch_mode),
        cmocka_unit_test(test_control_characters_in_body),
        cmocka_unit_test(test_text_clean),
        cmocka_unit_test(test_json_depth),
        cmocka_unit_test(test_json_depth_deep),
    };
    return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
