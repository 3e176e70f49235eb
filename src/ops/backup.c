/*
 * backup.c — backup and restore of the configured database (backup.h).
 *
 * SQLite uses sqlite3_backup_* in small steps, so `lucia backup` can run
 * beside a serving process. PostgreSQL shells out to pg_dump/pg_restore with
 * the connection string in PGDATABASE-free form: passed as the --dbname of
 * an argv (execvp, no shell), so no quoting can go wrong. Must not verify
 * the data: main.c does that through store/audit_verify and the ledger.
 */
#include "ops/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/assert.h"

/* Copies src into dst by the online backup API. */
static enum lu_rc copy_db(sqlite3 *src, sqlite3 *dst, char *err, size_t cap)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == NULL) {
        snprintf(err, cap, "cannot start the backup: %s", sqlite3_errmsg(dst));
        return LU_IO;
    }
    int code = SQLITE_OK;
    for (int busy = 0; busy < BACKUP_BUSY_TRIES_MAX;) {
        code = sqlite3_backup_step(b, BACKUP_STEP_PAGES);
        if (code == SQLITE_DONE) {
            break;
        }
        if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
            busy++;
        } else if (code != SQLITE_OK) {
            break;
        }
        sqlite3_sleep(BACKUP_STEP_PAUSE_MS);
    }
    sqlite3_backup_finish(b);
    if (code != SQLITE_DONE) {
        snprintf(err, cap, "backup did not finish: %s", sqlite3_errstr(code));
        return code == SQLITE_BUSY || code == SQLITE_LOCKED ? LU_UNAVAILABLE : LU_IO;
    }
    return LU_OK;
}

static enum lu_rc open_db(const char *path, int flags, sqlite3 **out, char *err, size_t cap)
{
    if (sqlite3_open_v2(path, out, flags, NULL) != SQLITE_OK) {
        snprintf(err, cap, "cannot open %s: %s", path, *out ? sqlite3_errmsg(*out) : "no memory");
        sqlite3_close(*out);
        *out = NULL;
        return LU_IO;
    }
    sqlite3_busy_timeout(*out, 5000);
    return LU_OK;
}

enum lu_rc backup_sqlite(const char *db_path, const char *file, char *err, size_t cap)
{
    LU_ASSERT(db_path != NULL && file != NULL);
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.partial", file) >= (int)sizeof tmp) {
        snprintf(err, cap, "backup file name is too long");
        return LU_INVALID;
    }
    if (access(db_path, F_OK) != 0) {
        snprintf(err, cap, "no database at %s", db_path);
        return LU_NOT_FOUND;
    }
    sqlite3 *src = NULL, *dst = NULL;
    (void)unlink(tmp); /* a leftover from an interrupted backup; absent is fine */
    enum lu_rc rc = open_db(db_path, SQLITE_OPEN_READONLY, &src, err, cap);
    if (rc == LU_OK) {
        rc = open_db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &dst, err, cap);
    }
    if (rc == LU_OK) {
        rc = copy_db(src, dst, err, cap);
    }
    sqlite3_close(src);
    if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && rc == LU_OK) {
        snprintf(err, cap, "cannot close %s", tmp);
        rc = LU_IO;
    }
    if (rc == LU_OK && rename(tmp, file) != 0) {
        snprintf(err, cap, "cannot move the backup into %s: %s", file, strerror(errno));
        rc = LU_IO;
    }
    if (rc != LU_OK) {
        (void)unlink(tmp); /* never leave a half backup behind */
    }
    return rc;
}

/* Runs argv (no shell); LU_OK when it exits 0. */
static enum lu_rc run_tool(char *const argv[], char *err, size_t cap)
{
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, cap, "cannot start %s: %s", argv[0], strerror(errno));
        return LU_IO;
    }
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            snprintf(err, cap, "lost %s: %s", argv[0], strerror(errno));
            return LU_IO;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        snprintf(err, cap,
                 "%s is not installed (install the PostgreSQL client tools, e.g. "
                 "apt-get install postgresql-client)",
                 argv[0]);
        return LU_UNAVAILABLE;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, cap, "%s failed (exit %d); its message is above", argv[0],
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return LU_IO;
    }
    return LU_OK;
}

