/*
 * payments.c — reading the Stripe ledger (SPEC §6): a booking's payment
 * truth, the current risks of every visible booking, and the records no
 * known booking claims. The arithmetic and the risk rules are the ledger's
 * (ledger/ledger.h); this file only selects rows and shapes JSON. The
 * write path is payments_apply.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/assert.h"
#include "core/clock.h"
#include "store/payments_internal.h"
#include "store/store_internal.h"

/* Bookings judged per risks request: the candidates of
 * RISK_CANDIDATES_SQL, which can carry a risk. A boutique property has a
 * handful; past this the answer says "truncated" rather than pretending
 * the list is whole. The newest check-ins are judged first. */
#define RISK_BOOKINGS_MAX 5000
/* Zones kept open during one risks request; more distinct zones than this
 * are opened per booking. */
#define RISK_ZONES_MAX 16

#define RISK_SQL_BYTES_MAX 8192
/* Bookings whose records one query reads: every query has exactly this
 * many placeholders. */
#define RISK_RECORDS_CHUNK 100

/* --- rows and JSON ------------------------------------------------------- */

/* Where each column of PAYMENT_RECORD_COLUMNS is in a result (by name, so
 * a prefixed select works too); -1 when absent. Found once per result. */
enum payment_col {
    PC_OBJECT,
    PC_ID,
    PC_BOOKING_ID,
    PC_METADATA_BOOKING_ID,
    PC_PAYMENT_INTENT,
    PC_CHARGE,
    PC_CURRENCY,
    PC_STATUS,
    PC_PAYMENT_STATUS,
    PC_FAILURE_CODE,
    PC_FAILURE_MESSAGE,
    PC_REASON,
    PC_STATUS_EVENT_ID,
    PC_AMOUNT,
    PC_AMOUNT_RECEIVED,
    PC_AMOUNT_REFUNDED,
    PC_OBJECT_CREATED,
    PC_STATUS_CREATED,
    PC_VERSION,
    PC_COLS
};

struct payment_cols {
    int at[PC_COLS];
};

static void payment_cols_find(const struct db_rows *rows, struct payment_cols *c)
{
    static const char *const names[PC_COLS] = {
        [PC_OBJECT] = "object",
        [PC_ID] = "id",
        [PC_BOOKING_ID] = "booking_id",
        [PC_METADATA_BOOKING_ID] = "metadata_booking_id",
        [PC_PAYMENT_INTENT] = "payment_intent",
        [PC_CHARGE] = "charge",
        [PC_CURRENCY] = "currency",
        [PC_STATUS] = "status",
        [PC_PAYMENT_STATUS] = "payment_status",
        [PC_FAILURE_CODE] = "failure_code",
        [PC_FAILURE_MESSAGE] = "failure_message",
        [PC_REASON] = "reason",
        [PC_STATUS_EVENT_ID] = "status_event_id",
        [PC_AMOUNT] = "amount",
        [PC_AMOUNT_RECEIVED] = "amount_received",
        [PC_AMOUNT_REFUNDED] = "amount_refunded",
        [PC_OBJECT_CREATED] = "object_created",
        [PC_STATUS_CREATED] = "status_created",
        [PC_VERSION] = "version",
    };
    for (size_t i = 0; i < PC_COLS; i++) {
        c->at[i] = db_rows_col(rows, names[i]);
    }
}

/* The text of column col into dst, "" when NULL or absent; cut at cap - 1
 * bytes, as snprintf would. */
static void cell_copy(const struct db_rows *rows, size_t r, const struct payment_cols *c,
                      enum payment_col col, char *dst, size_t cap)
{
    const char *v = c->at[col] >= 0 ? db_rows_text(rows, r, (size_t)c->at[col]) : NULL;
    size_t len = v != NULL ? strnlen(v, cap - 1) : 0;
    memcpy(dst, v != NULL ? v : "", len);
    dst[len] = '\0';
}

static int64_t cell_int(const struct db_rows *rows, size_t r, const struct payment_cols *c,
                        enum payment_col col)
{
    return c->at[col] >= 0 ? db_rows_int(rows, r, (size_t)c->at[col]) : 0;
}

