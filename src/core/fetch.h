/*
 * fetch.h — a bounded HTTP GET through libcurl, for start-up fetches such as
 * a JWKS URL. Every call has a timeout and a size cap.
 */
#ifndef LU_FETCH_H
#define LU_FETCH_H

#include <stddef.h>

#include "core/rc.h"

/* GETs url; on a 2xx answer *body (owned: free) holds at most cap bytes plus
 * a NUL. LU_UNAVAILABLE on network errors, timeouts or non-2xx; LU_TOO_LARGE
 * past cap. */
enum lu_rc fetch_get(const char *url, long timeout_ms, size_t cap, char **body, size_t *len);

#endif
