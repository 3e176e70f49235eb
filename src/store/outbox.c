/*
 * outbox.c — the outbox table (see store/outbox.h): queueing, the worker's
 * claim and finish, the list GET /api/outbox shows.
 *
 * Exactly-once between processes rests on the claim being one statement:
 * on PostgreSQL its subquery takes the row with FOR UPDATE SKIP LOCKED, so
 * two processes claiming at once take different rows and neither waits; on
 * SQLite the statement runs under the database's single write lock. A claim
 * leases the row; only a process that died mid-send leaves a lease to run
 * out, and then the row is claimed again (src/outbox/outbox.c explains what
 * that means for each provider).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/assert.h"
#include "core/limits.h"
#include "store/audit.h"
#include "store/outbox.h"
#include "store/store_internal.h"

/* What a claim writes into last_error when it takes over a dead claim. */
#define LEASE_EXPIRED_NOTE "a claim's lease ran out mid-send (its process stopped); sending again"

/* Channels a claim may name: email, sms, whatsapp. */
#define CHANNELS_MAX 3

int64_t outbox_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void outbox_time_format(int64_t ms, char out[RFC3339_BYTES])
{
    LU_ASSERT(ms >= 0);
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    /* strftime's fields are bounded, so no truncation warning to argue with. */
    char whole[24];
    strftime(whole, sizeof whole, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, RFC3339_BYTES, "%.19s.%03dZ", whole, (int)(ms % 1000));
}

/* "…:SS.mmmZ" (SQLite) or "…:SSZ" → epoch ms; false when malformed. */
static bool time_parse_ms(const char *s, int64_t *out)
{
    int64_t secs = 0;
    if (s == NULL || !clock_parse_rfc3339(s, &secs)) {
        return false;
    }
    int64_t ms = 0;
    const char *dot = strchr(s, '.');
    if (dot != NULL) {
        int scale = 100;
        for (const char *p = dot + 1; *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10) {
            ms += (*p - '0') * scale;
        }
    }
    *out = secs * 1000 + ms;
    return true;
}

static const char *provider_of(const char *channel)
{
    return strcmp(channel, "email") == 0 ? "resend" : "twilio";
}

