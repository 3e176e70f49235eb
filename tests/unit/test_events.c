/*
 * test_events.c — unit tests for store/events, the change stream's reader,
 * on a real, migrated SQLite file in a temp folder: the head, paging by
 * limit, the record shown (after, else before), scope filtering, the scan
 * window that bounds one read, and start points past the head.
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

#include "db_fixture.h"

#include "db/db.h"
#include "db/migrate.h"
#include "store/audit.h"
#include "store/events.h"

static int fixture_setup(void **state)
{
    return db_fixture_setup(state, "events", true);
}

/* Appends n events of property_id (may be NULL) in one transaction; with
 * removed, `after` is NULL and the record is in `before`. */
static void append(struct fixture *fx, int n, const char *property_id, bool removed)
{
    assert_int_equal(db_begin(fx->conn, true), LU_OK);
    for (int i = 0; i < n; i++) {
        json_t *record = json_pack("{s:i, s:s}", "n", i, "name", "Villa Aurora");
        assert_non_null(record);
        struct audit_entry e = {
            .actor = "service",
            .action = removed ? "guest.deleted" : "property.updated",
            .entity_type = removed ? "guest" : "property",
            .entity_id = property_id ? property_id : "gst_x",
            .property_id = property_id,
            .before = removed ? record : NULL,
            .after = removed ? NULL : record,
        };
        assert_int_equal(audit_append(fx->conn, &e, NULL), LU_OK);
        json_decref(record);
    }
    assert_int_equal(db_commit(fx->conn), LU_OK);
}

static const struct scope ALL = {.all = true};

static int64_t seq_of(const json_t *events, size_t i)
{
    return json_integer_value(json_object_get(json_array_get(events, i), "seq"));
}

static void test_empty_log(void **state)
{
    struct fixture *fx = *state;
    int64_t head = -1;
    assert_int_equal(store_events_head(fx->conn, &head), LU_OK);
    assert_int_equal(head, 0);
    struct event_batch b;
    assert_int_equal(store_events_read(fx->conn, &ALL, 0, 10, &b), LU_OK);
    assert_int_equal(json_array_size(b.events), 0);
    assert_int_equal(b.next_after, 0);
    assert_int_equal(b.head, 0);
    json_decref(b.events);
}

static void test_pages_by_limit_in_order(void **state)
{
    struct fixture *fx = *state;
    append(fx, 7, "prop_a", false);
    struct event_batch b;
    assert_int_equal(store_events_read(fx->conn, &ALL, 0, 3, &b), LU_OK);
    assert_int_equal(json_array_size(b.events), 3);
    assert_int_equal(seq_of(b.events, 0), 1);
    assert_int_equal(seq_of(b.events, 2), 3);
    assert_int_equal(b.next_after, 3);
    assert_int_equal(b.head, 7);
    json_decref(b.events);
    assert_int_equal(store_events_read(fx->conn, &ALL, 3, 10, &b), LU_OK);
    assert_int_equal(json_array_size(b.events), 4);
    assert_int_equal(seq_of(b.events, 0), 4);
    assert_int_equal(b.next_after, 7);
    json_decref(b.events);
    /* Caught up, and past the head: nothing, and the cursor stays. */
    assert_int_equal(store_events_read(fx->conn, &ALL, 7, 10, &b), LU_OK);
    assert_int_equal(json_array_size(b.events), 0);
    assert_int_equal(b.next_after, 7);
    json_decref(b.events);
    assert_int_equal(store_events_read(fx->conn, &ALL, 50, 10, &b), LU_OK);
    assert_int_equal(json_array_size(b.events), 0);
    assert_int_equal(b.next_after, 50);
    json_decref(b.events);
}

static void test_event_shape_and_record(void **state)
{
    struct fixture *fx = *state;
    append(fx, 1, "prop_a", false);
    append(fx, 1, NULL, true);
    struct event_batch b;
    assert_int_equal(store_events_read(fx->conn, &ALL, 0, 10, &b), LU_OK);
    assert_int_equal(json_array_size(b.events), 2);
    const json_t *e = json_array_get(b.events, 0);
    static const char *const keys[] = {"seq",       "at",          "action", "entity_type",
                                       "entity_id", "property_id", "data"};
    assert_int_equal(json_object_size(e), 7);
    size_t k = 0;
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)e, key, value)
    {
        assert_string_equal(key, keys[k++]); /* the order clients see */
    }
    assert_string_equal(json_string_value(json_object_get(e, "action")), "property.updated");
    assert_string_equal(json_string_value(json_object_get(e, "property_id")), "prop_a");
    assert_string_equal(json_string_value(json_object_get(json_object_get(e, "data"), "name")),
                        "Villa Aurora");
    /* A removal shows the record as it was, and no property reads null. */
    e = json_array_get(b.events, 1);
    assert_true(json_is_null(json_object_get(e, "property_id")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "data"), "n")), 0);
    json_decref(b.events);
}

static void test_scope_filters_but_cursor_moves(void **state)
{
    struct fixture *fx = *state;
    append(fx, 2, "prop_a", false);
    append(fx, 3, "prop_b", false);
    append(fx, 1, NULL, true);
    append(fx, 1, "prop_a", false);
    const char *const mine[] = {"prop_a"};
    struct scope a = {.all = false, .property_ids = mine, .n = 1};
    struct event_batch b;
    assert_int_equal(store_events_read(fx->conn, &a, 0, 10, &b), LU_OK);
    assert_int_equal(json_array_size(b.events), 3);
    assert_int_equal(seq_of(b.events, 2), 7);
    assert_int_equal(b.next_after, 7);
    json_decref(b.events);
    /* Nothing visible in (2, 6]: the cursor still moves past it. */
    assert_int_equal(store_events_read(fx->conn, &a, 2, 1, &b), LU_OK);
    assert_int_equal(json_array_size(b.events), 1);
    assert_int_equal(seq_of(b.events, 0), 7);
    json_decref(b.events);
    struct scope none = {.all = false, .property_ids = NULL, .n = 0};
    assert_int_equal(store_events_read(fx->conn, &none, 0, 10, &b), LU_OK);
    assert_int_equal(json_array_size(b.events), 0);
    assert_int_equal(b.next_after, 7);
    json_decref(b.events);
}

static void test_scan_window_bounds_one_read(void **state)
{
    struct fixture *fx = *state;
    append(fx, EVENTS_SCAN_SEQS + 5, "prop_b", false);
    append(fx, 1, "prop_a", false);
    const char *const mine[] = {"prop_a"};
    struct scope a = {.all = false, .property_ids = mine, .n = 1};
    struct event_batch b;
    assert_int_equal(store_events_read(fx->conn, &a, 0, 10, &b), LU_OK);
    assert_int_equal(json_array_size(b.events), 0);
    assert_int_equal(b.next_after, EVENTS_SCAN_SEQS);
    assert_int_equal(b.head, EVENTS_SCAN_SEQS + 6);
    json_decref(b.events);
    assert_int_equal(store_events_read(fx->conn, &a, b.next_after, 10, &b), LU_OK);
    assert_int_equal(json_array_size(b.events), 1);
    assert_int_equal(seq_of(b.events, 0), EVENTS_SCAN_SEQS + 6);
    assert_int_equal(b.next_after, EVENTS_SCAN_SEQS + 6);
    json_decref(b.events);
}

#define FX(t) cmocka_unit_test_setup_teardown(t, fixture_setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_empty_log),
        FX(test_pages_by_limit_in_order),
        FX(test_event_shape_and_record),
        FX(test_scope_filters_but_cursor_moves),
        FX(test_scan_window_bounds_one_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
