/*
 * embedded.h — files compiled into the binary by tools/embed.c: the SQL
 * migrations (sql/<dialect>/NNNN_name.up.sql / .down.sql) and the static
 * pages. The table ends with a NULL name.
 */
#ifndef LU_EMBEDDED_H
#define LU_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
    const char *name; /* path as in the source tree, e.g. "sql/sqlite/0001_init.up.sql" */
    const unsigned char *data; /* NUL-terminated */
    size_t len;
};

extern const struct embedded_file embedded_files[];
extern const size_t embedded_files_count;

/* The file named exactly name, or NULL. */
const struct embedded_file *embedded_find(const char *name);

#endif