enum lu_rc backup_pg(const char *database_url, const char *file, char *err, size_t cap)
{
    char *const argv[] = {"pg_dump",    "-Fc",      "--no-owner",         "--file",
                          (char *)file, "--dbname", (char *)database_url, NULL};
    return run_tool(argv, err, cap);
}

/* The lock file beside the database. */
static bool lock_path(const char *db_path, char *out, size_t cap)
{
    return snprintf(out, cap, "%s.serve.lock", db_path) < (int)cap;
}

enum lu_rc backup_serve_lock(const char *db_path, char *err, size_t cap)
{
    char path[4096];
    if (!lock_path(db_path, path, sizeof path)) {
        snprintf(err, cap, "LUCIA_DB_PATH is too long for its lock file");
        return LU_INVALID;
    }
    /* The descriptor stays open, and so the lock held, until exit. */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, cap, "cannot open %s: %s", path, strerror(errno));
        return LU_IO;
    }
    if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
        close(fd);
        snprintf(err, cap, "%s is being restored", db_path);
        return LU_CONFLICT;
    }
    return LU_OK;
}

/* Checks that file is a sound SQLite database before anything is replaced. */
static enum lu_rc check_file(const char *file, char *err, size_t cap)
{
    sqlite3 *db = NULL;
    enum lu_rc rc = open_db(file, SQLITE_OPEN_READONLY, &db, err, cap);
    if (rc != LU_OK) {
        return rc;
    }
    sqlite3_stmt *st = NULL;
    rc = LU_INVALID;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        rc = v != NULL && strcmp(v, "ok") == 0 ? LU_OK : LU_INVALID;
    }
    if (rc != LU_OK) {
        snprintf(err, cap, "%s is not a sound SQLite database", file);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

enum lu_rc restore_sqlite(const char *db_path, const char *file, bool force, char *err, size_t cap)
{
    char path[4096];
    if (!lock_path(db_path, path, sizeof path)) {
        snprintf(err, cap, "LUCIA_DB_PATH is too long for its lock file");
        return LU_INVALID;
    }
    enum lu_rc rc = check_file(file, err, cap);
    if (rc != LU_OK) {
        return rc;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, cap, "cannot open %s: %s", path, strerror(errno));
        return LU_IO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 && !force) {
        close(fd);
        snprintf(err, cap,
                 "a running lucia serve uses %s; stop it first, or pass --force to "
                 "replace its live database anyway",
                 db_path);
        return LU_CONFLICT;
    }
    sqlite3 *src = NULL, *dst = NULL;
    rc = open_db(file, SQLITE_OPEN_READONLY, &src, err, cap);
    if (rc == LU_OK) {
        rc = open_db(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &dst, err, cap);
    }
    if (rc == LU_OK) {
        rc = copy_db(src, dst, err, cap);
    }
    sqlite3_close(src);
    sqlite3_close(dst);
    close(fd); /* releases the exclusive lock */
    return rc;
}

enum lu_rc restore_pg(const char *database_url, const char *file, bool force, char *err, size_t cap)
{
    if (access(file, R_OK) != 0) {
        snprintf(err, cap, "cannot read %s: %s", file, strerror(errno));
        return LU_NOT_FOUND;
    }
    (void)force; /* main.c counts the other sessions before calling */
    char *const argv[] = {"pg_restore",
                          "--clean",
                          "--if-exists",
                          "--no-owner",
                          "--single-transaction",
                          "--dbname",
                          (char *)database_url,
                          (char *)file,
                          NULL};
    return run_tool(argv, err, cap);
}
