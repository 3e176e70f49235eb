/*
 * db_pg.c — the PostgreSQL driver (libpq): the real stack of SPEC §1.
 *
 * Same contract as the SQLite driver, so the store's portable SQL runs
 * unchanged:
 *  - `?` placeholders become `$n` (outside quotes and comments);
 *  - each connection prepares a statement once and reuses it;
 *  - write transactions take one advisory transaction lock first, so writes
 *    are serialised exactly as SQLite's single writer serialises them. The
 *    audit hash chain and the change stream's "seq order is commit order"
 *    both depend on that; reads never wait for it;
 *  - timestamptz and boolean values come back as the embedded default
 *    writes them ("2026-11-23T17:05:00Z", "1"/"0");
 *  - a lost connection is reported as broken, so the pool reconnects, and
 *    every connection or timeout failure is LU_UNAVAILABLE (503: nothing
 *    was written, retry is safe);
 *  - statement_timeout and lock_timeout bound every call.
 */
#include <libpq-fe.h>
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/limits.h"
#include "db/db.h"

/* Statements prepared per connection; past this they run unprepared. */
#define PG_STATEMENTS_MAX 256
/* The longest SQL text this driver translates. */
#define PG_SQL_BYTES_MAX 16384
/* Parameters in one statement. */
#define PG_PARAMS_MAX 1024
/* Any statement running longer is cancelled (503), so a stuck query cannot
 * hold a worker and a pool connection for good. */
#define PG_STATEMENT_TIMEOUT_MS 5000
/* The server enforces statement_timeout only while it runs. A frozen or
 * unreachable server answers nothing, so the client gives up this long
 * after sending, drops the connection and answers 503. */
#define PG_CLIENT_TIMEOUT_MS (PG_STATEMENT_TIMEOUT_MS + 2000)
/* Writers queue on the write lock at most this long, as SQLite's busy
 * timeout, then answer 503. */
#define PG_LOCK_TIMEOUT_MS DB_BUSY_TIMEOUT_MS
#define PG_CONNECT_TIMEOUT_S "5"
/* The advisory lock key every write transaction takes ("LUCIA" in ASCII). */
#define PG_WRITE_LOCK_KEY "336337633601"

/* Type OIDs from PostgreSQL's catalog (pg_type.dat); stable across versions. */
#define PG_OID_BOOL 16
#define PG_OID_TIMESTAMP 1114
#define PG_OID_TIMESTAMPTZ 1184

struct statement {
    char *sql; /* the untranslated text: the cache key */
    char name[16];
};

struct pg_handle {
    PGconn *conn;
    char error[256];
    struct statement statements[PG_STATEMENTS_MAX];
    int nstatements;
    int next_name;
    bool lost; /* timed out mid-command: the pool must close it */
};

static void set_error(struct pg_handle *h, const char *what);

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits for the result of the command just sent, at most
 * PG_CLIENT_TIMEOUT_MS, and returns the last result (the caller PQclears
 * it). NULL with the connection closed when the server did not answer in
 * time or the connection failed: the pool then reopens it.
 */
static PGresult *result_wait(struct pg_handle *h)
{
    PGconn *conn = h->conn;
    long long deadline = now_ms() + PG_CLIENT_TIMEOUT_MS;
    while (PQisBusy(conn)) {
        long long left = deadline - now_ms();
        struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};
        int ready = left > 0 && pfd.fd >= 0 ? poll(&pfd, 1, (int)left) : 0;
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0 || !PQconsumeInput(conn)) {
            /* The connection is in an unknown state: never reuse it. */
            h->lost = true;
            set_error(h, ready == 0 ? "PostgreSQL did not answer in time" : PQerrorMessage(conn));
            return NULL;
        }
    }
    PGresult *last = NULL;
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        PQclear(last);
        last = res;
    }
    return last;
}