static void payment_row_read_at(const struct db_rows *rows, const struct payment_cols *c, size_t r,
                                struct ledger_record *rec, int64_t *version)
{
    memset(rec, 0, sizeof *rec);
    char kind[LEDGER_WORD_BYTES];
    cell_copy(rows, r, c, PC_OBJECT, kind, sizeof kind);
    /* The CHECK constraint admits only our names. */
    LU_ASSERT(ledger_kind_parse(kind, &rec->kind));
    cell_copy(rows, r, c, PC_ID, rec->id, sizeof rec->id);
    cell_copy(rows, r, c, PC_BOOKING_ID, rec->booking_id, sizeof rec->booking_id);
    cell_copy(rows, r, c, PC_METADATA_BOOKING_ID, rec->metadata_booking_id,
              sizeof rec->metadata_booking_id);
    cell_copy(rows, r, c, PC_PAYMENT_INTENT, rec->payment_intent, sizeof rec->payment_intent);
    cell_copy(rows, r, c, PC_CHARGE, rec->charge, sizeof rec->charge);
    cell_copy(rows, r, c, PC_CURRENCY, rec->currency, sizeof rec->currency);
    cell_copy(rows, r, c, PC_STATUS, rec->status, sizeof rec->status);
    cell_copy(rows, r, c, PC_PAYMENT_STATUS, rec->payment_status, sizeof rec->payment_status);
    cell_copy(rows, r, c, PC_FAILURE_CODE, rec->failure_code, sizeof rec->failure_code);
    cell_copy(rows, r, c, PC_FAILURE_MESSAGE, rec->failure_message, sizeof rec->failure_message);
    cell_copy(rows, r, c, PC_REASON, rec->reason, sizeof rec->reason);
    cell_copy(rows, r, c, PC_STATUS_EVENT_ID, rec->status_event_id, sizeof rec->status_event_id);
    rec->amount = cell_int(rows, r, c, PC_AMOUNT);
    rec->amount_received = cell_int(rows, r, c, PC_AMOUNT_RECEIVED);
    rec->amount_refunded = cell_int(rows, r, c, PC_AMOUNT_REFUNDED);
    rec->object_created = cell_int(rows, r, c, PC_OBJECT_CREATED);
    rec->status_created = cell_int(rows, r, c, PC_STATUS_CREATED);
    if (version != NULL) {
        *version = cell_int(rows, r, c, PC_VERSION);
    }
}

void payment_row_read(const struct db_rows *rows, size_t r, struct ledger_record *rec,
                      int64_t *version)
{
    struct payment_cols c;
    payment_cols_find(rows, &c);
    payment_row_read_at(rows, &c, r, rec, version);
}

/* Row r's created_at or updated_at text into dst ("" when NULL). */
static void stamp_copy(const struct db_rows *rows, size_t r, const char *name, char *dst,
                       size_t cap)
{
    int c = db_rows_col(rows, name);
    const char *v = c >= 0 ? db_rows_text(rows, r, (size_t)c) : NULL;
    snprintf(dst, cap, "%s", v ? v : "");
}

