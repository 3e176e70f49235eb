/*
 * crash.h — crash reports (SPEC §9): a fatal-signal handler that writes a
 * small report to disk, and at the next start the sending of those reports
 * through sentry.h (level fatal), each removed once the collector took it.
 *
 * main.c calls crash_start after sentry_start; server.c calls
 * crash_debug_route for every request. The handler only uses
 * async-signal-safe calls (openat, write, backtrace_symbols_fd, raise).
 *
 * Test route: only when LUCIA_ENV=development and LUCIA_TEST_CRASH_ROUTE=1
 * (config.c refuses that variable in any other environment),
 * GET /debug/crash raises SIGSEGV and GET /debug/500 answers a 500.
 */
#ifndef LU_CRASH_H
#define LU_CRASH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "core/rc.h"

struct lu_req;

/* Most crash files sent at one start; older ones wait for the next. */
#define CRASH_FILES_MAX 16

/* Largest crash file read back, in bytes. */
#define CRASH_FILE_BYTES_MAX (64 * 1024)

/* Frames written by the handler. */
#define CRASH_FRAMES_MAX 64

/*
 * Picks the crash directory (LUCIA_CRASH_DIR, else "crash" beside the SQLite
 * file, else ./var/crash), creates it, queues pending reports to sentry (when
 * enabled) and installs the handler. LU_UNAVAILABLE (sentence in err) when
 * LUCIA_CRASH_DIR cannot be created or opened; a default directory that
 * cannot be made only logs a warning and leaves crash reports off.
 */
enum lu_rc crash_start(const struct lu_config *cfg, char *err, size_t cap);

/* The chosen directory, "" before crash_start. */
const char *crash_dir(void);

/* Handles the development-only test routes; true when it answered. */
bool crash_debug_route(struct lu_req *req);

#endif
