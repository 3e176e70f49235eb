/*
 * outbox.c — GET /api/outbox (SPEC §7): the outbox's rows, newest last,
 * with state, attempts, provider id and last error, and which channels have
 * a provider configured (a channel without one keeps its rows queued).
 * Owners and the service key only: the rows span every property and the
 * waitlist, whose addresses belong to no property. Payloads are never
 * shown (a verification email holds its link until sent).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "api/checks.h"
#include "outbox/outbox.h"
#include "store/outbox.h"

static bool check_state(const char *s)
{
    return strcmp(s, "queued") == 0 || strcmp(s, "sending") == 0 || strcmp(s, "sent") == 0 ||
           strcmp(s, "failed") == 0;
}

static bool check_channel(const char *s)
{
    return strcmp(s, "email") == 0 || strcmp(s, "sms") == 0 || strcmp(s, "whatsapp") == 0;
}

void api_outbox_list(struct lu_req *req)
{
    struct outbox_filter f = {0};
    int limit;
    const char *after;
    if (!api_query_checked(req, "state", check_state, &f.state) ||
        !api_query_checked(req, "channel", check_channel, &f.channel) ||
        !api_query_checked(req, "kind", check_id, &f.kind) ||
        !req_list_params(req, &limit, &after)) {
        return;
    }
    struct db_conn *conn = api_db(req);
    if (conn == NULL) {
        return;
    }
    struct page page;
    enum lu_rc rc = store_outbox_list(conn, &f, limit, after, &page);
    api_db_done(conn);
    if (rc != LU_OK) {
        reply_rc(req, rc);
        return;
    }
    json_t *body = page_to_json(&page);
    json_t *channels = outbox_channels_json(&req->app->cfg);
    if (body == NULL || channels == NULL) {
        json_decref(body);
        json_decref(channels);
        reply_rc(req, LU_NOMEM);
        return;
    }
    json_object_set_new(body, "channels", channels);
    reply_json(req, 200, body);
}

char *api_outbox_metrics_append(struct lu_req *req, char *text, size_t *len)
{
    /* Read when scraped, not kept in the process: the rows are shared by
     * every process, and a scrape is rare next to the work it counts. */
    static const char *const states[] = {"queued", "sending", "sent", "failed"};
    int64_t counts[4];
    struct db_conn *conn = db_acquire(req->app->db);
    enum lu_rc rc = conn ? store_outbox_counts(conn, counts) : LU_UNAVAILABLE;
    if (conn != NULL) {
        db_release(conn);
    }
    if (rc != LU_OK) {
        return text; /* the rest of the metrics still answer */
    }
    char lines[512];
    size_t n = (size_t)snprintf(lines, sizeof lines,
                                "# HELP lucia_outbox_rows Outbox rows by state, all processes.\n"
                                "# TYPE lucia_outbox_rows gauge\n");
    for (size_t i = 0; i < 4 && n < sizeof lines; i++) {
        n += (size_t)snprintf(lines + n, sizeof lines - n, "lucia_outbox_rows{state=\"%s\"} %lld\n",
                              states[i], (long long)counts[i]);
    }
    if (n >= sizeof lines) {
        return text;
    }
    char *grown = realloc(text, *len + n + 1);
    if (grown == NULL) {
        return text;
    }
    memcpy(grown + *len, lines, n + 1);
    *len += n;
    return grown;
}
