/*
 * cli.c — `lucia status`, `lucia backup FILE`, `lucia restore [--force]
 * FILE` (cli.h). Wiring only: the report is ops/status.c, the copies are
 * ops/backup.c, the checks after a restore are store/audit_verify and
 * store/ledger_reconcile.
 */
#include "ops/cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "core/clock.h"
#include "ops/backup.h"
#include "ops/status.h"
#include "store/audit_verify.h"
#include "store/ledger_reconcile.h"

#define EXIT_USAGE 2

int ops_cli_is(const char *cmd)
{
    return strcmp(cmd, "status") == 0 || strcmp(cmd, "backup") == 0 || strcmp(cmd, "restore") == 0;
}

static int db_connect(struct lu_app *app)
{
    const struct lu_config *cfg = &app->cfg;
    const struct db_driver *driver = cfg->database_url ? &db_pg_driver : &db_sqlite_driver;
    char err[512] = "";
    if (db_open(driver, cfg->database_url ? cfg->database_url : cfg->db_path, 1, &app->db, err,
                sizeof err) != LU_OK) {
        fprintf(stderr, "lucia: %s\n", err[0] ? err : "cannot open the database");
        return 1;
    }
    return 0;
}

static int run_status(struct lu_app *app, bool json)
{
    if (app->cfg.database_url == NULL && access(app->cfg.db_path, F_OK) != 0) {
        fprintf(stderr, "lucia: no database at %s\n", app->cfg.db_path);
        return 1;
    }
    if (db_connect(app) != 0) {
        return 1;
    }
    char err[512] = "";
    struct kv_options opt = {
        .redis_url = app->cfg.redis_url, .prefix = app->cfg.redis_prefix, .pool_size = 1};
    if (kv_open(&opt, app->db, &app->kv, err, sizeof err) != LU_OK) {
        fprintf(stderr, "lucia: %s\n", err);
        app->kv = NULL; /* the sessions row says it was not opened */
    }
    if (json) {
        json_t *report = ops_status_json(app);
        json_dumpf(report, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(report);
    } else {
        ops_status_print(app, stdout);
    }
    if (app->kv != NULL) {
        kv_free(app->kv);
    }
    db_close(app->db);
    return 0;
}

static int run_backup(struct lu_app *app, const char *file)
{
    char err[512] = "";
    enum lu_rc rc = app->cfg.database_url ? backup_pg(app->cfg.database_url, file, err, sizeof err)
                                          : backup_sqlite(app->cfg.db_path, file, err, sizeof err);
    if (rc != LU_OK) {
        fprintf(stderr, "lucia: backup failed: %s\n", err);
        return 1;
    }
    printf("backup written to %s (%s)\n", file,
           app->cfg.database_url ? "pg_dump custom format" : "SQLite database file");
    return 0;
}

/* PostgreSQL: other sessions on this database mean a server may be using it. */
static int pg_sessions_other(struct db *db, int64_t *out)
{
    struct db_conn *conn = db_acquire(db);
    if (conn == NULL) {
        return 1;
    }
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND pid <> pg_backend_pid()",
                            NULL, 0, &rows, NULL);
    if (rc == LU_OK && rows != NULL && rows->nrows == 1) {
        *out = db_rows_int(rows, 0, 0);
    }
    db_rows_free(rows);
    db_release(conn);
    return rc == LU_OK ? 0 : 1;
}

/* After a restore: the audit chain and the ledger must both check out. */
static int verify_restored(struct db *db)
{
    struct audit_verify_report audit;
    enum lu_rc rc = audit_chain_verify(db, &audit);
    if (rc != LU_OK || !audit.ok) {
        fprintf(stderr, "lucia: restored, but %s\n", audit.message);
        return 1;
    }
    printf("%s\n", audit.message);
    struct ledger_reconcile_report ledger;
    rc = ledger_reconcile(db, stdout, &ledger);
    if (rc != LU_OK || !ledger.ok) {
        fprintf(stderr, "lucia: restored, but the ledger does not reconcile: %s\n",
                rc != LU_OK ? ledger.message : "differences listed above");
        return 1;
    }
    printf("ledger clean: %lld events, %lld records\n", (long long)ledger.events,
           (long long)ledger.records);
    return 0;
}

static int run_restore(struct lu_app *app, const char *file, bool force)
{
    char err[512] = "";
    enum lu_rc rc;
    if (app->cfg.database_url != NULL) {
        if (db_connect(app) != 0) {
            return 1;
        }
        int64_t others = 0;
        if (pg_sessions_other(app->db, &others) != 0) {
            fprintf(stderr, "lucia: cannot count the database's other sessions\n");
            db_close(app->db);
            return 1;
        }
        if (others > 0 && !force) {
            fprintf(stderr,
                    "lucia: %lld other session%s use this database (a running lucia "
                    "serve?); stop them first, or pass --force\n",
                    (long long)others, others == 1 ? "" : "s");
            db_close(app->db);
            return 1;
        }
        rc = restore_pg(app->cfg.database_url, file, force, err, sizeof err);
    } else {
        rc = restore_sqlite(app->cfg.db_path, file, force, err, sizeof err);
        if (rc == LU_OK && db_connect(app) != 0) {
            return 1;
        }
    }
    if (rc != LU_OK) {
        fprintf(stderr, "lucia: restore failed: %s\n", err);
        if (app->db != NULL) {
            db_close(app->db);
        }
        return 1;
    }
    printf("restored from %s\n", file);
    int code = verify_restored(app->db);
    db_close(app->db);
    return code;
}

int ops_cli_run(struct lu_app *app, int argc, char **argv)
{
    const char *cmd = argv[1];
    app->started_s = clock_now_s();
    if (strcmp(cmd, "status") == 0) {
        if (argc > 3 || (argc == 3 && strcmp(argv[2], "--json") != 0)) {
            fprintf(stderr, "lucia: status takes only --json\n");
            return EXIT_USAGE;
        }
        return run_status(app, argc == 3);
    }
    if (strcmp(cmd, "backup") == 0) {
        if (argc != 3 || argv[2][0] == '-') {
            fprintf(stderr, "lucia: backup takes one FILE\n");
            return EXIT_USAGE;
        }
        return run_backup(app, argv[2]);
    }
    bool force = argc == 4 && strcmp(argv[2], "--force") == 0;
    if ((argc != 3 && !force) || argv[argc - 1][0] == '-') {
        fprintf(stderr, "lucia: restore takes [--force] FILE\n");
        return EXIT_USAGE;
    }
    return run_restore(app, argv[argc - 1], force);
}
