/*
 * migrate.h — schema migrations, embedded in the binary, tracked in
 * `schema_migrations` (SPEC §9: `lucia migrate up|down [N]|status`).
 *
 * Each migration is sql/<dialect>/NNNN_name.up.sql with a matching
 * .down.sql, applied in its own transaction together with its
 * schema_migrations row, so a failed migration leaves nothing behind.
 */
#ifndef LU_MIGRATE_H
#define LU_MIGRATE_H

#include <stdio.h>

#include "core/rc.h"
#include "db/db.h"

/* Applies every pending migration in order. *applied (may be NULL) counts
 * them. On failure err names the migration. */
enum lu_rc migrate_up(struct db *db, int *applied, char *err, size_t err_cap);

/* Reverts the newest n applied migrations. */
enum lu_rc migrate_down(struct db *db, int n, int *reverted, char *err, size_t err_cap);

/* Writes one line per known migration: version, name, applied time or
 * "pending". *pending (may be NULL) counts those not applied. */
enum lu_rc migrate_status(struct db *db, FILE *out, int *pending, char *err, size_t err_cap);

#endif
