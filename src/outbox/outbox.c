/*
 * outbox.c — the outbox worker (see outbox.h): one thread per process that
 * claims a due row, sends it, records the result, and sleeps until woken or
 * the next row comes due (at most OUTBOX_POLL_MS).
 *
 * A row is claimed with a lease (store/outbox.c): no other process takes it
 * while the lease holds, so in normal running every row is sent once. The
 * lease is the call's timeout plus OUTBOX_LEASE_MARGIN_MS, so it runs out
 * only when the claiming process died (or lost its database) between the
 * claim and recording the result. Then the row is claimed again and sent
 * again, and what that means depends on the provider:
 *
 *  - Email (Resend): the second call carries the same Idempotency-Key as the
 *    first, so Resend answers with the first email's id instead of sending
 *    it twice (for 24 hours, far longer than any lease). Exactly once.
 *  - SMS and WhatsApp (Twilio): Twilio's Messages API takes no idempotency
 *    key, so the choice is ours. Lucia sends again: at least once. A guest
 *    reply lost without a trace is worse than one sent twice, and the window
 *    is narrow (a crash between Twilio's answer and our commit, or a call
 *    that timed out after Twilio accepted it — a timeout is retried for the
 *    same reason). The row's last_error then says its lease ran out, so a
 *    possible duplicate is visible in GET /api/outbox.
 *
 * A send that succeeded is recorded even if the row was meanwhile claimed
 * again (it happened); a retry or failure only by the claim that holds it.
 * The worker never holds a database connection during a provider call.
 */
#include "outbox/outbox.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/assert.h"
#include "core/ids.h"
#include "core/log.h"
#include "ops/status.h"
#include "outbox/outbox_internal.h"
#include "store/changes.h"
#include "store/events.h"

/* Recording a result is tried this often (OUTBOX_DB_RETRY_MS apart) before
 * the row is left to its lease: the send happened, so a short database blip
 * should not make it go out again. */
#define OUTBOX_FINISH_TRIES 3

/* Database failures are logged at most this often. */
#define OUTBOX_DB_LOG_INTERVAL_MS 60000

struct worker {
    struct lu_app *app;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool running;
    bool stopping;
    bool wake_pending;
    bool postgres;
    const char *channels[3];
    size_t nchannels;
    int64_t db_logged_ms;
    void *curl;
};

static struct worker w = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* --- configuration ------------------------------------------------------- */

bool outbox_channel_configured(const struct lu_config *cfg, const char *channel,
                               const char **missing)
{
    const char *need = NULL;
    if (strcmp(channel, "email") == 0) {
        if (cfg->resend_api_key == NULL || cfg->email_from == NULL) {
            need = "RESEND_API_KEY, LUCIA_EMAIL_FROM";
        }
    } else {
        bool whatsapp = strcmp(channel, "whatsapp") == 0;
        const char *from = whatsapp ? cfg->twilio_whatsapp_from : cfg->twilio_from_number;
        if (cfg->twilio_account_sid == NULL || cfg->twilio_auth_token == NULL || from == NULL) {
            need = whatsapp ? "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WHATSAPP_FROM"
                            : "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER";
        }
    }
    if (missing != NULL) {
        *missing = need;
    }
    return need == NULL;
}

void outbox_twilio_sender(const struct lu_config *cfg, const char *channel, char *out,
                          size_t cap)
{
    bool whatsapp = strcmp(channel, "whatsapp") == 0;
    const char *from = whatsapp ? cfg->twilio_whatsapp_from : cfg->twilio_from_number;
    if (from == NULL) {
        snprintf(out, cap, "%s", "");
        return;
    }
    bool prefixed = strncmp(from, "whatsapp:", 9) == 0;
    snprintf(out, cap, "%s%s", whatsapp && !prefixed ? "whatsapp:" : "", from);
}

