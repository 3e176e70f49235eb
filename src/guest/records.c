/*
 * records.c — a guest's own records, read for the guest (SPEC §8b): their
 * bookings, the balance of one, their items and their chat thread. Every
 * read goes through the store with a scope of the guest's one property and
 * then checks the record is this guest's; anything else is LU_NOT_FOUND,
 * so a guest never learns that another guest's id exists.
 *
 * "The guest's items" are the items whose guest_id is the guest, or whose
 * booking is one of the guest's bookings. Called by src/api/guest.c and
 * chat.c.
 */
#include <stdio.h>
#include <string.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/limits.h"
#include "guest/guest.h"
#include "guest/guest_internal.h"
#include "store/messages.h"

void guest_scope(const struct guest_identity *who, struct guest_scope *out)
{
    out->ids[0] = who->property_id;
    out->scope = (struct scope){.all = false, .property_ids = out->ids, .n = 1};
}

static bool str_is(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

enum lu_rc guest_bookings_read(struct db_conn *conn, const struct guest_identity *who, json_t **out)
{
    struct guest_scope gs;
    guest_scope(who, &gs);
    struct booking_filter f = {.guest_id = who->guest_id};
    struct page page = {0};
    enum lu_rc rc = store_booking_list(conn, &gs.scope, &f, GUEST_BOOKINGS_MAX, NULL, &page);
    if (rc != LU_OK) {
        return rc;
    }
    json_t *body = page_to_json(&page);
    json_t *data = json_object_get(body, "data");
    if (!json_is_array(data)) {
        json_decref(body);
        return LU_NOMEM;
    }
    *out = json_incref(data);
    json_decref(body);
    return LU_OK;
}

enum lu_rc guest_property_read(struct db_conn *conn, const struct guest_identity *who, json_t **out)
{
    struct guest_scope gs;
    guest_scope(who, &gs);
    return store_property_get(conn, &gs.scope, who->property_id, out);
}

/* The booking as the guest sees it. Takes booking. */
static json_t *booking_view(json_t *booking, const char *property_name)
{
    json_t *v = json_pack("{s:O, s:O, s:s?, s:O, s:O, s:O}", "id", json_object_get(booking, "id"),
                          "property_id", json_object_get(booking, "property_id"), "property_name",
                          property_name, "check_in", json_object_get(booking, "check_in"),
                          "check_out", json_object_get(booking, "check_out"), "status",
                          json_object_get(booking, "status"));
    json_decref(booking);
    return v;
}

enum lu_rc guest_me(struct db_conn *conn, const struct guest_identity *who, json_t **out)
{
    struct guest_scope gs;
    guest_scope(who, &gs);
    json_t *guest = NULL, *property = NULL, *bookings = NULL;
    enum lu_rc rc = store_guest_get(conn, &gs.scope, who->guest_id, &guest);
    if (rc == LU_OK) {
        rc = guest_property_read(conn, who, &property);
    }
    if (rc == LU_OK) {
        rc = guest_bookings_read(conn, who, &bookings);
    }
    json_t *list = rc == LU_OK ? json_array() : NULL;
    const char *pname = json_string_value(json_object_get(property, "name"));
    for (size_t i = 0; list != NULL && i < json_array_size(bookings); i++) {
        json_array_append_new(list, booking_view(json_incref(json_array_get(bookings, i)), pname));
    }
    if (rc == LU_OK) {
        *out = json_pack("{s:{s:O, s:O, s:O}, s:o}", "guest", "id", json_object_get(guest, "id"),
                         "name", json_object_get(guest, "name"), "email",
                         json_object_get(guest, "email"), "bookings", list);
        rc = *out ? LU_OK : LU_NOMEM;
    }
    json_decref(guest);
    json_decref(property);
    json_decref(bookings);
    return rc;
}

/* The booking id when it is the guest's; LU_NOT_FOUND otherwise. */
static enum lu_rc own_booking(struct db_conn *conn, const struct guest_identity *who,
                              const char *id, json_t **out)
{
    struct guest_scope gs;
    guest_scope(who, &gs);
    json_t *booking = NULL;
    enum lu_rc rc = store_booking_get(conn, &gs.scope, id, &booking);
    if (rc == LU_OK &&
        !str_is(json_string_value(json_object_get(booking, "guest_id")), who->guest_id)) {
        json_decref(booking);
        return LU_NOT_FOUND;
    }
    if (rc == LU_OK) {
        *out = booking;
    }
    return rc;
}

enum lu_rc guest_booking(struct db_conn *conn, const struct guest_identity *who, const char *id,
                         json_t **out)
{
    json_t *booking = NULL, *property = NULL;
    enum lu_rc rc = own_booking(conn, who, id, &booking);
    if (rc == LU_OK) {
        rc = guest_property_read(conn, who, &property);
    }
    if (rc == LU_OK) {
        *out = booking_view(booking, json_string_value(json_object_get(property, "name")));
        booking = NULL;
        rc = *out ? LU_OK : LU_NOMEM;
    }
    json_decref(booking);
    json_decref(property);
    return rc;
}

enum lu_rc guest_balance(struct db_conn *conn, const struct guest_identity *who, const char *id,
                         int64_t now_s, json_t **out)
{
    json_t *booking = NULL;
    enum lu_rc rc = own_booking(conn, who, id, &booking);
    json_decref(booking);
    if (rc != LU_OK) {
        return rc;
    }
    struct guest_scope gs;
    guest_scope(who, &gs);
    json_t *payments = NULL;
    rc = store_booking_payments(conn, &gs.scope, id, now_s, &payments);
    if (rc != LU_OK) {
        return rc;
    }
    *out = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "booking_id",
                     json_object_get(payments, "booking_id"), "total_cents",
                     json_object_get(payments, "total_cents"), "paid_cents",
                     json_object_get(payments, "paid_cents"), "refunded_cents",
                     json_object_get(payments, "refunded_cents"), "open_cents",
                     json_object_get(payments, "open_cents"), "currency",
                     json_object_get(payments, "currency"), "status",
                     json_object_get(payments, "status"));
    json_decref(payments);
    return *out ? LU_OK : LU_NOMEM;
}

