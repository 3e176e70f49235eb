/*
 * cli.h — the operations commands of `lucia` (SPEC §9): status, backup and
 * restore. main.c loads the configuration and calls these; each opens what
 * it needs itself, so restore can replace a database before opening it.
 */
#ifndef LU_OPS_CLI_H
#define LU_OPS_CLI_H

struct lu_app;

/* Usage lines for main.c's help text. */
#define OPS_CLI_USAGE                                                                              \
    "  status [--json]        the integration report of GET /admin/status, with live\n"            \
    "                         database and Redis pings from this process\n"                        \
    "  backup FILE            copy the database to FILE while it serves (SQLite online\n"          \
    "                         backup; PostgreSQL: pg_dump -Fc)\n"                                  \
    "  restore [--force] FILE replace the database with FILE, then verify the audit\n"             \
    "                         chain and the ledger; refuses a running server's database\n"         \
    "                         unless --force\n"

/* True when cmd is one of these commands. */
int ops_cli_is(const char *cmd);

/* Runs argv[1] (status, backup or restore) with app->cfg loaded and no
 * database open; returns the exit code (0, 1, or 2 for usage). */
int ops_cli_run(struct lu_app *app, int argc, char **argv);

#endif
