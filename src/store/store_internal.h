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

/* Writes "column IN (?,?,…)" (or 1=1 / 1=0) into sql and appends the ids to
 * params. */
enum lu_rc scope_clause(const struct scope *scope, const char *column, char *sql, size_t cap,
                        struct db_param *params, size_t *nparams, size_t params_cap);

#endif
