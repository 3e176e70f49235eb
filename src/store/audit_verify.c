/*
 * audit_verify.c — the chain walk behind `lucia audit verify` (see
 * audit_verify.h). Called from main.c only; it reads and never writes, and
 * it judges rows only by their stored text, so it knows nothing of which
 * resources produced them.
 */
#include "store/audit_verify.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/assert.h"
#include "store/audit.h"

/* The SELECT's column order; the hash input order is audit.h's. */
enum {
    C_SEQ = 0,
    C_ID,
    C_AT,
    C_ACTOR,
    C_ACTION,
    C_ENTITY_TYPE,
    C_ENTITY_ID,
    C_PROPERTY_ID,
    C_BEFORE,
    C_AFTER,
    C_PREV_HASH,
    C_HASH,
    C_COUNT
};

#define SELECT_BATCH                                                                               \
    "SELECT seq, id, at, actor, action, entity_type, entity_id, property_id, before_json, "        \
    "after_json, prev_hash, hash FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?"

/* Where the walk stands: the last good row and its recomputed hash. */
struct walk {
    int64_t events;
    int64_t last_seq;
    char last_id[128];
    char prev_hash[AUDIT_HASH_HEX];
};

static void report_broken(struct audit_verify_report *out, const struct walk *w, bool after,
                          int64_t seq, const char *id, const char *what)
{
    out->ok = false;
    out->events = w->events;
    out->bad_seq = seq;
    snprintf(out->bad_id, sizeof out->bad_id, "%s", id ? id : "");
    LU_ASSERT(what != NULL);
    if (id == NULL) {
        snprintf(out->message, sizeof out->message, "audit chain broken: %s", what);
        return;
    }
    snprintf(out->message, sizeof out->message, "audit chain broken %s seq %" PRId64 " (%s): %s",
             after ? "after" : "at", seq, id, what);
}

static bool same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Checks row r against the walk so far and advances it. False (with out
 * filled) at the first bad row. The row's own hash is checked first: a row
 * that does not hash to itself was edited, whatever else is wrong; an
 * intact row that does not link to the one before means a row between them
 * is gone or the order changed. */
static bool row_check(const struct db_rows *rows, size_t r, struct walk *w,
                      struct audit_verify_report *out)
{
    const char *f[C_COUNT];
    for (size_t c = 0; c < C_COUNT; c++) {
        f[c] = db_rows_text(rows, r, c);
    }
    int64_t seq = db_rows_int(rows, r, C_SEQ);
    LU_ASSERT(seq > w->last_seq); /* the query orders by seq > last */
    w->events++;
    const char *id = f[C_ID] ? f[C_ID] : "null id";
    char hash[AUDIT_HASH_HEX];
    audit_hash(f[C_PREV_HASH], f[C_ID], f[C_AT], f[C_ACTOR], f[C_ACTION], f[C_ENTITY_TYPE],
               f[C_ENTITY_ID], f[C_PROPERTY_ID], f[C_BEFORE], f[C_AFTER], hash);
    if (!same(hash, f[C_HASH])) {
        report_broken(out, w, false, seq, id,
                      "hash mismatch: the row was edited after it was written");
        return false;
    }
    if (!same(w->prev_hash, f[C_PREV_HASH])) {
        char what[200];
        if (w->events == 1) {
            snprintf(what, sizeof what,
                     "prev_hash mismatch: the first row does not start "
                     "from the genesis hash: rows before it were removed");
        } else {
            snprintf(what, sizeof what,
                     "prev_hash mismatch: it is not the hash of seq %" PRId64
                     ": a row was removed or rows were reordered before it",
                     w->last_seq);
        }
        report_broken(out, w, false, seq, id, what);
        return false;
    }
    w->last_seq = seq;
    snprintf(w->last_id, sizeof w->last_id, "%s", id);
    memcpy(w->prev_hash, hash, sizeof hash);
    return true;
}

/* Reads the batch after w->last_seq; *more says whether it was full. */
static enum lu_rc batch_check(struct db_conn *conn, struct walk *w, bool *more, bool *good,
                              struct audit_verify_report *out)
{
    struct db_param p[] = {P_INT(w->last_seq), P_INT(AUDIT_VERIFY_BATCH_ROWS)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn, SELECT_BATCH, p, 2, &rows, NULL);
    if (rc != LU_OK) {
        return rc;
    }
    LU_ASSERT(rows->ncols == C_COUNT && rows->nrows <= AUDIT_VERIFY_BATCH_ROWS);
    *more = rows->nrows == AUDIT_VERIFY_BATCH_ROWS;
    *good = true;
    for (size_t r = 0; r < rows->nrows && *good; r++) {
        *good = row_check(rows, r, w, out);
    }
    db_rows_free(rows);
    return LU_OK;
}