json_t *outbox_channels_json(const struct lu_config *cfg)
{
    static const char *const channels[] = {"email", "sms", "whatsapp"};
    json_t *out = json_object();
    for (size_t i = 0; out != NULL && i < 3; i++) {
        const char *missing = NULL;
        bool ok = outbox_channel_configured(cfg, channels[i], &missing);
        json_t *one = json_pack("{s:s, s:b, s:s*}", "provider", i == 0 ? "resend" : "twilio",
                                "configured", ok, "missing", missing);
        if (one == NULL || json_object_set_new(out, channels[i], one) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

void outbox_verdict_error(const struct lu_config *cfg, const char *provider,
                          const struct outbox_http_answer *a, struct outbox_verdict *v)
{
    char raw[OUTBOX_ERROR_BYTES_MAX];
    if (a->transport) {
        snprintf(raw, sizeof raw, "network: %s", a->error[0] ? a->error : "no answer");
    } else {
        /* Resend: {"name","message"}; Twilio: {"code","message"}. */
        json_error_t jerr;
        json_t *parsed = a->body ? json_loads(a->body, 0, &jerr) : NULL;
        const char *message = json_string_value(json_object_get(parsed, "message"));
        const char *name = json_string_value(json_object_get(parsed, "name"));
        json_t *code = json_object_get(parsed, "code");
        char label[64] = "";
        if (name != NULL) {
            snprintf(label, sizeof label, " (%.48s)", name);
        } else if (json_is_integer(code)) {
            snprintf(label, sizeof label, " (code %lld)", (long long)json_integer_value(code));
        }
        snprintf(raw, sizeof raw, "HTTP %ld from %s%s: %.300s", a->status, provider, label,
                 message ? message : a->body ? a->body : "no body");
        json_decref(parsed);
    }
    const char *secrets[] = {cfg->resend_api_key, cfg->twilio_auth_token, cfg->service_key,
                             NULL};
    /* A NULL secret ends the list early; keep the ones that are set. */
    const char *set[4];
    size_t n = 0;
    for (size_t i = 0; i < 3; i++) {
        if (secrets[i] != NULL) {
            set[n++] = secrets[i];
        }
    }
    set[n] = NULL;
    outbox_scrub(raw, set, v->error, sizeof v->error);
}

/* --- the worker ---------------------------------------------------------- */

static bool stopping(void)
{
    pthread_mutex_lock(&w.lock);
    bool s = w.stopping;
    pthread_mutex_unlock(&w.lock);
    return s;
}

/* Sleeps up to ms, or until woken or told to stop. */
static void idle(int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w.lock);
    while (!w.wake_pending && !w.stopping) {
        if (pthread_cond_timedwait(&w.cond, &w.lock, &until) == ETIMEDOUT) {
            break;
        }
    }
    w.wake_pending = false;
    pthread_mutex_unlock(&w.lock);
}

static void db_trouble(const char *what, enum lu_rc rc)
{
    int64_t now = outbox_now_ms();
    if (w.db_logged_ms == 0 || now - w.db_logged_ms >= OUTBOX_DB_LOG_INTERVAL_MS) {
        log_msg(LOG_WARN, NULL, "outbox: cannot %s (%s); retrying every %d ms", what,
                lu_rc_name(rc), OUTBOX_DB_RETRY_MS);
        w.db_logged_ms = now;
    }
}

/* The claim query for now. */
static struct outbox_claim_query claim_query(void)
{
    return (struct outbox_claim_query){
        .postgres = w.postgres,
        .channels = w.channels,
        .nchannels = w.nchannels,
        .now_ms = outbox_now_ms(),
        .lease_ms = (int64_t)w.app->cfg.outbox_timeout_ms + OUTBOX_LEASE_MARGIN_MS,
    };
}

/* What to record for a verdict after c's attempts. */
static void result_of(const struct outbox_claim *c, struct outbox_verdict *v,
                      struct outbox_result *r)
{
    memset(r, 0, sizeof *r);
    r->outcome = v->outcome;
    r->error = v->error[0] ? v->error : NULL;
    if (v->outcome == OUTBOX_SENT) {
        r->provider_id = v->provider_id[0] ? v->provider_id : NULL;
        r->provider_status = v->provider_status[0] ? v->provider_status : NULL;
        r->from_addr = v->from_addr[0] ? v->from_addr : NULL;
        r->error = NULL;
        return;
    }
    if (v->outcome == OUTBOX_RETRY && c->attempts >= OUTBOX_ATTEMPTS_MAX) {
        char last[OUTBOX_ERROR_BYTES_MAX];
        snprintf(last, sizeof last, "%s", v->error);
        /* The prefix is short; a cut loses the tail of the provider's message. */
        int n = snprintf(v->error, sizeof v->error, "gave up after %d attempts; last: ",
                         OUTBOX_ATTEMPTS_MAX);
        snprintf(v->error + n, sizeof v->error - (size_t)n, "%.*s",
                 (int)(sizeof v->error - (size_t)n - 1), last);
        r->outcome = OUTBOX_FAILED;
        return;
    }
    if (v->outcome == OUTBOX_RETRY) {
        uint32_t jitter = 0;
        (void)random_bytes((unsigned char *)&jitter, sizeof jitter); /* 0 is a fine jitter */
        int64_t delay = outbox_backoff_ms(w.app->cfg.outbox_backoff_ms, c->attempts, jitter);
        if (v->retry_after_s >= 0 && (int64_t)v->retry_after_s * 1000 > delay) {
            delay = (int64_t)v->retry_after_s * 1000; /* the provider asked for this long */
        }
        r->next_attempt_ms = outbox_now_ms() + delay;
    }
}

/* Records r in one write transaction; publishes the message change. */
static enum lu_rc record(const struct outbox_claim *c, const struct outbox_result *r,
                         bool *recorded)
{
    struct db_conn *conn = db_acquire(w.app->db);
    if (conn == NULL) {
        return LU_UNAVAILABLE;
    }
    int64_t seq = 0;
    enum lu_rc rc = db_begin(conn, true);
    if (rc == LU_OK) {
        rc = store_outbox_finish(conn, c, r, outbox_now_ms(), recorded);
    }
    if (rc == LU_OK && *recorded && c->message_id != NULL) {
        rc = store_events_head(conn, &seq);
    }
    if (rc == LU_OK) {
        rc = db_commit(conn);
    } else {
        db_rollback(conn);
    }
    db_release(conn);
    if (rc == LU_OK && seq > 0) {
        changes_published(seq);
    }
    return rc;
}

static void log_result(const struct outbox_claim *c, const struct outbox_result *r,
                       const struct outbox_verdict *v, bool recorded)
{
    char why[48];
    if (v->transport) {
        snprintf(why, sizeof why, "network error or timeout");
    } else {
        snprintf(why, sizeof why, "HTTP %ld", v->http_status);
    }
    const char *provider = strcmp(c->channel, "email") == 0 ? "resend" : "twilio";
    if (recorded) {
        /* /admin/status: a provider's 2xx proves it; the result is kept. */
        char detail[96];
        snprintf(detail, sizeof detail, "last outbox send: %s (%s)",
                 r->outcome == OUTBOX_SENT    ? "sent"
                 : r->outcome == OUTBOX_RETRY ? "retrying"
                                              : "failed",
                 why);
        ops_status_prove(provider, r->outcome == OUTBOX_SENT, detail);
    }
    if (!recorded) {
        log_msg(LOG_INFO, NULL, "outbox %s: %s answered %s, but the row had moved on", c->id,
                provider, why);
    } else if (r->outcome == OUTBOX_SENT) {
        log_msg(LOG_INFO, NULL, "outbox %s (%s) sent through %s, attempt %d", c->id, c->kind,
                provider, c->attempts);
    } else if (r->outcome == OUTBOX_RETRY) {
        log_msg(LOG_INFO, NULL, "outbox %s (%s): %s from %s on attempt %d; retrying in %lld ms",
                c->id, c->kind, why, provider, c->attempts,
                (long long)(r->next_attempt_ms - outbox_now_ms()));
    } else {
        log_msg(LOG_WARN, NULL, "outbox %s (%s) failed after attempt %d: %s from %s", c->id,
                c->kind, c->attempts, why, provider);
    }
}

static void send_one(const struct outbox_claim *c)
{
    if (c->lease_expired) {
        log_msg(LOG_WARN, NULL, "outbox %s: its previous claim's lease ran out mid-send; "
                                "sending again (attempt %d)", c->id, c->attempts);
    }
    struct outbox_verdict v;
    if (strcmp(c->channel, "email") == 0) {
        resend_send(w.curl, &w.app->cfg, c, &v);
    } else {
        twilio_send(w.curl, &w.app->cfg, c, &v);
    }
    struct outbox_result r;
    result_of(c, &v, &r);
    bool recorded = false;
    enum lu_rc rc = LU_UNAVAILABLE;
    for (int i = 0; i < OUTBOX_FINISH_TRIES && rc != LU_OK; i++) {
        if (i > 0) {
            struct timespec pause = {.tv_sec = OUTBOX_DB_RETRY_MS / 1000,
                                     .tv_nsec = (OUTBOX_DB_RETRY_MS % 1000) * 1000000L};
            nanosleep(&pause, NULL);
        }
        rc = record(c, &r, &recorded);
    }
    if (rc != LU_OK) {
        log_msg(LOG_WARN, NULL, "outbox %s: could not record the result (%s); the row is "
                                "claimed again when its lease runs out", c->id, lu_rc_name(rc));
        return;
    }
    log_result(c, &r, &v, recorded);
}

/* Nothing due now: fail rows whose last attempt died, then sleep until the
 * next row comes due, OUTBOX_IDLE_MIN_MS to OUTBOX_POLL_MS from now. */
static void rest(void)
{
    struct outbox_claim_query q = claim_query();
    int64_t wait_ms = OUTBOX_POLL_MS;
    struct db_conn *conn = q.nchannels ? db_acquire(w.app->db) : NULL;
    if (conn != NULL) {
        int64_t expired = 0;
        int64_t due = 0;
        bool any = false;
        enum lu_rc rc = store_outbox_expire(conn, q.now_ms, &expired);
        if (rc == LU_OK) {
            rc = store_outbox_next_due(conn, &q, &due, &any);
        }
        db_release(conn);
        if (expired > 0) {
            log_msg(LOG_WARN, NULL, "outbox: %lld row(s) failed: their last attempt stopped "
                                    "mid-send", (long long)expired);
        }
        if (rc == LU_OK && any) {
            wait_ms = due - outbox_now_ms();
        }
    }
    if (wait_ms < OUTBOX_IDLE_MIN_MS) {
        wait_ms = OUTBOX_IDLE_MIN_MS;
    }
    if (wait_ms > OUTBOX_POLL_MS) {
        wait_ms = OUTBOX_POLL_MS;
    }
    idle(wait_ms);
}

static void *worker_main(void *arg)
{
    (void)arg;
    while (!stopping()) {
        struct outbox_claim_query q = claim_query();
        if (q.nchannels == 0) {
            idle(OUTBOX_POLL_MS);
            continue;
        }
        struct db_conn *conn = db_acquire(w.app->db);
        if (conn == NULL) {
            db_trouble("reach the database", LU_UNAVAILABLE);
            idle(OUTBOX_DB_RETRY_MS);
            continue;
        }
        struct outbox_claim c;
        bool found = false;
        enum lu_rc rc = store_outbox_claim(conn, &q, &c, &found);
        db_release(conn);
        if (rc != LU_OK) {
            db_trouble("claim a row", rc);
            idle(OUTBOX_DB_RETRY_MS);
            continue;
        }
        w.db_logged_ms = 0;
        if (!found) {
            rest();
            continue;
        }
        send_one(&c);
        store_outbox_claim_free(&c);
    }
    return NULL;
}

enum lu_rc outbox_start(struct lu_app *app)
{
    LU_ASSERT(!w.running);
    w.app = app;
    w.postgres = strcmp(db_driver_of(app->db)->dialect, "postgres") == 0;
    w.nchannels = 0;
    w.stopping = false;
    w.wake_pending = false;
    static const char *const all[] = {"email", "sms", "whatsapp"};
    char unset[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < 3; i++) {
        const char *missing = NULL;
        if (outbox_channel_configured(&app->cfg, all[i], &missing)) {
            w.channels[w.nchannels++] = all[i];
        } else {
            len += (size_t)snprintf(unset + len, sizeof unset - len, "%s%s (%s)",
                                    len ? "; " : "", all[i], missing);
        }
    }
    if (unset[0] != '\0') {
        log_msg(LOG_WARN, NULL,
                "outbox: no provider configured for %s: those messages stay queued, and GET "
                "/api/outbox shows them", unset);
    }
    w.curl = curl_easy_init();
    if (w.curl == NULL) {
        return LU_NOMEM;
    }
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w.cond, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&w.thread, NULL, worker_main, NULL) != 0) {
        pthread_cond_destroy(&w.cond);
        curl_easy_cleanup(w.curl);
        w.curl = NULL;
        return LU_IO;
    }
    pthread_mutex_lock(&w.lock);
    w.running = true;
    pthread_mutex_unlock(&w.lock);
    return LU_OK;
}

void outbox_wake(void)
{
    pthread_mutex_lock(&w.lock);
    if (w.running) {
        w.wake_pending = true;
        pthread_cond_signal(&w.cond);
    }
    pthread_mutex_unlock(&w.lock);
}

void outbox_shutdown(void)
{
    pthread_mutex_lock(&w.lock);
    if (w.running) {
        w.stopping = true;
        pthread_cond_signal(&w.cond);
    }
    pthread_mutex_unlock(&w.lock);
}

void outbox_stop(void)
{
    outbox_shutdown();
    pthread_mutex_lock(&w.lock);
    bool running = w.running;
    pthread_mutex_unlock(&w.lock);
    if (!running) {
        return;
    }
    pthread_join(w.thread, NULL);
    pthread_mutex_lock(&w.lock);
    w.running = false;
    pthread_mutex_unlock(&w.lock);
    pthread_cond_destroy(&w.cond);
    curl_easy_cleanup(w.curl);
    w.curl = NULL;
}
