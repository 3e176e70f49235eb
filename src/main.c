/*
 * main.c — the `lucia` command: parses the command line, loads the
 * configuration, wires the modules together and runs the chosen command.
 * No business logic lives here.
 */
#include <curl/curl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "app.h"
#include "auth/auth.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/log.h"
#include "db/db.h"
#include "db/migrate.h"
#include "demo/demo.h"
#include "focus/focus.h"
#include "http/server.h"
#include "http/stream.h"
#include "kv/kv.h"
#include "ops/access.h"
#include "ops/crash.h"
#include "ops/sentry.h"
#include "ops/backup.h"
#include "ops/cli.h"
#include "outbox/outbox.h"
#include "store/audit_verify.h"
#include "store/ledger_reconcile.h"

#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: lucia <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve                  run the HTTP engine (applies pending migrations first\n"
    "                         unless LUCIA_AUTO_MIGRATE=0)\n"
    "  migrate up             apply every pending migration\n"
    "  migrate down [N]       revert the newest N migrations (default 1)\n"
    "  migrate status         list migrations and whether each is applied\n"
    "  audit verify           recompute the audit log's hash chain; exit 1 naming the\n"
    "                         first edited, removed or reordered row\n"
    "  ledger reconcile       rebuild every Stripe record from the stored events and\n"
    "                         compare; exit 1 listing each difference\n"
    "  demo [--force]         load a realistic villa dataset dated around today into\n"
    "                         an empty database (applies migrations first); --force\n"
    "                         adds it beside existing data, deleting nothing\n"
    "  ask [--session ID] [--property ID] [--json] \"MESSAGE\"\n"
    "                         one operator-focus turn in-process against the configured\n"
    "                         database, as the service key, recorded in the transcript\n"
    "  eval --url URL --key KEY [--prompts FILE]\n"
    "                         send the focus validation prompts to a running engine in\n"
    "                         one session and print the must-pass table (check, result,\n"
    "                         notes); exit 1 when a row fails\n"
    OPS_CLI_USAGE
    "  --help                 show this help\n"
    "  --version              show the version\n"
    "\n"
    "Configuration comes from the environment; see README.md. With no\n"
    "configuration Lucia keeps everything in ./var/lucia.db (SQLite).\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "lucia: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", usage_text);
    return EXIT_USAGE;
}

static const char *env_lookup(const char *name)
{
    return getenv(name);
}

static int load_config(struct lu_config *cfg)
{
    char err[512];
    if (config_load(cfg, env_lookup, err, sizeof err) != LU_OK) {
        fprintf(stderr, "lucia: configuration error: %s\n", err);
        return 1;
    }
    if (!log_level_set(cfg->log_level)) {
        fprintf(stderr, "lucia: configuration error: LUCIA_LOG_LEVEL must be debug, info, "
                        "warn or error\n");
        return 1;
    }
    return 0;
}

static int open_db(const struct lu_config *cfg, int pool, struct db **out)
{
    /* DATABASE_URL chooses PostgreSQL; otherwise the embedded SQLite file. */
    const struct db_driver *driver = cfg->database_url ? &db_pg_driver : &db_sqlite_driver;
    const char *target = cfg->database_url ? cfg->database_url : cfg->db_path;
    char err[512] = "";
    if (db_open(driver, target, pool, out, err, sizeof err) != LU_OK) {
        fprintf(stderr, "lucia: %s\n", err[0] ? err : "cannot open the database");
        return 1;
    }
    return 0;
}

/* glibc gives each thread that meets a busy arena a new one, up to eight
 * per core, and every arena keeps the pages its frees leave behind. The
 * server's threads spend their time waiting on sockets and fsync, not on
 * malloc's locks, so one arena per core (two at least) is enough; with
 * more, the soak (tests/e2e/test_soak.py) saw resident memory creep up for
 * minutes while the live heap stayed flat (valgrind --tool=massif). Before
 * any thread is started. */
static void memory_tune(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int arenas = cores < MALLOC_ARENAS_MIN ? MALLOC_ARENAS_MIN : (int)cores;
    /* Refused under the sanitizers, whose allocator is not glibc's: then
     * there is nothing to tune. */
    (void)mallopt(M_ARENA_MAX, arenas);
}

