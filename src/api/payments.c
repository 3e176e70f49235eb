/*
 * payments.c — reading payment truth (SPEC §6):
 *   GET /api/bookings/{id}/payments  one booking's money, records and risks
 *                                    (404 when the caller cannot see it);
 *   GET /api/payments/risks          every current risk of the bookings the
 *                                    caller sees (?property_id= narrows it),
 *                                    most severe first;
 *   GET /api/payments/unlinked       Stripe records no known booking claims
 *                                    (owner or service: they belong to no
 *                                    property).
 * Risks are judged now, in each booking's property zone (which defaults
 * to OPERATOR_TIME_ZONE); the rules are in ledger/ledger.h. Each answer is
 * read in one read transaction so its parts agree.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "api/checks.h"
#include "core/clock.h"
#include "ledger/ledger.h"

/* Opens a read transaction on a borrowed connection; replies 503 and
 * returns NULL on failure. */
static struct db_conn *read_begin(struct lu_req *req)
{
    struct db_conn *conn = api_db(req);
    if (conn != NULL && db_begin(conn, false) != LU_OK) {
        api_db_done(conn);
        reply_rc(req, LU_UNAVAILABLE);
        return NULL;
    }
    return conn;
}

static void read_end(struct db_conn *conn)
{
    db_rollback(conn); /* a read: nothing to keep */
    api_db_done(conn);
}

static void reply_read(struct lu_req *req, enum lu_rc rc, json_t *body)
{
    if (rc != LU_OK) {
        json_decref(body);
        reply_rc(req, rc);
        return;
    }
    reply_json(req, 200, body);
}

void api_booking_payments(struct lu_req *req)
{
    struct db_conn *conn = read_begin(req);
    if (conn == NULL) {
        return;
    }
    struct scope scope;
    api_scope(req, &scope);
    json_t *body = NULL;
    enum lu_rc rc =
        store_booking_payments(conn, &scope, req_param(req, "id"), clock_now_s(), &body);
    read_end(conn);
    reply_read(req, rc, body);
}

void api_payments_risks(struct lu_req *req)
{
    const char *property_id = NULL;
    if (!api_query_checked(req, "property_id", check_id, &property_id)) {
        return;
    }
    struct db_conn *conn = read_begin(req);
    if (conn == NULL) {
        return;
    }
    struct scope scope;
    api_scope(req, &scope);
    json_t *property = NULL;
    json_t *risks = NULL;
    bool truncated = false;
    enum lu_rc rc = LU_OK;
    if (property_id != NULL) {
        rc = store_property_get(conn, &scope, property_id, &property); /* 404 outside scope */
        json_decref(property);
    }
    int64_t now = clock_now_s();
    if (rc == LU_OK) {
        rc = store_payment_risks(conn, &scope, property_id, now, &risks, &truncated);
    }
    read_end(conn);
    char at[RFC3339_BYTES];
    clock_format_utc(now, at);
    json_t *body = rc == LU_OK ? json_pack("{s:o, s:s, s:b}", "data", risks, "generated_at", at,
                                           "truncated", truncated)
                               : NULL;
    if (rc == LU_OK && body == NULL) {
        rc = LU_NOMEM;
    }
    reply_read(req, rc, body);
}

void api_payments_unlinked(struct lu_req *req)
{
    /* Not req_list_params: a checkout session id (a cursor here) is longer
     * than the 64 bytes it allows. */
    int limit = LIST_LIMIT_DEFAULT;
    const char *l = req_query(req, "limit");
    const char *after = req_query(req, "after");
    char *end = NULL;
    long v = l ? strtol(l, &end, 10) : LIST_LIMIT_DEFAULT;
    if (l != NULL && (end == l || *end != '\0' || v < 1 || v > LIST_LIMIT_MAX)) {
        reply_error(req, 400, "invalid_field", "limit must be an integer from 1 to 500", "limit");
        return;
    }
    limit = (int)v;
    if (after != NULL && (after[0] == '\0' || strlen(after) >= LEDGER_ID_BYTES)) {
        reply_error(req, 400, "invalid_field", "after must be an id from a previous page", "after");
        return;
    }
    struct db_conn *conn = api_db(req);
    if (conn == NULL) {
        return;
    }
    json_t *body = NULL;
    enum lu_rc rc = store_payments_unlinked(conn, limit, after, &body);
    api_db_done(conn);
    reply_read(req, rc, body);
}
