/*
 * guest_auth.c — the guest principal (SPEC §8b). For routes marked
 * AUTH_GUEST the server calls api_guest_authenticate (through
 * lu_app.guest_authenticate) before the handler; it resolves
 * `Authorization: Bearer gtk_…`
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
#include "core/assert.h"
#include "core/clock.h"
#include "core/log.h"

/* Copies an id (borrowed) that must fit: the fields on both sides hold
 * ids Lucia made, so a longer one is a bug, not input. */
static void id_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    LU_ASSERT(n < cap);
    memcpy(dst, src, n + 1);
}

bool api_guest_authenticate(struct lu_req *req)
{
    struct guest_identity resolved;
    struct guest_identity *who = &resolved;
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
    id_copy(p->guest_id, sizeof p->guest_id, who->guest_id);
    id_copy(p->guest_token_id, sizeof p->guest_token_id, who->token_id);
    id_copy(p->sub, sizeof p->sub, who->actor);
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

void api_guest_who(const struct lu_req *req, struct guest_identity *who)
{
    const struct principal *p = &req->principal;
    LU_ASSERT(p->guest && p->nproperties == 1); /* the route is AUTH_GUEST */
    memset(who, 0, sizeof *who);
    id_copy(who->guest_id, sizeof who->guest_id, p->guest_id);
    id_copy(who->property_id, sizeof who->property_id, p->properties[0]);
    id_copy(who->token_id, sizeof who->token_id, p->guest_token_id);
    id_copy(who->actor, sizeof who->actor, p->sub);
}
