/*
 * audit.c — GET /api/audit (SPEC §5): the append-only audit log, filtered by
 * ?entity_id= and ?since=, paged by ?limit= and ?after=<seq>. Any verified
 * caller may read it, but only the events of properties it can see. There
 * is deliberately no other verb: the log changes only through the writes it
 * records.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/clock.h"
#include "store/audit_read.h"

/* Ids from other systems (Stripe's, say) may be longer than ours. */
#define AUDIT_ENTITY_ID_BYTES_MAX 255

/* 9999-12-31T23:59:59Z: the stored form has four-digit years, so a later
 * `since` would not compare as text. */
#define AUDIT_SINCE_S_MAX INT64_C(253402300799)

/* ?after= is the seq from a previous page's "next". */
static bool after_parse(struct lu_req *req, const char *after, int64_t *seq)
{
    *seq = 0;
    if (after == NULL) {
        return true;
    }
    bool ok = strlen(after) <= 18;
    for (const char *p = after; ok && *p; p++) {
        ok = *p >= '0' && *p <= '9';
    }
    if (!ok) {
        reply_error(req, 400, "invalid_field", "after must be the next value of a previous page",
                    "after");
        return false;
    }
    *seq = strtoll(after, NULL, 10);
    return true;
}

/* Normalises ?since= to the stored "YYYY-MM-DDTHH:MM:SSZ" so that text
 * comparison is time comparison. Fractions of a second are dropped: events
 * are stamped to the second. */
static bool since_parse(struct lu_req *req, char out[RFC3339_BYTES], const char **since)
{
    *since = NULL;
    const char *s = req_query(req, "since");
    if (s == NULL) {
        return true;
    }
    int64_t t = 0;
    if (!clock_parse_rfc3339(s, &t) || t > AUDIT_SINCE_S_MAX) {
        reply_error(req, 400, "invalid_field",
                    "since must be an RFC 3339 time such as 2026-11-23T17:05:00Z", "since");
        return false;
    }
    clock_format_utc(t, out);
    *since = out;
    return true;
}

static bool entity_parse(struct lu_req *req, const char **entity_id)
{
    *entity_id = req_query(req, "entity_id");
    if (*entity_id != NULL &&
        ((*entity_id)[0] == '\0' || strlen(*entity_id) > AUDIT_ENTITY_ID_BYTES_MAX)) {
        reply_error(req, 400, "invalid_field", "entity_id must be a record id", "entity_id");
        return false;
    }
    return true;
}

void api_audit_list(struct lu_req *req)
{
    int limit;
    const char *after;
    int64_t after_seq;
    char since_buf[RFC3339_BYTES];
    struct audit_filter filter;
    if (!req_list_params(req, &limit, &after) || !after_parse(req, after, &after_seq) ||
        !since_parse(req, since_buf, &filter.since) || !entity_parse(req, &filter.entity_id)) {
        return;
    }
    struct db_conn *conn = api_db(req);
    if (conn == NULL) {
        return;
    }
    struct scope scope;
    api_scope(req, &scope);
    struct page page;
    enum lu_rc rc = store_audit_list(conn, &scope, &filter, limit, after_seq, &page);
    api_db_done(conn);
    if (rc != LU_OK) {
        reply_rc(req, rc);
        return;
    }
    reply_json(req, 200, page_to_json(&page));
}
