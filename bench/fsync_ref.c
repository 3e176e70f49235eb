/*
 * fsync_ref.c — the single-fsync reference of bench/run: one SQLite commit
 * per row in WAL mode with synchronous=FULL, the same settings as Lucia's
 * embedded database (src/db/db_sqlite.c), from one thread.
 *
 * Its rate is what a durable write costs when nothing is batched: every
 * figure for a durable POST is printed as a multiple of it. It only writes
 * to the file named on its command line and stops after a bounded number
 * of rows or seconds, whichever comes first.
 *
 *   fsync_ref FILE SECONDS ROWS_MAX
 * prints: "commits N seconds S rate R p50_ms A p95_ms B p99_ms C"
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROWS_LIMIT 10000000L

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int run(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "fsync_ref: %s: %s\n", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: fsync_ref FILE SECONDS ROWS_MAX\n");
        return 2;
    }
    double seconds = strtod(argv[2], NULL);
    long rows_max = strtol(argv[3], NULL, 10);
    if (seconds <= 0 || seconds > 600 || rows_max < 1 || rows_max > ROWS_LIMIT) {
        fprintf(stderr, "fsync_ref: SECONDS in (0, 600], ROWS_MAX in [1, %ld]\n", ROWS_LIMIT);
        return 2;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
        fprintf(stderr, "fsync_ref: cannot open %s\n", argv[1]);
        return 1;
    }
    sqlite3_stmt *st = NULL;
    if (run(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)") ||
        sqlite3_prepare_v2(db, "INSERT INTO t (body) VALUES (?)", -1, &st, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return 1;
    }
    double *lat = malloc((size_t)rows_max * sizeof *lat);
    if (lat == NULL) {
        return 1;
    }
    static const char body[] = "{\"kind\":\"task\",\"title\":\"a row the size of a small "
                               "record, committed on its own\",\"priority\":\"normal\"}";
    double start = now_ms();
    double deadline = start + seconds * 1000.0;
    long n = 0;
    while (n < rows_max && now_ms() < deadline) {
        double t0 = now_ms();
        if (run(db, "BEGIN IMMEDIATE")) {
            break;
        }
        sqlite3_bind_text(st, 1, body, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE || run(db, "COMMIT")) {
            fprintf(stderr, "fsync_ref: insert failed: %s\n", sqlite3_errmsg(db));
            break;
        }
        sqlite3_reset(st);
        lat[n++] = now_ms() - t0;
    }
    double elapsed_s = (now_ms() - start) / 1000.0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (n == 0) {
        free(lat);
        return 1;
    }
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
    printf("commits %ld seconds %.2f rate %.1f p50_ms %.3f p95_ms %.3f p99_ms %.3f\n", n, elapsed_s,
           (double)n / elapsed_s, lat[n / 2], lat[(size_t)((double)n * 0.95)],
           lat[(size_t)((double)n * 0.99)]);
    free(lat);
    return 0;
}
