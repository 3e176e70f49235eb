/*
 * events.h — the change stream read from the audit log (SPEC §5,
 * /api/stream). Every audit event is one change; its seq is the stream's
 * global sequence. Called by the stream (http/stream.c) only; it never
 * writes.
 *
 * The reader relies on seq being handed out in commit order, so that once
 * seq N is visible every seq below N is committed (or rolled back for
 * good). SQLite has one writer at a time, so this holds; a PostgreSQL
 * driver must take the audit_head row lock before inserting the event.
 */
#ifndef LU_EVENTS_H
#define LU_EVENTS_H

#include <jansson.h>
#include <stdint.h>

#include "core/rc.h"
#include "db/db.h"
#include "store/store.h"

/* Seqs one read may walk past, visible or not. A caller scoped to one
 * property in a busy log would otherwise scan the whole log in one read;
 * with this window a read costs at most this many rows of the seq index. */
#define EVENTS_SCAN_SEQS 10000

/* One read of the stream. */
struct event_batch {
    json_t *events;     /* owned array, oldest first, of {seq, at, action, entity_type,
                           entity_id, property_id, data}; data is `after`, or `before`
                           when after is null */
    int64_t next_after; /* every seq up to this one was examined: read on from here */
    int64_t head;       /* the newest seq in the log when this read began */
};

/* The newest seq in the log; 0 when the log is empty. */
enum lu_rc store_events_head(struct db_conn *conn, int64_t *seq);

/* Reads up to limit events after seq `after` that scope (borrowed) may see,
 * within EVENTS_SCAN_SEQS seqs. On LU_OK out->events is owned by the caller
 * (json_decref); events beyond limit or the window are left for the next
 * read from out->next_after. */
enum lu_rc store_events_read(struct db_conn *conn, const struct scope *scope, int64_t after,
                             int limit, struct event_batch *out);

#endif