static const char *nz(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

json_t *payment_record_json(const struct ledger_record *rec, int64_t version,
                            const char *created_at, const char *updated_at)
{
    char created[RFC3339_BYTES], status_at[RFC3339_BYTES];
    clock_format_utc(rec->object_created, created);
    clock_format_utc(rec->status_created, status_at);
    json_t *o = json_pack(
        "{s:s, s:s, s:s?, s:s?, s:s?, s:I, s:I, s:I, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "id",
        rec->id, "object", ledger_kind_name(rec->kind), "booking_id", nz(rec->booking_id),
        "payment_intent", nz(rec->payment_intent), "charge", nz(rec->charge), "amount",
        (json_int_t)rec->amount, "amount_received", (json_int_t)rec->amount_received,
        "amount_refunded", (json_int_t)rec->amount_refunded, "currency", nz(rec->currency),
        "status", nz(rec->status), "payment_status", nz(rec->payment_status), "failure_code",
        nz(rec->failure_code), "failure_message", nz(rec->failure_message), "reason",
        nz(rec->reason));
    json_t *more = json_pack(
        "{s:s?, s:s, s:s, s:I, s:s?, s:s?}", "created", rec->object_created ? created : NULL,
        "status_at", status_at, "status_event_id", rec->status_event_id, "version",
        (json_int_t)version, "created_at", created_at, "updated_at", updated_at);
    if (o == NULL || more == NULL || json_object_update(o, more) != 0) {
        json_decref(o);
        o = NULL;
    }
    json_decref(more);
    return o;
}

static json_t *row_json(const struct db_rows *rows, size_t r, const struct ledger_record *rec)
{
    char created_at[RFC3339_BYTES], updated_at[RFC3339_BYTES];
    stamp_copy(rows, r, "created_at", created_at, sizeof created_at);
    stamp_copy(rows, r, "updated_at", updated_at, sizeof updated_at);
    int version = db_rows_col(rows, "version");
    return payment_record_json(rec, version >= 0 ? db_rows_int(rows, r, (size_t)version) : 0,
                               created_at, updated_at);
}

enum lu_rc payment_records_load(struct db_conn *conn, const char *booking_id,
                                struct ledger_record **recs, size_t *n, json_t **json)
{
    *recs = NULL;
    *n = 0;
    struct db_param p[] = {P_TEXT(booking_id), P_INT(LEDGER_BOOKING_RECORDS_MAX + 1)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT " PAYMENT_RECORD_COLUMNS " FROM stripe_financial_records "
                            "WHERE booking_id = ? ORDER BY object_created, id LIMIT ?",
                            p, 2, &rows, NULL);
    if (rc == LU_OK && rows->nrows > LEDGER_BOOKING_RECORDS_MAX) {
        rc = LU_TOO_LARGE;
    }
    struct ledger_record *out = NULL;
    json_t *list = json ? json_array() : NULL;
    if (rc == LU_OK && rows->nrows > 0) {
        out = calloc(rows->nrows, sizeof *out);
        rc = out != NULL ? LU_OK : LU_NOMEM;
    }
    if (rc == LU_OK && json != NULL && list == NULL) {
        rc = LU_NOMEM;
    }
    struct payment_cols cols;
    if (rc == LU_OK) {
        payment_cols_find(rows, &cols);
    }
    for (size_t r = 0; rc == LU_OK && r < rows->nrows; r++) {
        payment_row_read_at(rows, &cols, r, &out[r], NULL);
        if (list != NULL && json_array_append_new(list, row_json(rows, r, &out[r])) != 0) {
            rc = LU_NOMEM;
        }
    }
    size_t count = rows ? rows->nrows : 0;
    db_rows_free(rows);
    if (rc != LU_OK) {
        free(out);
        json_decref(list);
        return rc;
    }
    *recs = out;
    *n = count;
    if (json != NULL) {
        *json = list;
    }
    return LU_OK;
}

/* --- risks ------------------------------------------------------------- */

static json_t *risk_json(const struct ledger_risk *r)
{
    char since[RFC3339_BYTES];
    clock_format_utc(r->since, since);
    return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "booking_id", r->booking_id,
                     "guest_name", r->guest_name, "reason", ledger_risk_reason_name(r->reason),
                     "amount_cents", (json_int_t)r->amount_cents, "currency", r->currency, "since",
                     since, "detail", r->detail);
}

static enum lu_rc risks_json(struct ledger_risk *risks, size_t n, json_t **out)
{
    ledger_risks_sort(risks, n);
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < n; i++) {
        if (json_array_append_new(list, risk_json(&risks[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    *out = list;
    return list ? LU_OK : LU_NOMEM;
}

/* The zones of one request, opened once each. */
struct zone_cache {
    char names[RISK_ZONES_MAX][64];
    struct zone *zones[RISK_ZONES_MAX];
    size_t n;
};

static void zone_cache_close(struct zone_cache *c)
{
    for (size_t i = 0; i < c->n; i++) {
        zone_close(c->zones[i]);
    }
    c->n = 0;
}

/* The zone named name: cached, or opened into *spare (the caller closes
 * it) when the cache is full. */
static enum lu_rc zone_cache_get(struct zone_cache *c, const char *name, const struct zone **out,
                                 struct zone **spare)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->names[i], name) == 0) {
            *out = c->zones[i];
            return LU_OK;
        }
    }
    struct zone *z = NULL;
    enum lu_rc rc = zone_open(name, &z);
    if (rc != LU_OK) {
        return rc == LU_NOMEM ? LU_NOMEM : LU_IO; /* stored names were valid: tzdata is broken */
    }
    if (c->n < RISK_ZONES_MAX && strlen(name) < sizeof c->names[0]) {
        snprintf(c->names[c->n], sizeof c->names[0], "%s", name);
        c->zones[c->n++] = z;
    } else {
        *spare = z;
    }
    *out = z;
    return LU_OK;
}

/* The risks of one booking row (b.* columns, guest_name, time_zone,
 * summary_flagged, summary_paid) with its records, appended to risks. A
 * booking whose summary is not flagged can only owe its balance: it is
 * judged from the summary's paid_cents, and needs no records. */
