/*
 * audit_verify.h — checking the audit chain end to end (SPEC §5,
 * `lucia audit verify`).
 *
 * The walk recomputes every event's hash with audit_hash() (audit.h), checks
 * that each prev_hash is the hash of the row before it (AUDIT_GENESIS for
 * the first), and that audit_head names the last row. What each failure
 * means:
 *   hash mismatch      the row's content was edited after it was written;
 *   prev_hash mismatch a row before it was removed, or rows were reordered;
 *   head mismatch      rows were removed from (or added to) the end.
 * It reads in batches of AUDIT_VERIFY_BATCH_ROWS inside one read
 * transaction, so memory stays flat on any log and a server writing at the
 * same time does not disturb the snapshot. It never writes.
 */
#ifndef LU_AUDIT_VERIFY_H
#define LU_AUDIT_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/rc.h"
#include "db/db.h"

/* Rows read per query: large enough that the walk is a few hundred queries
 * for a million events, small enough that a batch is a few MiB at most. */
#define AUDIT_VERIFY_BATCH_ROWS 1000

/* What the walk found. */
struct audit_verify_report {
    bool ok;
    int64_t events;   /* rows checked, up to and including the first bad one */
    int64_t bad_seq;  /* the first bad row; for a head mismatch the last row
                         present (0 when the log is empty) */
    char bad_id[128]; /* that row's id, "" when none */
    /* One line for the operator, no newline:
     * "audit chain ok: N events" or
     * "audit chain broken at seq S (aud_…): <what is wrong>". */
    char message[512];
};

/* Walks the whole chain of db. LU_OK when the walk completed, whether or not
 * the chain is intact (see out->ok); otherwise the database error
 * (LU_UNAVAILABLE, LU_IO, ...) and out->message says what failed. out is
 * always written. */
enum lu_rc audit_chain_verify(struct db *db, struct audit_verify_report *out);

#endif
