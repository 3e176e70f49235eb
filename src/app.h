/*
 * app.h — what every request handler can reach: configuration, database,
 * auth, the key-value store (sessions, rate limits, idempotency cache).
 * Built once by main.c (`lucia serve`) and read-only afterwards.
 */
#ifndef LU_APP_H
#define LU_APP_H

#include <stdint.h>

#include "auth/auth.h"
#include "core/config.h"
#include "db/db.h"
#include "kv/kv.h"

struct lu_app {
    struct lu_config cfg;
    struct db *db;
    struct auth *auth;
    struct kv *kv;
    int64_t started_s;
};

#endif
