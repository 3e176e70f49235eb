/*
 * guest_auth.c — the guest principal (SPEC §8b). Routes marked AUTH_GUEST
 * pass server.c's check untouched; each of their handlers first calls
 * api_guest_principal, which resolves `Authorization: Bearer gtk_…`
 * against the guest_tokens table (digest lookup, constant-time compare,
 * expiry and revocation on every request, src/guest/signin.c) and fills
 * req->principal as a guest: sub "guest:<guest id>", the guest's one
 * property, no role. An operator token or the service key is not a guest
 * token, so it is 401 here; and a guest token is 401 on the /api/ and /admin/ routes
 * because auth_authenticate knows nothing of it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_guest.h"
#include "core/clock.h"
#include "core/log.h"

bool api_guest_principal(struct lu_req *req, struct guest_identity *who)
{
    const char *header = req_header(req, "Authorization");
    const char *token = NULL;
    if (header != NULL && strncasecmp(header, "Bearer ", 7) == 0) {
        token = header + 7;
        while (*token == ' ') {
            token++;
        }
    }
    enum lu_rc rc = token != NULL ? guest_token_resolve(req->app->db, token, clock_now_s(), who)
                                  : LU_UNAUTHORIZED;
    if (rc != LU_OK) {
        if (rc == LU_UNAUTHORIZED) {
            log_msg(LOG_INFO, req->request_id, "unauthorized: not a live guest token");
        }
        reply_rc(req, rc == LU_UNAUTHORIZED ? LU_UNAUTHORIZED : LU_UNAVAILABLE);
        return false;
    }
    principal_clear(&req->principal);
    struct principal *p = &req->principal;
    p->role = ROLE_VIEWER;
    p->guest = true;
    snprintf(p->guest_id, sizeof p->guest_id, "%s", who->guest_id);
    snprintf(p->sub, sizeof p->sub, "%s", who->actor);
    p->properties = calloc(2, sizeof *p->properties);
    if (p->properties != NULL) {
        p->properties[0] = strdup(who->property_id);
    }
    if (p->properties == NULL || p->properties[0] == NULL) {
        principal_clear(p);
        reply_rc(req, LU_NOMEM);
        return false;
    }
    p->nproperties = 1;
    req->authenticated = true;
    return true;
}
