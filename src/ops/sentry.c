/*
 * sentry.c — Sentry envelopes from a bounded queue (see sentry.h).
 *
 * Callers build the event (small, no network) and push it; one thread pops,
 * scrubs, wraps it in an envelope and POSTs it with libcurl timeouts. The
 * queue is a fixed ring: when full the newest report is dropped and counted.
 */
#include "ops/sentry.h"

#include <curl/curl.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "ops/status.h"

struct item {
    char *event;     /* owned serialised event JSON */
    char *done_path; /* owned; NULL */
    char event_id[33];
};

static const struct lu_config *g_cfg;
static struct sentry_dsn g_dsn;
static pthread_t g_thread;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wake = PTHREAD_COND_INITIALIZER;
static struct item g_queue[SENTRY_QUEUE_MAX];
static size_t g_head; /* next to pop */
static size_t g_count;
static bool g_running;
static bool g_stopping;
static struct sentry_stats g_stats;
static double g_flush_deadline_ms; /* monotonic; set by sentry_stop */

enum lu_rc sentry_dsn_parse(const char *dsn, struct sentry_dsn *out)
{
    LU_ASSERT(dsn != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    const char *scheme_end = strstr(dsn, "://");
    if (scheme_end == NULL) {
        return LU_INVALID;
    }
    const char *key = scheme_end + 3;
    const char *at = strchr(key, '@');
    const char *slash = at ? strchr(at, '/') : NULL;
    if (at == NULL || slash == NULL || at == key || slash == at + 1) {
        return LU_INVALID;
    }
    const char *colon = memchr(key, ':', (size_t)(at - key)); /* legacy secret key: ignored */
    size_t key_len = (size_t)((colon ? colon : at) - key);
    /* The project is the last path segment; a trailing slash is tolerated. */
    const char *end = dsn + strlen(dsn);
    while (end > slash + 1 && end[-1] == '/') {
        end--;
    }
    const char *project = end;
    while (project[-1] != '/') {
        project--;
    }
    size_t project_len = (size_t)(end - project);
    if (key_len == 0 || key_len >= sizeof out->public_key || project_len == 0) {
        return LU_INVALID;
    }
    memcpy(out->public_key, key, key_len);
    /* Host plus any path prefix before the project (self-hosted under a path). */
    int n = snprintf(out->envelope_url, sizeof out->envelope_url, "%.*s%.*s/api/%.*s/envelope/",
                     (int)(key - dsn), dsn, (int)(project - 1 - (at + 1)), at + 1, (int)project_len,
                     project);
    if (n < 0 || (size_t)n >= sizeof out->envelope_url) {
        return LU_INVALID;
    }
    return LU_OK;
}

size_t sentry_scrub(char *text, const char *const *secrets)
{
    LU_ASSERT(text != NULL && secrets != NULL);
    size_t found = 0;
    for (size_t i = 0; secrets[i] != NULL; i++) {
        size_t n = strlen(secrets[i]);
        if (n == 0) {
            continue;
        }
        for (char *p = strstr(text, secrets[i]); p != NULL; p = strstr(p + n, secrets[i])) {
            memset(p, '*', n);
            found++;
        }
    }
    return found;
}

/* Secrets that must never leave, NULL-terminated, into out[cap]. */
static void secrets_list(const char **out, size_t cap)
{
    const char *all[] = {
        g_cfg->service_key,       g_cfg->jwt_secret,        g_cfg->stripe_webhook_secret,
        g_cfg->twilio_auth_token, g_cfg->postmark_password, g_cfg->resend_api_key,
        g_cfg->openai_api_key,    g_cfg->database_url,      g_cfg->redis_url,
        g_cfg->access_aud,        g_dsn.public_key,
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0] && n + 1 < cap; i++) {
        if (all[i] != NULL && all[i][0] != '\0') {
            out[n++] = all[i];
        }
    }
    out[n] = NULL;
}

static size_t on_discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * nmemb;
}

/* POSTs one envelope; true on a 2xx. */
static bool post(const char *body, size_t len)
{
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        return false;
    }
    char auth[320];
    snprintf(auth, sizeof auth,
             "X-Sentry-Auth: Sentry sentry_version=7, sentry_key=%s, sentry_client=lucia/%s",
             g_dsn.public_key, LU_VERSION);
    struct curl_slist *headers = curl_slist_append(NULL, auth);
    struct curl_slist *h2 =
        headers ? curl_slist_append(headers, "Content-Type: application/x-sentry-envelope") : NULL;
    if (h2 == NULL) {
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        return false;
    }
    curl_easy_setopt(curl, CURLOPT_URL, g_dsn.envelope_url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h2);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)SENTRY_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)SENTRY_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_discard);
    CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h2);
    curl_easy_cleanup(curl);
    return code == CURLE_OK && status >= 200 && status <= 299;
}