enum lu_rc store_outbox_enqueue(struct db_conn *conn, const struct outbox_new *n,
                                char id[ID_BYTES_MAX])
{
    LU_ASSERT(n->kind && n->channel && n->recipient && n->payload && n->idempotency_key);
    char *payload = json_dumps(n->payload, JSON_COMPACT | JSON_SORT_KEYS);
    if (payload == NULL) {
        return LU_NOMEM;
    }
    if (strlen(payload) > OUTBOX_PAYLOAD_BYTES_MAX) {
        free(payload);
        return LU_TOO_LARGE;
    }
    enum lu_rc rc = id_new("ob_", id, ID_BYTES_MAX);
    char due[RFC3339_BYTES];
    char now[RFC3339_BYTES];
    outbox_time_format(outbox_now_ms(), due);
    clock_format_utc(clock_now_s(), now);
    struct db_param p[] = {P_TEXT(id),          P_TEXT(n->property_id),
                           P_TEXT(n->kind),     P_TEXT(n->channel),
                           P_TEXT(provider_of(n->channel)), P_TEXT(n->recipient),
                           P_TEXT(payload),     P_TEXT(due),
                           P_TEXT(n->idempotency_key), P_TEXT(n->message_id),
                           P_TEXT(now),         P_TEXT(now)};
    if (rc == LU_OK) {
        rc = db_exec(conn,
                     "INSERT INTO outbox (id, property_id, kind, channel, provider, recipient, "
                     "payload, next_attempt_at, idempotency_key, message_id, created_at, "
                     "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     p, sizeof p / sizeof p[0], NULL, NULL);
    }
    free(payload);
    return rc;
}

void store_outbox_claim_free(struct outbox_claim *c)
{
    free(c->kind);
    free(c->channel);
    free(c->recipient);
    free(c->idempotency_key);
    free(c->message_id);
    json_decref(c->payload);
    memset(c, 0, sizeof *c);
}

/* "channel IN (?,?)" over q's channels, appended to params. */
static void channel_clause(const struct outbox_claim_query *q, char *sql, size_t cap,
                           struct db_param *params, size_t *n)
{
    LU_ASSERT(q->nchannels >= 1 && q->nchannels <= CHANNELS_MAX);
    size_t len = (size_t)snprintf(sql, cap, "channel IN (");
    for (size_t i = 0; i < q->nchannels; i++) {
        len += (size_t)snprintf(sql + len, cap - len, "%s?", i ? ", " : "");
        params[(*n)++] = P_TEXT(q->channels[i]);
    }
    snprintf(sql + len, cap - len, ")");
}

static char *dup_or_null(const char *s)
{
    if (s == NULL) {
        return NULL;
    }
    char *d = strdup(s);
    LU_ASSERT(d != NULL);
    return d;
}

static enum lu_rc claim_fill(const struct db_rows *rows, struct outbox_claim *out)
{
    const char *payload = db_rows_text(rows, 0, 4);
    json_error_t jerr;
    out->payload = payload ? json_loads(payload, 0, &jerr) : NULL;
    if (out->payload == NULL) {
        return LU_IO; /* we wrote it as JSON: an edited row */
    }
    snprintf(out->id, sizeof out->id, "%s", db_rows_text(rows, 0, 0));
    out->kind = dup_or_null(db_rows_text(rows, 0, 1));
    out->channel = dup_or_null(db_rows_text(rows, 0, 2));
    out->recipient = dup_or_null(db_rows_text(rows, 0, 3));
    out->attempts = (int)db_rows_int(rows, 0, 5);
    out->idempotency_key = dup_or_null(db_rows_text(rows, 0, 6));
    out->message_id = dup_or_null(db_rows_text(rows, 0, 7));
    const char *note = db_rows_text(rows, 0, 8);
    out->lease_expired = note != NULL && strcmp(note, LEASE_EXPIRED_NOTE) == 0;
    return LU_OK;
}

enum lu_rc store_outbox_claim(struct db_conn *conn, const struct outbox_claim_query *q,
                              struct outbox_claim *out, bool *found)
{
    memset(out, 0, sizeof *out);
    *found = false;
    if (q->nchannels == 0) {
        return LU_OK;
    }
    unsigned char rnd[12];
    enum lu_rc rc = random_bytes(rnd, sizeof rnd);
    if (rc != LU_OK) {
        return rc;
    }
    char *p = out->claim;
    p += snprintf(p, 4, "cl_");
    for (size_t i = 0; i < sizeof rnd; i++) {
        p += snprintf(p, 3, "%02x", rnd[i]);
    }
    char now[RFC3339_BYTES];
    char until[RFC3339_BYTES];
    char stamp[RFC3339_BYTES];
    outbox_time_format(q->now_ms, now);
    outbox_time_format(q->now_ms + q->lease_ms, until);
    clock_format_utc(q->now_ms / 1000, stamp);
    struct db_param params[16];
    size_t n = 0;
    params[n++] = P_TEXT(until);
    params[n++] = P_TEXT(out->claim);
    params[n++] = P_TEXT(LEASE_EXPIRED_NOTE);
    params[n++] = P_TEXT(stamp);
    char channels[64];
    channel_clause(q, channels, sizeof channels, params, &n);
    params[n++] = P_INT(OUTBOX_ATTEMPTS_MAX);
    params[n++] = P_TEXT(now);
    params[n++] = P_TEXT(now);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_until = ?, "
             "claimed_by = ?, last_error = CASE WHEN state = 'sending' THEN ? ELSE last_error "
             "END, version = version + 1, updated_at = ? "
             "WHERE id = (SELECT id FROM outbox WHERE %s AND attempts < ? AND "
             "((state = 'queued' AND next_attempt_at <= ?) OR "
             "(state = 'sending' AND claimed_until < ?)) "
             "ORDER BY next_attempt_at, id LIMIT 1%s) "
             "RETURNING id, kind, channel, recipient, payload, attempts, idempotency_key, "
             "message_id, last_error",
             channels, q->postgres ? " FOR UPDATE SKIP LOCKED" : "");
    struct db_rows *rows = NULL;
    rc = db_exec(conn, sql, params, n, &rows, NULL);
    if (rc == LU_OK && rows->nrows == 1) {
        rc = claim_fill(rows, out);
        *found = rc == LU_OK;
    }
    db_rows_free(rows);
    if (!*found) {
        store_outbox_claim_free(out);
    }
    return rc;
}