static void set_error(struct pg_handle *h, const char *what)
{
    snprintf(h->error, sizeof h->error, "%s", what ? what : "unknown error");
    size_t n = strlen(h->error);
    while (n > 0 && (h->error[n - 1] == '\n' || h->error[n - 1] == ' ')) {
        h->error[--n] = '\0';
    }
}

static enum lu_rc map_state(const char *state)
{
    if (state == NULL) {
        return LU_UNAVAILABLE; /* no SQLSTATE: the connection failed */
    }
    if (strncmp(state, "23", 2) == 0 || strcmp(state, "40001") == 0 ||
        strcmp(state, "40P01") == 0) {
        return LU_CONFLICT; /* integrity, serialization, deadlock */
    }
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0 ||
        strncmp(state, "57", 2) == 0 || strcmp(state, "55P03") == 0 ||
        strncmp(state, "58", 2) == 0 || strcmp(state, "25006") == 0) {
        /* connection, resources, operator intervention (timeouts, shutdown),
         * lock not available, system error, read-only server */
        return LU_UNAVAILABLE;
    }
    return LU_IO;
}

static enum lu_rc result_error(struct pg_handle *h, PGresult *res)
{
    if (h->lost) {
        return LU_UNAVAILABLE; /* set_error already said why */
    }
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(h->conn);
    set_error(h, msg && msg[0] ? msg : PQerrorMessage(h->conn));
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (PQstatus(h->conn) == CONNECTION_BAD) {
        return LU_UNAVAILABLE;
    }
    return map_state(state);
}

/* Sends one simple-protocol command and waits for it within the deadline. */
static PGresult *command(struct pg_handle *h, const char *sql)
{
    if (h->lost || !PQsendQuery(h->conn, sql)) {
        return NULL;
    }
    return result_wait(h);
}

static enum lu_rc simple(struct pg_handle *h, const char *sql)
{
    PGresult *res = command(h, sql);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    enum lu_rc rc = LU_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = result_error(h, res);
    }
    PQclear(res);
    return rc;
}

static enum lu_rc pg_connect(const char *target, void **out, char *err, size_t cap)
{
    struct pg_handle *h = calloc(1, sizeof *h);
    if (h == NULL) {
        return LU_NOMEM;
    }
    const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *values[] = {target, PG_CONNECT_TIMEOUT_S, "lucia", NULL};
    h->conn = PQconnectdbParams(keys, values, 1);
    if (h->conn == NULL || PQstatus(h->conn) != CONNECTION_OK) {
        /* libpq's message names host and port, never the password. */
        snprintf(err, cap, "cannot connect to PostgreSQL: %s",
                 h->conn ? PQerrorMessage(h->conn) : "out of memory");
        size_t n = strlen(err);
        while (n > 0 && err[n - 1] == '\n') {
            err[--n] = '\0';
        }
        PQfinish(h->conn);
        free(h);
        return LU_UNAVAILABLE;
    }
    char setup[256];
    snprintf(setup, sizeof setup,
             "SET statement_timeout = %d; SET lock_timeout = %d; SET TimeZone = 'UTC'; "
             "SET DateStyle = 'ISO, YMD'; SET client_min_messages = warning",
             PG_STATEMENT_TIMEOUT_MS, PG_LOCK_TIMEOUT_MS);
    if (simple(h, setup) != LU_OK) {
        snprintf(err, cap, "cannot set up the PostgreSQL session: %s", h->error);
        PQfinish(h->conn);
        free(h);
        return LU_UNAVAILABLE;
    }
    *out = h;
    return LU_OK;
}

static void pg_disconnect(void *handle)
{
    struct pg_handle *h = handle;
    for (int i = 0; i < h->nstatements; i++) {
        free(h->statements[i].sql);
    }
    PQfinish(h->conn);
    free(h);
}

/* `?` → `$n`, leaving quoted strings, quoted identifiers and comments
 * alone. False when the text does not fit. */
