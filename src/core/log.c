/*
 * log.c — JSON log lines on stderr (see log.h).
 *
 * Lines are built with jansson so every string is escaped, and written with
 * one write(2) each so lines from different threads never interleave.
 */
#include "core/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static enum lu_log_level log_min = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

bool log_level_set(const char *name)
{
    for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            log_min = (enum lu_log_level)i;
            return true;
        }
    }
    return false;
}

bool log_enabled(enum lu_log_level level)
{
    return level >= log_min;
}

static void now_rfc3339_ms(char *out, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%.19s.%03dZ", date, (int)(ts.tv_nsec / 1000000L) % 1000);
}

static void emit(json_t *line)
{
    char *text = json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(line);
    if (text == NULL) {
        return;
    }
    size_t len = strlen(text);
    char *framed = malloc(len + 2);
    if (framed != NULL) {
        memcpy(framed, text, len);
        framed[len] = '\n';
        /* A short write to stderr is not worth a retry loop: the line is lost,
         * the request is not. */
        (void)!write(STDERR_FILENO, framed, len + 1);
        free(framed);
    }
    free(text);
}

static json_t *line_new(enum lu_log_level level, const char *message)
{
    char when[40];
    now_rfc3339_ms(when, sizeof when);
    return json_pack("{s:s, s:s, s:s}", "time", when, "level", level_names[level], "message",
                     message);
}

void log_msg(enum lu_log_level level, const char *request_id, const char *fmt, ...)
{
    if (!log_enabled(level)) {
        return;
    }
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    json_t *line = line_new(level, message);
    if (line == NULL) {
        return;
    }
    if (request_id != NULL) {
        json_object_set_new(line, "request_id", json_string(request_id));
    }
    emit(line);
}

void log_request(const char *request_id, const char *method, const char *route, int status,
                 double duration_ms)
{
    enum lu_log_level level = status >= 500 ? LOG_ERROR : LOG_INFO;
    if (!log_enabled(level)) {
        return;
    }
    json_t *line = line_new(level, "request");
    if (line == NULL) {
        return;
    }
    json_object_set_new(line, "request_id", json_string(request_id ? request_id : ""));
    json_object_set_new(line, "method", json_string(method));
    json_object_set_new(line, "route", json_string(route));
    json_object_set_new(line, "status", json_integer(status));
    json_object_set_new(line, "duration_ms", json_real(duration_ms));
    emit(line);
}