enum lu_rc store_outbox_expire(struct db_conn *conn, int64_t now_ms, int64_t *changed)
{
    char now[RFC3339_BYTES];
    char stamp[RFC3339_BYTES];
    outbox_time_format(now_ms, now);
    clock_format_utc(now_ms / 1000, stamp);
    char why[160];
    snprintf(why, sizeof why,
             "gave up: the last of %d attempts stopped mid-send (its process stopped)",
             OUTBOX_ATTEMPTS_MAX);
    struct db_param p[] = {P_TEXT(why), P_TEXT(stamp), P_TEXT(now), P_INT(OUTBOX_ATTEMPTS_MAX)};
    return db_exec(conn,
                   "UPDATE outbox SET state = 'failed', last_error = ?, claimed_until = NULL, "
                   "version = version + 1, updated_at = ? "
                   "WHERE state = 'sending' AND claimed_until < ? AND attempts >= ?",
                   p, 4, NULL, changed);
}

enum lu_rc store_outbox_next_due(struct db_conn *conn, const struct outbox_claim_query *q,
                                 int64_t *due_ms, bool *any)
{
    *any = false;
    if (q->nchannels == 0) {
        return LU_OK;
    }
    struct db_param params[8];
    size_t n = 0;
    char channels_a[64];
    char channels_b[64];
    channel_clause(q, channels_a, sizeof channels_a, params, &n);
    params[n++] = P_INT(OUTBOX_ATTEMPTS_MAX);
    channel_clause(q, channels_b, sizeof channels_b, params, &n);
    params[n++] = P_INT(OUTBOX_ATTEMPTS_MAX);
    /* The same rows a claim considers, so a due time in the past always
     * finds a row to claim and the worker never wakes for nothing.
     * PostgreSQL answers epoch milliseconds (the driver would drop the
     * fraction of a timestamptz); SQLite keeps the text, parsed below. */
    char sql[768];
    snprintf(sql, sizeof sql,
             "SELECT %s FROM (SELECT MIN(next_attempt_at) AS t FROM outbox "
             "WHERE state = 'queued' AND %s AND attempts < ? UNION ALL "
             "SELECT MIN(claimed_until) AS t FROM outbox "
             "WHERE state = 'sending' AND %s AND attempts < ?) AS due",
             q->postgres ? "(EXTRACT(EPOCH FROM MIN(t)) * 1000)::BIGINT" : "MIN(t)", channels_a,
             channels_b);
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn, sql, params, n, &rows, NULL);
    if (rc == LU_OK && rows->nrows == 1 && db_rows_text(rows, 0, 0) != NULL) {
        const char *v = db_rows_text(rows, 0, 0);
        if (q->postgres) {
            *due_ms = db_rows_int(rows, 0, 0);
            *any = true;
        } else {
            *any = time_parse_ms(v, due_ms);
        }
    }
    db_rows_free(rows);
    return rc;
}

/* The payload to keep after a terminal result: the same, or for one marked
 * "redact", only its subject. Owned text. */