/* The time of the last transition of entity into state, or NULL. */
static json_t *transition_time(const json_t *history, const char *state)
{
    for (size_t i = json_array_size(history); i-- > 0;) {
        const json_t *t = json_array_get(history, i);
        if (str_is(json_string_value(json_object_get(t, "to")), state)) {
            return json_object_get(t, "at");
        }
    }
    return NULL;
}

enum lu_rc guest_item_view(struct db_conn *conn, const json_t *item, json_t **out)
{
    json_t *history = NULL;
    enum lu_rc rc = store_history(conn, json_string_value(json_object_get(item, "id")), &history);
    if (rc != LU_OK) {
        return rc;
    }
    json_t *v = json_pack(
        "{s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "type", "item", "id",
        json_object_get(item, "id"), "kind", json_object_get(item, "kind"), "title",
        json_object_get(item, "title"), "details", json_object_get(item, "details"), "state",
        json_object_get(item, "state"), "priority", json_object_get(item, "priority"), "booking_id",
        json_object_get(item, "booking_id"), "due_at", json_object_get(item, "due_at"),
        "created_at", json_object_get(item, "created_at"));
    json_t *confirmed = transition_time(history, "confirmed");
    json_t *done = transition_time(history, "done");
    if (v != NULL && confirmed != NULL) {
        json_object_set(v, "confirmed_at", confirmed);
    }
    if (v != NULL && done != NULL) {
        json_object_set(v, "done_at", done);
    }
    json_decref(history);
    *out = v;
    return v ? LU_OK : LU_NOMEM;
}

/* The ids of the guest's items, newest first, after `after` (or all). */
static enum lu_rc own_item_ids(struct db_conn *conn, const struct guest_identity *who, int limit,
                               const char *after, struct db_rows **rows)
{
    struct db_param p[] = {P_TEXT(who->property_id),   P_TEXT(who->guest_id), P_TEXT(who->guest_id),
                           P_TEXT(after ? after : ""), P_INT(after ? 1 : 0),  P_INT(limit)};
    return db_exec(conn,
                   "SELECT id FROM items WHERE property_id = ? AND (guest_id = ? OR booking_id IN "
                   "(SELECT id FROM bookings WHERE guest_id = ?)) AND (id < ? OR ? = 0) "
                   "ORDER BY id DESC LIMIT ?",
                   p, 6, rows, NULL);
}

