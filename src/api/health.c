/*
 * health.c — /health, /ready and /metrics (SPEC §9).
 *
 * /health says the process is up; /ready says it can do its job (the
 * database answers) and how session continuity fares (kv_health). /metrics
 * needs the service key unless LUCIA_METRICS_PUBLIC=1, because route names
 * and volumes are business data.
 */
#include <stdlib.h>

#include "api/api_internal.h"
#include "core/clock.h"
#include "guest/guest.h"
#include "http/metrics.h"
#include "kv/kv.h"

void api_health(struct lu_req *req)
{
    json_t *body = json_pack("{s:s, s:s, s:I}", "status", "ok", "version", LU_VERSION, "uptime_s",
                             (json_int_t)(clock_now_s() - req->app->started_s));
    reply_json(req, 200, body);
}

void api_ready(struct lu_req *req)
{
    bool db_ok = db_ping(req->app->db) == LU_OK;
    /* Sessions (kv.h): ok, degraded while Redis is unreachable and the
     * database table serves, down when that fails too. Only the database
     * decides the status: truth keeps working without Redis. */
    const char *sessions = kv_health_name(kv_health(req->app->kv));
    json_t *body = json_pack("{s:s, s:{s:s, s:s}}", "status", db_ok ? "ready" : "unavailable",
                             "checks", "database", db_ok ? "ok" : "down", "sessions", sessions);
    if (!db_ok) {
        reply_header_add(req, "Retry-After", "1");
    }
    reply_json(req, db_ok ? 200 : 503, body);
}

void api_metrics(struct lu_req *req)
{
    if (!req->app->cfg.metrics_public &&
        !(req->authenticated && req->principal.role == ROLE_SERVICE)) {
        reply_rc(req, req->authenticated ? LU_FORBIDDEN : LU_UNAUTHORIZED);
        return;
    }
    size_t len = 0;
    char *text = metrics_render(&len);
    if (text == NULL) {
        reply_rc(req, LU_NOMEM);
        return;
    }
    text = api_outbox_metrics_append(req, text, &len);
    text = guest_metrics_append(text, &len);
    reply_raw(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
}