static enum lu_rc booking_risks(const struct db_rows *rows, size_t r,
                                const struct ledger_record *recs, size_t n, int64_t now_s,
                                struct zone_cache *zones, struct ledger_risk *risks, size_t *count)
{
    bool flagged = db_rows_int(rows, r, (size_t)db_rows_col(rows, "summary_flagged")) != 0;
    int due = db_rows_col(rows, "balance_due_on");
    struct ledger_booking b = {
        .id = db_rows_text(rows, r, (size_t)db_rows_col(rows, "id")),
        .guest_name = db_rows_text(rows, r, (size_t)db_rows_col(rows, "guest_name")),
        .status = db_rows_text(rows, r, (size_t)db_rows_col(rows, "status")),
        .check_in = db_rows_text(rows, r, (size_t)db_rows_col(rows, "check_in")),
        .balance_due_on = db_rows_text(rows, r, (size_t)due),
        .currency = db_rows_text(rows, r, (size_t)db_rows_col(rows, "currency")),
        .total_cents = db_rows_int(rows, r, (size_t)db_rows_col(rows, "total_cents")),
    };
    const struct zone *z = NULL;
    struct zone *spare = NULL;
    const char *zone_name = db_rows_text(rows, r, (size_t)db_rows_col(rows, "time_zone"));
    enum lu_rc rc = zone_cache_get(zones, zone_name, &z, &spare);
    if (rc == LU_OK && flagged) {
        *count += ledger_risks_of(&b, recs, n, z, now_s, risks + *count);
    } else if (rc == LU_OK) {
        int64_t paid = db_rows_int(rows, r, (size_t)db_rows_col(rows, "summary_paid"));
        *count += ledger_balance_risks_of(&b, paid, z, now_s, risks + *count);
    }
    zone_close(spare);
    return rc;
}

/*
 * The bookings that can carry a risk, from booking_payment_summaries
 * (migration 0010) through its two partial indexes: a row flagged (an open
 * dispute, a pending refund, a failed last attempt, more paid than the
 * total, money summed in another currency) — every dispute_open,
 * refund_pending, payment_failed and overpaid risk; or open (not
 * cancelled, total above paid) with its deadline (balance_due_on, else
 * check_in) on or before the horizon or its check-in within [today,
 * horizon] — every balance_overdue and balance_due_soon. Today differs by
 * zone by at most a day either side of UTC's, so the window is widened by
 * a day each way; ledger_risks_of then judges each candidate exactly, in
 * its zone. Parameters: the first check-in judged (0001-01-01: all), the
 * horizon, the window's first and last dates.
 */
#define RISK_CANDIDATES_SQL                                                                        \
    "SELECT booking_id FROM booking_payment_summaries WHERE disputes_open > 0 OR "                 \
    "refunds_pending > 0 OR attempt_failed > 0 OR paid_cents > total_cents OR "                    \
    "(records > 0 AND money_currency <> currency) "                                                \
    "UNION SELECT booking_id FROM booking_payment_summaries WHERE status <> 'cancelled' AND "      \
    "total_cents > paid_cents AND check_in >= ? AND (deadline <= ? OR (check_in >= ? AND "         \
    "check_in <= ?))"

/* Whether booking b's records must be read to judge it (over b and its
 * summary s): no summary, or one that can raise more than a balance risk
 * (ledger_balance_risks_of), or money summed in another currency. */
#define RISK_FLAGGED_SQL                                                                           \
    "(s.booking_id IS NULL OR s.disputes_open > 0 OR s.refunds_pending > 0 OR "                    \
    "s.attempt_failed > 0 OR s.paid_cents > b.total_cents OR (s.records > 0 AND "                  \
    "s.money_currency <> b.currency))"

/* The dates of RISK_CANDIDATES_SQL for the instant now_s, and the first
 * booking past RISK_BOOKINGS_MAX (cut: only bookings before it in the
 * order check_in descending, id ascending are judged). */
struct risk_window {
    char first[ZONE_DATE_BYTES];
    char horizon[ZONE_DATE_BYTES];
    bool cut;
    char cut_check_in[ZONE_DATE_BYTES];
    char cut_id[LEDGER_ID_BYTES];
};