enum lu_rc guest_items_read(struct db_conn *conn, const struct guest_identity *who, int limit,
                            const char *after, json_t **out, bool *has_more)
{
    LU_ASSERT(limit >= 1 && limit <= GUEST_ITEMS_MAX + 500);
    struct db_rows *rows = NULL;
    enum lu_rc rc = own_item_ids(conn, who, limit + 1, after, &rows);
    json_t *list = rc == LU_OK ? json_array() : NULL;
    if (rc == LU_OK && list == NULL) {
        rc = LU_NOMEM;
    }
    struct guest_scope gs;
    guest_scope(who, &gs);
    size_t n = rc == LU_OK ? rows->nrows : 0;
    *has_more = n > (size_t)limit;
    for (size_t i = 0; rc == LU_OK && i < n && i < (size_t)limit; i++) {
        json_t *item = NULL, *view = NULL;
        rc = store_item_get(conn, &gs.scope, db_rows_text(rows, i, 0), &item);
        if (rc == LU_OK) {
            rc = guest_item_view(conn, item, &view);
        }
        json_decref(item);
        if (rc == LU_OK) {
            json_array_append_new(list, view);
        }
    }
    db_rows_free(rows);
    if (rc != LU_OK) {
        json_decref(list);
        return rc;
    }
    *out = list;
    return LU_OK;
}

enum lu_rc guest_items(struct db_conn *conn, const struct guest_identity *who, int limit,
                       const char *after, struct page *out)
{
    memset(out, 0, sizeof *out);
    json_t *list = NULL;
    bool more = false;
    enum lu_rc rc = guest_items_read(conn, who, limit, after, &list, &more);
    if (rc != LU_OK) {
        return rc;
    }
    out->data = list;
    out->has_more = more;
    size_t n = json_array_size(list);
    if (more && n > 0) {
        snprintf(out->next, sizeof out->next, "%s",
                 json_string_value(json_object_get(json_array_get(list, n - 1), "id")));
    }
    return LU_OK;
}

/* True when item (a record) is the guest's own. */
static bool item_owned(struct db_conn *conn, const struct guest_identity *who, const json_t *item)
{
    if (str_is(json_string_value(json_object_get(item, "guest_id")), who->guest_id)) {
        return true;
    }
    const char *booking_id = json_string_value(json_object_get(item, "booking_id"));
    json_t *booking = NULL;
    if (booking_id == NULL || own_booking(conn, who, booking_id, &booking) != LU_OK) {
        return false;
    }
    json_decref(booking);
    return true;
}

enum lu_rc guest_item(struct db_conn *conn, const struct guest_identity *who, const char *id,
                      json_t **out)
{
    struct guest_scope gs;
    guest_scope(who, &gs);
    json_t *item = NULL;
    enum lu_rc rc = store_item_get(conn, &gs.scope, id, &item);
    if (rc == LU_OK && !item_owned(conn, who, item)) {
        rc = LU_NOT_FOUND;
    }
    if (rc == LU_OK) {
        rc = guest_item_view(conn, item, out);
    }
    json_decref(item);
    return rc;
}

enum lu_rc guest_thread(struct db_conn *conn, const struct guest_identity *who, const char *id,
                        json_t **out)
{
    struct guest_scope gs;
    guest_scope(who, &gs);
    struct message_filter f = {.guest_id = who->guest_id, .thread_id = id, .linked = -1};
    struct page page = {0};
    enum lu_rc rc = store_message_list(conn, &gs.scope, &f, LIST_LIMIT_MAX, NULL, &page);
    if (rc != LU_OK) {
        return rc;
    }
    json_t *body = page_to_json(&page);
    json_t *data = json_object_get(body, "data");
    if (!json_is_array(data) || json_array_size(data) == 0) {
        json_decref(body);
        return body == NULL ? LU_NOMEM : LU_NOT_FOUND;
    }
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < json_array_size(data); i++) {
        const json_t *m = json_array_get(data, i);
        json_array_append_new(
            list, json_pack("{s:O, s:O, s:O, s:O, s:O}", "id", json_object_get(m, "id"),
                            "direction", json_object_get(m, "direction"), "channel",
                            json_object_get(m, "channel"), "body", json_object_get(m, "body"),
                            "created_at", json_object_get(m, "created_at")));
    }
    *out = list ? json_pack("{s:s, s:o, s:b}", "id", id, "messages", list, "has_more",
                            json_is_true(json_object_get(body, "has_more")))
                : NULL;
    json_decref(body);
    return *out ? LU_OK : LU_NOMEM;
}
