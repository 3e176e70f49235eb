/*
 * log.h — one JSON object a line on stderr.
 *
 * Every line carries time, level and message; request lines add the request
 * id, method, route, status and duration. The level is checked before any
 * formatting. Callers never pass secrets, signatures, raw webhook bodies or
 * guest contact details: this module cannot tell them apart from text.
 */
#ifndef LU_LOG_H
#define LU_LOG_H

#include <stdbool.h>

enum lu_log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the lowest level written. Parses "debug", "info", "warn", "error";
 * returns false (and changes nothing) for anything else. */
bool log_level_set(const char *name);

bool log_enabled(enum lu_log_level level);

/* A free-form line. request_id may be NULL. */
void log_msg(enum lu_log_level level, const char *request_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The access line written once per answered request. */
void log_request(const char *request_id, const char *method, const char *route, int status,
                 double duration_ms);

#endif
