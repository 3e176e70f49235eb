/*
 * common.c — helpers shared by the store's resource files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "http/json_out.h"
#include "store/store.h"
#include "store/store_internal.h"

json_t *page_to_json(struct page *page)
{
    if (page->text != NULL) {
        json_t *body = json_loadb(page->text, page->text_len, 0, NULL);
        free(page->text);
        page->text = NULL;
        return body;
    }
    json_t *data = page->data ? page->data : json_array();
    page->data = NULL;
    return json_pack("{s:o, s:b, s:s?}", "data", data, "has_more", page->has_more, "next",
                     page->has_more ? page->next : NULL);
}

/* The index in rows of the i-th listed column, or -1: usually i itself,
 * as the SELECT lists the columns in the same order. */
static int column_index(const struct db_rows *rows, const struct column *cols, size_t i)
{
    if (i < rows->ncols && strcmp(rows->names[i], cols[i].name) == 0) {
        return (int)i;
    }
    return db_rows_col(rows, cols[i].name);
}

json_t *row_to_json(const struct db_rows *rows, size_t row, const struct column *cols, size_t n)
{
    json_t *obj = json_object();
    if (obj == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        int c = column_index(rows, cols, i);
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

/* How a page writes its columns: each one's index in the rows (or -1: it
 * reads as null) and its key, written once per page: "name": */
struct page_columns {
    const struct column *cols;
    size_t n;
    int idx[PAGE_COLUMNS_MAX];
    size_t key_at[PAGE_COLUMNS_MAX + 1]; /* key i is keys.buf[key_at[i] .. key_at[i + 1]) */
    struct json_out keys;
};

/* One row as row_to_json's object would be dumped: the listed columns in
 * order, typed the same way. */
static void row_write(struct json_out *o, const struct db_rows *rows, size_t row,
                      const struct page_columns *pc)
{
    json_out_literal(o, "{");
    for (size_t i = 0; i < pc->n; i++) {
        if (i > 0) {
            json_out_literal(o, ",");
        }
        json_out_raw(o, pc->keys.buf + pc->key_at[i], pc->key_at[i + 1] - pc->key_at[i]);
        const char *v = pc->idx[i] >= 0 ? db_rows_text(rows, row, (size_t)pc->idx[i]) : NULL;
        if (v == NULL) {
            json_out_literal(o, "null");
        } else if (pc->cols[i].type == COL_INT) {
            json_out_int(o, strtoll(v, NULL, 10));
        } else if (pc->cols[i].type == COL_BOOL) {
            if (strtoll(v, NULL, 10) != 0) {
                json_out_literal(o, "true");
            } else {
                json_out_literal(o, "false");
            }
        } else {
            json_out_string(o, v, strlen(v));
        }
    }
    json_out_literal(o, "}");
}

enum lu_rc rows_write_page(const struct db_rows *rows, int limit, const struct column *cols,
                           size_t n, struct page *out)
{
    memset(out, 0, sizeof *out);
    LU_ASSERT(n <= PAGE_COLUMNS_MAX);
    struct page_columns pc = {.cols = cols, .n = n, .keys = JSON_OUT_INIT};
    for (size_t i = 0; i < n; i++) {
        pc.idx[i] = column_index(rows, cols, i);
        pc.key_at[i] = pc.keys.len;
        json_out_string(&pc.keys, cols[i].name, strlen(cols[i].name));
        json_out_literal(&pc.keys, ":");
    }
    pc.key_at[n] = pc.keys.len;
    size_t shown = rows->nrows > (size_t)limit ? (size_t)limit : rows->nrows;
    struct json_out o = JSON_OUT_INIT;
    json_out_literal(&o, "{\"data\":[");
    for (size_t r = 0; r < shown && !pc.keys.failed; r++) {
        if (r > 0) {
            json_out_literal(&o, ",");
        }
        row_write(&o, rows, r, &pc);
    }
    o.failed = o.failed || pc.keys.failed;
    free(pc.keys.buf);
    out->has_more = rows->nrows > (size_t)limit;
    if (out->has_more) {
        int c = db_rows_col(rows, "id");
        snprintf(out->next, sizeof out->next, "%s", db_rows_text(rows, shown - 1, (size_t)c));
        json_out_literal(&o, "],\"has_more\":true,\"next\":");
        json_out_string(&o, out->next, strlen(out->next));
        json_out_literal(&o, "}");
    } else {
        json_out_literal(&o, "],\"has_more\":false,\"next\":null}");
    }
    out->text = json_out_finish(&o, &out->text_len);
    return out->text != NULL ? LU_OK : LU_NOMEM;
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
