/*
 * status.c — the integration report (status.h): a table of row functions,
 * one per integration, and the proofs recorded in this process.
 *
 * Called by api/status.c (GET /admin/status) and main.c (`lucia status`);
 * proofs come from the webhook handlers, the outbox worker and the request
 * authentication. It must never print a secret: rows test `!= NULL` on
 * secret fields and nothing else.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "core/assert.h"
#include "core/clock.h"
#include "core/config.h"
#include "db/db.h"
#include "kv/kv.h"
#include "ops/status.h"

struct proof {
    char name[OPS_NAME_BYTES];
    int64_t proved_s;
    int64_t failed_s;
    char detail[OPS_WHY_BYTES];
};

static pthread_mutex_t proofs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct proof proofs[OPS_INTEGRATIONS_MAX];
static size_t nproofs;

const char *ops_state_name(enum ops_state state)
{
    switch (state) {
    case OPS_IMPLEMENTED:
        return "implemented";
    case OPS_CONFIGURED:
        return "configured";
    case OPS_TESTED:
        return "tested";
    case OPS_DEFERRED:
        return "deferred";
    }
    LU_ASSERT(!"unknown ops_state");
    return "";
}

/* The proof slot of name, created when absent; NULL when the table is full
 * (a proof is then dropped: the report says less, never something false).
 * Holds proofs_lock. */
