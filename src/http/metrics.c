/*
 * metrics.c — in-process Prometheus series (see metrics.h).
 *
 * Route labels come only from the route table, so the series count is
 * bounded by routes × methods × statuses; past METRIC_SERIES_MAX the extra
 * is folded into one "overflow" series rather than growing without end.
 */
#include "http/metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"

#define METRIC_SERIES_MAX 1024
#define LATENCY_BUCKETS 12

static const double latency_bounds_s[LATENCY_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

struct counter {
    const char *route;
    const char *method;
    int status;
    unsigned long long count;
};

struct histogram {
    const char *route;
    unsigned long long buckets[LATENCY_BUCKETS];
    unsigned long long count;
    double sum_s;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct counter counters[METRIC_SERIES_MAX];
static size_t ncounters;
static struct histogram histograms[METRIC_SERIES_MAX];
static size_t nhistograms;

static struct counter *counter_find(const char *route, const char *method, int status)
{
    for (size_t i = 0; i < ncounters; i++) {
        struct counter *c = &counters[i];
        if (c->status == status && strcmp(c->route, route) == 0 && strcmp(c->method, method) == 0) {
            return c;
        }
    }
    if (ncounters == METRIC_SERIES_MAX) {
        return NULL;
    }
    counters[ncounters] = (struct counter){.route = route, .method = method, .status = status};
    return &counters[ncounters++];
}

static struct histogram *histogram_find(const char *route)
{
    for (size_t i = 0; i < nhistograms; i++) {
        if (strcmp(histograms[i].route, route) == 0) {
            return &histograms[i];
        }
    }
    if (nhistograms == METRIC_SERIES_MAX) {
        return NULL;
    }
    histograms[nhistograms] = (struct histogram){.route = route};
    return &histograms[nhistograms++];
}

void metrics_request_observe(const char *route, const char *method, int status,
                             double duration_ms)
{
    double s = duration_ms / 1000.0;
    pthread_mutex_lock(&lock);
    struct counter *c = counter_find(route, method, status);
    if (c != NULL) {
        c->count++;
    }
    struct histogram *h = histogram_find(route);
    if (h != NULL) {
        for (int i = 0; i < LATENCY_BUCKETS; i++) {
            if (s <= latency_bounds_s[i]) {
                h->buckets[i]++;
            }
        }
        h->count++;
        h->sum_s += s;
    }
    pthread_mutex_unlock(&lock);
}

/* Webhook results: sources × outcomes, a handful each. */
#define WEBHOOK_SERIES_MAX 64

struct webhook_counter {
    const char *source;
    const char *outcome;
    unsigned long long count;
};

static struct webhook_counter webhooks[WEBHOOK_SERIES_MAX];
static size_t nwebhooks;

void metrics_webhook_observe(const char *source, const char *outcome)
{
    pthread_mutex_lock(&lock);
    struct webhook_counter *c = NULL;
    for (size_t i = 0; i < nwebhooks && c == NULL; i++) {
        if (strcmp(webhooks[i].source, source) == 0 &&
            strcmp(webhooks[i].outcome, outcome) == 0) {
            c = &webhooks[i];
        }
    }
    if (c == NULL && nwebhooks < WEBHOOK_SERIES_MAX) {
        c = &webhooks[nwebhooks++];
        *c = (struct webhook_counter){.source = source, .outcome = outcome};
    }
    if (c != NULL) {
        c->count++;
    }
    pthread_mutex_unlock(&lock);
}

struct text {
    char *data;
    size_t len;
    size_t cap;
    int failed;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
    if (t->failed) {
        return;
    }
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)n;
        char *grown = realloc(t->data, cap);
        if (grown == NULL) {
            t->failed = 1;
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
}

static void render_requests(struct text *t)
{
    put(t, "# HELP lucia_http_requests_total HTTP requests by route, method and status.\n"
           "# TYPE lucia_http_requests_total counter\n");
    for (size_t i = 0; i < ncounters; i++) {
        put(t, "lucia_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} %llu\n",
            counters[i].route, counters[i].method, counters[i].status, counters[i].count);
    }
    put(t, "# HELP lucia_http_request_duration_seconds Request latency by route.\n"
           "# TYPE lucia_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < nhistograms; i++) {
        const struct histogram *h = &histograms[i];
        for (int b = 0; b < LATENCY_BUCKETS; b++) {
            put(t, "lucia_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                h->route, latency_bounds_s[b], h->buckets[b]);
        }
        put(t, "lucia_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
            h->route, h->count);
        put(t, "lucia_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", h->route, h->sum_s);
        put(t, "lucia_http_request_duration_seconds_count{route=\"%s\"} %llu\n", h->route,
            h->count);
    }
}

static void render_webhooks(struct text *t)
{
    put(t, "# HELP lucia_webhook_results_total Provider webhooks by source and outcome.\n"
           "# TYPE lucia_webhook_results_total counter\n");
    for (size_t i = 0; i < nwebhooks; i++) {
        put(t, "lucia_webhook_results_total{source=\"%s\",outcome=\"%s\"} %llu\n",
            webhooks[i].source, webhooks[i].outcome, webhooks[i].count);
    }
}

static void render_db(struct text *t)
{
    struct db_timing dt;
    db_timing_get(&dt);
    put(t, "# HELP lucia_db_query_duration_seconds Time spent in database calls.\n"
           "# TYPE lucia_db_query_duration_seconds histogram\n");
    for (int b = 0; b < 12; b++) {
        put(t, "lucia_db_query_duration_seconds_bucket{le=\"%g\"} %llu\n", db_timing_bounds_s[b],
            (unsigned long long)dt.buckets[b]);
    }
    put(t, "lucia_db_query_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
        (unsigned long long)dt.calls);
    put(t, "lucia_db_query_duration_seconds_sum %.6f\n", dt.seconds);
    put(t, "lucia_db_query_duration_seconds_count %llu\n", (unsigned long long)dt.calls);
}

char *metrics_render(size_t *len)
{
    struct text t = {.cap = 8192};
    t.data = malloc(t.cap);
    if (t.data == NULL) {
        return NULL;
    }
    pthread_mutex_lock(&lock);
    render_requests(&t);
    render_webhooks(&t);
    pthread_mutex_unlock(&lock);
    render_db(&t);
    if (t.failed) {
        free(t.data);
        return NULL;
    }
    *len = t.len;
    return t.data;
}
