/*
 * db_sqlite.c — the SQLite driver: the embedded default (SPEC §1).
 *
 * Every connection runs in WAL mode with synchronous=FULL, so a COMMIT that
 * returned is on disk: "2xx means committed" holds across kill -9 and power
 * loss. A busy or full database is LU_UNAVAILABLE (503, safe to retry); a
 * constraint is LU_CONFLICT; anything else is our bug and logged as such.
 *
 * Group commit. SQLite has one writer at a time and every COMMIT costs an
 * fsync, so writes committed one by one run at the disk's fsync rate. The
 * pooled handles of one database file therefore share one write connection
 * (struct writer). A write transaction — db_begin(write), or a lone
 * INSERT/UPDATE/DELETE outside any transaction — takes the writer's turn,
 * runs in a SAVEPOINT of its own inside one shared transaction (BEGIN
 * IMMEDIATE), and on commit RELEASEs it into the open batch. While another
 * request waits for its turn the batch stays open and the turn passes on;
 * the last request of the batch (nobody waiting, or DB_GROUP_COMMIT_MAX
 * members) runs the one COMMIT for all. Every member's commit returns only
 * after that COMMIT returned, with its result, so "2xx means committed"
 * holds as before; a request that fails rolls back only its own savepoint.
 * Writers of one process also no longer meet in SQLite's busy handler,
 * whose sleeps made the slowest writes wait for seconds.
 *
 * Members of a batch see each other's released work before it is durable.
 * A request that ends in rollback after its turn began on such work (an
 * idempotent replay, a duplicate webhook) may answer from it, so its
 * rollback waits for the batch's COMMIT too; should that COMMIT fail, the
 * process stops rather than let such an answer out, as PostgreSQL stops on a
 * failed fsync. A failed COMMIT alone answers 503 to the batch's members.
 *
 * Reads run on the pooled handle's own connection and see committed data
 * only. Statements are prepared once per connection and kept
 * (DB_STATEMENTS_CACHED_MAX each, least recently used out).
 */
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "core/assert.h"
#include "core/limits.h"
#include "core/log.h"
#include "db/db.h"

/* Prepared statements of one connection, kept for reuse. */
struct stmt_cache {
    sqlite3_stmt *stmts[DB_STATEMENTS_CACHED_MAX];
    uint64_t hashes[DB_STATEMENTS_CACHED_MAX];
    uint64_t used[DB_STATEMENTS_CACHED_MAX]; /* tick of the last use; 0: free slot */
    uint64_t tick;
};

/* A request waiting for its batch's COMMIT, on its own stack. */
struct member {
    struct member *next;
    enum lu_rc rc;
    bool done;
    bool wrote; /* false: it rolled back after seeing the batch's work */
};

/* The one write connection of a database file, shared by its handles. */
struct writer {
    struct writer *next; /* in the registry */
    char *path;
    int refs;
    sqlite3 *db;
    struct stmt_cache cache; /* used by the turn's holder only */
    bool open;               /* the shared transaction is open; holder only */
    pthread_mutex_t lock;
    pthread_cond_t turn_free;
    pthread_cond_t batch_done;
    /* Under lock: */
    bool held; /* a request, or the batch's COMMIT, is using db */
    pthread_t holder;
    int waiting;         /* requests waiting for the turn */
    int members;         /* savepoints released into the open batch */
    struct member *list; /* everyone waiting for the open batch's COMMIT */
    char error[256];     /* why the last batch failed */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct writer *registry;

struct sqlite_handle {
    sqlite3 *db; /* this handle's own connection: reads, and writes in memory */
    struct stmt_cache cache;
    struct writer *writer; /* NULL for an in-memory database */
    bool in_write;         /* inside its savepoint: statements go to the writer */
    bool tainted;          /* its turn began with others' work not yet committed */
    char error[256];
};

static enum lu_rc map_code(int code)
{
    switch (code & 0xff) {
    case SQLITE_CONSTRAINT: return LU_CONFLICT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL: return LU_UNAVAILABLE;
    default: return LU_IO;
    }
}

static enum lu_rc map_error(struct sqlite_handle *h, sqlite3 *db, int code)
{
    snprintf(h->error, sizeof h->error, "%s", sqlite3_errmsg(db));
    return map_code(code);
}

/* Creates the folder of the database file, one level, as `./var` needs. */
static void make_parent_dir(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL) {
        return;
    }
    const char *dir = dirname(copy);
    if (strcmp(dir, ".") != 0 && strcmp(dir, "/") != 0) {
        /* An existing folder is fine; any other failure shows at open. */
        (void)mkdir(dir, 0750);
    }
    free(copy);
}

