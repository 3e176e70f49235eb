/*
 * assert.h — always-on assertions for our own bugs.
 *
 * LU_ASSERT stays on in release builds: a broken invariant in code that holds
 * bookings and ledger entries must stop the process, not limp on. Operating
 * errors (bad input, a dependency down) are never asserted; they are codes.
 */
#ifndef LU_ASSERT_H
#define LU_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

#define LU_ASSERT(cond)                                                                    \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "{\"level\":\"fatal\",\"message\":\"assertion failed: %s\","    \
                            "\"file\":\"%s\",\"line\":%d}\n",                              \
                    #cond, __FILE__, __LINE__);                                            \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

#endif
