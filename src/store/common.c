/*
 * common.c — helpers shared by the store's resource files.
 */
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/store_internal.h"

json_t *page_to_json(struct page *page)
{
    json_t *data = page->data ? page->data : json_array();
    page->data = NULL;
    return json_pack("{s:o, s:b, s:s?}", "data", data, "has_more", page->has_more, "next",
                     page->has_more ? page->next : NULL);
}

json_t *row_to_json(const struct db_rows *rows, size_t row, const struct column *cols, size_t n)
{
    json_t *obj = json_object();
    if (obj == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        int c = db_rows_col(rows, cols[i].name);
        const char *v = c >= 0 ? db_rows_text(rows, row, (size_t)c) : NULL;
        json_t *value = NULL;
        if (v == NULL) {
            value = json_null();
        } else if (cols[i].type == COL_INT) {
            value = json_integer(db_rows_int(rows, row, (size_t)c));
        } else if (cols[i].type == COL_BOOL) {
            value = json_boolean(db_rows_int(rows, row, (size_t)c) != 0);
        } else {
            value = json_string(v);
        }
        if (value == NULL || json_object_set_new(obj, cols[i].name, value) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

enum lu_rc rows_to_page(struct db_rows *rows, int limit, const struct column *cols, size_t n,
                        struct page *out)
{
    memset(out, 0, sizeof *out);
    out->data = json_array();
    if (out->data == NULL) {
        return LU_NOMEM;
    }
    size_t shown = rows->nrows > (size_t)limit ? (size_t)limit : rows->nrows;
    for (size_t r = 0; r < shown; r++) {
        json_t *obj = row_to_json(rows, r, cols, n);
        if (obj == NULL || json_array_append_new(out->data, obj) != 0) {
            json_decref(out->data);
            out->data = NULL;
            return LU_NOMEM;
        }
    }
    out->has_more = rows->nrows > (size_t)limit;
    if (out->has_more) {
        int c = db_rows_col(rows, "id");
        snprintf(out->next, sizeof out->next, "%s", db_rows_text(rows, shown - 1, (size_t)c));
    }
    return LU_OK;
}

enum lu_rc scope_clause(const struct scope *scope, const char *column, char *sql, size_t cap,
                        struct db_param *params, size_t *nparams, size_t params_cap)
{
    if (scope->all) {
        snprintf(sql, cap, "1=1");
        return LU_OK;
    }
    if (scope->n == 0) {
        snprintf(sql, cap, "1=0");
        return LU_OK;
    }
    if (*nparams + scope->n > params_cap) {
        return LU_TOO_LARGE;
    }
    size_t len = (size_t)snprintf(sql, cap, "%s IN (", column);
    for (size_t i = 0; i < scope->n && len < cap; i++) {
        len += (size_t)snprintf(sql + len, cap - len, "%s?", i ? "," : "");
        params[(*nparams)++] = P_TEXT(scope->property_ids[i]);
    }
    if (len + 2 > cap) {
        return LU_TOO_LARGE;
    }
    snprintf(sql + len, cap - len, ")");
    return LU_OK;
}
