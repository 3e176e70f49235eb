/*
 * backup_schedule.c — optional scheduled backups while serving (backup.h):
 * every LUCIA_BACKUP_EVERY seconds a thread writes
 * LUCIA_BACKUP_DIR/lucia-YYYYMMDDTHHMMSSZ.db (SQLite) or .dump (pg_dump -Fc)
 * and keeps the newest LUCIA_BACKUP_KEEP of them. Started and stopped by
 * main.c (`lucia serve`); the copies themselves are backup.c's.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "ops/backup.h"

static struct {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool running;
    bool stop;
    const struct lu_config *cfg;
    const char *dir;
    long every_s;
    long keep;
} sched = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Deletes the oldest lucia-* backups beyond keep; names sort by time. */
static void rotate(const char *suffix)
{
    DIR *d = opendir(sched.dir);
    if (d == NULL) {
        return;
    }
    char *names[BACKUP_SCHEDULE_FILES_MAX];
    size_t n = 0;
    size_t suffix_len = strlen(suffix);
    for (struct dirent *e; n < BACKUP_SCHEDULE_FILES_MAX && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "lucia-", 6) == 0 && len > suffix_len &&
            strcmp(e->d_name + len - suffix_len, suffix) == 0 &&
            (names[n] = strdup(e->d_name)) != NULL) {
            n++;
        }
    }
    closedir(d);
    qsort(names, n, sizeof names[0], name_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i + (size_t)sched.keep < n) {
            char path[4096];
            if (snprintf(path, sizeof path, "%s/%s", sched.dir, names[i]) < (int)sizeof path &&
                remove(path) == 0) {
                log_msg(LOG_INFO, NULL, "scheduled backup: removed the old %s", names[i]);
            }
        }
        free(names[i]);
    }
}

static void backup_once(void)
{
    char stamp[32], path[4096], err[512] = "";
    time_t now = (time_t)clock_now_s();
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    bool pg = sched.cfg->database_url != NULL;
    const char *suffix = pg ? ".dump" : ".db";
    if (snprintf(path, sizeof path, "%s/lucia-%s%s", sched.dir, stamp, suffix) >=
        (int)sizeof path) {
        log_msg(LOG_ERROR, NULL, "scheduled backup: LUCIA_BACKUP_DIR is too long");
        return;
    }
    enum lu_rc rc = pg ? backup_pg(sched.cfg->database_url, path, err, sizeof err)
                       : backup_sqlite(sched.cfg->db_path, path, err, sizeof err);
    if (rc != LU_OK) {
        log_msg(LOG_ERROR, NULL, "scheduled backup failed: %s", err);
        return;
    }
    log_msg(LOG_INFO, NULL, "scheduled backup written to %s", path);
    rotate(suffix);
}

static void *run(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sched.lock);
    while (!sched.stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += sched.every_s;
        while (!sched.stop && pthread_cond_timedwait(&sched.wake, &sched.lock, &until) == 0) {
        }
        if (sched.stop) {
            break;
        }
        pthread_mutex_unlock(&sched.lock);
        backup_once(); /* without the lock, so stop never waits on a wait */
        pthread_mutex_lock(&sched.lock);
    }
    pthread_mutex_unlock(&sched.lock);
    return NULL;
}

static bool long_var(const char *name, long lo, long hi, long fallback, long *out, char *err,
                     size_t cap)
{
    const char *v = getenv(name);
    *out = fallback;
    if (v == NULL || v[0] == '\0') {
        return true;
    }
    char *end = NULL;
    long x = strtol(v, &end, 10);
    if (end == v || *end != '\0' || x < lo || x > hi) {
        snprintf(err, cap, "%s must be a whole number from %ld to %ld", name, lo, hi);
        return false;
    }
    *out = x;
    return true;
}

enum lu_rc backup_schedule_start(const struct lu_config *cfg, char *err, size_t cap)
{
    sched.dir = getenv("LUCIA_BACKUP_DIR");
    if (sched.dir == NULL || sched.dir[0] == '\0') {
        return LU_OK; /* scheduled backups are off */
    }
    if (!long_var("LUCIA_BACKUP_EVERY", BACKUP_EVERY_S_MIN, BACKUP_EVERY_S_MAX, 86400,
                  &sched.every_s, err, cap) ||
        !long_var("LUCIA_BACKUP_KEEP", 1, BACKUP_SCHEDULE_FILES_MAX, 7, &sched.keep, err, cap)) {
        return LU_INVALID;
    }
    struct stat st;
    if (stat(sched.dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, cap, "LUCIA_BACKUP_DIR %s is not a directory", sched.dir);
        return LU_INVALID;
    }
    sched.cfg = cfg;
    sched.stop = false;
    if (pthread_create(&sched.thread, NULL, run, NULL) != 0) {
        snprintf(err, cap, "cannot start the backup thread");
        return LU_NOMEM;
    }
    sched.running = true;
    log_msg(LOG_INFO, NULL, "scheduled backups every %ld s into %s, keeping %ld", sched.every_s,
            sched.dir, sched.keep);
    return LU_OK;
}

void backup_schedule_stop(void)
{
    if (!sched.running) {
        return;
    }
    pthread_mutex_lock(&sched.lock);
    sched.stop = true;
    pthread_cond_signal(&sched.wake);
    pthread_mutex_unlock(&sched.lock);
    pthread_join(sched.thread, NULL);
    sched.running = false;
}
