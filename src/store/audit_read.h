/*
 * audit_read.h — reading the audit log back (SPEC §5 `/api/audit`).
 *
 * Appending lives in audit.h and checking the chain in audit_verify.h; this
 * file only lists events. It never writes: the log is append-only, and the
 * API offers no verb but GET on it. Events of every entity type are listed
 * alike (properties, guests, bookings, items, payments, ...), so nothing
 * here may assume which resources exist.
 */
#ifndef LU_AUDIT_READ_H
#define LU_AUDIT_READ_H

#include <stdint.h>

#include "core/rc.h"
#include "db/db.h"
#include "store/store.h"

/* Optional filters; NULL means "any". Strings are borrowed. */
struct audit_filter {
    const char *entity_id;
    /* RFC 3339 UTC in the stored form "YYYY-MM-DDTHH:MM:SSZ" (the caller
     * normalises it): events at or after this time. */
    const char *since;
};

/* One page of events, oldest first (by seq), after seq after_seq (0 for the
 * first page). Only events whose property_id is in scope are listed; with
 * scope->all, events without a property are listed too. Each event is
 *   {"id","seq","at","actor","action","entity_type","entity_id",
 *    "property_id","before","after","prev_hash","hash"}
 * with before and after as parsed JSON (null when absent). On LU_OK *out
 * is filled (page_to_json takes its data) and out->next is the seq of the
 * last event shown, as decimal text. limit is 1..LIST_LIMIT_MAX. */
enum lu_rc store_audit_list(struct db_conn *conn, const struct scope *scope,
                            const struct audit_filter *filter, int limit, int64_t after_seq,
                            struct page *out);

#endif