static void risk_window_of(int64_t now_s, struct risk_window *w)
{
    char stamp[RFC3339_BYTES], today[ZONE_DATE_BYTES];
    memset(w, 0, sizeof *w);
    clock_format_utc(now_s, stamp);
    snprintf(today, sizeof today, "%.10s", stamp);
    bool ok = zone_date_add(today, -1, w->first) &&
              zone_date_add(today, LEDGER_DUE_SOON_DAYS + 1, w->horizon);
    LU_ASSERT(ok); /* the clock's today is a real date before 9999 */
}

/* The scope, the property and the candidates as one where clause over b,
 * its parameters appended to params. */
static enum lu_rc risk_where(const struct scope *scope, const char *property_id,
                             const struct risk_window *w, char *sql, size_t cap,
                             struct db_param *params, size_t *n)
{
    char scope_sql[4096];
    enum lu_rc rc = scope_clause(scope, "b.property_id", scope_sql, sizeof scope_sql, params, n,
                                 AUTH_PROPERTIES_MAX);
    if (rc != LU_OK) {
        return rc;
    }
    if (property_id != NULL) {
        params[(*n)++] = P_TEXT(property_id);
    }
    if (w->cut) {
        params[(*n)++] = P_TEXT(w->cut_check_in);
        params[(*n)++] = P_TEXT(w->cut_check_in);
        params[(*n)++] = P_TEXT(w->cut_id);
    }
    params[(*n)++] = P_TEXT(w->cut ? w->cut_check_in : "0001-01-01");
    params[(*n)++] = P_TEXT(w->horizon);
    params[(*n)++] = P_TEXT(w->first);
    params[(*n)++] = P_TEXT(w->horizon);
    int len = snprintf(sql, cap, "%s%s%s AND b.id IN (" RISK_CANDIDATES_SQL ")", scope_sql,
                       property_id ? " AND b.property_id = ?" : "",
                       w->cut ? " AND (b.check_in > ? OR (b.check_in = ? AND b.id < ?))" : "");
    LU_ASSERT(len > 0 && (size_t)len < cap);
    return LU_OK;
}

/*
 * Which bookings one request judges: the RISK_BOOKINGS_MAX newest
 * check-ins of those that can carry a risk at all (not cancelled, or with
 * records), as ever. The first booking past them, when there is one, is
 * found by one walk of bookings_check_in_id (migration 0010), which holds
 * every column the walk reads; only candidates before it are judged.
 */
static enum lu_rc risk_cut_find(struct db_conn *conn, const struct scope *scope,
                                const char *property_id, struct risk_window *w)
{
    struct db_param params[AUTH_PROPERTIES_MAX + 2];
    size_t n = 0;
    char scope_sql[4096];
    enum lu_rc rc = scope_clause(scope, "b.property_id", scope_sql, sizeof scope_sql, params, &n,
                                 AUTH_PROPERTIES_MAX);
    if (rc != LU_OK) {
        return rc;
    }
    if (property_id != NULL) {
        params[n++] = P_TEXT(property_id);
    }
    params[n++] = P_INT(RISK_BOOKINGS_MAX);
    char sql[RISK_SQL_BYTES_MAX];
    snprintf(sql, sizeof sql,
             "SELECT b.check_in, b.id FROM bookings b WHERE %s%s AND (b.status <> 'cancelled' "
             "OR EXISTS (SELECT 1 FROM stripe_financial_records r WHERE r.booking_id = b.id)) "
             "ORDER BY b.check_in DESC, b.id LIMIT 1 OFFSET ?",
             scope_sql, property_id ? " AND b.property_id = ?" : "");
    struct db_rows *rows = NULL;
    rc = db_exec(conn, sql, params, n, &rows, NULL);
    if (rc == LU_OK && rows->nrows > 0) {
        w->cut = true;
        snprintf(w->cut_check_in, sizeof w->cut_check_in, "%s", db_rows_text(rows, 0, 0));
        snprintf(w->cut_id, sizeof w->cut_id, "%s", db_rows_text(rows, 0, 1));
    }
    db_rows_free(rows);
    return rc;
}

/* "SELECT … FROM bookings b JOIN guests g JOIN properties p WHERE <scope>"
 * plus property_id, for risks: the bookings that can carry one. */
