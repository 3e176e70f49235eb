/*
 * items.c — /api/items (SPEC §5): concierge requests, maintenance and tasks
 * with their truth states, and the transition and history handlers shared
 * with bookings.
 */
#include <string.h>

#include "api/api_internal.h"
#include "api/checks.h"
#include "core/clock.h"
#include "core/limits.h"
#include "store/truth.h"

static const struct field_spec item_fields[] = {
    {.name = "property_id", .type = F_STRING, .check = check_id,
     .hint = "property_id must be a property id"},
    {.name = "kind", .type = F_STRING, .required = true, .check = check_item_kind,
     .hint = "kind must be concierge, maintenance or task"},
    {.name = "title", .type = F_STRING, .required = true, .min_len = 1,
     .max_len = NAME_BYTES_MAX, .check = check_not_blank,
     .hint = "title must be 1 to 200 characters"},
    {.name = "details", .type = F_STRING, .nullable = true, .max_len = TEXT_BYTES_MAX,
     .hint = "details must be at most 10000 characters"},
    {.name = "priority", .type = F_STRING, .check = check_priority,
     .hint = "priority must be low, normal, high or urgent"},
    {.name = "guest_impacting", .type = F_BOOL, .hint = "guest_impacting must be true or false"},
    {.name = "due_at", .type = F_STRING, .nullable = true, .check = check_time,
     .hint = "due_at must be an RFC 3339 time such as 2026-11-23T19:30:00Z"},
    {.name = "assignee", .type = F_STRING, .nullable = true, .max_len = NAME_BYTES_MAX,
     .hint = "assignee must be at most 200 characters"},
    {.name = "booking_id", .type = F_STRING, .nullable = true, .check = check_id,
     .hint = "booking_id must be a booking id"},
    {.name = "guest_id", .type = F_STRING, .nullable = true, .check = check_id,
     .hint = "guest_id must be a guest id"},
};
#define NFIELDS (sizeof item_fields / sizeof item_fields[0])

static const struct field_spec transition_fields[] = {
    {.name = "to", .type = F_STRING, .required = true, .min_len = 1, .max_len = 32,
     .hint = "to must name the target state"},
    {.name = "evidence", .type = F_STRING, .nullable = true, .max_len = TEXT_BYTES_MAX,
     .hint = "evidence must be text"},
    {.name = "note", .type = F_STRING, .nullable = true, .max_len = TEXT_BYTES_MAX,
     .hint = "note must be text"},
};

static bool state_ok(const char *s)
{
    return truth_state_known(TRUTH_ITEM, s);
}

static enum lu_rc list_items(struct db_conn *conn, const struct scope *scope,
                             const void *filter, int limit, const char *after, struct page *out)
{
    return store_item_list(conn, scope, filter, limit, after, out);
}

void api_items_list(struct lu_req *req)
{
    struct item_filter f = {0};
    if (!api_query_checked(req, "kind", check_item_kind, &f.kind) ||
        !api_query_checked(req, "state", state_ok, &f.state) ||
        !api_query_checked(req, "property_id", check_id, &f.property_id) ||
        !api_query_checked(req, "booking_id", check_id, &f.booking_id) ||
        !api_query_checked(req, "assignee", check_not_blank, &f.assignee) ||
        !api_query_checked(req, "due_before", check_time, &f.due_before)) {
        return;
    }
    /* Stored due times are UTC text; compare against the same form. */
    char due[RFC3339_BYTES];
    int64_t t;
    if (f.due_before != NULL && clock_parse_rfc3339(f.due_before, &t)) {
        clock_format_utc(t, due);
        f.due_before = due;
    }
    api_list(req, list_items, &f);
}

static bool item_prepare(struct lu_req *req, json_t *body)
{
    if (!json_is_string(json_object_get(body, "property_id")) &&
        !json_is_string(json_object_get(body, "booking_id"))) {
        reply_error(req, 400, "invalid_field", "property_id is required unless booking_id is given",
                    "property_id");
        return false;
    }
    return normalise_time(body, "due_at"); /* validated already, so it parses */
}