static bool translate(const char *sql, char *out, size_t cap, int *nparams)
{
    size_t o = 0;
    int n = 0;
    char quote = 0;
    for (const char *p = sql; *p; p++) {
        if (o + 12 >= cap) {
            return false;
        }
        if (quote != 0) {
            if (*p == quote) {
                quote = 0;
            }
            out[o++] = *p;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
            out[o++] = *p;
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n') {
                out[o++] = *p++;
                if (o + 12 >= cap) {
                    return false;
                }
            }
            if (*p == '\0') {
                break;
            }
            out[o++] = *p;
        } else if (*p == '?') {
            o += (size_t)snprintf(out + o, cap - o, "$%d", ++n);
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    *nparams = n;
    return true;
}

static const char *statement_find(struct pg_handle *h, const char *sql)
{
    for (int i = 0; i < h->nstatements; i++) {
        if (strcmp(h->statements[i].sql, sql) == 0) {
            return h->statements[i].name;
        }
    }
    return NULL;
}

/* Prepares sql under a new name; NULL (and no error) when the cache is
 * full, so the caller runs it unprepared. */
static enum lu_rc statement_prepare(struct pg_handle *h, const char *sql, const char *translated,
                                    const char **name)
{
    *name = NULL;
    if (h->nstatements == PG_STATEMENTS_MAX) {
        return LU_OK;
    }
    struct statement *s = &h->statements[h->nstatements];
    snprintf(s->name, sizeof s->name, "lu%d", h->next_name++);
    PGresult *res = NULL;
    if (!h->lost && PQsendPrepare(h->conn, s->name, translated, 0, NULL)) {
        res = result_wait(h);
    }
    if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
        enum lu_rc rc = result_error(h, res);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    s->sql = strdup(sql);
    if (s->sql == NULL) {
        return LU_NOMEM;
    }
    h->nstatements++;
    *name = s->name;
    return LU_OK;
}

/* "2026-11-23 17:05:00.25+00" → "2026-11-23T17:05:00Z" (the session is UTC). */
static void timestamp_normalise(const char *in, char *out, size_t cap)
{
    size_t n = strlen(in);
    if (n < 19 || cap < 21) {
        snprintf(out, cap, "%s", in);
        return;
    }
    memcpy(out, in, 19);
    out[10] = 'T';
    out[19] = 'Z';
    out[20] = '\0';
}

static enum lu_rc collect(PGresult *res, struct db_rows **out)
{
    int ncols = PQnfields(res);
    int nrows = PQntuples(res);
    if (ncols > 64 || nrows > DB_ROWS_MAX) {
        return LU_TOO_LARGE;
    }
    struct db_rows *rows = db_rows_new((size_t)ncols);
    if (rows == NULL) {
        return LU_NOMEM;
    }
    enum lu_rc rc = LU_OK;
    for (int c = 0; rc == LU_OK && c < ncols; c++) {
        rc = db_rows_set_name(rows, (size_t)c, PQfname(res, c));
    }
    char stamps[64][24];
    for (int r = 0; rc == LU_OK && r < nrows; r++) {
        const char *cells[64];
        size_t lens[64];
        for (int c = 0; c < ncols; c++) {
            Oid type = PQftype(res, c);
            const char *v = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
            if (v != NULL && type == PG_OID_BOOL) {
                v = v[0] == 't' ? "1" : "0";
            } else if (v != NULL && (type == PG_OID_TIMESTAMPTZ || type == PG_OID_TIMESTAMP)) {
                timestamp_normalise(v, stamps[c], sizeof stamps[c]);
                v = stamps[c];
            }
            cells[c] = v;
            lens[c] = v ? strlen(v) : 0;
        }
        rc = db_rows_push(rows, cells, lens);
    }
    if (rc != LU_OK) {
        db_rows_free(rows);
        return rc;
    }
    *out = rows;
    return LU_OK;
}

static enum lu_rc pg_exec(void *handle, const char *sql, const struct db_param *params, size_t n,
                          struct db_rows **rows_out, int64_t *changes)
{
    struct pg_handle *h = handle;
    char translated[PG_SQL_BYTES_MAX];
    int expected = 0;
    LU_ASSERT(translate(sql, translated, sizeof translated, &expected));
    LU_ASSERT((size_t)expected == n && n <= PG_PARAMS_MAX);

    const char *values[64];
    char ints[64][24];
    const char **vals = n <= 64 ? values : calloc(n, sizeof *vals);
    char(*ibuf)[24] = n <= 64 ? ints : calloc(n, sizeof *ibuf);
    if (vals == NULL || ibuf == NULL) {
        if (vals != values) {
            free(vals);
        }
        if (ibuf != ints) {
            free(ibuf);
        }
        return LU_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        switch (params[i].type) {
        case DB_NULL: vals[i] = NULL; break;
        case DB_TEXT: vals[i] = params[i].text; break;
        case DB_INT:
            snprintf(ibuf[i], sizeof ibuf[i], "%lld", (long long)params[i].i);
            vals[i] = ibuf[i];
            break;
        }
    }
    const char *name = statement_find(h, sql);
    enum lu_rc rc = LU_OK;
    if (name == NULL) {
        rc = statement_prepare(h, sql, translated, &name);
    }
    PGresult *res = NULL;
    if (rc == LU_OK && !h->lost) {
        int sent = name ? PQsendQueryPrepared(h->conn, name, (int)n, vals, NULL, NULL, 0)
                        : PQsendQueryParams(h->conn, translated, (int)n, NULL, vals, NULL, NULL,
                                            0);
        res = sent ? result_wait(h) : NULL;
    }
    if (vals != values) {
        free(vals);
    }
    if (ibuf != ints) {
        free(ibuf);
    }
    if (rc != LU_OK) {
        return rc;
    }
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        rc = result_error(h, res);
        PQclear(res);
        return rc;
    }
    if (rows_out != NULL) {
        rc = collect(res, rows_out);
    }
    if (rc == LU_OK && changes != NULL) {
        const char *tuples = PQcmdTuples(res);
        *changes = tuples && tuples[0] ? strtoll(tuples, NULL, 10) : 0;
    }
    PQclear(res);
    return rc;
}

