/*
 * static.h — the operator admin's static files (SPEC §1, §4), served from
 * the table that tools/embed.c compiles into the binary (core/embedded.h):
 * `GET /` is admin/index.html, `GET /guest` is the guest chat page
 * admin/guest/index.html (SPEC §8b; its assets are /static/guest/<file>),
 * `GET /static/<file>` and `GET /static/<dir>/<file>` are admin/<file> and
 * admin/<dir>/<file>.
 *
 * Public (no token): these files hold no data, only the page that asks for
 * a token. Every answer, the 404 included, carries the page's security
 * headers (a Content-Security-Policy without inline script, frame-ancestors
 * 'none', Referrer-Policy, X-Frame-Options; server.c adds nosniff), an
 * ETag of the content and `Cache-Control: no-cache`, so a browser
 * revalidates with If-None-Match and gets a 304 until the binary changes.
 * Only names made of [A-Za-z0-9._-] segments that do not start with a dot
 * are looked up, and only under admin/: nothing is read from disk.
 */
#ifndef LU_STATIC_H
#define LU_STATIC_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

/* The longest embedded name looked up ("admin/<dir>/<file>"). */
#define STATIC_NAME_BYTES_MAX 160

/* Route handlers: "/", "/guest" and "/static/{file}" or
 * "/static/{dir}/{file}". */
void http_static_index(struct lu_req *req);
void http_static_guest(struct lu_req *req);
void http_static_asset(struct lu_req *req);

/* Answers req with the embedded file `name` (borrowed, e.g.
 * "admin/index.html"), or 404 when there is none or its type is unknown,
 * with the security headers above. For other static pages (the guest page)
 * that want the same treatment. */
void http_static_serve(struct lu_req *req, const char *name);

/* The Content-Type for a file name by its extension, or NULL when the
 * extension is not one Lucia serves. */
const char *http_static_content_type(const char *name);

/* True when segment may be part of a served name: 1..64 bytes of
 * [A-Za-z0-9._-], not starting with a dot (so never "." or ".."). */
bool http_static_segment_ok(const char *segment);

/* True when an If-None-Match header value (borrowed; a list, W/ prefixes
 * and "*" allowed) names etag (a quoted entity tag). */
bool http_static_etag_matches(const char *if_none_match, const char *etag);

#endif
