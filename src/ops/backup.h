/*
 * backup.h — `lucia backup FILE` and `lucia restore FILE` (SPEC §9).
 *
 * SQLite: the online backup API copies a consistent snapshot while the
 * server keeps serving (writers wait at most a step). PostgreSQL: pg_dump
 * in custom format, and pg_restore --clean; without those tools installed
 * the command says so and does nothing.
 *
 * A running `lucia serve` on SQLite holds an flock on "<db>.serve.lock"
 * (backup_serve_lock); restore refuses a database whose lock is held, and on
 * PostgreSQL one with other sessions connected, unless forced. Called by
 * main.c only; verifying the restored audit chain and ledger is main.c's.
 */
#ifndef LU_OPS_BACKUP_H
#define LU_OPS_BACKUP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/rc.h"

/* Pages copied per backup step, and the pause between steps: a step holds
 * the source's read lock briefly, so the server's writers are never held
 * for long (100 pages of 4 KiB is well under a millisecond of copying). */
#define BACKUP_STEP_PAGES 100
#define BACKUP_STEP_PAUSE_MS 1
/* A busy or locked step is retried this many times before giving up. */
#define BACKUP_BUSY_TRIES_MAX 5000

/* Copies the SQLite database at db_path to file (created or replaced via a
 * temporary file beside it, so a failed backup leaves no half file). */
enum lu_rc backup_sqlite(const char *db_path, const char *file, char *err, size_t err_cap);

/* Runs `pg_dump -Fc` of database_url into file. LU_UNAVAILABLE with a clear
 * message when pg_dump is not installed. The URL is passed in the
 * environment (PGDATABASE-style), never on a command line ps can read. */
enum lu_rc backup_pg(const char *database_url, const char *file, char *err, size_t err_cap);

/* Replaces the SQLite database at db_path with the backup in file, after
 * checking the file is a sound SQLite database. LU_CONFLICT when a server
 * holds db_path's serve lock and force is false. */
enum lu_rc restore_sqlite(const char *db_path, const char *file, bool force, char *err,
                          size_t err_cap);

/* pg_restore --clean --if-exists of file into database_url, in one
 * transaction. The caller (main.c) first refuses a database other sessions
 * use unless forced; force is accepted here for symmetry. */
enum lu_rc restore_pg(const char *database_url, const char *file, bool force, char *err,
                      size_t err_cap);

/* Takes db_path's serve lock, shared (several servers may share a file),
 * for the life of the process (`lucia serve` on SQLite). LU_CONFLICT when a
 * restore holds it exclusively. */
enum lu_rc backup_serve_lock(const char *db_path, char *err, size_t err_cap);

/* Scheduled backups (backup_schedule.c): LUCIA_BACKUP_EVERY seconds apart
 * (default a day), at most a week; a second is allowed so tests can watch a
 * rotation, though production wants hours. LUCIA_BACKUP_KEEP of them kept
 * (default 7), at most this many files scanned. */
#define BACKUP_EVERY_S_MIN 1
#define BACKUP_EVERY_S_MAX (7 * 86400)
#define BACKUP_SCHEDULE_FILES_MAX 1000

struct lu_config;

/* Starts the backup thread when LUCIA_BACKUP_DIR is set (else LU_OK and
 * nothing runs). LU_INVALID with err naming the variable on a bad value.
 * cfg is borrowed until backup_schedule_stop. */
enum lu_rc backup_schedule_start(const struct lu_config *cfg, char *err, size_t err_cap);

/* Stops the thread after the backup in progress, if any. Safe when it
 * never started. */
void backup_schedule_stop(void);

#endif
