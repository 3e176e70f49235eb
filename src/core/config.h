/*
 * config.h — Lucia's configuration, read once from the environment (SPEC §2).
 *
 * config_load validates everything up front so a bad value stops start-up
 * with one line naming the variable, instead of failing at 3 a.m. on the
 * first request that needs it. Secret values are kept here and nowhere else;
 * nothing in this module logs them.
 */
#ifndef LU_CONFIG_H
#define LU_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/rc.h"

enum lu_env { ENV_DEVELOPMENT = 0, ENV_STAGING, ENV_PRODUCTION };

struct lu_config {
    char listen_addr[64];
    int port;
    enum lu_env env;
    const char *db_path;
    const char *database_url;
    int db_pool;
    const char *redis_url;
    const char *redis_prefix;
    int session_ttl_s;
    int guest_code_ttl_s;          /* LUCIA_GUEST_CODE_TTL_SECONDS, SPEC §8b */
    int guest_signin_rate_limit;   /* LUCIA_GUEST_SIGNIN_RATE_LIMIT, a minute per address */
    const char *operator_time_zone;
    const char *service_key;
    const char *jwt_secret;
    const char *jwks_file;
    const char *jwks_url;
    const char *jwt_issuer;
    char public_url[256];
    const char *stripe_webhook_secret;
    int stripe_tolerance_s;
    const char *twilio_auth_token;
    const char *twilio_account_sid;
    const char *postmark_user;
    const char *postmark_password;
    const char *resend_api_key;
    const char *resend_api_url;
    const char *email_from;
    /* Outbound (SPEC §7, src/outbox/): Twilio's REST base URL, the senders
     * of SMS and WhatsApp replies, the first retry delay and the longest a
     * provider call may take. */
    const char *twilio_api_url;
    const char *twilio_from_number;
    const char *twilio_whatsapp_from;
    int outbox_backoff_ms;
    int outbox_timeout_ms;
    const char *openai_api_key;
    const char *openai_base_url;
    const char *model_focus;
    const char *log_level;
    bool auto_migrate;
    bool metrics_public;
    int threads;
    /* Private staging front door (SPEC §9, src/ops/access.c) and error
     * reporting (src/ops/sentry.c, src/ops/crash.c). */
    const char *access_aud;
    const char *access_jwks_file;
    const char *access_jwks_url;
    const char *access_issuer;
    const char *allowed_emails;
    const char *sentry_dsn;
    const char *crash_dir;
    bool test_crash_route; /* LUCIA_TEST_CRASH_ROUTE=1; development only */
};

/* Looks a variable up; returns NULL when unset. getenv fits. */
typedef const char *(*config_lookup_fn)(const char *name);

/* Fills cfg from lookup. On failure returns LU_INVALID and writes one
 * sentence naming the variable into err. String fields borrow from the
 * environment, which outlives the process's use of them. */
enum lu_rc config_load(struct lu_config *cfg, config_lookup_fn lookup, char *err, size_t err_cap);

const char *config_env_name(enum lu_env env);

#endif
