/*
 * audit.h — the append-only, hash-chained audit log (SPEC §5). Every write
 * appends one event in the same transaction as the change it records; the
 * event's seq is also the change stream's global sequence (/api/stream).
 *
 * hash = SHA-256 (hex) over the length-prefixed fields
 *   prev_hash, id, at, actor, action, entity_type, entity_id, property_id,
 *   before_json, after_json
 * each written as "<decimal byte length>:<bytes>" (NULL as "-"), so no
 * field's content can be shifted into another. The first event's prev_hash
 * is AUDIT_GENESIS. audit_head holds the newest seq and hash.
 */
#ifndef LU_AUDIT_H
#define LU_AUDIT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "core/rc.h"
#include "db/db.h"

#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
#define AUDIT_HASH_HEX 65

struct audit_entry {
    const char *actor;       /* principal sub, "service", or "intake:twilio" */
    const char *action;      /* "<entity_type>.<verb>": "item.created", "booking.transitioned" */
    const char *entity_type; /* "property", "guest", "booking", "item", ... */
    const char *entity_id;
    const char *property_id; /* may be NULL */
    const json_t *before;    /* may be NULL (creation) */
    const json_t *after;     /* may be NULL (deletion) */
};

/* Appends e inside the caller's open write transaction. *seq_out (may be
 * NULL) receives the event's sequence number. */
enum lu_rc audit_append(struct db_conn *conn, const struct audit_entry *e, int64_t *seq_out);

/* The hash of one event from its stored text fields (NULL = absent). */
void audit_hash(const char *prev_hash, const char *id, const char *at, const char *actor,
                const char *action, const char *entity_type, const char *entity_id,
                const char *property_id, const char *before_json, const char *after_json,
                char out[AUDIT_HASH_HEX]);

#endif