static char *payload_after(const struct outbox_claim *c)
{
    json_t *redact = json_object_get(c->payload, "redact");
    if (!json_is_true(redact)) {
        return NULL;
    }
    json_t *kept = json_pack("{s:b, s:O?}", "redacted", 1, "subject",
                             json_object_get(c->payload, "subject"));
    char *text = kept ? json_dumps(kept, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(kept);
    return text;
}

static enum lu_rc finish_row(struct db_conn *conn, const struct outbox_claim *c,
                             const struct outbox_result *r, int64_t now_ms, int64_t *changed)
{
    char stamp[RFC3339_BYTES];
    clock_format_utc(now_ms / 1000, stamp);
    char *kept = r->outcome == OUTBOX_RETRY ? NULL : payload_after(c);
    enum lu_rc rc;
    if (r->outcome == OUTBOX_SENT) {
        struct db_param p[] = {P_TEXT(r->provider_id), P_TEXT(r->provider_status), P_TEXT(stamp),
                               P_TEXT(kept), P_TEXT(stamp), P_TEXT(c->id)};
        rc = db_exec(conn,
                     "UPDATE outbox SET state = 'sent', provider_id = ?, provider_status = ?, "
                     "sent_at = ?, claimed_until = NULL, payload = COALESCE(?, payload), "
                     "version = version + 1, updated_at = ? "
                     "WHERE id = ? AND state IN ('queued', 'sending')",
                     p, 6, NULL, changed);
    } else if (r->outcome == OUTBOX_RETRY) {
        char next[RFC3339_BYTES];
        outbox_time_format(r->next_attempt_ms, next);
        struct db_param p[] = {P_TEXT(next), P_TEXT(r->error), P_TEXT(stamp), P_TEXT(c->id),
                               P_TEXT(c->claim)};
        rc = db_exec(conn,
                     "UPDATE outbox SET state = 'queued', next_attempt_at = ?, last_error = ?, "
                     "claimed_until = NULL, claimed_by = NULL, version = version + 1, "
                     "updated_at = ? WHERE id = ? AND claimed_by = ? AND state = 'sending'",
                     p, 5, NULL, changed);
    } else {
        struct db_param p[] = {P_TEXT(r->error), P_TEXT(kept), P_TEXT(stamp), P_TEXT(c->id),
                               P_TEXT(c->claim)};
        rc = db_exec(conn,
                     "UPDATE outbox SET state = 'failed', last_error = ?, claimed_until = NULL, "
                     "payload = COALESCE(?, payload), version = version + 1, updated_at = ? "
                     "WHERE id = ? AND claimed_by = ? AND state = 'sending'",
                     p, 5, NULL, changed);
    }
    free(kept);
    return rc;
}

enum lu_rc store_outbox_finish(struct db_conn *conn, const struct outbox_claim *c,
                               const struct outbox_result *r, int64_t now_ms, bool *recorded)
{
    *recorded = false;
    int64_t changed = 0;
    enum lu_rc rc = finish_row(conn, c, r, now_ms, &changed);
    if (rc != LU_OK || changed == 0) {
        return rc;
    }
    *recorded = true;
    if (c->message_id == NULL || r->outcome == OUTBOX_RETRY) {
        return LU_OK;
    }
    return store_message_outbound_settle(conn, c->message_id,
                                         r->outcome == OUTBOX_SENT ? "sent" : "failed",
                                         r->provider_id, r->from_addr);
}

static const struct column outbox_columns[] = {
    {"id", COL_TEXT},
    {"kind", COL_TEXT},
    {"channel", COL_TEXT},
    {"provider", COL_TEXT},
    {"recipient", COL_TEXT},
    {"payload", COL_TEXT},
    {"state", COL_TEXT},
    {"attempts", COL_INT},
    {"next_attempt_at", COL_TEXT},
    {"claimed_until", COL_TEXT},
    {"provider_id", COL_TEXT},
    {"provider_status", COL_TEXT},
    {"last_error", COL_TEXT},
    {"idempotency_key", COL_TEXT},
    {"message_id", COL_TEXT},
    {"property_id", COL_TEXT},
    {"sent_at", COL_TEXT},
    {"version", COL_INT},
    {"created_at", COL_TEXT},
    {"updated_at", COL_TEXT},
};
#define OUTBOX_NCOLS (sizeof outbox_columns / sizeof outbox_columns[0])

/* "…:05.250Z" → "…:05Z": the API shows seconds, as for every other time,
 * and as the PostgreSQL driver already does. */
static void seconds_only(json_t *row, const char *field)
{
    const char *v = json_string_value(json_object_get(row, field));
    const char *dot = v ? strchr(v, '.') : NULL;
    if (dot != NULL) {
        char trimmed[RFC3339_BYTES];
        snprintf(trimmed, sizeof trimmed, "%.*sZ", (int)(dot - v), v);
        json_object_set_new(row, field, json_string(trimmed));
    }
}

/* Replaces the payload of a listed row by its subject (emails only). */
static void row_shape(json_t *row)
{
    const char *payload = json_string_value(json_object_get(row, "payload"));
    json_error_t jerr;
    json_t *parsed = payload ? json_loads(payload, 0, &jerr) : NULL;
    json_t *subject = json_object_get(parsed, "subject");
    json_object_set_new(row, "subject", json_is_string(subject) ? json_copy(subject) : json_null());
    json_decref(parsed);
    json_object_del(row, "payload");
    seconds_only(row, "next_attempt_at");
    seconds_only(row, "claimed_until");
}

enum lu_rc store_outbox_list(struct db_conn *conn, const struct outbox_filter *f, int limit,
                             const char *after, struct page *out)
{
    struct db_param p[6];
    size_t n = 0;
    char where[160] = "1=1";
    size_t len = strlen(where);
    const char *names[] = {"state", "channel", "kind"};
    const char *values[] = {f->state, f->channel, f->kind};
    for (size_t i = 0; i < 3; i++) {
        if (values[i] != NULL) {
            len += (size_t)snprintf(where + len, sizeof where - len, " AND %s = ?", names[i]);
            p[n++] = P_TEXT(values[i]);
        }
    }
    p[n++] = P_TEXT(after ? after : "");
    p[n++] = P_INT(limit + 1);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT id, kind, channel, provider, recipient, payload, state, attempts, "
             "next_attempt_at, claimed_until, provider_id, provider_status, last_error, "
             "idempotency_key, message_id, property_id, sent_at, version, created_at, "
             "updated_at FROM outbox WHERE %s AND id > ? ORDER BY id LIMIT ?",
             where);
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn, sql, p, n, &rows, NULL);
    if (rc == LU_OK) {
        rc = rows_to_page(rows, limit, outbox_columns, OUTBOX_NCOLS, out);
    }
    db_rows_free(rows);
    if (rc == LU_OK) {
        size_t i;
        json_t *row;
        json_array_foreach(out->data, i, row)
        {
            row_shape(row);
        }
    }
    return rc;
}

enum lu_rc store_outbox_counts(struct db_conn *conn, int64_t counts[4])
{
    static const char *const states[] = {"queued", "sending", "sent", "failed"};
    memset(counts, 0, 4 * sizeof counts[0]);
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn, "SELECT state, COUNT(*) FROM outbox GROUP BY state", NULL, 0,
                            &rows, NULL);
    for (size_t r = 0; rc == LU_OK && r < rows->nrows; r++) {
        for (size_t i = 0; i < 4; i++) {
            if (strcmp(db_rows_text(rows, r, 0), states[i]) == 0) {
                counts[i] = db_rows_int(rows, r, 1);
            }
        }
    }
    db_rows_free(rows);
    return rc;
}
