/*
 * rc.c — names of result codes for log lines.
 */
#include "core/rc.h"

const char *lu_rc_name(enum lu_rc rc)
{
    switch (rc) {
    case LU_OK: return "ok";
    case LU_INVALID: return "invalid";
    case LU_NOT_FOUND: return "not_found";
    case LU_CONFLICT: return "conflict";
    case LU_STALE: return "stale";
    case LU_UNAUTHORIZED: return "unauthorized";
    case LU_FORBIDDEN: return "forbidden";
    case LU_TOO_LARGE: return "too_large";
    case LU_UNAVAILABLE: return "unavailable";
    case LU_NOMEM: return "nomem";
    case LU_IO: return "io";
    }
    return "unknown";
}
