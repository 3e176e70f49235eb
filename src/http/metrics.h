/*
 * metrics.h — Prometheus counters and histograms for /metrics (SPEC §9).
 *
 * Requests are counted by route pattern (not raw path, so ids never become
 * labels), method and status; latency is a histogram per route; database
 * time comes from db_timing_get. Thread-safe; series are bounded.
 */
#ifndef LU_METRICS_H
#define LU_METRICS_H

#include <stddef.h>

/* route and method must be static strings (the route table's, or a fixed
 * label such as "unmatched"). */
void metrics_request_observe(const char *route, const char *method, int status,
                             double duration_ms);

/* Counts one provider webhook's result: lucia_webhook_results_total
 * {source,outcome}. source and outcome must be static strings ("twilio",
 * "postmark", "stripe"; "stored", "duplicate", "bad_signature", …). */
void metrics_webhook_observe(const char *source, const char *outcome);

/* The exposition text; owned: free. NULL on OOM. */
char *metrics_render(size_t *len);

#endif
