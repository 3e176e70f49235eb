/*
 * validate.c — body validation (see validate.h).
 */
#include "http/validate.h"

#include <stdio.h>
#include <string.h>

static const struct field_spec *spec_find(const struct field_spec *specs, size_t n,
                                          const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(specs[i].name, name) == 0) {
            return &specs[i];
        }
    }
    return NULL;
}

static bool fail(struct validation_error *err, const char *code, const char *field,
                 const char *message)
{
    err->code = code;
    err->field = field;
    snprintf(err->message, sizeof err->message, "%s", message);
    return false;
}

static bool check_value(const struct field_spec *s, const json_t *v, struct validation_error *err)
{
    char fallback[160];
    const char *hint = s->hint;
    if (hint == NULL) {
        snprintf(fallback, sizeof fallback, "%s has an invalid value", s->name);
        hint = fallback;
    }
    if (json_is_null(v)) {
        return s->nullable ? true : fail(err, "invalid_field", s->name, hint);
    }
    switch (s->type) {
    case F_STRING: {
        if (!json_is_string(v)) {
            return fail(err, "invalid_field", s->name, hint);
        }
        const char *str = json_string_value(v);
        size_t len = json_string_length(v);
        if (len != strlen(str) || len < s->min_len || (s->max_len && len > s->max_len) ||
            !text_clean(str) || (s->check && !s->check(str))) {
            return fail(err, "invalid_field", s->name, hint);
        }
        return true;
    }
    case F_INT: {
        if (!json_is_integer(v)) {
            return fail(err, "invalid_field", s->name, hint);
        }
        json_int_t i = json_integer_value(v);
        if (i < s->min || i > s->max) {
            return fail(err, "invalid_field", s->name, hint);
        }
        return true;
    }
    case F_BOOL: return json_is_boolean(v) ? true : fail(err, "invalid_field", s->name, hint);
    }
    return fail(err, "invalid_field", s->name, hint);
}

bool validate_body(const json_t *body, const struct field_spec *specs, size_t n, bool patch,
                   struct validation_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        const struct field_spec *s = spec_find(specs, n, key);
        if (s == NULL) {
            char msg[200];
            snprintf(msg, sizeof msg, "unknown field %.100s", key);
            /* The field name is the caller's own text; it lives as long as body. */
            return fail(err, "unknown_field", key, msg);
        }
        if (!check_value(s, v, err)) {
            return false;
        }
    }
    if (patch) {
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        if (specs[i].required && json_object_get(body, specs[i].name) == NULL) {
            char msg[160];
            snprintf(msg, sizeof msg, "%s is required", specs[i].name);
            return fail(err, "invalid_field", specs[i].name, msg);
        }
    }
    return true;
}

size_t json_depth(const json_t *v)
{
    size_t deepest = 0;
    if (json_is_object(v)) {
        const char *key;
        json_t *child;
        json_object_foreach((json_t *)v, key, child)
        {
            size_t d = json_depth(child);
            deepest = d > deepest ? d : deepest;
        }
        return deepest + 1;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child)
        {
            size_t d = json_depth(child);
            deepest = d > deepest ? d : deepest;
        }
        return deepest + 1;
    }
    return 0;
}

bool text_clean(const char *s)
{
    /* jansson has already rejected invalid UTF-8; what is left to refuse is
     * control characters that have no place in a name or a note. */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f) {
            return false;
        }
    }
    return true;
}