static void send_item(struct item *it)
{
    const char *secrets[16];
    secrets_list(secrets, sizeof secrets / sizeof secrets[0]);
    sentry_scrub(it->event, secrets);
    char now[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), now);
    size_t cap = strlen(it->event) + 256;
    char *env = malloc(cap);
    bool ok = false;
    if (env != NULL) {
        int n = snprintf(env, cap,
                         "{\"event_id\":\"%s\",\"sent_at\":\"%s\"}\n{\"type\":\"event\"}\n%s\n",
                         it->event_id, now, it->event);
        ok = n > 0 && (size_t)n < cap && post(env, (size_t)n);
        free(env);
    }
    pthread_mutex_lock(&g_lock);
    if (ok) {
        g_stats.sent++;
        g_stats.last_sent_s = clock_now_s();
    } else {
        g_stats.failed++;
        g_stats.last_failed_s = clock_now_s();
    }
    pthread_mutex_unlock(&g_lock);
    if (ok && it->done_path != NULL && unlink(it->done_path) != 0) {
        log_msg(LOG_WARN, NULL, "sentry: cannot remove a sent crash report");
    }
    if (!ok) {
        log_msg(LOG_WARN, NULL, "sentry: the collector did not accept a report");
    }
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_lock);
    for (;;) {
        while (g_count == 0 && !g_stopping) {
            pthread_cond_wait(&g_wake, &g_lock);
        }
        if (g_count == 0) {
            break; /* stopping and drained */
        }
        if (g_stopping && clock_mono_ms() > g_flush_deadline_ms) {
            /* A slow collector must not hold up shutdown: what is left is
             * dropped and counted. */
            g_stats.dropped += g_count;
            for (; g_count > 0; g_count--, g_head = (g_head + 1) % SENTRY_QUEUE_MAX) {
                free(g_queue[g_head].event);
                free(g_queue[g_head].done_path);
            }
            break;
        }
        struct item it = g_queue[g_head];
        g_head = (g_head + 1) % SENTRY_QUEUE_MAX;
        g_count--;
        pthread_mutex_unlock(&g_lock);
        send_item(&it);
        free(it.event);
        free(it.done_path);
        pthread_mutex_lock(&g_lock);
    }
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

/* The /admin/status row: tested once the collector took a report. */
static void status_row(struct lu_app *app, struct ops_row *row)
{
    (void)app;
    if (!sentry_enabled()) {
        row->state = OPS_DEFERRED;
        snprintf(row->why, sizeof row->why,
                 "no SENTRY_DSN: 5xx answers and crashes are only logged");
        return;
    }
    struct sentry_stats st;
    sentry_stats_get(&st);
    row->proved_s = st.last_sent_s;
    row->failed_s = st.last_failed_s;
    bool proved = st.last_sent_s > 0 && st.last_sent_s >= st.last_failed_s;
    row->state = proved ? OPS_TESTED : OPS_CONFIGURED;
    snprintf(row->why, sizeof row->why, "%s",
             proved                 ? "the collector accepted a report in this process"
             : st.last_failed_s > 0 ? "configured, but the last report failed"
                                    : "DSN set; no report sent in this process yet");
    snprintf(row->detail, sizeof row->detail, "%llu sent, %llu failed, %llu dropped",
             (unsigned long long)st.sent, (unsigned long long)st.failed,
             (unsigned long long)st.dropped);
}

enum lu_rc sentry_start(const struct lu_config *cfg, char *err, size_t cap)
{
    LU_ASSERT(cfg != NULL);
    ops_status_register("error_reporting", status_row);
    if (cfg->sentry_dsn == NULL) {
        return LU_OK;
    }
    if (sentry_dsn_parse(cfg->sentry_dsn, &g_dsn) != LU_OK) {
        snprintf(err, cap, "SENTRY_DSN must look like https://PUBLIC_KEY@HOST/PROJECT_ID");
        return LU_INVALID;
    }
    g_cfg = cfg;
    g_stopping = false;
    if (pthread_create(&g_thread, NULL, worker, NULL) != 0) {
        snprintf(err, cap, "cannot start the error reporting thread");
        g_cfg = NULL;
        return LU_UNAVAILABLE;
    }
    pthread_mutex_lock(&g_lock);
    g_running = true;
    pthread_mutex_unlock(&g_lock);
    return LU_OK;
}

