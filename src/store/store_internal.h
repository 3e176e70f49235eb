/*
 * store_internal.h — what the store's files share; nothing outside
 * src/store/ includes this.
 */
#ifndef LU_STORE_INTERNAL_H
#define LU_STORE_INTERNAL_H

#include "store/store.h"

enum column_type { COL_TEXT = 0, COL_INT, COL_BOOL };

struct column {
    const char *name;
    enum column_type type;
};

/* The row as an object with the listed columns, typed. NULL on OOM. */
json_t *row_to_json(const struct db_rows *rows, size_t row, const struct column *cols, size_t n);

/* Turns up to limit rows (of limit + 1 fetched) into a page. */
enum lu_rc rows_to_page(struct db_rows *rows, int limit, const struct column *cols, size_t n,
                        struct page *out);

/* The same page written straight from the rows into page->text, the
 * bytes reply_json would send for rows_to_page's page, without a jansson
 * object per row. At most PAGE_COLUMNS_MAX columns. */
#define PAGE_COLUMNS_MAX 48
enum lu_rc rows_write_page(const struct db_rows *rows, int limit, const struct column *cols,
                           size_t n, struct page *out);

/* Writes "column IN (?,?,…)" (or 1=1 / 1=0) into sql and appends the ids to
 * params. */
enum lu_rc scope_clause(const struct scope *scope, const char *column, char *sql, size_t cap,
                        struct db_param *params, size_t *nparams, size_t params_cap);




/*
 * A table of mutable records: id (with prefix), property_id, version,
 * created_at, updated_at, and the listed columns. The generic functions
 * below do the work every resource shares — fetch, scope check, insert,
 * optimistic update, keyset-paginated list — each write with its audit
 * event.
 */
struct table_def {
    const char *table;
    const char *id_prefix;   /* "gst_" */
    const char *entity_type; /* "guest": audit and stream */
    const struct column *cols;
    size_t ncols;
    const char *select_sql; /* "SELECT <all cols> FROM <table>" */
};

/* The record by id, ignoring scope. LU_NOT_FOUND when absent. */
enum lu_rc record_fetch(struct db_conn *conn, const struct table_def *def, const char *id,
                        json_t **out);

/* The record when its property_id is in scope; LU_NOT_FOUND otherwise. */
enum lu_rc record_visible(struct db_conn *conn, const struct table_def *def,
                          const struct scope *scope, const char *id, json_t **out);

bool scope_sees(const struct scope *scope, const char *property_id);

/* Inserts values (an object of column → JSON value; id, version and times
 * are added here), appends "<entity>.created" and returns the record. */
enum lu_rc record_insert(struct db_conn *conn, const char *actor, const struct table_def *def,
                         const json_t *values, json_t **out);

/* Sets the columns in changes on the visible record at version `expected`
 * (or its current version), bumps version, appends "<entity>.updated".
 * An empty change returns the record untouched. */
enum lu_rc record_update(struct db_conn *conn, const char *actor, const struct table_def *def,
                         const struct scope *scope, const char *id, const json_t *changes,
                         int64_t expected, json_t **out);

/* Sets one state column from `from` to `to` on the record at `version`;
 * LU_CONFLICT when it moved meanwhile. Appends "<entity>.transitioned" and
 * a transitions row. */
enum lu_rc record_transition(struct db_conn *conn, const char *actor, const struct table_def *def,
                             const char *state_column, json_t *before, const char *to,
                             const char *evidence, const char *note, json_t **out);

/* Lists visible records matching `where` (SQL over the table's columns with
 * ? placeholders, may be NULL) ordered by id, keyset-paginated. */
enum lu_rc record_list(struct db_conn *conn, const struct table_def *def,
                       const struct scope *scope, const char *where,
                       const struct db_param *params, size_t nparams, int limit,
                       const char *after, struct page *out);

/* record_list with the page written straight from the rows into
 * page->text (rows_write_page): for lists the caller only sends. */
enum lu_rc record_list_text(struct db_conn *conn, const struct table_def *def,
                            const struct scope *scope, const char *where,
                            const struct db_param *params, size_t nparams, int limit,
                            const char *after, struct page *out);

/* The db parameter for a JSON scalar (string, integer, boolean, null). */
struct db_param json_param(const json_t *v);

/* Search patterns built from ?q= are cut at this length. */
#define NAME_PATTERN_BYTES 256

extern const struct table_def guest_table;
extern const struct table_def booking_table;
extern const struct table_def item_table;

#endif
