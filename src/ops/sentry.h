/*
 * sentry.h — error reporting to a Sentry-compatible collector (SPEC §9).
 *
 * With SENTRY_DSN set, every 5xx answer (server.c) and every crash report
 * found at start (crash.c) becomes a Sentry envelope. Reports are queued and
 * sent by one background thread with libcurl timeouts; when the queue is
 * full a report is dropped and counted, so a slow or absent collector never
 * slows a request. Events hold only what this module writes into them —
 * never request bodies or headers — and are scrubbed of every configured
 * secret before they leave.
 */
#ifndef LU_SENTRY_H
#define LU_SENTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/rc.h"

/* Most reports waiting to be sent; past it new ones are dropped (counted).
 * Bounds memory at about this many × SENTRY_EVENT_BYTES_MAX. */
#define SENTRY_QUEUE_MAX 64

/* Largest serialised event, in bytes; a bigger one is dropped. */
#define SENTRY_EVENT_BYTES_MAX (64 * 1024)

/* Longest one POST to the collector may take, connect included. */
#define SENTRY_TIMEOUT_MS 5000
#define SENTRY_CONNECT_TIMEOUT_MS 2000

/* At shutdown, how long queued reports may still be sent; past it the rest
 * is dropped (one POST already under way still runs to its timeout). */
#define SENTRY_FLUSH_MS 2000

/* Most stack frames put into one event. */
#define SENTRY_FRAMES_MAX 48

/* The parts of a DSN https://PUBLIC_KEY@HOST/PROJECT_ID. */
struct sentry_dsn {
    char public_key[128];
    char envelope_url[512]; /* {scheme}://{host}/api/{project}/envelope/ */
};

/* Parses dsn (borrowed). LU_INVALID when it has no key, host or project. */
enum lu_rc sentry_dsn_parse(const char *dsn, struct sentry_dsn *out);

/* Overwrites, in text, every occurrence of each non-empty secret (a
 * NULL-terminated array, borrowed) with '*'. Returns how many were found. */
size_t sentry_scrub(char *text, const char *const *secrets);

/*
 * Starts the sender when cfg (borrowed; outlives sentry_stop) has a DSN; a
 * no-op otherwise. LU_INVALID (sentence in err) for a malformed DSN.
 */
enum lu_rc sentry_start(const struct lu_config *cfg, char *err, size_t cap);

/* Sends what is queued (bounded by the timeouts) and stops the thread. */
void sentry_stop(void);

/* True when a DSN is configured and the sender runs. */
bool sentry_enabled(void);

/* Queues a report of a 5xx answer. All strings borrowed. Never blocks on
 * the network. */
void sentry_report_5xx(const char *request_id, const char *method, const char *route, int status);

/*
 * Queues a prepared event (taken: decref'd here) at level `level`. When
 * done_path (borrowed, copied) is non-NULL, that file is removed after the
 * collector answered 2xx. Returns false when dropped.
 */
bool sentry_event_queue(json_t *event, const char *done_path);

/* Adds "exception" frames from n lines of backtrace_symbols text. */
void sentry_event_frames(json_t *event, char *const *lines, size_t n);

/* For /admin/status. */
struct sentry_stats {
    uint64_t sent;
    uint64_t failed;
    uint64_t dropped;
    int64_t last_sent_s;   /* 0 = never */
    int64_t last_failed_s; /* 0 = never */
};
void sentry_stats_get(struct sentry_stats *out);

#endif
