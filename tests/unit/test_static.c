/*
 * test_static.c — the admin's static file helpers (http/static.h): which
 * names may be looked up, the content types, If-None-Match matching, and
 * that the embedded admin and the guest page are there at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"
#include "http/static.h"

static void test_segments(void **state)
{
    (void)state;
    assert_true(http_static_segment_ok("app.js"));
    assert_true(http_static_segment_ok("pages"));
    assert_true(http_static_segment_ok("icon-2_x.svg"));
    assert_false(http_static_segment_ok(""));
    assert_false(http_static_segment_ok("."));
    assert_false(http_static_segment_ok(".."));
    assert_false(http_static_segment_ok(".env"));
    assert_false(http_static_segment_ok("a/b"));
    assert_false(http_static_segment_ok("a\\b"));
    assert_false(http_static_segment_ok("a%2fb"));
    assert_false(http_static_segment_ok("a b"));
    char longer[80];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_false(http_static_segment_ok(longer));
}

static void test_content_types(void **state)
{
    (void)state;
    assert_string_equal(http_static_content_type("admin/index.html"), "text/html; charset=utf-8");
    assert_string_equal(http_static_content_type("admin/app.js"), "text/javascript; charset=utf-8");
    assert_string_equal(http_static_content_type("admin/admin.css"), "text/css; charset=utf-8");
    assert_string_equal(http_static_content_type("admin/icon.svg"), "image/svg+xml");
    assert_null(http_static_content_type("admin/README"));
    assert_null(http_static_content_type("admin/x.sql"));
    assert_null(http_static_content_type("admin.d/file"));
}

static void test_etag_matching(void **state)
{
    (void)state;
    const char *etag = "\"00ff\"";
    assert_true(http_static_etag_matches("\"00ff\"", etag));
    assert_true(http_static_etag_matches("W/\"00ff\"", etag));
    assert_true(http_static_etag_matches("\"aaaa\", \"00ff\"", etag));
    assert_true(http_static_etag_matches(" \"aaaa\" ,W/\"00ff\" ", etag));
    assert_true(http_static_etag_matches("*", etag));
    assert_false(http_static_etag_matches(NULL, etag));
    assert_false(http_static_etag_matches("", etag));
    assert_false(http_static_etag_matches("\"00f\"", etag));
    assert_false(http_static_etag_matches("\"00ffx\"", etag));
    assert_false(http_static_etag_matches(",,,", etag));
}

static void test_admin_is_embedded(void **state)
{
    (void)state;
    const struct embedded_file *index = embedded_find("admin/index.html");
    assert_non_null(index);
    assert_non_null(
        strstr((const char *)index->data, "<script type=\"module\" src=\"/static/app.js\">"));
    assert_non_null(embedded_find("admin/app.js"));
    assert_non_null(embedded_find("admin/admin.css"));
    /* Every embedded admin file has a type we serve. */
    for (size_t i = 0; i < embedded_files_count; i++) {
        if (strncmp(embedded_files[i].name, "admin/", 6) == 0) {
            assert_non_null(http_static_content_type(embedded_files[i].name));
        }
    }
}

/* The guest page (GET /guest) is embedded under admin/guest/, so its assets
 * are served by /static/guest/{file}, and it loads only its own files. */
static void test_guest_page_is_embedded(void **state)
{
    (void)state;
    const struct embedded_file *page = embedded_find("admin/guest/index.html");
    assert_non_null(page);
    assert_string_equal(http_static_content_type("admin/guest/index.html"),
                        "text/html; charset=utf-8");
    char *html = strndup((const char *)page->data, page->len);
    assert_non_null(html);
    assert_non_null(strstr(html, "<script type=\"module\" src=\"/static/guest/guest.js\">"));
    assert_null(strstr(html, "<script>"));
    assert_null(strstr(html, " style="));
    free(html);
    assert_non_null(embedded_find("admin/guest/guest.js"));
    assert_non_null(embedded_find("admin/guest/api.js"));
    assert_non_null(embedded_find("admin/guest/guest.css"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_etag_matching),
        cmocka_unit_test(test_admin_is_embedded),
        cmocka_unit_test(test_guest_page_is_embedded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
