/*
 * focus.h — operator focus (SPEC §8): the assistant that answers "what
 * matters most right now?" from the records alone, with session continuity,
 * a truth guard and optional model phrasing; and `lucia eval`, the
 * must-pass table run against a live engine.
 *
 * Used by src/api/focus.c (POST /admin/operator-focus) and main.c (`lucia
 * ask`, `lucia eval`). A turn has three steps so that the HTTP handler can
 * record it through its one write path (api_write_*, with Idempotency-Key)
 * and the CLI through a plain transaction:
 *   focus_turn_compute  route, read the day, rank, compose, guard, maybe
 *                       reword; reads only (it borrows connections itself:
 *                       hold none when calling it)
 *   focus_turn_save     the continuity state into the session store (kv),
 *                       which also borrows a connection itself
 *   focus_turn_record   the transcript row, inside the caller's write
 *                       transaction
 * Route and items never come from a model; the reply text may, only after
 * the guard passed it.
 */
#ifndef LU_FOCUS_H
#define LU_FOCUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/config.h"
#include "core/ids.h"
#include "core/rc.h"
#include "db/db.h"
#include "kv/kv.h"
#include "store/store.h"

struct focus_env {
    struct db *db;               /* borrowed */
    struct kv *kv;               /* borrowed: session continuity */
    const struct lu_config *cfg; /* borrowed: zone, TTL, model */
};

struct focus_caller {
    const char *sub;    /* the token's sub, "service" for the service key */
    struct scope scope; /* the properties it can see */
};

struct focus_request {
    const char *message;     /* 1..FOCUS_MESSAGE_CHARS_MAX characters, checked by the caller */
    const char *session_id;  /* NULL: a new session; else a ses_ id */
    const char *property_id; /* NULL: every visible property */
    const char *request_key; /* the Idempotency-Key, or NULL */
};

struct focus_turn {
    char session_id[ID_BYTES_MAX];
    json_t *answer;        /* owned: the response body of SPEC §8 */
    json_t *state;         /* owned: the continuity state to save; NULL for a replay */
    char *reply;           /* owned: the reply text that went out */
    char *cited;           /* owned: the cited ids as a JSON array text */
    const char *route;     /* static */
    const char *model;     /* "rules", or the configured model name (borrowed) */
    const char *not_found; /* on LU_NOT_FOUND: "session_id" or "property_id" */
    size_t guard_removed;  /* items or lines the truth guard took out (a bug if > 0) */
};

/*
 * Computes one turn for caller (borrowed) and rq (borrowed) at the current
 * time. LU_OK with *out filled (release with focus_turn_clear);
 * LU_INVALID for a malformed session_id; LU_NOT_FOUND with out->not_found
 * naming the field when the session is another user's or the property is
 * not visible; LU_UNAVAILABLE when the database or session store is down.
 */
enum lu_rc focus_turn_compute(const struct focus_env *env, const struct focus_caller *caller,
                              const struct focus_request *rq, struct focus_turn *out);

/* Saves turn->state (when not NULL) with LUCIA_SESSION_TTL_SECONDS:
 * session_save's codes. Call with no connection held. */
enum lu_rc focus_turn_save(const struct focus_env *env, const struct focus_turn *turn);

/* Appends the turn to the transcript inside the caller's write transaction:
 * store_focus_turn_append's codes. */
enum lu_rc focus_turn_record(struct db_conn *conn, const struct focus_caller *caller,
                             const struct focus_request *rq, const struct focus_turn *turn);

void focus_turn_clear(struct focus_turn *turn);

/*
 * `lucia ask [--session ID] [--property ID] [--json] "message"`: argv holds
 * the arguments after "ask" (borrowed). One turn as the service principal
 * against db (borrowed, open) with cfg (borrowed), recorded like an HTTP
 * turn; the answer goes to out, errors to err. Returns 0, 1 when the turn
 * failed, 2 for bad arguments.
 */
int focus_ask_run(struct db *db, const struct lu_config *cfg, int argc, char **argv, FILE *out,
                  FILE *err);

/*
 * `lucia eval`: sends the validation prompts (built in, the copy of
 * ../shared/eval/prompts.json; or prompts_file, borrowed path, NULL for the
 * built-in ones) to POST {url}/admin/operator-focus with key, in one
 * session, checks each must-pass row with the engine's own read API, and
 * prints the table (check, result, notes) to out. Returns 0 when every row
 * passed, 1 when one failed, 2 when the prompts file is unreadable.
 */
int focus_eval_run(const char *url, const char *key, const char *prompts_file, FILE *out);

#endif