static enum lu_rc risk_bookings_query(struct db_conn *conn, const struct scope *scope,
                                      const char *property_id, const struct risk_window *w,
                                      struct db_rows **rows)
{
    struct db_param params[AUTH_PROPERTIES_MAX + 9];
    size_t n = 0;
    char where[RISK_SQL_BYTES_MAX / 2];
    enum lu_rc rc = risk_where(scope, property_id, w, where, sizeof where, params, &n);
    if (rc != LU_OK) {
        return rc;
    }
    params[n++] = P_INT(RISK_BOOKINGS_MAX + 1);
    char sql[RISK_SQL_BYTES_MAX];
    snprintf(sql, sizeof sql,
             "SELECT b.id, b.property_id, b.check_in, b.total_cents, b.currency, "
             "b.balance_due_on, b.status, g.name AS guest_name, p.time_zone, "
             "CASE WHEN " RISK_FLAGGED_SQL " THEN 1 ELSE 0 END AS summary_flagged, "
             "s.paid_cents AS summary_paid FROM bookings b "
             "JOIN guests g ON g.id = b.guest_id JOIN properties p ON p.id = b.property_id "
             "LEFT JOIN booking_payment_summaries s ON s.booking_id = b.id "
             "WHERE %s ORDER BY b.check_in DESC, b.id LIMIT ?",
             where);
    return db_exec(conn, sql, params, n, rows, NULL);
}

static int id_compare(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends the records of one chunk of ids (sorted) to *recs. */
static enum lu_rc risk_records_chunk(struct db_conn *conn, const char *sql, const char *const *ids,
                                     size_t n, struct ledger_record **recs, size_t *nrecs)
{
    struct db_param params[RISK_RECORDS_CHUNK];
    for (size_t i = 0; i < RISK_RECORDS_CHUNK; i++) {
        params[i] = P_TEXT(i < n ? ids[i] : ids[0]);
    }
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn, sql, params, RISK_RECORDS_CHUNK, &rows, NULL);
    if (rc == LU_OK && rows->nrows > 0) {
        struct ledger_record *grown = realloc(*recs, (*nrecs + rows->nrows) * sizeof **recs);
        rc = grown != NULL ? LU_OK : LU_NOMEM;
        *recs = grown != NULL ? grown : *recs;
    }
    if (rc == LU_OK && rows->nrows > 0) {
        struct payment_cols cols;
        payment_cols_find(rows, &cols);
        for (size_t r = 0; r < rows->nrows; r++) {
            payment_row_read_at(rows, &cols, r, &(*recs)[(*nrecs)++], NULL);
        }
    }
    db_rows_free(rows);
    return rc;
}

/*
 * The records of the judged bookings whose summary is flagged (the others
 * are judged from their summary alone), sorted by booking id: by id, in
 * chunks of RISK_RECORDS_CHUNK placeholders (a short chunk repeats its
 * first id, so PostgreSQL prepares one statement). *recs owned (free).
 */
static enum lu_rc risk_records_load(struct db_conn *conn, const struct db_rows *bookings, size_t nb,
                                    struct ledger_record **recs, size_t *nrecs)
{
    *recs = NULL;
    *nrecs = 0;
    const char **ids = calloc(nb ? nb : 1, sizeof *ids);
    if (ids == NULL) {
        return LU_NOMEM;
    }
    int id_col = db_rows_col(bookings, "id");
    int flag_col = db_rows_col(bookings, "summary_flagged");
    LU_ASSERT(id_col >= 0 && flag_col >= 0);
    size_t n = 0;
    for (size_t r = 0; r < nb; r++) {
        if (db_rows_int(bookings, r, (size_t)flag_col) != 0) {
            ids[n++] = db_rows_text(bookings, r, (size_t)id_col);
        }
    }
    qsort(ids, n, sizeof *ids, id_compare); /* bytewise, as both databases order ids */
    char sql[RISK_SQL_BYTES_MAX];
    int len = snprintf(sql, sizeof sql,
                       "SELECT " PAYMENT_RECORD_COLUMNS " FROM stripe_financial_records "
                       "WHERE booking_id IN (");
    for (size_t i = 0; i < RISK_RECORDS_CHUNK; i++) {
        len += snprintf(sql + len, sizeof sql - (size_t)len, "%s?", i ? "," : "");
    }
    snprintf(sql + len, sizeof sql - (size_t)len, ") ORDER BY booking_id, object_created, id");
    enum lu_rc rc = LU_OK;
    for (size_t at = 0; rc == LU_OK && at < n; at += RISK_RECORDS_CHUNK) {
        size_t k = n - at < RISK_RECORDS_CHUNK ? n - at : RISK_RECORDS_CHUNK;
        rc = risk_records_chunk(conn, sql, ids + at, k, recs, nrecs);
    }
    free(ids);
    if (rc != LU_OK) {
        free(*recs);
        *recs = NULL;
        *nrecs = 0;
    }
    return rc;
}