void sentry_stop(void)
{
    pthread_mutex_lock(&g_lock);
    bool running = g_running;
    g_stopping = true;
    g_flush_deadline_ms = clock_mono_ms() + SENTRY_FLUSH_MS;
    pthread_cond_signal(&g_wake);
    pthread_mutex_unlock(&g_lock);
    if (running) {
        pthread_join(g_thread, NULL);
    }
    pthread_mutex_lock(&g_lock);
    g_running = false;
    pthread_mutex_unlock(&g_lock);
}

bool sentry_enabled(void)
{
    pthread_mutex_lock(&g_lock);
    bool on = g_running;
    pthread_mutex_unlock(&g_lock);
    return on;
}

void sentry_stats_get(struct sentry_stats *out)
{
    pthread_mutex_lock(&g_lock);
    *out = g_stats;
    pthread_mutex_unlock(&g_lock);
}

static void event_id_new(char out[33])
{
    unsigned char raw[16];
    if (random_bytes(raw, sizeof raw) != LU_OK) {
        memset(raw, 0, sizeof raw); /* an all-zero id still delivers the report */
    }
    for (size_t i = 0; i < sizeof raw; i++) {
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    }
}

bool sentry_event_queue(json_t *event, const char *done_path)
{
    LU_ASSERT(event != NULL);
    struct item it = {0};
    event_id_new(it.event_id);
    char ts[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), ts);
    char release[64];
    snprintf(release, sizeof release, "lucia@%s", LU_VERSION);
    json_object_set_new(event, "event_id", json_string(it.event_id));
    json_object_set_new(event, "timestamp", json_string(ts));
    json_object_set_new(event, "platform", json_string("c"));
    json_object_set_new(event, "release", json_string(release));
    if (g_cfg != NULL) {
        json_object_set_new(event, "environment", json_string(config_env_name(g_cfg->env)));
    }
    it.event = json_dumps(event, JSON_COMPACT);
    json_decref(event);
    it.done_path = done_path ? strdup(done_path) : NULL;
    bool queued = false;
    pthread_mutex_lock(&g_lock);
    if (g_running && !g_stopping && it.event != NULL &&
        strlen(it.event) <= SENTRY_EVENT_BYTES_MAX && g_count < SENTRY_QUEUE_MAX &&
        (done_path == NULL || it.done_path != NULL)) {
        g_queue[(g_head + g_count) % SENTRY_QUEUE_MAX] = it;
        g_count++;
        queued = true;
        pthread_cond_signal(&g_wake);
    } else if (g_running) {
        g_stats.dropped++;
    }
    pthread_mutex_unlock(&g_lock);
    if (!queued) {
        free(it.event);
        free(it.done_path);
    }
    return queued;
}

void sentry_event_frames(json_t *event, char *const *lines, size_t n)
{
    json_t *frames = json_array();
    /* Sentry wants the oldest frame first; backtrace gives the newest first. */
    for (size_t i = n; i > 0 && frames != NULL; i--) {
        json_t *f = json_object();
        json_object_set_new(f, "function", json_string(lines[i - 1]));
        json_array_append_new(frames, f);
    }
    const char *value = json_string_value(json_object_get(event, "message"));
    json_t *exc = json_pack("{s:[{s:s,s:s,s:{s:o}}]}", "values", "type", "error", "value",
                            value ? value : "error", "stacktrace", "frames", frames);
    if (exc != NULL) {
        json_object_set_new(event, "exception", exc);
    }
}

void sentry_report_5xx(const char *request_id, const char *method, const char *route, int status)
{
    if (!sentry_enabled()) {
        return;
    }
    char message[160];
    snprintf(message, sizeof message, "HTTP %d on %s %s", status, method ? method : "?",
             route ? route : "?");
    char status_text[12]; /* Sentry tag values are strings */
    snprintf(status_text, sizeof status_text, "%d", status);
    json_t *event = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "level", "error", "message", message,
                              "transaction", route ? route : "?", "tags", "request_id",
                              request_id ? request_id : "", "method", method ? method : "?",
                              "status", status_text);
    if (event == NULL) {
        return;
    }
    void *addrs[SENTRY_FRAMES_MAX];
    int n = backtrace(addrs, SENTRY_FRAMES_MAX);
    char **lines = n > 0 ? backtrace_symbols(addrs, n) : NULL;
    if (lines != NULL) {
        sentry_event_frames(event, lines, (size_t)n);
        free(lines);
    }
    (void)sentry_event_queue(event, NULL); /* a drop is counted in the stats */
}
