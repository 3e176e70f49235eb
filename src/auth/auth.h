/*
 * auth.h — who is calling (SPEC §4).
 *
 * A request's Authorization header becomes a principal: the engine's service
 * key (full access) or an operator token verified against the HS256 secret
 * or the JWKS. The principal answers two questions for every handler: may
 * this role do this, and may it see this property. Records in properties the
 * caller cannot see answer 404, so the API never confirms that an id exists.
 */
#ifndef LU_AUTH_H
#define LU_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "core/rc.h"

/* A user may list at most this many properties in its token; a token that
 * names more is refused rather than silently cut. */
#define AUTH_PROPERTIES_MAX 256

enum role { ROLE_VIEWER = 0, ROLE_OPERATOR, ROLE_OWNER, ROLE_SERVICE };

struct principal {
    enum role role;
    char sub[128];          /* user id; "service" for the service key */
    bool all_properties;    /* owner and service */
    size_t nproperties;
    char **properties;      /* owned; freed by principal_clear */
    /* A guest signed in by emailed code (SPEC §8b, api/guest_auth.c): sub
     * is "guest:<guest id>", properties the guest's one property, and no
     * role check passes, so the principal is good on the /guest/ routes alone. */
    bool guest;
    char guest_id[64];
    char guest_token_id[64]; /* the token this request came with (sign-out revokes it) */
};

struct auth;

/* Reads the HS256 secret and the JWKS (file, or URL fetched once at start).
 * Owned: auth_free. err gets one sentence on failure. */
enum lu_rc auth_new(const struct lu_config *cfg, struct auth **out, char *err, size_t err_cap);
void auth_free(struct auth *auth);

/* Verifies `Authorization: Bearer …`. header may be NULL (→ LU_UNAUTHORIZED).
 * *why gets a short static reason for logs. */
enum lu_rc auth_authenticate(const struct auth *auth, const char *header, struct principal *out,
                             const char **why);

void principal_clear(struct principal *p);

/* True when p's role is at least min. */
bool principal_has_role(const struct principal *p, enum role min);

/* True when p may see records of property_id. */
bool principal_sees(const struct principal *p, const char *property_id);

/* True when an operator token or key is configured at all. */
bool auth_configured(const struct auth *auth);

#endif