/* Opens one connection with Lucia's settings. */
static enum lu_rc open_connection(const char *target, sqlite3 **out, char *err, size_t cap)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int code = sqlite3_open_v2(target, &db, flags, NULL);
    if (code != SQLITE_OK) {
        snprintf(err, cap, "cannot open SQLite database %s: %s", target,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(code));
        sqlite3_close(db);
        return LU_UNAVAILABLE;
    }
    sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
    static const char setup[] = "PRAGMA journal_mode=WAL;"
                                "PRAGMA synchronous=FULL;"
                                "PRAGMA foreign_keys=ON;";
    char *msg = NULL;
    if (sqlite3_exec(db, setup, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, cap, "cannot set up SQLite database %s: %s", target, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(db);
        return LU_UNAVAILABLE;
    }
    *out = db;
    return LU_OK;
}

/* --- prepared statements, kept per connection ---------------------------- */

static uint64_t sql_hash(const char *sql)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)sql; *p != '\0'; p++) {
        h = (h ^ *p) * 1099511628211ULL;
    }
    return h;
}

/* The statement for sql on db: prepared on first use, then kept. Borrowed
 * until stmt_done; never finalized by the caller. */
static int stmt_get(struct stmt_cache *c, sqlite3 *db, const char *sql, sqlite3_stmt **out)
{
    uint64_t hash = sql_hash(sql);
    size_t victim = 0;
    for (size_t i = 0; i < DB_STATEMENTS_CACHED_MAX; i++) {
        if (c->used[i] != 0 && c->hashes[i] == hash &&
            strcmp(sqlite3_sql(c->stmts[i]), sql) == 0) {
            c->used[i] = ++c->tick;
            *out = c->stmts[i];
            return SQLITE_OK;
        }
        if (c->used[i] < c->used[victim]) {
            victim = i; /* a free slot (0) first, else the least recently used */
        }
    }
    sqlite3_stmt *st = NULL;
    int code = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (code != SQLITE_OK) {
        return code;
    }
    if (st == NULL) {
        return SQLITE_MISUSE; /* no statement in the text: our bug */
    }
    if (c->used[victim] != 0) {
        sqlite3_finalize(c->stmts[victim]);
    }
    c->stmts[victim] = st;
    c->hashes[victim] = hash;
    c->used[victim] = ++c->tick;
    *out = st;
    return SQLITE_OK;
}

/* Reset at once: a statement left mid-step would keep its read snapshot
 * open (and WAL checkpoints waiting), and stale bindings would point into
 * the last caller's memory. */
static void stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static void stmt_cache_clear(struct stmt_cache *c)
{
    for (size_t i = 0; i < DB_STATEMENTS_CACHED_MAX; i++) {
        if (c->used[i] != 0) {
            sqlite3_finalize(c->stmts[i]);
            c->used[i] = 0;
        }
    }
}

/* --- the shared writer, one per database file ----------------------------- */

static enum lu_rc writer_new(const char *path, struct writer **out, char *err, size_t cap)
{
    struct writer *w = calloc(1, sizeof *w);
    if (w == NULL || (w->path = strdup(path)) == NULL) {
        free(w);
        return LU_NOMEM;
    }
    enum lu_rc rc = open_connection(path, &w->db, err, cap);
    if (rc != LU_OK) {
        free(w->path);
        free(w);
        return rc;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->turn_free, NULL);
    pthread_cond_init(&w->batch_done, NULL);
    *out = w;
    return LU_OK;
}

