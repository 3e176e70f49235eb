/*
 * store.h — the domain's queries, portable SQL over db.h. One file per
 * resource; records come back as jansson objects shaped as the API shows
 * them. The store knows nothing of HTTP: it returns lu_rc codes
 * (LU_NOT_FOUND, LU_STALE, LU_CONFLICT, LU_UNAVAILABLE) and the reply code
 * turns them into statuses.
 */
#ifndef LU_STORE_H
#define LU_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/rc.h"
#include "db/db.h"

/* Which properties a caller may see. Records elsewhere are "not found". */
struct scope {
    bool all;
    const char *const *property_ids; /* borrowed */
    size_t n;
};

/* A page of a list: data (owned array), and the cursor for the next page. */
struct page {
    json_t *data;
    bool has_more;
    char next[64];
};

/* No If-Match header. */
#define VERSION_ANY (-1)

/* Builds {"data":[…],"has_more":…,"next":…}; takes page->data. */
json_t *page_to_json(struct page *page);

/* --- properties ------------------------------------------------------- */

/* Write functions run inside the caller's write transaction (api_write_*),
 * append their audit event, and never commit themselves. actor is
 * borrowed. */
enum lu_rc store_property_create(struct db_conn *conn, const char *actor, const char *name,
                                 const char *time_zone, json_t **out);
enum lu_rc store_property_get(struct db_conn *conn, const struct scope *scope, const char *id,
                              json_t **out);
enum lu_rc store_property_list(struct db_conn *conn, const struct scope *scope, int limit,
                               const char *after, struct page *out);
/* Applies the validated fields of changes (name, time_zone). expected is an
 * If-Match version or VERSION_ANY. An empty change returns the record as it
 * is, version unchanged. */
enum lu_rc store_property_update(struct db_conn *conn, const char *actor,
                                 const struct scope *scope, const char *id, const json_t *changes,
                                 int64_t expected, json_t **out);

#endif
