/*
 * status.c — GET /admin/status (SPEC §9): the integration report of
 * ops/status.h, for an owner or the service key (the route table checks the
 * role). It runs live pings, so it is not a health probe: use /ready.
 */
#include "api/api_internal.h"
#include "ops/status.h"

void api_admin_status(struct lu_req *req)
{
    json_t *body = ops_status_json(req->app);
    if (body == NULL) {
        reply_rc(req, LU_NOMEM);
        return;
    }
    reply_json(req, 200, body);
}