void api_items_create(struct lu_req *req)
{
    static const struct create_spec spec = {
        .fields = item_fields,
        .nfields = NFIELDS,
        .prepare = item_prepare,
        .create = store_item_create,
        .not_found_message = "no such property, booking or guest",
        .invalid_message = "the booking or guest belongs to another property",
        .invalid_field = "property_id",
    };
    api_create(req, &spec);
}

void api_item_get(struct lu_req *req)
{
    api_get_by_id(req, store_item_get);
}

static enum lu_rc item_update(struct db_conn *conn, const char *actor, const struct scope *scope,
                              const char *id, const json_t *changes, int64_t expected,
                              json_t **out)
{
    json_t *copy = json_deep_copy(changes);
    if (copy == NULL) {
        return LU_NOMEM;
    }
    normalise_time(copy, "due_at");
    enum lu_rc rc = store_item_update(conn, actor, scope, id, copy, expected, out);
    json_decref(copy);
    return rc;
}

void api_item_patch(struct lu_req *req)
{
    /* Everything but property_id may change. */
    api_patch_by_id(req, item_fields + 1, NFIELDS - 1, "state", item_update,
                    "the booking or guest belongs to another property");
}

void api_transition(struct lu_req *req, const char *entity_type)
{
    int64_t expected;
    json_t *body = NULL;
    if (!api_if_match(req, &expected) ||
        !api_body_checked(req, transition_fields, 3, false, NULL, &body)) {
        return;
    }
    const char *to = json_string_value(json_object_get(body, "to"));
    enum truth_machine m = strcmp(entity_type, "item") == 0 ? TRUTH_ITEM : TRUTH_BOOKING;
    if (!truth_state_known(m, to)) {
        reply_error(req, 400, "invalid_field", "to is not a state of this record", "to");
        json_decref(body);
        return;
    }
    struct transition_request t = {
        .to = to,
        .evidence = json_string_value(json_object_get(body, "evidence")),
        .note = json_string_value(json_object_get(body, "note")),
        .expected = expected,
    };
    struct api_write w;
    if (!api_write_begin(req, &w)) {
        json_decref(body);
        return;
    }
    struct scope scope;
    api_scope(req, &scope);
    json_t *record = NULL;
    struct transition_refusal refusal;
    enum lu_rc rc = store_transition(w.conn, api_actor(req), &scope, entity_type,
                                     req_param(req, "id"), &t, &record, &refusal);
    json_decref(body);
    if (rc == LU_INVALID) {
        json_t *allowed = json_array();
        for (char *tok = refusal.allowed; allowed && *tok;) {
            char *sep = strstr(tok, ", ");
            size_t n = sep ? (size_t)(sep - tok) : strlen(tok);
            json_array_append_new(allowed, json_stringn(tok, n));
            tok += n + (sep ? 2 : 0);
        }
        json_t *err = json_pack("{s:s, s:s, s:o}", "code", refusal.code, "message",
                                refusal.message, "allowed", allowed ? allowed : json_array());
        reply_json(req, 422, json_pack("{s:o}", "error", err));
    } else if (rc == LU_CONFLICT) {
        reply_error(req, 409, "conflict",
                    "the record is already in that state or changed meanwhile; reload it", NULL);
    }
    if (rc != LU_OK) {
        api_write_fail(&w, rc);
        return;
    }
    api_write_commit(&w, 200, record);
}

void api_history(struct lu_req *req, record_getter get)
{
    struct db_conn *conn = api_db(req);
    if (conn == NULL) {
        return;
    }
    struct scope scope;
    api_scope(req, &scope);
    json_t *record = NULL;
    json_t *history = NULL;
    const char *id = req_param(req, "id");
    enum lu_rc rc = get(conn, &scope, id, &record);
    if (rc == LU_OK) {
        rc = store_history(conn, id, &history);
    }
    api_db_done(conn);
    json_decref(record);
    if (rc != LU_OK) {
        reply_rc(req, rc);
        return;
    }
    reply_json(req, 200, json_pack("{s:o}", "data", history));
}

void api_item_transition(struct lu_req *req)
{
    api_transition(req, "item");
}

void api_item_history(struct lu_req *req)
{
    api_history(req, store_item_get);
}
