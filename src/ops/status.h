/*
 * status.h — the honest integration report of GET /admin/status and
 * `lucia status` (SPEC §9).
 *
 * Every integration says one of four states, with a sentence why:
 *   deferred     not configured here, so the feature is off in this process
 *                (the why names what to set);
 *   implemented  built in and usable without outside configuration, but not
 *                proved by a live check in this process yet;
 *   configured   its configuration is present, but no live check has passed
 *                in this process yet (or the last one failed);
 *   tested       a live check passed in this process: a ping, a verified
 *                webhook, a provider's 2xx to an outbox send, a verified token.
 *
 * Proofs are recorded by the modules that see them (ops_status_prove) and
 * kept in memory only: a restart forgets them on purpose. Nothing here ever
 * reads or writes a secret's value; rows say only whether one is set.
 *
 * Adding an integration: one line in the `integrations` table of status.c
 * (name and a row function), or ops_status_register at start-up.
 */
#ifndef LU_OPS_STATUS_H
#define LU_OPS_STATUS_H

#include <jansson.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

struct lu_app;

enum ops_state { OPS_IMPLEMENTED = 0, OPS_CONFIGURED, OPS_TESTED, OPS_DEFERRED };

/* Integrations the report can hold: the eight of SPEC §9 plus room for the
 * staging front door, error reporting and a few more. */
#define OPS_INTEGRATIONS_MAX 24
/* A why or a detail is one sentence for a person. */
#define OPS_WHY_BYTES 240
#define OPS_NAME_BYTES 32

/* One integration's row, filled by its row function. */
struct ops_row {
    char name[OPS_NAME_BYTES];
    enum ops_state state;
    char why[OPS_WHY_BYTES];
    char detail[OPS_WHY_BYTES]; /* e.g. the last outbox result; may be "" */
    int64_t proved_s;           /* last live check that passed; 0 = never */
    int64_t failed_s;           /* last live check that failed; 0 = never */
};

/* Fills row->state, why and detail for app (name, proved_s and failed_s are
 * already set from the proofs recorded under row->name). May run a live
 * check (a ping) and record it. Called by the request thread. */
typedef void (*ops_row_fn)(struct lu_app *app, struct ops_row *row);

/* Adds an integration after the built-in ones. Names are borrowed (string
 * literals). LU_ASSERTs on a full table; call at start-up only. */
void ops_status_register(const char *name, ops_row_fn fn);

/* Records a live check of name in this process: ok stamps proved_s (now),
 * else failed_s. detail (may be NULL) replaces the stored detail; it must
 * never carry a secret, a guest's contact or a raw body. Thread-safe. */
void ops_status_prove(const char *name, bool ok, const char *detail);

/* The whole report: {"env","version","uptime_s","checked_at",
 * "integrations":[{"name","state","why","detail","proved_at","failed_at"}]}.
 * Runs the live checks (database and Redis pings). Owned: json_decref. */
json_t *ops_status_json(struct lu_app *app);

/* Same report as lines of text for `lucia status`. */
void ops_status_print(struct lu_app *app, FILE *out);

const char *ops_state_name(enum ops_state state);

#endif
