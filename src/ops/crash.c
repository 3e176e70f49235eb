/*
 * crash.c — fatal-signal reports written to disk and sent at next start
 * (see crash.h).
 *
 * Everything the handler needs is prepared at start: the directory fd, the
 * file name, the version line, an alternate stack (a stack overflow is a
 * SIGSEGV too) and one warm-up backtrace() call so libgcc is already loaded
 * (its first call may malloc, which a handler must not).
 */
#include "ops/crash.h"

#include <dirent.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/log.h"
#include "http/request.h"
#include "ops/sentry.h"

#define CRASH_ALT_STACK_BYTES (64 * 1024)

static const struct lu_config *g_cfg;
static char g_dir[512];
static int g_dir_fd = -1;
static char g_name[64];
static char g_alt_stack[CRASH_ALT_STACK_BYTES];
static const int g_signals[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
#define CRASH_SIGNALS (sizeof g_signals / sizeof g_signals[0])
/* The handlers we replaced (the default, or a sanitizer's), put back before
 * the signal is delivered again so they still run: ASan's report survives. */
static struct sigaction g_previous[CRASH_SIGNALS];

const char *crash_dir(void)
{
    return g_dir;
}

/* Writes a decimal into fd without stdio (async-signal-safe). */
static void write_number(int fd, long long v)
{
    char buf[24];
    size_t i = sizeof buf;
    bool negative = v < 0;
    unsigned long long u = negative ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        buf[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0 && i > 1);
    if (negative) {
        buf[--i] = '-';
    }
    ssize_t w = write(fd, buf + i, sizeof buf - i);
    (void)w; /* nothing more a dying process can do */
}

static void write_text(int fd, const char *s)
{
    ssize_t w = write(fd, s, strlen(s));
    (void)w;
}

static void on_fatal(int sig, siginfo_t *info, void *context)
{
    (void)context;
    int saved = errno;
    int fd = openat(g_dir_fd, g_name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        write_text(fd, "signal ");
        write_number(fd, sig);
        write_text(fd, "\ntime ");
        write_number(fd, (long long)ts.tv_sec);
        write_text(fd, "\nversion " LU_VERSION "\n");
        void *frames[CRASH_FRAMES_MAX];
        int n = backtrace(frames, CRASH_FRAMES_MAX);
        backtrace_symbols_fd(frames, n, fd);
        close(fd);
    }
    errno = saved;
    /* Put the previous action back (SIG_DFL, or a sanitizer's handler). A
     * fault (si_code > 0) happens again when we return; a signal that was
     * sent (raise, abort, kill) must be sent again. */
    for (size_t i = 0; i < CRASH_SIGNALS; i++) {
        if (g_signals[i] == sig) {
            (void)sigaction(sig, &g_previous[i], NULL);
        }
    }
    if (info == NULL || info->si_code <= 0) {
        raise(sig);
    }
}

static void handler_install(void)
{
    stack_t ss = {.ss_sp = g_alt_stack, .ss_size = sizeof g_alt_stack};
    (void)sigaltstack(&ss, NULL); /* without it only stack overflows go unreported */
    void *warm[2];
    (void)backtrace(warm, 2);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < CRASH_SIGNALS; i++) {
        if (sigaction(g_signals[i], &sa, &g_previous[i]) != 0) {
            g_previous[i].sa_handler = SIG_DFL;
        }
    }
}

static void dir_choose(const struct lu_config *cfg)
{
    if (cfg->crash_dir != NULL) {
        snprintf(g_dir, sizeof g_dir, "%s", cfg->crash_dir);
        return;
    }
    const char *slash = cfg->database_url == NULL ? strrchr(cfg->db_path, '/') : NULL;
    if (slash != NULL) {
        snprintf(g_dir, sizeof g_dir, "%.*s/crash", (int)(slash - cfg->db_path), cfg->db_path);
    } else {
        snprintf(g_dir, sizeof g_dir, "./var/crash");
    }
}

/* mkdir -p for path (at most a few levels deep; each must be ours to make). */
static bool mkdir_parents(const char *path)
{
    char buf[sizeof g_dir];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
                return false;
            }
            *p = '/';
        }
    }
    return mkdir(buf, 0700) == 0 || errno == EEXIST;
}