static struct proof *proof_slot(const char *name)
{
    for (size_t i = 0; i < nproofs; i++) {
        if (strcmp(proofs[i].name, name) == 0) {
            return &proofs[i];
        }
    }
    if (nproofs == OPS_INTEGRATIONS_MAX) {
        return NULL;
    }
    struct proof *p = &proofs[nproofs++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    return p;
}

void ops_status_prove(const char *name, bool ok, const char *detail)
{
    LU_ASSERT(name != NULL);
    pthread_mutex_lock(&proofs_lock);
    struct proof *p = proof_slot(name);
    if (p != NULL) {
        *(ok ? &p->proved_s : &p->failed_s) = clock_now_s();
        if (detail != NULL) {
            snprintf(p->detail, sizeof p->detail, "%s", detail);
        }
    }
    pthread_mutex_unlock(&proofs_lock);
}

static void proof_read(struct ops_row *row)
{
    pthread_mutex_lock(&proofs_lock);
    struct proof *p = proof_slot(row->name);
    if (p != NULL) {
        row->proved_s = p->proved_s;
        row->failed_s = p->failed_s;
        snprintf(row->detail, sizeof row->detail, "%s", p->detail);
    }
    pthread_mutex_unlock(&proofs_lock);
}

/* The common rule once configuration is present: tested when a live check
 * passed and none failed since, else configured with what is awaited. */
static void configured_or_tested(struct ops_row *row, const char *tested_why,
                                 const char *waiting_why)
{
    bool proved = row->proved_s > 0 && row->proved_s >= row->failed_s;
    row->state = proved ? OPS_TESTED : OPS_CONFIGURED;
    snprintf(row->why, sizeof row->why, "%s",
             proved              ? tested_why
             : row->failed_s > 0 ? "configured, but its last live check failed"
                                 : waiting_why);
}

static void row_database(struct lu_app *app, struct ops_row *row)
{
    bool ok = app->db != NULL && db_ping(app->db) == LU_OK;
    const char *backend = app->cfg.database_url ? "PostgreSQL (DATABASE_URL)" : "SQLite";
    char detail[OPS_WHY_BYTES];
    snprintf(detail, sizeof detail, "%s ping %s", backend, ok ? "answered" : "failed");
    ops_status_prove(row->name, ok, detail);
    proof_read(row);
    configured_or_tested(row,
                         app->cfg.database_url ? "PostgreSQL answered a ping just now"
                                               : "the SQLite file answered a ping just now",
                         "no ping yet");
}

static void row_sessions(struct lu_app *app, struct ops_row *row)
{
    if (app->kv == NULL) {
        row->state = app->cfg.redis_url ? OPS_CONFIGURED : OPS_IMPLEMENTED;
        snprintf(row->why, sizeof row->why, "%s",
                 app->cfg.redis_url ? "REDIS_URL is set; not connected in this command"
                                    : "embedded (database table); not opened in this command");
        return;
    }
    enum kv_health h = kv_health(app->kv);
    bool redis = kv_redis_configured(app->kv);
    char detail[OPS_WHY_BYTES];
    snprintf(detail, sizeof detail, "%s%s: %s", redis ? "Redis " : "embedded table",
             redis ? kv_redis_display(app->kv) : "", kv_health_name(h));
    ops_status_prove(row->name, h == KV_HEALTH_OK, detail);
    proof_read(row);
    configured_or_tested(row,
                         redis ? "Redis answered PING just now"
                               : "embedded: sessions in the database table, which answered now",
                         "no ping yet");
    if (h == KV_HEALTH_DEGRADED) {
        snprintf(row->why, sizeof row->why,
                 "Redis does not answer: the database fallbacks serve (degraded)");
    }
}

/* A webhook source: deferred without its secret, else proved by the last
 * signature-verified delivery in this process. */
static void row_webhook(struct ops_row *row, bool configured, const char *need)
{
    proof_read(row);
    if (!configured) {
        row->state = OPS_DEFERRED;
        snprintf(row->why, sizeof row->why, "%s not set: its webhook refuses every delivery", need);
        return;
    }
    configured_or_tested(row, "a webhook with a valid signature arrived in this process",
                         "secret set; no verified webhook in this process yet");
}

static void row_stripe(struct lu_app *app, struct ops_row *row)
{
    row_webhook(row, app->cfg.stripe_webhook_secret != NULL, "STRIPE_WEBHOOK_SECRET");
}

static void row_twilio(struct lu_app *app, struct ops_row *row)
{
    const struct lu_config *c = &app->cfg;
    bool outbound = c->twilio_account_sid && c->twilio_auth_token &&
                    (c->twilio_from_number || c->twilio_whatsapp_from);
    proof_read(row);
    if (c->twilio_auth_token == NULL) {
        row->state = OPS_DEFERRED;
        snprintf(row->why, sizeof row->why,
                 "TWILIO_AUTH_TOKEN not set: inbound SMS/WhatsApp are refused and replies stay "
                 "queued");
        return;
    }
    configured_or_tested(row, "a verified webhook or a sent message in this process",
                         outbound ? "inbound and outbound configured; nothing proved yet"
                                  : "inbound configured (outbound needs TWILIO_ACCOUNT_SID and a "
                                    "TWILIO_FROM_NUMBER); nothing proved yet");
}

static void row_postmark(struct lu_app *app, struct ops_row *row)
{
    row_webhook(row, app->cfg.postmark_user && app->cfg.postmark_password,
                "LUCIA_POSTMARK_USER/LUCIA_POSTMARK_PASSWORD");
}

static void row_resend(struct lu_app *app, struct ops_row *row)
{
    proof_read(row);
    if (app->cfg.resend_api_key == NULL || app->cfg.email_from == NULL) {
        row->state = OPS_DEFERRED;
        snprintf(row->why, sizeof row->why,
                 "RESEND_API_KEY and LUCIA_EMAIL_FROM not both set: email stays queued");
        return;
    }
    configured_or_tested(row, "Resend accepted an email from the outbox in this process",
                         "key set; no email sent in this process yet");
}

static void row_jwt(struct lu_app *app, struct ops_row *row)
{
    const struct lu_config *c = &app->cfg;
    proof_read(row);
    if (c->jwt_secret == NULL && c->jwks_file == NULL && c->jwks_url == NULL) {
        row->state = OPS_DEFERRED;
        snprintf(row->why, sizeof row->why,
                 "no LUCIA_JWT_SECRET or JWKS: only the service key authenticates");
        return;
    }
    snprintf(row->detail, sizeof row->detail, "%s%s%s", c->jwt_secret ? "HS256 " : "",
             c->jwks_file  ? "JWKS file"
             : c->jwks_url ? "JWKS URL"
                           : "",
             c->jwt_issuer ? " with issuer check" : "");
    configured_or_tested(row, "an operator token was verified in this process",
                         "keys loaded; no operator token verified in this process yet");
}

static void row_model(struct lu_app *app, struct ops_row *row)
{
    proof_read(row);
    if (app->cfg.openai_api_key == NULL || app->cfg.model_focus == NULL) {
        row->state = OPS_DEFERRED;
        snprintf(row->why, sizeof row->why,
                 "LUCIA_MODEL_FOCUS_OPS_REPLY and LUCIA_OPENAI_API_KEY not both set: focus "
                 "replies use the rule phrasing");
        return;
    }
    configured_or_tested(row, "a model reply arrived in this process",
                         "key set; no model call proved in this process yet");
}

struct integration {
    const char *name;
    ops_row_fn fn;
};

/* SPEC §9's eight, in its order. Add an integration with one line here or
 * through ops_status_register. */
static struct integration integrations[OPS_INTEGRATIONS_MAX] = {
    {"database", row_database}, {"sessions", row_sessions}, {"stripe", row_stripe},
    {"twilio", row_twilio},     {"postmark", row_postmark}, {"resend", row_resend},
    {"jwt", row_jwt},           {"model", row_model},
};

void ops_status_register(const char *name, ops_row_fn fn)
{
    LU_ASSERT(name != NULL && fn != NULL && strlen(name) < OPS_NAME_BYTES);
    size_t i = 0;
    while (i < OPS_INTEGRATIONS_MAX && integrations[i].name != NULL) {
        i++;
    }
    LU_ASSERT(i < OPS_INTEGRATIONS_MAX);
    integrations[i] = (struct integration){name, fn};
}

static void row_fill(struct lu_app *app, const struct integration *in, struct ops_row *row)
{
    memset(row, 0, sizeof *row);
    snprintf(row->name, sizeof row->name, "%s", in->name);
    in->fn(app, row);
}

static json_t *time_or_null(int64_t t)
{
    if (t <= 0) {
        return json_null();
    }
    char buf[RFC3339_BYTES];
    clock_format_utc(t, buf);
    return json_string(buf);
}

json_t *ops_status_json(struct lu_app *app)
{
    json_t *list = json_array();
    for (size_t i = 0; i < OPS_INTEGRATIONS_MAX && integrations[i].name != NULL; i++) {
        struct ops_row row;
        row_fill(app, &integrations[i], &row);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s?, s:o, s:o}", "name", row.name,
                                              "state", ops_state_name(row.state), "why", row.why,
                                              "detail", row.detail[0] ? row.detail : NULL,
                                              "proved_at", time_or_null(row.proved_s), "failed_at",
                                              time_or_null(row.failed_s)));
    }
    int64_t now = clock_now_s();
    return json_pack("{s:s, s:s, s:I, s:o, s:o}", "env", config_env_name(app->cfg.env), "version",
                     LU_VERSION, "uptime_s", (json_int_t)(now - app->started_s), "checked_at",
                     time_or_null(now), "integrations", list);
}

void ops_status_print(struct lu_app *app, FILE *out)
{
    fprintf(out, "%-10s %-12s %-21s %s\n", "name", "state", "proved_at", "why");
    for (size_t i = 0; i < OPS_INTEGRATIONS_MAX && integrations[i].name != NULL; i++) {
        struct ops_row row;
        row_fill(app, &integrations[i], &row);
        char when[RFC3339_BYTES] = "-";
        if (row.proved_s > 0) {
            clock_format_utc(row.proved_s, when);
        }
        fprintf(out, "%-10s %-12s %-21s %s%s%s%s\n", row.name, ops_state_name(row.state), when,
                row.why, row.detail[0] ? " (" : "", row.detail, row.detail[0] ? ")" : "");
    }
}