/* Gives h the writer of its file, opening it for the file's first handle. */
static enum lu_rc writer_attach(struct sqlite_handle *h, char *err, size_t cap)
{
    const char *path = sqlite3_db_filename(h->db, "main");
    if (path == NULL || path[0] == '\0') {
        return LU_OK; /* in memory: private to this connection, which writes itself */
    }
    pthread_mutex_lock(&registry_lock);
    struct writer *w = registry;
    while (w != NULL && strcmp(w->path, path) != 0) {
        w = w->next;
    }
    enum lu_rc rc = LU_OK;
    if (w == NULL) {
        rc = writer_new(path, &w, err, cap);
        if (rc == LU_OK) {
            w->next = registry;
            registry = w;
        }
    }
    if (rc == LU_OK) {
        w->refs++;
        h->writer = w;
    }
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

static void writer_detach(struct writer *w)
{
    pthread_mutex_lock(&registry_lock);
    LU_ASSERT(w->refs > 0);
    if (--w->refs > 0) {
        pthread_mutex_unlock(&registry_lock);
        return;
    }
    struct writer **p = &registry;
    while (*p != w) {
        p = &(*p)->next;
    }
    *p = w->next;
    pthread_mutex_unlock(&registry_lock);
    LU_ASSERT(!w->held && w->list == NULL && !w->open);
    stmt_cache_clear(&w->cache);
    sqlite3_close(w->db);
    pthread_cond_destroy(&w->batch_done);
    pthread_cond_destroy(&w->turn_free);
    pthread_mutex_destroy(&w->lock);
    free(w->path);
    free(w);
}

static enum lu_rc sq_connect(const char *target, void **out, char *err, size_t cap)
{
    struct sqlite_handle *h = calloc(1, sizeof *h);
    if (h == NULL) {
        return LU_NOMEM;
    }
    make_parent_dir(target);
    enum lu_rc rc = open_connection(target, &h->db, err, cap);
    if (rc == LU_OK) {
        rc = writer_attach(h, err, cap);
        if (rc != LU_OK) {
            sqlite3_close(h->db);
        }
    }
    if (rc != LU_OK) {
        free(h);
        return rc;
    }
    *out = h;
    return LU_OK;
}

static void sq_disconnect(void *handle)
{
    struct sqlite_handle *h = handle;
    LU_ASSERT(!h->in_write);
    stmt_cache_clear(&h->cache);
    sqlite3_close(h->db);
    if (h->writer != NULL) {
        writer_detach(h->writer);
    }
    free(h);
}

static enum lu_rc bind_all(struct sqlite_handle *h, sqlite3 *db, sqlite3_stmt *st,
                           const struct db_param *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int idx = (int)i + 1;
        int code = SQLITE_OK;
        switch (p[i].type) {
        case DB_NULL: code = sqlite3_bind_null(st, idx); break;
        case DB_INT: code = sqlite3_bind_int64(st, idx, p[i].i); break;
        case DB_TEXT: code = sqlite3_bind_text(st, idx, p[i].text, -1, SQLITE_STATIC); break;
        }
        if (code != SQLITE_OK) {
            return map_error(h, db, code);
        }
    }
    return LU_OK;
}

static enum lu_rc collect_row(sqlite3_stmt *st, struct db_rows *rows)
{
    const char *cells[64];
    size_t lens[64];
    for (size_t c = 0; c < rows->ncols; c++) {
        cells[c] = (const char *)sqlite3_column_text(st, (int)c);
        lens[c] = (size_t)sqlite3_column_bytes(st, (int)c);
    }
    return db_rows_push(rows, cells, lens);
}

/* Runs sql on db through its statement cache: binds, steps to the end,
 * materialises the rows when rows_out is given, counts changes, resets. */
