/*
 * static.c — the admin's embedded static files (see static.h).
 *
 * Called by the router for GET (and HEAD) of "/", "/guest", "/static/{file}"
 * and "/static/{dir}/{file}". It must never touch the disk, never serve an
 * embedded file outside admin/ (the SQL migrations live in the same table),
 * and never answer without the security headers: the page is where a token
 * is typed, so it must not be framed, must not run injected inline script
 * and must not leak its address to other sites.
 */
#include "http/static.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/assert.h"
#include "core/embedded.h"

#define STATIC_DIR "admin/"
#define STATIC_SEGMENT_BYTES_MAX 64
_Static_assert(STATIC_NAME_BYTES_MAX > sizeof STATIC_DIR + 2 * STATIC_SEGMENT_BYTES_MAX + 1,
               "admin/<dir>/<file> with the longest segments must fit");

/* The page loads its scripts, styles and data from this origin only; no
 * inline script or style, no plugins, no framing, no <base> games, and
 * forms post only here. img-src allows data: for small inline icons. */
#define STATIC_CSP                                                                                 \
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "                \
    "img-src 'self' data:; font-src 'self'; object-src 'none'; frame-ancestors 'none'; "           \
    "base-uri 'none'; form-action 'self'"
_Static_assert(sizeof STATIC_CSP <= sizeof(((struct reply_header *)0)->value),
               "the CSP must fit a reply header value");

static const struct {
    const char *ext;
    const char *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
};

const char *http_static_content_type(const char *name)
{
    LU_ASSERT(name != NULL);
    const char *dot = strrchr(name, '.');
    const char *slash = strrchr(name, '/');
    if (dot == NULL || (slash != NULL && dot < slash)) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof content_types / sizeof content_types[0]; i++) {
        if (strcmp(dot, content_types[i].ext) == 0) {
            return content_types[i].type;
        }
    }
    return NULL;
}

bool http_static_segment_ok(const char *segment)
{
    size_t n = strlen(segment);
    if (n == 0 || n > STATIC_SEGMENT_BYTES_MAX || segment[0] == '.') {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = segment[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* One entity tag of a list: skips blanks and a weak W/ prefix, returns the
 * tag's length, and leaves *p after it (and its comma). */
static size_t next_tag(const char **p, const char **tag)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == ',') {
        s++;
    }
    if (s[0] == 'W' && s[1] == '/') {
        s += 2;
    }
    *tag = s;
    const char *end = strchr(s, ',');
    size_t n = end ? (size_t)(end - s) : strlen(s);
    *p = end ? end + 1 : s + n;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        n--;
    }
    return n;
}

bool http_static_etag_matches(const char *if_none_match, const char *etag)
{
    LU_ASSERT(etag != NULL);
    if (if_none_match == NULL) {
        return false;
    }
    size_t want = strlen(etag);
    const char *p = if_none_match;
    /* A header is at most HTTP_HEADER_BYTES_MAX, and each round consumes
     * at least one byte, so this ends; the cap only states it. */
    for (int round = 0; *p != '\0' && round < 1024; round++) {
        const char *tag = NULL;
        size_t n = next_tag(&p, &tag);
        if ((n == 1 && tag[0] == '*') || (n == want && memcmp(tag, etag, n) == 0)) {
            return true;
        }
    }
    return false;
}

/* security_headers_add's four, then ETag and Cache-Control. */
#define STATIC_REPLY_HEADERS 6
_Static_assert(STATIC_REPLY_HEADERS <= REPLY_HEADERS_MAX,
               "a static file's reply headers must fit the request's table");

static void security_headers_add(struct lu_req *req)
{
    reply_header_add(req, "Content-Security-Policy", STATIC_CSP);
    reply_header_add(req, "X-Frame-Options", "DENY");
    reply_header_add(req, "Referrer-Policy", "no-referrer");
    reply_header_add(req, "Cross-Origin-Opener-Policy", "same-origin");
}

/* FNV-1a over the content: an ETag changes when the file does, and equal
 * files in two builds keep theirs, so a new binary costs no needless
 * downloads. Not a security hash; it only has to tell versions apart. */
static void etag_of(const struct embedded_file *f, char out[24])
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < f->len; i++) {
        h ^= f->data[i];
        h *= UINT64_C(1099511628211);
    }
    snprintf(out, 24, "\"%016llx\"", (unsigned long long)h);
}

void http_static_serve(struct lu_req *req, const char *name)
{
    LU_ASSERT(req != NULL && name != NULL);
    security_headers_add(req);
    const struct embedded_file *f = embedded_find(name);
    const char *type = http_static_content_type(name);
    if (f == NULL || type == NULL || strncmp(name, STATIC_DIR, strlen(STATIC_DIR)) != 0) {
        reply_error(req, 404, "not_found", "no such file", NULL);
        return;
    }
    char etag[24];
    etag_of(f, etag);
    reply_header_add(req, "ETag", etag);
    /* no-cache is "revalidate every time": file names carry no version, so
     * a browser must ask, and the ETag makes asking cost a 304. */
    reply_header_add(req, "Cache-Control", "no-cache");
    if (http_static_etag_matches(req_header(req, "If-None-Match"), etag)) {
        reply_raw(req, 304, NULL, "", 0);
        return;
    }
    reply_raw(req, 200, type, (const char *)f->data, f->len);
}

void http_static_index(struct lu_req *req)
{
    http_static_serve(req, STATIC_DIR "index.html");
}

void http_static_guest(struct lu_req *req)
{
    http_static_serve(req, STATIC_DIR "guest/index.html");
}

void http_static_asset(struct lu_req *req)
{
    const char *dir = req_param(req, "dir");
    const char *file = req_param(req, "file");
    LU_ASSERT(file != NULL); /* the route's pattern names it */
    char name[STATIC_NAME_BYTES_MAX];
    bool ok = http_static_segment_ok(file) && (dir == NULL || http_static_segment_ok(dir));
    if (ok) {
        int n = dir ? snprintf(name, sizeof name, STATIC_DIR "%s/%s", dir, file)
                    : snprintf(name, sizeof name, STATIC_DIR "%s", file);
        ok = n > 0 && (size_t)n < sizeof name;
    }
    if (!ok) {
        security_headers_add(req);
        reply_error(req, 404, "not_found", "no such file", NULL);
        return;
    }
    http_static_serve(req, name);
}