/* One pending report as a fatal event; NULL when unreadable. */
static json_t *report_event(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return NULL;
    }
    char *lines[CRASH_FRAMES_MAX];
    size_t nlines = 0;
    char line[1024];
    long sig = 0;
    long long when = 0;
    size_t total = 0;
    while (fgets(line, sizeof line, f) != NULL && total < CRASH_FILE_BYTES_MAX) {
        total += strlen(line);
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "signal ", 7) == 0) {
            sig = strtol(line + 7, NULL, 10);
        } else if (strncmp(line, "time ", 5) == 0) {
            when = strtoll(line + 5, NULL, 10);
        } else if (strncmp(line, "version ", 8) == 0) {
            continue;
        } else if (nlines < CRASH_FRAMES_MAX) {
            lines[nlines] = strdup(line);
            nlines += lines[nlines] != NULL;
        }
    }
    fclose(f);
    char message[96];
    snprintf(message, sizeof message, "fatal signal %ld (%s)", sig, strsignal((int)sig));
    json_t *event =
        json_pack("{s:s,s:s,s:s,s:{s:s,s:I}}", "level", "fatal", "message", message, "transaction",
                  "crash", "tags", "request_id", "", "crashed_at", (json_int_t)when);
    if (event != NULL) {
        sentry_event_frames(event, lines, nlines);
    }
    for (size_t i = 0; i < nlines; i++) {
        free(lines[i]);
    }
    return event;
}

/* True for the name of a crash report this module wrote. */
static bool report_name(const char *name)
{
    size_t n = strlen(name);
    return strncmp(name, "crash-", 6) == 0 && n >= 5 && strcmp(name + n - 4, ".txt") == 0;
}

/* Without Sentry nobody would hear of earlier crashes: say how many
 * reports wait in the directory (they stay until a DSN is configured). */
static void pending_warn(void)
{
    DIR *d = opendir(g_dir);
    if (d == NULL) {
        return;
    }
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < CRASH_FILES_MAX) {
        n += report_name(e->d_name);
    }
    closedir(d);
    if (n > 0) {
        log_msg(LOG_WARN, NULL,
                "%s%zu crash report%s from earlier runs wait in %s; set SENTRY_DSN to send them",
                n >= CRASH_FILES_MAX ? "at least " : "", n, n == 1 ? "" : "s", g_dir);
    }
}

static void pending_send(void)
{
    DIR *d = opendir(g_dir);
    if (d == NULL) {
        return;
    }
    size_t sent = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && sent < CRASH_FILES_MAX) {
        if (!report_name(e->d_name)) {
            continue;
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", g_dir, e->d_name);
        json_t *event = report_event(path);
        if (event != NULL && sentry_event_queue(event, path)) {
            sent++;
        }
    }
    closedir(d);
}

enum lu_rc crash_start(const struct lu_config *cfg, char *err, size_t cap)
{
    LU_ASSERT(cfg != NULL);
    g_cfg = cfg;
    dir_choose(cfg);
    g_dir_fd = mkdir_parents(g_dir) ? open(g_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (g_dir_fd < 0) {
        /* A directory the operator named must work; the default one is only
         * a convenience, and a read-only image should still serve. */
        if (cfg->crash_dir != NULL) {
            snprintf(err, cap, "cannot create or open LUCIA_CRASH_DIR %s", g_dir);
            return LU_UNAVAILABLE;
        }
        log_msg(LOG_WARN, NULL, "crash reports are off: cannot create %s (set LUCIA_CRASH_DIR)",
                g_dir);
        return LU_OK;
    }
    if (sentry_enabled()) {
        pending_send();
    } else {
        pending_warn();
    }
    snprintf(g_name, sizeof g_name, "crash-%lld-%ld.txt", (long long)time(NULL), (long)getpid());
    handler_install();
    return LU_OK;
}

bool crash_debug_route(struct lu_req *req)
{
    if (g_cfg == NULL || !g_cfg->test_crash_route || g_cfg->env != ENV_DEVELOPMENT) {
        return false;
    }
    if (strcmp(req->path, "/debug/crash") == 0) {
        raise(SIGSEGV);
        return true; /* not reached: the handler re-raises with the default action */
    }
    if (strcmp(req->path, "/debug/500") == 0) {
        reply_error(req, 500, "internal", "deliberate test failure", NULL);
        return true;
    }
    return false;
}