/* The run of recs (sorted by booking_id) whose booking is id. */
static void records_of(const struct ledger_record *recs, size_t n, const char *id, size_t *first,
                       size_t *count)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(recs[mid].booking_id, id) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    size_t end = lo;
    while (end < n && strcmp(recs[end].booking_id, id) == 0) {
        end++;
    }
    *first = lo;
    *count = end - lo;
}

/* Judges every booking row against its records; *risks owned (free). */
static enum lu_rc risks_collect(const struct db_rows *bookings, size_t nbookings,
                                const struct ledger_record *recs, size_t nrecs, int64_t now_s,
                                struct ledger_risk **risks, size_t *count)
{
    *risks = calloc(nbookings * LEDGER_RISKS_PER_BOOKING_MAX + 1, sizeof **risks);
    if (*risks == NULL) {
        return LU_NOMEM;
    }
    struct zone_cache zones = {.n = 0};
    enum lu_rc rc = LU_OK;
    *count = 0;
    int id_col = db_rows_col(bookings, "id");
    for (size_t r = 0; rc == LU_OK && r < nbookings; r++) {
        size_t first = 0, n = 0;
        records_of(recs, nrecs, db_rows_text(bookings, r, (size_t)id_col), &first, &n);
        if (n > LEDGER_BOOKING_RECORDS_MAX) {
            rc = LU_TOO_LARGE;
            break;
        }
        rc = booking_risks(bookings, r, recs + first, n, now_s, &zones, *risks, count);
    }
    zone_cache_close(&zones);
    if (rc != LU_OK) {
        free(*risks);
        *risks = NULL;
    }
    return rc;
}

enum lu_rc store_payment_risks(struct db_conn *conn, const struct scope *scope,
                               const char *property_id, int64_t now_s, json_t **out,
                               bool *truncated)
{
    LU_ASSERT(conn != NULL && scope != NULL && out != NULL && truncated != NULL);
    struct db_rows *bookings = NULL;
    struct ledger_record *recs = NULL;
    size_t nrecs = 0;
    struct ledger_risk *risks = NULL;
    size_t nrisks = 0;
    struct risk_window w;
    risk_window_of(now_s, &w);
    enum lu_rc rc = risk_cut_find(conn, scope, property_id, &w);
    if (rc == LU_OK) {
        rc = risk_bookings_query(conn, scope, property_id, &w, &bookings);
    }
    /* Candidates are among the bookings before the cut, so at most
     * RISK_BOOKINGS_MAX unless a summary drifted (reconcile says so). */
    size_t nb = 0;
    if (rc == LU_OK) {
        *truncated = w.cut || bookings->nrows > RISK_BOOKINGS_MAX;
        nb = bookings->nrows > RISK_BOOKINGS_MAX ? RISK_BOOKINGS_MAX : bookings->nrows;
        rc = risk_records_load(conn, bookings, nb, &recs, &nrecs);
    }
    if (rc == LU_OK) {
        rc = risks_collect(bookings, nb, recs, nrecs, now_s, &risks, &nrisks);
    }
    if (rc == LU_OK) {
        rc = risks_json(risks, nrisks, out);
    }
    free(risks);
    free(recs);
    db_rows_free(bookings);
    return rc;
}

/* --- one booking --------------------------------------------------------- */

/* The booking's guest name and its property's zone. */
static enum lu_rc booking_context(struct db_conn *conn, const json_t *booking, char *guest,
                                  size_t guest_cap, char *zone_name, size_t zone_cap)
{
    struct db_param p[] = {P_TEXT(json_string_value(json_object_get(booking, "guest_id"))),
                           P_TEXT(json_string_value(json_object_get(booking, "property_id")))};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT g.name, p.time_zone FROM guests g, properties p "
                            "WHERE g.id = ? AND p.id = ?",
                            p, 2, &rows, NULL);
    if (rc == LU_OK && rows->nrows == 0) {
        rc = LU_NOT_FOUND;
    }
    if (rc == LU_OK) {
        snprintf(guest, guest_cap, "%s", db_rows_text(rows, 0, 0));
        snprintf(zone_name, zone_cap, "%s", db_rows_text(rows, 0, 1));
    }
    db_rows_free(rows);
    return rc;
}

