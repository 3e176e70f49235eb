/*
 * app.h — what every request handler can reach: configuration, database,
 * auth, the key-value store (sessions, rate limits, idempotency cache).
 * Built once by main.c (`lucia serve`) and read-only afterwards.
 */
#ifndef LU_APP_H
#define LU_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/auth.h"
#include "core/config.h"
#include "db/db.h"
#include "kv/kv.h"

struct lu_req;

struct lu_app {
    struct lu_config cfg;
    struct db *db;
    struct auth *auth;
    struct kv *kv;
    int64_t started_s;
    /* The AUTH_GUEST routes' authentication (api/guest_auth.c), called by
     * the server before their handler: fills req->principal from a live
     * guest token, or replies 401/503 and returns false. A guest token is a
     * database record, not a signed claim, so auth/ cannot check it. */
    bool (*guest_authenticate)(struct lu_req *req);
};

#endif