static int run_serve(struct lu_app *app)
{
    char err[512] = "";
    memory_tune();
    if (auth_new(&app->cfg, &app->auth, err, sizeof err) != LU_OK) {
        fprintf(stderr, "lucia: configuration error: %s\n", err);
        return 1;
    }
    /* SQLite: a shared lock beside the file tells `lucia restore` a server
     * uses it (ops/backup.h); held until exit. */
    if (app->cfg.database_url == NULL &&
        backup_serve_lock(app->cfg.db_path, err, sizeof err) != LU_OK) {
        fprintf(stderr, "lucia: %s\n", err);
        auth_free(app->auth);
        return 1;
    }
    /* Optional scheduled backups (LUCIA_BACKUP_DIR); the first one comes
     * LUCIA_BACKUP_EVERY seconds from now. */
    if (backup_schedule_start(&app->cfg, err, sizeof err) != LU_OK) {
        fprintf(stderr, "lucia: configuration error: %s\n", err);
        auth_free(app->auth);
        return 1;
    }
    if (app->cfg.auto_migrate) {
        int applied = 0;
        if (migrate_up(app->db, &applied, err, sizeof err) != LU_OK) {
            fprintf(stderr, "lucia: %s\n", err);
            auth_free(app->auth);
            return 1;
        }
    }
    if (!auth_configured(app->auth)) {
        log_msg(LOG_WARN, NULL,
                "no LUCIA_SERVICE_KEY, LUCIA_JWT_SECRET or JWKS is set: only public routes "
                "will answer");
    }
    /* Signals are taken by sigwait in this thread only; every thread the
     * server starts inherits the blocked mask. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* After SIGPIPE is ignored (hiredis writes with write(2)) and after the
     * migrations (the sessions table). One Redis connection per HTTP worker
     * (a handler uses one at a time), plus two spare for other threads. */
    struct kv_options kv_opt = {.redis_url = app->cfg.redis_url,
                                .prefix = app->cfg.redis_prefix,
                                .pool_size = app->cfg.threads + 2};
    if (kv_open(&kv_opt, app->db, &app->kv, err, sizeof err) != LU_OK) {
        fprintf(stderr, "lucia: configuration error: %s\n", err);
        auth_free(app->auth);
        return 1;
    }
    /* After the mask: the change stream's timer thread must not take
     * SIGTERM either. */
    if (stream_start(app, getenv("LUCIA_STREAM_HEARTBEAT_MS"), err, sizeof err) != LU_OK) {
        fprintf(stderr, "lucia: configuration error: %s\n", err);
        kv_free(app->kv);
        auth_free(app->auth);
        return 1;
    }
    /* The outbox worker (SPEC §7), also with the signals blocked. */
    if (outbox_start(app) != LU_OK) {
        fprintf(stderr, "lucia: cannot start the outbox worker\n");
        stream_stop();
        kv_free(app->kv);
        auth_free(app->auth);
        return 1;
    }
    /* The front door, error reporting and crash reports (SPEC §9): before
     * the server, so no request passes unchecked or unreported. */
    if (access_start(&app->cfg, err, sizeof err) != LU_OK ||
        sentry_start(&app->cfg, err, sizeof err) != LU_OK ||
        crash_start(&app->cfg, err, sizeof err) != LU_OK) {
        fprintf(stderr, "lucia: configuration error: %s\n", err);
        sentry_stop();
        access_stop();
        outbox_stop();
        stream_stop();
        kv_free(app->kv);
        auth_free(app->auth);
        return 1;
    }
    struct http_server *server = NULL;
    if (http_server_start(app, api_routes, api_routes_count, &server, err, sizeof err) != LU_OK) {
        fprintf(stderr, "lucia: %s\n", err);
        sentry_stop();
        access_stop();
        outbox_stop();
        stream_stop();
        kv_free(app->kv);
        auth_free(app->auth);
        return 1;
    }
    log_msg(LOG_INFO, NULL, "lucia %s listening on %s:%d (%s, %s, %d threads)", LU_VERSION,
            app->cfg.listen_addr, http_server_port(server), config_env_name(app->cfg.env),
            db_driver_of(app->db)->name, app->cfg.threads);

    int sig = 0;
    sigwait(&stop, &sig);
    log_msg(LOG_INFO, NULL, "received %s: draining in-flight requests",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
    http_server_quiesce(server);
    stream_shutdown(); /* change streams never finish on their own */
    outbox_shutdown(); /* the worker stops after its current row */
    if (!http_server_drain(server, HTTP_DRAIN_TIMEOUT_MS)) {
        log_msg(LOG_WARN, NULL, "requests still in flight after %d ms; closing them",
                HTTP_DRAIN_TIMEOUT_MS);
    }
    http_server_stop(server);
    sentry_stop(); /* sends what is queued, bounded by its timeouts */
    access_stop();
    outbox_stop(); /* waits for that row's result to be recorded */
    stream_stop();
    backup_schedule_stop(); /* after the backup in progress, if any */
    kv_free(app->kv);
    auth_free(app->auth);
    log_msg(LOG_INFO, NULL, "stopped cleanly");
    return 0;
}

static int run_migrate(struct lu_app *app, int argc, char **argv)
{
    char err[512] = "";
    if (argc < 3) {
        return usage_error("migrate needs %s", "up, down [N] or status");
    }
    const char *what = argv[2];
    if (strcmp(what, "up") == 0 && argc == 3) {
        int applied = 0;
        if (migrate_up(app->db, &applied, err, sizeof err) != LU_OK) {
            fprintf(stderr, "lucia: %s\n", err);
            return 1;
        }
        printf("applied %d migration%s\n", applied, applied == 1 ? "" : "s");
        return 0;
    }
    if (strcmp(what, "down") == 0 && argc <= 4) {
        int n = 1;
        if (argc == 4) {
            char *end = NULL;
            long v = strtol(argv[3], &end, 10);
            if (end == argv[3] || *end != '\0' || v < 1 || v > 1000) {
                return usage_error("migrate down takes a count from 1 to 1000, not %s", argv[3]);
            }
            n = (int)v;
        }
        int reverted = 0;
        enum lu_rc rc = migrate_down(app->db, n, &reverted, err, sizeof err);
        printf("reverted %d migration%s\n", reverted, reverted == 1 ? "" : "s");
        if (rc != LU_OK) {
            fprintf(stderr, "lucia: %s\n", err);
            return 1;
        }
        return 0;
    }
    if (strcmp(what, "status") == 0 && argc == 3) {
        int pending = 0;
        if (migrate_status(app->db, stdout, &pending, err, sizeof err) != LU_OK) {
            fprintf(stderr, "lucia: %s\n", err);
            return 1;
        }
        printf("%d pending\n", pending);
        return 0;
    }
    return usage_error("unknown migrate command: %s", what);
}

/* `lucia audit verify`: 0 and "audit chain ok: N events" on stdout, or 1
 * and one line on stderr naming the first bad row (or the read failure). */
static int run_audit_verify(struct lu_app *app)
{
    struct audit_verify_report report;
    enum lu_rc rc = audit_chain_verify(app->db, &report);
    if (rc == LU_OK && report.ok) {
        printf("%s\n", report.message);
        return 0;
    }
    fprintf(stderr, "lucia: %s\n", report.message);
    return 1;
}

/* `lucia ledger reconcile`: one line per difference on stdout, then 0 and
 * "ledger clean: N events, M records", or 1 and a count on stderr. */
static int run_ledger_reconcile(struct lu_app *app)
{
    struct ledger_reconcile_report report;
    enum lu_rc rc = ledger_reconcile(app->db, stdout, &report);
    if (rc != LU_OK) {
        fprintf(stderr, "lucia: ledger not reconciled: %s\n", report.message);
        return 1;
    }
    if (!report.ok) {
        fprintf(stderr,
                "lucia: ledger differs from its events: %lld difference%s (%lld events, %lld "
                "records stored, %lld rebuilt)\n",
                (long long)report.differences, report.differences == 1 ? "" : "s",
                (long long)report.events, (long long)report.records, (long long)report.rebuilt);
        return 1;
    }
    printf("ledger clean: %lld events, %lld records\n", (long long)report.events,
           (long long)report.records);
    return 0;
}

/* `lucia eval --url URL --key KEY [--prompts FILE]`: a client of a running
 * engine; needs no configuration or database of its own. */
static int run_eval(int argc, char **argv)
{
    const char *url = NULL, *key = NULL, *prompts = NULL;
    for (int i = 2; i < argc; i++) {
        const char **slot = strcmp(argv[i], "--url") == 0       ? &url
                            : strcmp(argv[i], "--key") == 0     ? &key
                            : strcmp(argv[i], "--prompts") == 0 ? &prompts
                                                                : NULL;
        if (slot == NULL || i + 1 >= argc) {
            return usage_error("eval takes --url URL --key KEY [--prompts FILE], got %s",
                               argv[i]);
        }
        *slot = argv[++i];
    }
    if (url == NULL || key == NULL) {
        return usage_error("eval needs %s", "--url URL and --key KEY");
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = focus_eval_run(url, key, prompts, stdout);
    curl_global_cleanup();
    return rc;
}

/* `lucia demo [--force]`: pending migrations first (as serve, unless
 * LUCIA_AUTO_MIGRATE=0), then the dataset of demo/demo.h. Exit 1, with
 * nothing written, when the database has data and --force is absent. */
static int run_demo(struct lu_app *app, bool force)
{
    char err[512] = "";
    int applied = 0;
    if (app->cfg.auto_migrate && migrate_up(app->db, &applied, err, sizeof err) != LU_OK) {
        fprintf(stderr, "lucia: %s\n", err);
        return 1;
    }
    struct demo_summary summary;
    enum lu_rc rc = demo_load(app->db, app->cfg.operator_time_zone, force, clock_now_s(),
                              &summary, err, sizeof err);
    if (rc == LU_CONFLICT) {
        fprintf(stderr, "lucia: %s already has properties, so the demo data was not loaded; "
                        "`lucia demo --force` adds it beside them (nothing is deleted)\n",
                app->cfg.db_path);
        return 1;
    }
    if (rc != LU_OK) {
        fprintf(stderr, "lucia: demo data not loaded, nothing was written: %s\n", err);
        return 1;
    }
    demo_summary_print(stdout, &summary);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "%s", usage_text);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        printf("%s", usage_text);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("lucia %s\n", LU_VERSION);
        return 0;
    }
    bool serve = strcmp(cmd, "serve") == 0;
    bool migrate = strcmp(cmd, "migrate") == 0;
    bool audit = strcmp(cmd, "audit") == 0;
    if (audit && (argc != 3 || strcmp(argv[2], "verify") != 0)) {
        return usage_error("audit takes one command, %s", "verify");
    }
    bool ledger = strcmp(cmd, "ledger") == 0;
    if (ledger && (argc != 3 || strcmp(argv[2], "reconcile") != 0)) {
        return usage_error("ledger takes one command, %s", "reconcile");
    }
    bool demo = strcmp(cmd, "demo") == 0;
    if (demo && argc > 2 && (argc > 3 || strcmp(argv[2], "--force") != 0)) {
        return usage_error("demo takes only --force, got %s", argv[argc > 3 ? 3 : 2]);
    }
    if (strcmp(cmd, "eval") == 0) {
        return run_eval(argc, argv);
    }
    bool ask = strcmp(cmd, "ask") == 0;
    bool ops = ops_cli_is(cmd);
    if (!serve && !migrate && !audit && !demo && !ledger && !ask && !ops) {
        return usage_error(cmd[0] == '-' ? "unknown option: %s" : "unknown command: %s", cmd);
    }
    if (serve && argc > 2) {
        return usage_error("serve takes no arguments (configure it with environment "
                           "variables), got %s", argv[2]);
    }
    static struct lu_app app = {.guest_authenticate = api_guest_authenticate};
    if (load_config(&app.cfg) != 0) {
        return 1;
    }
    if (ops) {
        /* status, backup, restore (ops/cli.c) open the database themselves. */
        curl_global_init(CURL_GLOBAL_DEFAULT);
        int code = ops_cli_run(&app, argc, argv);
        curl_global_cleanup();
        return code;
    }
    if ((audit || ledger) && app.cfg.database_url == NULL && access(app.cfg.db_path, F_OK) != 0) {
        /* A read-only check must not create the file it was asked to check. */
        fprintf(stderr, "lucia: no database at %s\n", app.cfg.db_path);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    app.started_s = clock_now_s();
    int rc = open_db(&app.cfg, serve ? app.cfg.db_pool : 1, &app.db);
    if (rc == 0) {
        rc = serve   ? run_serve(&app)
             : audit ? run_audit_verify(&app)
             : ledger ? run_ledger_reconcile(&app)
             : demo  ? run_demo(&app, argc == 3)
             : ask   ? focus_ask_run(app.db, &app.cfg, argc - 2, argv + 2, stdout, stderr)
                     : run_migrate(&app, argc, argv);
        db_close(app.db);
    }
    curl_global_cleanup();
    return rc;
}
