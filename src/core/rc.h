/*
 * rc.h — the result codes every module returns for expected failures.
 *
 * Bad input, a bad signature, a conflict or a dependency that is down are
 * operating conditions, not bugs: they travel as enum lu_rc with results in
 * OUT parameters. Only the HTTP reply code (src/http/reply.c) turns a code
 * into a status. Our own bugs are not codes: they stop the process through
 * LU_ASSERT (core/assert.h).
 */
#ifndef LU_RC_H
#define LU_RC_H

enum lu_rc {
    LU_OK = 0,
    LU_INVALID,      /* input failed validation; the caller says which field */
    LU_NOT_FOUND,    /* no such record, or not visible to the caller */
    LU_CONFLICT,     /* a uniqueness or concurrent-update conflict */
    LU_STALE,        /* If-Match named a version that is no longer current */
    LU_UNAUTHORIZED, /* no credentials, or credentials that do not verify */
    LU_FORBIDDEN,    /* verified, but the role may not do this */
    LU_TOO_LARGE,    /* a limit from core/limits.h was hit */
    LU_UNAVAILABLE,  /* a dependency is down or busy; nothing was written */
    LU_NOMEM,        /* allocation failed; treated like unavailable */
    LU_IO,           /* a file or socket operation failed */
};

/* A short, stable lower-case name for logs ("not_found"); never NULL. */
const char *lu_rc_name(enum lu_rc rc);

#endif