/* audit_head must name the last row: a log cut short at the end still
 * links perfectly, and only the head remembers how far it went. */
static enum lu_rc head_check(struct db_conn *conn, const struct walk *w,
                             struct audit_verify_report *out)
{
    struct db_rows *rows = NULL;
    enum lu_rc rc =
        db_exec(conn, "SELECT seq, hash FROM audit_head WHERE one = 1", NULL, 0, &rows, NULL);
    if (rc != LU_OK) {
        return rc;
    }
    char what[200] = "";
    if (rows->nrows == 0) {
        if (w->events > 0) {
            snprintf(what, sizeof what,
                     "head mismatch: audit_head is missing: the log was altered outside Lucia");
        }
    } else {
        int64_t head_seq = db_rows_int(rows, 0, 0);
        const char *head_hash = db_rows_text(rows, 0, 1);
        if (w->events == 0) {
            snprintf(what, sizeof what,
                     "head mismatch: audit_head names seq %" PRId64
                     " but the log is empty: rows were removed from the end",
                     head_seq);
        } else if (head_seq > w->last_seq) {
            snprintf(what, sizeof what,
                     "head mismatch: audit_head names seq %" PRId64 ", the log ends at seq %" PRId64
                     ": rows were removed from the end",
                     head_seq, w->last_seq);
        } else if (head_seq < w->last_seq) {
            snprintf(what, sizeof what,
                     "head mismatch: audit_head names seq %" PRId64
                     ": rows after it were added outside Lucia",
                     head_seq);
        } else if (!same(head_hash, w->prev_hash)) {
            snprintf(what, sizeof what,
                     "head mismatch: audit_head's hash is not the last row's: "
                     "the end of the log was replaced");
        }
    }
    db_rows_free(rows);
    if (what[0] != '\0') {
        bool any = w->events > 0;
        report_broken(out, w, any, any ? w->last_seq : 0, any ? w->last_id : NULL, what);
    }
    return LU_OK;
}

static enum lu_rc walk_all(struct db_conn *conn, struct walk *w, struct audit_verify_report *out)
{
    bool more = true;
    bool good = true;
    while (more && good) {
        int64_t before = w->last_seq;
        enum lu_rc rc = batch_check(conn, w, &more, &good, out);
        if (rc != LU_OK) {
            return rc;
        }
        /* A full batch always moves the walk on, so the loop ends. */
        LU_ASSERT(!more || !good || w->last_seq > before);
    }
    if (!good) {
        return LU_OK;
    }
    return head_check(conn, w, out);
}

enum lu_rc audit_chain_verify(struct db *db, struct audit_verify_report *out)
{
    LU_ASSERT(db != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    /* Seqs start at 1, but a row slipped in with seq 0 or below must be
     * walked too, not skipped by the first "seq > ?". */
    struct walk w = {.last_seq = INT64_MIN};
    snprintf(w.prev_hash, sizeof w.prev_hash, "%s", AUDIT_GENESIS);
    out->ok = true;
    struct db_conn *conn = db_acquire(db);
    if (conn == NULL) {
        out->ok = false;
        snprintf(out->message, sizeof out->message, "cannot connect to the database");
        return LU_UNAVAILABLE;
    }
    /* One read transaction: every batch sees the same snapshot, so rows a
     * running server appends meanwhile cannot look like a broken head. */
    enum lu_rc rc = db_begin(conn, false);
    if (rc == LU_OK) {
        rc = walk_all(conn, &w, out);
    }
    db_rollback(conn);
    db_release(conn);
    if (rc != LU_OK) {
        out->ok = false;
        snprintf(out->message, sizeof out->message,
                 "cannot read the audit log (%s); has `lucia migrate up` run?", lu_rc_name(rc));
        return rc;
    }
    if (out->ok) {
        out->events = w.events;
        snprintf(out->message, sizeof out->message, "audit chain ok: %" PRId64 " events", w.events);
    }
    return LU_OK;
}
