/*
 * validate.h — declarative validation of JSON request bodies.
 *
 * A handler lists its fields once (name, type, required, bounds, checker);
 * validate_body rejects unknown fields (400 unknown_field: SPEC §3 says they
 * are rejected, not ignored), missing required ones and wrong types or
 * values (400 invalid_field), naming the field. No HTTP in here: the result
 * is a struct a handler passes to reply_error.
 */
#ifndef LU_VALIDATE_H
#define LU_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum field_type { F_STRING = 0, F_INT, F_BOOL };

struct field_spec {
    const char *name;
    enum field_type type;
    bool required;  /* on create; PATCH never requires */
    bool nullable;  /* JSON null clears the field */
    size_t min_len; /* strings, in bytes */
    size_t max_len;
    long long min; /* integers */
    long long max;
    bool (*check)(const char *value); /* extra string check, may be NULL */
    const char *hint;                 /* the message when invalid: "check_in must be YYYY-MM-DD" */
};

struct validation_error {
    const char *code; /* "invalid_field" or "unknown_field" */
    const char *field;
    char message[256];
};

/* Checks body against specs. patch=true skips the required rule and
 * requires at least... nothing: an empty PATCH is valid. False fills err. */
bool validate_body(const json_t *body, const struct field_spec *specs, size_t n, bool patch,
                   struct validation_error *err);

/* Depth of nested arrays and objects (a scalar is 0). */
size_t json_depth(const json_t *v);

/* True when s has no ASCII control characters but \t \n \r. It does not
 * check UTF-8: callers pass strings jansson has already decoded. */
bool text_clean(const char *s);

#endif
