/*
 * ask.c — `lucia ask [--session ID] [--property ID] [--json] "message"`:
 * one operator-focus turn in-process, against the configured database and
 * session store, as the engine's service principal ("service", every
 * property). The turn is recorded in the transcript and continues a
 * session exactly as over HTTP, so `--session` picks up an HTTP session of
 * the service key and vice versa.
 *
 * Called by main.c with the database already open; opens the session store
 * itself (Redis when REDIS_URL is set) and applies pending migrations
 * first, as `lucia demo` does.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "db/migrate.h"
#include "focus/focus.h"

#define ASK_USAGE "usage: lucia ask [--session ses_…] [--property prop_…] [--json] \"message\""

static void text_print(FILE *out, const struct focus_turn *turn)
{
    const json_t *a = turn->answer;
    fprintf(out, "%s\n", json_string_value(json_object_get(a, "reply")));
    const json_t *items = json_object_get(a, "items");
    if (json_array_size(items) > 0) {
        fprintf(out, "\n");
    }
    for (size_t i = 0; i < json_array_size(items); i++) {
        const json_t *it = json_array_get(items, i);
        fprintf(out, "  %zu. [%s] %s (%s, %s, score %lld)\n", i + 1,
                json_string_value(json_object_get(it, "type")),
                json_string_value(json_object_get(it, "title")),
                json_string_value(json_object_get(it, "id")),
                json_string_value(json_object_get(it, "state")),
                (long long)json_integer_value(json_object_get(it, "score")));
    }
    fprintf(out, "\nroute: %s   session: %s   model: %s\n", turn->route, turn->session_id,
            turn->model);
}

/* Records the turn in one write transaction of its own. */
static enum lu_rc record(struct db *db, const struct focus_caller *caller,
                         const struct focus_request *rq, const struct focus_turn *turn)
{
    struct db_conn *conn = db_acquire(db);
    if (conn == NULL) {
        return LU_UNAVAILABLE;
    }
    enum lu_rc rc = db_begin(conn, true);
    if (rc == LU_OK) {
        rc = focus_turn_record(conn, caller, rq, turn);
    }
    if (rc == LU_OK) {
        rc = db_commit(conn);
    }
    if (rc != LU_OK) {
        db_rollback(conn);
    }
    db_release(conn);
    return rc;
}

static int turn_run(struct db *db, struct kv *kv, const struct lu_config *cfg,
                    const struct focus_request *rq, bool json, FILE *out, FILE *err)
{
    struct focus_env env = {.db = db, .kv = kv, .cfg = cfg};
    struct focus_caller caller = {.sub = "service", .scope = {.all = true}};
    struct focus_turn turn;
    enum lu_rc rc = focus_turn_compute(&env, &caller, rq, &turn);
    if (rc == LU_OK) {
        rc = focus_turn_save(&env, &turn);
    }
    if (rc == LU_OK) {
        rc = record(db, &caller, rq, &turn);
    }
    if (rc != LU_OK) {
        const char *what = rc == LU_NOT_FOUND && turn.not_found ? turn.not_found : NULL;
        fprintf(err, "lucia: ask failed: %s%s%s\n", lu_rc_name(rc), what ? " — no such " : "",
                what ? what : "");
        focus_turn_clear(&turn);
        return 1;
    }
    if (json) {
        char *text = json_dumps(turn.answer, JSON_INDENT(2));
        fprintf(out, "%s\n", text ? text : "{}");
        free(text);
    } else {
        text_print(out, &turn);
    }
    focus_turn_clear(&turn);
    return 0;
}

int focus_ask_run(struct db *db, const struct lu_config *cfg, int argc, char **argv, FILE *out,
                  FILE *err)
{
    struct focus_request rq = {0};
    bool json = false;
    for (int i = 0; i < argc; i++) {
        bool has_value = i + 1 < argc;
        if (strcmp(argv[i], "--session") == 0 && has_value) {
            rq.session_id = argv[++i];
        } else if (strcmp(argv[i], "--property") == 0 && has_value) {
            rq.property_id = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (argv[i][0] != '-' && rq.message == NULL) {
            rq.message = argv[i];
        } else {
            fprintf(err, "lucia: ask: unexpected argument %s\n%s\n", argv[i], ASK_USAGE);
            return 2;
        }
    }
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)(rq.message ? rq.message : ""); *p; p++) {
        chars += (*p & 0xC0) != 0x80;
    }
    if (rq.message == NULL || chars == 0 || chars > FOCUS_MESSAGE_CHARS_MAX) {
        fprintf(err, "lucia: ask needs a message of 1 to %d characters\n%s\n",
                FOCUS_MESSAGE_CHARS_MAX, ASK_USAGE);
        return 2;
    }
    char msg[512] = "";
    int applied = 0;
    if (cfg->auto_migrate && migrate_up(db, &applied, msg, sizeof msg) != LU_OK) {
        fprintf(err, "lucia: %s\n", msg);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN); /* hiredis writes with write(2) */
    struct kv_options opt = {
        .redis_url = cfg->redis_url, .prefix = cfg->redis_prefix, .pool_size = 1};
    struct kv *kv = NULL;
    if (kv_open(&opt, db, &kv, msg, sizeof msg) != LU_OK) {
        fprintf(err, "lucia: configuration error: %s\n", msg);
        return 1;
    }
    int code = turn_run(db, kv, cfg, &rq, json, out, err);
    kv_free(kv);
    return code;
}