static enum lu_rc pg_exec_script(void *handle, const char *sql)
{
    return simple(handle, sql);
}

static enum lu_rc pg_begin(void *handle, bool write)
{
    struct pg_handle *h = handle;
    if (!write) {
        /* One snapshot for the whole read, as SQLite gives. */
        return simple(h, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    }
    enum lu_rc rc = simple(h, "BEGIN");
    if (rc == LU_OK) {
        rc = simple(h, "SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK_KEY ")");
        if (rc != LU_OK) {
            (void)simple(h, "ROLLBACK"); /* the lock error is what we report */
        }
    }
    return rc;
}

static enum lu_rc pg_commit(void *handle)
{
    struct pg_handle *h = handle;
    PGresult *res = command(h, "COMMIT");
    enum lu_rc rc = LU_OK;
    if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = result_error(h, res);
    } else if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
        /* COMMIT of an aborted transaction answers ROLLBACK: nothing was
         * written, and the caller must not say it was. */
        set_error(h, "transaction was aborted; COMMIT rolled back");
        rc = LU_CONFLICT;
    }
    PQclear(res);
    return rc;
}

static enum lu_rc pg_rollback(void *handle)
{
    struct pg_handle *h = handle;
    if (h->lost || PQtransactionStatus(h->conn) == PQTRANS_IDLE) {
        return LU_OK; /* a lost connection is closed, which rolls back */
    }
    return simple(h, "ROLLBACK");
}

static const char *pg_last_error(void *handle)
{
    return ((struct pg_handle *)handle)->error;
}

static bool pg_broken(void *handle)
{
    struct pg_handle *h = handle;
    return h->lost || PQstatus(h->conn) != CONNECTION_OK;
}

const struct db_driver db_pg_driver = {
    .name = "postgres",
    .dialect = "postgres",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec = pg_exec,
    .exec_script = pg_exec_script,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .last_error = pg_last_error,
    .broken = pg_broken,
};