static enum lu_rc booking_risks_json(const json_t *booking, const char *guest,
                                     const char *zone_name, const struct ledger_record *recs,
                                     size_t n, int64_t now_s, json_t **out)
{
    struct zone *z = NULL;
    if (zone_open(zone_name, &z) != LU_OK) {
        return LU_IO;
    }
    struct ledger_booking b = {
        .id = json_string_value(json_object_get(booking, "id")),
        .guest_name = guest,
        .status = json_string_value(json_object_get(booking, "status")),
        .check_in = json_string_value(json_object_get(booking, "check_in")),
        .balance_due_on = json_string_value(json_object_get(booking, "balance_due_on")),
        .currency = json_string_value(json_object_get(booking, "currency")),
        .total_cents = json_integer_value(json_object_get(booking, "total_cents")),
    };
    struct ledger_risk risks[LEDGER_RISKS_PER_BOOKING_MAX];
    size_t count = ledger_risks_of(&b, recs, n, z, now_s, risks);
    zone_close(z);
    return risks_json(risks, count, out);
}

enum lu_rc store_booking_payments(struct db_conn *conn, const struct scope *scope,
                                  const char *booking_id, int64_t now_s, json_t **out)
{
    json_t *booking = NULL, *records = NULL, *risks = NULL;
    struct ledger_record *recs = NULL;
    size_t n = 0;
    char guest[256], zone_name[128];
    enum lu_rc rc = record_visible(conn, &booking_table, scope, booking_id, &booking);
    if (rc == LU_OK) {
        rc = booking_context(conn, booking, guest, sizeof guest, zone_name, sizeof zone_name);
    }
    if (rc == LU_OK) {
        rc = payment_records_load(conn, booking_id, &recs, &n, &records);
    }
    if (rc == LU_OK) {
        rc = booking_risks_json(booking, guest, zone_name, recs, n, now_s, &risks);
    }
    if (rc == LU_OK) {
        const char *currency = json_string_value(json_object_get(booking, "currency"));
        struct ledger_summary s;
        ledger_summary_compute(json_integer_value(json_object_get(booking, "total_cents")),
                               currency, recs, n, &s);
        *out = json_pack("{s:s, s:O, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:o, s:o}", "booking_id",
                         booking_id, "property_id", json_object_get(booking, "property_id"),
                         "currency", currency, "total_cents", (json_int_t)s.total_cents,
                         "received_cents", (json_int_t)s.received_cents, "paid_cents",
                         (json_int_t)s.paid_cents, "refunded_cents", (json_int_t)s.refunded_cents,
                         "open_cents", (json_int_t)s.open_cents, "status", s.status, "records",
                         records, "risks", risks);
        records = risks = NULL; /* taken by the pack, even when it fails */
        rc = *out ? LU_OK : LU_NOMEM;
    }
    json_decref(records);
    json_decref(risks);
    json_decref(booking);
    free(recs);
    return rc;
}

/* --- unlinked ------------------------------------------------------------ */

/* The page object, with a cursor of any length (checkout session ids run
 * past struct page's 64 bytes). */
static json_t *unlinked_page(const struct db_rows *rows, int limit)
{
    json_t *data = json_array();
    size_t shown = rows->nrows > (size_t)limit ? (size_t)limit : rows->nrows;
    const char *next = NULL;
    for (size_t r = 0; data != NULL && r < shown; r++) {
        struct ledger_record rec;
        payment_row_read(rows, r, &rec, NULL);
        if (json_array_append_new(data, row_json(rows, r, &rec)) != 0) {
            json_decref(data);
            data = NULL;
        }
        next = db_rows_text(rows, r, (size_t)db_rows_col(rows, "id"));
    }
    bool more = rows->nrows > shown;
    return data ? json_pack("{s:o, s:b, s:s?}", "data", data, "has_more", more, "next",
                            more ? next : NULL)
                : NULL;
}

enum lu_rc store_payments_unlinked(struct db_conn *conn, int limit, const char *after, json_t **out)
{
    struct db_param p[] = {P_TEXT(after ? after : ""), P_INT(limit + 1)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT " PAYMENT_RECORD_COLUMNS " FROM stripe_financial_records r "
                            "WHERE NOT EXISTS (SELECT 1 FROM bookings b WHERE b.id = "
                            "r.booking_id) AND r.id > ? ORDER BY r.id LIMIT ?",
                            p, 2, &rows, NULL);
    if (rc == LU_OK) {
        *out = unlinked_page(rows, limit);
        rc = *out ? LU_OK : LU_NOMEM;
    }
    db_rows_free(rows);
    return rc;
}
