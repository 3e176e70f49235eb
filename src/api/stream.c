/*
 * stream.c (api) — GET /api/stream: reads where the client wants to start
 * and hands the request to the change stream (http/stream.c), which does
 * the rest. Holds no SQL and never waits.
 *
 * The start point is the Last-Event-ID header when present, else ?since=,
 * else the newest change (only what commits from now on). The header wins
 * because a browser's EventSource reconnects to the same URL, ?since= and
 * all, and adds Last-Event-ID with the last event it actually received:
 * that one is the truth. An empty header counts as absent. Events are
 * never deleted, so a start point older than the SPEC's 7 days of replay
 * still gets everything after it.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "http/stream.h"

/* A seq is a non-negative int64: at most 18 digits keeps it in range. */
#define SEQ_DIGITS_MAX 18

static bool seq_parse(const char *text, int64_t *out)
{
    size_t n = strlen(text);
    if (n == 0 || n > SEQ_DIGITS_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
    }
    *out = strtoll(text, NULL, 10);
    return true;
}

void api_stream(struct lu_req *req)
{
    const char *header = req_header(req, "Last-Event-ID");
    const char *since = req_query(req, "since");
    int64_t after = STREAM_FROM_HEAD;
    if (header != NULL && header[0] != '\0') {
        if (!seq_parse(header, &after)) {
            reply_error(req, 400, "invalid_field",
                        "Last-Event-ID must be the id (a sequence number) of an event",
                        "Last-Event-ID");
            return;
        }
    } else if (since != NULL) {
        if (!seq_parse(since, &after)) {
            reply_error(req, 400, "invalid_field",
                        "since must be a sequence number (the id of an event), such as 42",
                        "since");
            return;
        }
    }
    stream_open(req, after);
}