static enum lu_rc run_sql(struct sqlite_handle *h, sqlite3 *db, struct stmt_cache *cache,
                          const char *sql, const struct db_param *params, size_t n,
                          struct db_rows **rows_out, int64_t *changes)
{
    sqlite3_stmt *st = NULL;
    int code = stmt_get(cache, db, sql, &st);
    if (code != SQLITE_OK) {
        return map_error(h, db, code);
    }
    enum lu_rc rc = bind_all(h, db, st, params, n);
    struct db_rows *rows = NULL;
    size_t ncols = (size_t)sqlite3_column_count(st);
    if (rc == LU_OK && rows_out != NULL) {
        rows = ncols <= 64 ? db_rows_new(ncols) : NULL;
        rc = rows == NULL ? LU_NOMEM : LU_OK;
        for (size_t c = 0; rc == LU_OK && c < ncols; c++) {
            rc = db_rows_set_name(rows, c, sqlite3_column_name(st, (int)c));
        }
    }
    while (rc == LU_OK) {
        code = sqlite3_step(st);
        if (code == SQLITE_DONE) {
            break;
        }
        if (code != SQLITE_ROW) {
            rc = map_error(h, db, code);
            break;
        }
        if (rows != NULL) {
            rc = collect_row(st, rows);
        }
    }
    if (rc == LU_OK && changes != NULL) {
        *changes = sqlite3_changes64(db);
    }
    stmt_done(st);
    if (rc != LU_OK) {
        db_rows_free(rows);
        return rc;
    }
    if (rows_out != NULL) {
        *rows_out = rows;
    }
    return LU_OK;
}

/* --- group commit (see the top of this file) ------------------------------ */

enum turn_outcome { TURN_KEEP, TURN_DROP, TURN_NONE };

/* Waits for the writer's turn; LU_UNAVAILABLE when it stays taken for
 * DB_BUSY_TIMEOUT_MS, or at once when this thread already holds it through
 * another handle (it would wait for itself). */
static enum lu_rc turn_take(struct sqlite_handle *h)
{
    struct writer *w = h->writer;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += DB_BUSY_TIMEOUT_MS / 1000;
    pthread_mutex_lock(&w->lock);
    if (w->held && pthread_equal(w->holder, pthread_self())) {
        pthread_mutex_unlock(&w->lock);
        snprintf(h->error, sizeof h->error, "a second write transaction on a thread inside one");
        return LU_UNAVAILABLE;
    }
    w->waiting++;
    while (w->held) {
        if (pthread_cond_timedwait(&w->turn_free, &w->lock, &deadline) == ETIMEDOUT && w->held) {
            w->waiting--;
            pthread_mutex_unlock(&w->lock);
            snprintf(h->error, sizeof h->error, "the writer stayed busy for %d ms",
                     DB_BUSY_TIMEOUT_MS);
            return LU_UNAVAILABLE;
        }
    }
    w->waiting--;
    w->held = true;
    w->holder = pthread_self();
    h->tainted = w->members > 0;
    pthread_mutex_unlock(&w->lock);
    return LU_OK;
}

/* Under w->lock. */
static void turn_pass(struct writer *w)
{
    w->held = false;
    pthread_cond_signal(&w->turn_free);
}

/* Under w->lock: hands rc to everyone waiting on a batch. True when one of
 * them rolled back after seeing the batch's work and the batch failed. */
static bool batch_finish(struct writer *w, struct member *list, enum lu_rc rc)
{
    bool observer_lost = false;
    for (struct member *m = list; m != NULL; m = m->next) {
        m->rc = rc;
        m->done = true;
        observer_lost = observer_lost || (rc != LU_OK && !m->wrote);
    }
    pthread_cond_broadcast(&w->batch_done);
    return observer_lost;
}

static void observer_lost_stop(const char *why)
{
    log_msg(LOG_ERROR, NULL,
            "database: a group COMMIT failed (%s) and a request of that batch may answer from "
            "work that is not on disk; stopping before it does",
            why);
    abort();
}

/*
 * Ends h's turn: its savepoint released into the batch (keep), rolled back
 * (drop) or never opened (none). Then passes the turn to a waiting request,
 * or — nobody waiting, or the batch full — commits the batch. Returns this
 * request's result: for keep, that of the COMMIT covering it.
 */
