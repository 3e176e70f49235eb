/*
 * today.c — GET /api/today (SPEC §5): the operator's day in their zone.
 *
 * The zone is the property's time_zone when ?property_id= names one (404
 * when the caller cannot see it), else OPERATOR_TIME_ZONE; ?date= is that
 * zone's calendar day (default: today there). The day's end is computed in
 * the zone by core/zone (TZif, thread-safe, right across DST), and the
 * store picks the stays and due items (membership rules in
 * store/today.c). Without property_id every visible property is read with
 * the operator's date, whatever each property's own zone.
 *
 * payment_risks are the current risks of the Stripe ledger (SPEC §6),
 * judged now whatever ?date= says: the same store_payment_risks, and so
 * the same list and order, as GET /api/payments/risks (narrowed to
 * property_id when given). Balances come from store_booking_balance, the
 * ledger's one balance function. A cut risk list is named in "truncated".
 *
 * Reads happen in one read transaction, so the lists agree with each other.
 */
#include <string.h>

#include "api/api_internal.h"
#include "api/checks.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/zone.h"

/* The day the request is about, settled before any list is read. */
struct today_day {
    const char *zone_name;
    char date[ZONE_DATE_BYTES];
    char day_start[RFC3339_BYTES];
    char day_end[RFC3339_BYTES];
};

/* Opens the zone and settles the date (given or today) and its bounds.
 * Replies and returns false on failure. */
static bool day_settle(struct lu_req *req, const char *date, struct today_day *day)
{
    struct zone *z = NULL;
    enum lu_rc rc = zone_open(day->zone_name, &z);
    if (rc != LU_OK) {
        /* The name was valid when stored, so the machine's tzdata is
         * missing or damaged: someone must act. */
        log_msg(LOG_ERROR, req->request_id, "cannot read time zone %s: %s", day->zone_name,
                lu_rc_name(rc));
        reply_error(req, 500, "internal", "the time zone data of this machine is unreadable", NULL);
        return false;
    }
    if (date != NULL) {
        snprintf(day->date, sizeof day->date, "%s", date);
    } else {
        zone_date_of(z, clock_now_s(), day->date);
    }
    int64_t start = 0, end = 0;
    bool ok = zone_day_bounds(z, day->date, &start, &end);
    zone_close(z);
    if (!ok) {
        /* Today as the zone sees it is always a real date, and a given one
         * was checked: only a clock past 9999 gets here. */
        reply_error(req, 400, "invalid_field", "date must be YYYY-MM-DD", "date");
        return false;
    }
    clock_format_utc(start, day->day_start);
    clock_format_utc(end, day->day_end);
    return true;
}

/* The answer around the store's lists and the payment risks (both taken). */
static json_t *answer_build(const struct today_day *day, const char *property_id, json_t *lists,
                            json_t *risks)
{
    char now[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    json_t *answer =
        json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:o}", "date", day->date, "time_zone",
                  day->zone_name, "property_id", property_id, "generated_at", now, "day_start",
                  day->day_start, "day_end", day->day_end, "payment_risks", risks);
    if (answer == NULL || json_object_update(answer, lists) != 0) {
        json_decref(answer);
        answer = NULL;
    }
    json_decref(lists);
    return answer;
}

void api_today(struct lu_req *req)
{
    const char *property_id = NULL;
    const char *date = req_query(req, "date");
    if (!api_query_checked(req, "property_id", check_id, &property_id)) {
        return;
    }
    if (date != NULL && !check_date(date)) {
        reply_error(req, 400, "invalid_field", "date must be YYYY-MM-DD", "date");
        return;
    }
    struct db_conn *conn = api_db(req);
    if (conn == NULL) {
        return;
    }
    struct scope scope;
    api_scope(req, &scope);
    enum lu_rc rc = db_begin(conn, false);
    json_t *property = NULL;
    if (rc == LU_OK && property_id != NULL) {
        rc = store_property_get(conn, &scope, property_id, &property);
    }
    struct today_day day = {.zone_name = req->app->cfg.operator_time_zone};
    if (property != NULL) {
        day.zone_name = json_string_value(json_object_get(property, "time_zone"));
    }
    json_t *lists = NULL;
    if (rc == LU_OK && day_settle(req, date, &day)) {
        struct today_query q = {
            .property_id = property_id, .date = day.date, .day_end = day.day_end};
        rc = store_today(conn, &scope, &q, &lists);
    }
    json_t *risks = NULL;
    bool risks_cut = false;
    if (rc == LU_OK && lists != NULL) {
        rc = store_payment_risks(conn, &scope, property_id, clock_now_s(), &risks, &risks_cut);
    }
    if (rc == LU_OK && risks_cut &&
        json_array_append_new(json_object_get(lists, "truncated"), json_string("payment_risks"))) {
        rc = LU_NOMEM;
    }
    db_rollback(conn); /* a read: nothing to keep */
    api_db_done(conn);
    json_t *answer = NULL;
    if (lists != NULL && risks != NULL) {
        answer = answer_build(&day, property_id, lists, risks); /* takes both */
    } else {
        json_decref(lists);
        json_decref(risks);
    }
    json_decref(property); /* after the answer copied its zone name */
    if (reply_done(req)) {
        return;
    }
    if (rc != LU_OK || answer == NULL) {
        reply_rc(req, rc == LU_OK ? LU_NOMEM : (rc == LU_IO ? LU_UNAVAILABLE : rc));
        return;
    }
    reply_json(req, 200, answer);
}
