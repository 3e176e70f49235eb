/*
 * router.c — segment-wise path matching (see router.h).
 */
#include "http/router.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/assert.h"

unsigned http_method_parse(const char *name)
{
    static const struct {
        const char *name;
        unsigned bit;
    } methods[] = {{"GET", M_GET},       {"POST", M_POST}, {"PATCH", M_PATCH},
                   {"PUT", M_PUT},       {"DELETE", M_DELETE}, {"HEAD", M_HEAD},
                   {"OPTIONS", M_OPTIONS}};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        if (strcmp(name, methods[i].name) == 0) {
            return methods[i].bit;
        }
    }
    return 0;
}

static size_t segment_len(const char *s)
{
    const char *slash = strchr(s, '/');
    return slash ? (size_t)(slash - s) : strlen(s);
}

/*
 * Walks pattern and path one segment at a time. Parameter values are copied
 * into out->buf so they are NUL-terminated; a parameter never matches an
 * empty segment.
 */
static bool match_one(const char *pattern, const char *path, size_t path_len,
                      struct route_match *out)
{
    size_t used = 0;
    out->nparams = 0;
    const char *p = pattern;
    const char *s = path;
    const char *end = path + path_len;
    while (*p == '/' && s < end && *s == '/') {
        p++;
        s++;
        size_t plen = segment_len(p);
        size_t slen = 0;
        while (s + slen < end && s[slen] != '/') {
            slen++;
        }
        if (plen > 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0 || out->nparams == ROUTE_PARAMS_MAX || used + slen + 1 > sizeof out->buf) {
                return false;
            }
            char *dst = out->buf + used;
            memcpy(dst, s, slen);
            dst[slen] = '\0';
            out->params[out->nparams] = dst;
            out->param_names[out->nparams] = p; /* "{id}...": compared by route_param */
            out->nparams++;
            used += slen + 1;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return false;
        }
        p += plen;
        s += slen;
    }
    return *p == '\0' && s == end;
}

static void allow_add(char *allow, size_t cap, unsigned methods)
{
    static const char *const names[] = {"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD",
                                        "OPTIONS"};
    for (size_t i = 0; i < 7; i++) {
        if (!(methods & (1u << i))) {
            continue;
        }
        if (strstr(allow, names[i]) != NULL) {
            continue;
        }
        size_t len = strlen(allow);
        snprintf(allow + len, cap - len, "%s%s", len ? ", " : "", names[i]);
    }
}

enum route_result router_match(const struct route *table, size_t n, const char *method,
                               const char *path, struct route_match *out)
{
    LU_ASSERT(table != NULL && method != NULL && path != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    size_t len = strlen(path);
    if (len > 1 && path[len - 1] == '/') {
        len--;
    }
    if (len == 0 || path[0] != '/') {
        return ROUTE_NOT_FOUND;
    }
    unsigned m = http_method_parse(method);
    bool path_matched = false;
    for (size_t i = 0; i < n; i++) {
        struct route_match trial = {0};
        if (!match_one(table[i].pattern, path, len, &trial)) {
            continue;
        }
        path_matched = true;
        if (m != 0 && (table[i].methods & m)) {
            *out = trial;
            /* Parameter pointers moved with the copy: rebase them. */
            for (size_t k = 0; k < out->nparams; k++) {
                out->params[k] = out->buf + (trial.params[k] - trial.buf);
            }
            out->route = &table[i];
            return ROUTE_FOUND;
        }
        allow_add(out->allow, sizeof out->allow, table[i].methods);
    }
    return path_matched ? ROUTE_METHOD_NOT_ALLOWED : ROUTE_NOT_FOUND;
}

const char *route_param(const struct route_match *m, const char *name)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i < m->nparams; i++) {
        const char *p = m->param_names[i]; /* points at "{name}" inside the pattern */
        if (strncmp(p + 1, name, nlen) == 0 && p[1 + nlen] == '}') {
            return m->params[i];
        }
    }
    return NULL;
}