static enum lu_rc turn_end(struct sqlite_handle *h, enum turn_outcome how)
{
    struct writer *w = h->writer;
    enum lu_rc rc = LU_OK;
    h->in_write = false;
    if (how == TURN_KEEP) {
        int code = sqlite3_exec(w->db, "RELEASE lu_request", NULL, NULL, NULL);
        if (code != SQLITE_OK) {
            rc = map_error(h, w->db, code);
            how = TURN_DROP;
        }
    }
    if (how == TURN_DROP && !sqlite3_get_autocommit(w->db) &&
        sqlite3_exec(w->db, "ROLLBACK TO lu_request; RELEASE lu_request", NULL, NULL, NULL) !=
            SQLITE_OK) {
        /* Half a request must never commit: undo its whole batch instead. */
        log_msg(LOG_WARN, NULL, "database: cannot roll back one request (%s); its batch goes too",
                sqlite3_errmsg(w->db));
        (void)sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
    }
    struct member me = {.wrote = how == TURN_KEEP};
    pthread_mutex_lock(&w->lock);
    if (w->open && sqlite3_get_autocommit(w->db)) {
        /* The shared transaction ended under us (SQLite rolls back by itself
         * after an I/O error or a full disk): every released savepoint went. */
        w->open = false;
        snprintf(w->error, sizeof w->error, "the shared transaction was rolled back");
        if (batch_finish(w, w->list, LU_UNAVAILABLE)) {
            observer_lost_stop(w->error);
        }
        w->list = NULL;
        w->members = 0;
        if (me.wrote) {
            rc = LU_UNAVAILABLE;
            snprintf(h->error, sizeof h->error, "%s", w->error);
        }
        me.wrote = false;
    }
    bool joined = me.wrote || (h->tainted && w->members > 0);
    h->tainted = false;
    if (joined) {
        me.next = w->list;
        w->list = &me;
        w->members += me.wrote ? 1 : 0;
    }
    if (!w->open || (w->waiting > 0 && w->members < DB_GROUP_COMMIT_MAX)) {
        turn_pass(w);
        while (joined && !me.done) {
            pthread_cond_wait(&w->batch_done, &w->lock);
        }
        if (me.wrote && me.rc != LU_OK) {
            snprintf(h->error, sizeof h->error, "%s", w->error);
        }
        pthread_mutex_unlock(&w->lock);
        return me.wrote ? me.rc : rc;
    }
    /* Nobody waits, or the batch is full: this request commits it. */
    struct member *list = w->list;
    int n = w->members;
    w->list = NULL;
    w->members = 0;
    pthread_mutex_unlock(&w->lock);
    int code = sqlite3_exec(w->db, n > 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    char why[256] = "";
    if (code != SQLITE_OK) {
        snprintf(why, sizeof why, "%s", sqlite3_errmsg(w->db));
        if (!sqlite3_get_autocommit(w->db)) {
            (void)sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
        }
    }
    pthread_mutex_lock(&w->lock);
    w->open = false;
    if (code != SQLITE_OK) {
        snprintf(w->error, sizeof w->error, "%s", why);
    }
    bool lost = batch_finish(w, list, code == SQLITE_OK ? LU_OK : map_code(code));
    turn_pass(w);
    pthread_mutex_unlock(&w->lock);
    if (lost) {
        observer_lost_stop(why);
    }
    if (me.wrote && me.rc != LU_OK) {
        snprintf(h->error, sizeof h->error, "%s", why);
    }
    return me.wrote ? me.rc : rc;
}

/* Takes the turn and opens this request's savepoint in the shared
 * transaction, opening that first when no batch is open. */
static enum lu_rc group_begin(struct sqlite_handle *h)
{
    struct writer *w = h->writer;
    enum lu_rc rc = turn_take(h);
    if (rc != LU_OK) {
        return rc;
    }
    int code = SQLITE_OK;
    if (!w->open) {
        code = sqlite3_exec(w->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        w->open = code == SQLITE_OK;
    }
    if (code == SQLITE_OK) {
        code = sqlite3_exec(w->db, "SAVEPOINT lu_request", NULL, NULL, NULL);
    }
    if (code != SQLITE_OK) {
        rc = map_error(h, w->db, code);
        (void)turn_end(h, TURN_NONE);
        return rc;
    }
    h->in_write = true;
    return LU_OK;
}

/* Statements SQLite refuses inside a transaction, or that set up the
 * connection itself, run on the handle's own connection as before. */
static bool writer_may_run(const char *sql)
{
    static const char *const own[] = {"PRAGMA", "VACUUM", "ATTACH", "DETACH"};
    while (*sql == ' ' || *sql == '\n' || *sql == '\t' || *sql == '\r') {
        sql++;
    }
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        if (strncasecmp(sql, own[i], strlen(own[i])) == 0) {
            return false;
        }
    }
    return true;
}

static enum lu_rc sq_exec(void *handle, const char *sql, const struct db_param *params, size_t n,
                          struct db_rows **rows_out, int64_t *changes)
{
    struct sqlite_handle *h = handle;
    if (h->in_write) {
        return run_sql(h, h->writer->db, &h->writer->cache, sql, params, n, rows_out, changes);
    }
    sqlite3_stmt *st = NULL;
    int code = stmt_get(&h->cache, h->db, sql, &st);
    if (code != SQLITE_OK) {
        return map_error(h, h->db, code);
    }
    bool lone_write = h->writer != NULL && !sqlite3_stmt_readonly(st) &&
                      sqlite3_get_autocommit(h->db) && writer_may_run(sql);
    if (!lone_write) {
        return run_sql(h, h->db, &h->cache, sql, params, n, rows_out, changes);
    }
    /* A write outside any transaction: a savepoint of its own in the next
     * batch, durable when this returns, like an autocommit statement. */
    enum lu_rc rc = group_begin(h);
    if (rc != LU_OK) {
        return rc;
    }
    rc = run_sql(h, h->writer->db, &h->writer->cache, sql, params, n, rows_out, changes);
    enum lu_rc end = turn_end(h, rc == LU_OK ? TURN_KEEP : TURN_DROP);
    if (rc == LU_OK && end != LU_OK && rows_out != NULL) {
        db_rows_free(*rows_out);
        *rows_out = NULL;
    }
    return rc != LU_OK ? rc : end;
}

static enum lu_rc sq_exec_script(void *handle, const char *sql)
{
    struct sqlite_handle *h = handle;
    char *msg = NULL;
    int code = sqlite3_exec(h->in_write ? h->writer->db : h->db, sql, NULL, NULL, &msg);
    if (code != SQLITE_OK) {
        snprintf(h->error, sizeof h->error, "%s", msg ? msg : sqlite3_errstr(code));
        sqlite3_free(msg);
        return (code & 0xff) == SQLITE_BUSY ? LU_UNAVAILABLE : LU_IO;
    }
    return LU_OK;
}

static enum lu_rc simple(struct sqlite_handle *h, const char *sql)
{
    int code = sqlite3_exec(h->db, sql, NULL, NULL, NULL);
    return code == SQLITE_OK ? LU_OK : map_error(h, h->db, code);
}

static enum lu_rc sq_begin(void *handle, bool write)
{
    struct sqlite_handle *h = handle;
    LU_ASSERT(!h->in_write);
    if (write && h->writer != NULL) {
        return group_begin(h);
    }
    return simple(h, write ? "BEGIN IMMEDIATE" : "BEGIN");
}

static enum lu_rc sq_commit(void *handle)
{
    struct sqlite_handle *h = handle;
    if (h->in_write) {
        return turn_end(h, TURN_KEEP);
    }
    return simple(h, "COMMIT");
}

static enum lu_rc sq_rollback(void *handle)
{
    struct sqlite_handle *h = handle;
    if (h->in_write) {
        return turn_end(h, TURN_DROP);
    }
    if (sqlite3_get_autocommit(h->db)) {
        return LU_OK; /* nothing open: a failed COMMIT may already have ended it */
    }
    return simple(h, "ROLLBACK");
}

static const char *sq_last_error(void *handle)
{
    return ((struct sqlite_handle *)handle)->error;
}

static bool sq_broken(void *handle)
{
    /* db_release asks this of every handle it takes back: the place to
     * catch a caller that never ended its write transaction, whose turn
     * would otherwise stop every writer of the process. */
    struct sqlite_handle *h = handle;
    if (h->in_write) {
        log_msg(LOG_ERROR, NULL, "database: released inside a write transaction; rolled back");
        (void)turn_end(h, TURN_DROP);
    }
    return false; /* a file does not go away between calls */
}

const struct db_driver db_sqlite_driver = {
    .name = "sqlite",
    .dialect = "sqlite",
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .exec = sq_exec,
    .exec_script = sq_exec_script,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .last_error = sq_last_error,
    .broken = sq_broken,
};
