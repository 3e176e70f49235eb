/*
 * fuzz_common.h — small helpers shared by the libFuzzer drivers in this
 * directory: a NUL-terminated copy of the input, and splitting it in two at
 * the first newline. Drivers only; nothing in src/ includes this.
 */
#ifndef LU_FUZZ_COMMON_H
#define LU_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A NUL-terminated copy of data (owned: free). NULL when out of memory. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s != NULL) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

/* Splits data at its first '\n': *head is a NUL-terminated copy of what is
 * before it (owned: free), *rest and *rest_len what follows (borrowed).
 * Without a newline, head is all of data and rest is empty. */
static inline char *fuzz_split(const uint8_t *data, size_t size, const uint8_t **rest,
                               size_t *rest_len)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t head_len = nl != NULL ? (size_t)(nl - data) : size;
    *rest = nl != NULL ? nl + 1 : data + size;
    *rest_len = size - head_len - (nl != NULL ? 1 : 0);
    return fuzz_strndup(data, head_len);
}

#endif
