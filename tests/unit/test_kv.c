/*
 * test_kv.c — the key-value store (src/kv/) against a REAL redis-server
 * this test starts on a free loopback port in a temp dir and stops by PID:
 * REDIS_URL parsing, the in-process rate table, sessions (save, load,
 * expiry, the table behind Redis), prefix isolation, rate limits shared by
 * two stores, the idempotency cache, AUTH/SELECT and unix sockets, and
 * outages: Redis killed (calls fail fast, health degraded, then recovery
 * after the backoff) and Redis frozen (a session written meanwhile is not
 * shadowed by the stale Redis copy once it thaws).
 *
 * Without redis-server on PATH the whole group fails with a message saying
 * how to install it: a silent skip would let the Redis path go untested.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/limits.h"
#include "core/log.h"
#include "db/db.h"
#include "db/migrate.h"
#include "kv/kv.h"
#include "kv/kv_internal.h"

/* Bounds on waiting for servers: generous for a loaded CI machine. */
#define REDIS_START_WAIT_MS 10000
#define RECOVERY_WAIT_MS (3 * KV_REDIS_BACKOFF_MAX_MS)

struct redis_proc {
    pid_t pid;
    int port;
    char password[32]; /* "" for none */
    char sock[160];
};

static char tmp_dir[64];
static struct db *db;
static struct redis_proc main_redis;
static int prefix_serial;

/* ---- helpers: processes and raw Redis ----------------------------------- */

static bool on_path(const char *name)
{
    const char *path = getenv("PATH");
    char dir[512];
    for (const char *p = path ? path : ""; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(dir, sizeof dir, "%.*s/%s", (int)n, p, name);
        if (access(dir, X_OK) == 0) {
            return true;
        }
        p += n + (p[n] == ':');
    }
    return false;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        fail_msg("cannot find a free port: %s", strerror(errno));
    }
    close(fd);
    return ntohs(a.sin_port);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A raw connection for checking what the store wrote (NULL when down). */
static redisContext *raw_connect(const struct redis_proc *r)
{
    struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", r->port, tv);
    if (c == NULL || c->err) {
        if (c) {
            redisFree(c);
        }
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (r->password[0]) {
        redisReply *a = redisCommand(c, "AUTH %s", r->password);
        freeReplyObject(a);
    }
    return c;
}

/* One command on a fresh raw connection; the reply is owned by the caller. */
static redisReply *raw(const struct redis_proc *r, const char *fmt, ...)
{
    redisContext *c = raw_connect(r);
    assert_non_null(c);
    va_list ap;
    va_start(ap, fmt);
    redisReply *reply = redisvCommand(c, fmt, ap);
    va_end(ap);
    redisFree(c);
    assert_non_null(reply);
    return reply;
}

static bool pings(const struct redis_proc *r)
{
    redisContext *c = raw_connect(r);
    if (c == NULL) {
        return false;
    }
    redisReply *reply = redisCommand(c, "PING");
    bool ok = reply && reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "PONG") == 0;
    freeReplyObject(reply);
    redisFree(c);
    return ok;
}

/* Starts redis-server on r->port (chosen when 0), waiting until it answers
 * PING. Fails the test clearly when it cannot. */
static void redis_start(struct redis_proc *r)
{
    if (!on_path("redis-server")) {
        fail_msg("redis-server is not installed (on PATH); the Redis tests need a real server: "
                 "apt-get install -y redis-server (scripts/deps.sh does)");
    }
    if (r->port == 0) {
        r->port = free_port();
    }
    char port[16];
    char log_path[192];
    snprintf(port, sizeof port, "%d", r->port);
    snprintf(log_path, sizeof log_path, "%s/redis-%d.log", tmp_dir, r->port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        const char *argv[24] = {
            "redis-server", "--port", port,    "--bind", "127.0.0.1",   "--save", "",
            "--appendonly", "no",     "--dir", tmp_dir,  "--daemonize", "no"};
        int n = 13;
        if (r->sock[0]) {
            argv[n++] = "--unixsocket";
            argv[n++] = r->sock;
            argv[n++] = "--unixsocketperm";
            argv[n++] = "700";
        }
        if (r->password[0]) {
            argv[n++] = "--requirepass";
            argv[n++] = r->password;
        }
        argv[n] = NULL;
        execvp("redis-server", (char *const *)argv);
        _exit(127);
    }
    r->pid = pid;
    for (int waited = 0; waited < REDIS_START_WAIT_MS; waited += 25) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            r->pid = 0;
            fail_msg("redis-server exited during start (status %d); see %s", status, log_path);
        }
        if (pings(r)) {
            return;
        }
        sleep_ms(25);
    }
    fail_msg("redis-server on port %d did not answer PING in %d ms", r->port, REDIS_START_WAIT_MS);
}

static void redis_stop(struct redis_proc *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
}

/* ---- helpers: stores ------------------------------------------------------ */

static struct kv *open_kv(const char *url, char *prefix_out)
{
    char prefix[48];
    snprintf(prefix, sizeof prefix, "t%d:", ++prefix_serial);
    if (prefix_out) {
        snprintf(prefix_out, 48, "%s", prefix); /* callers pass char[48] */
    }
    struct kv_options opt = {.redis_url = url, .prefix = prefix, .pool_size = 4};
    struct kv *kv = NULL;
    char err[256] = "";
    if (kv_open(&opt, db, &kv, err, sizeof err) != LU_OK) {
        fail_msg("kv_open failed: %s", err);
    }
    return kv;
}

static struct kv *open_main(char *prefix_out)
{
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", main_redis.port);
    return open_kv(url, prefix_out);
}

static void wait_health(struct kv *kv, enum kv_health want)
{
    double deadline = clock_mono_ms() + RECOVERY_WAIT_MS;
    while (kv_health(kv) != want) {
        if (clock_mono_ms() > deadline) {
            fail_msg("kv health did not become %s within %d ms", kv_health_name(want),
                     RECOVERY_WAIT_MS);
        }
        sleep_ms(50);
    }
}

static json_t *state_of(const char *route, int n)
{
    return json_pack("{s:s, s:i, s:b}", "last_route", route, "n", n, "distress", n % 2);
}

static void assert_state(struct kv *kv, const char *id, const char *route, int n)
{
    json_t *got = NULL;
    enum lu_rc rc = session_load(kv, id, &got);
    if (rc != LU_OK) {
        fail_msg("session_load(%s) = %s, want ok", id, lu_rc_name(rc));
    }
    assert_string_equal(json_string_value(json_object_get(got, "last_route")), route);
    assert_int_equal(json_integer_value(json_object_get(got, "n")), n);
    json_decref(got);
}

static int64_t table_rows(const char *id)
{
    struct db_conn *conn = db_acquire(db);
    assert_non_null(conn);
    struct db_param p[] = {P_TEXT(id)};
    struct db_rows *rows = NULL;
    assert_int_equal(db_exec(conn, "SELECT count(*) FROM sessions WHERE id = ?", p, 1, &rows, NULL),
                     LU_OK);
    int64_t n = db_rows_int(rows, 0, 0);
    db_rows_free(rows);
    db_release(conn);
    return n;
}

/* ---- REDIS_URL --------------------------------------------------------------- */

static void test_url_parse(void **unused)
{
    (void)unused;
    struct redis_target t;
    char err[512];
    assert_int_equal(kv_redis_url_parse("redis://127.0.0.1", &t, err, sizeof err), LU_OK);
    assert_string_equal(t.host, "127.0.0.1");
    assert_int_equal(t.port, 6379);
    assert_int_equal(t.db, 0);
    assert_false(t.unix_socket);

    assert_int_equal(
        kv_redis_url_parse("redis://:p%40ss:w0rd@cache.internal:6380/3", &t, err, sizeof err),
        LU_OK);
    assert_string_equal(t.host, "cache.internal");
    assert_int_equal(t.port, 6380);
    assert_int_equal(t.db, 3);
    assert_string_equal(t.user, "");
    assert_string_equal(t.password, "p@ss:w0rd");
    assert_null(strstr(t.display, "w0rd"));
    assert_string_equal(t.display, "redis://cache.internal:6380/3");

    assert_int_equal(kv_redis_url_parse("redis://lucia:hunter2@[::1]:7000/", &t, err, sizeof err),
                     LU_OK);
    assert_string_equal(t.host, "::1");
    assert_int_equal(t.port, 7000);
    assert_string_equal(t.user, "lucia");
    assert_string_equal(t.password, "hunter2");
    assert_string_equal(t.display, "redis://[::1]:7000/0");

    assert_int_equal(kv_redis_url_parse("redis://bare@h", &t, err, sizeof err), LU_OK);
    assert_string_equal(t.password, "bare");
    assert_string_equal(t.user, "");

    assert_int_equal(kv_redis_url_parse("unix:///run/redis/r.sock?db=2", &t, err, sizeof err),
                     LU_OK);
    assert_true(t.unix_socket);
    assert_string_equal(t.path, "/run/redis/r.sock");
    assert_int_equal(t.db, 2);
    assert_int_equal(kv_redis_url_parse("unix://:pw@/tmp/r.sock", &t, err, sizeof err), LU_OK);
    assert_string_equal(t.password, "pw");
    assert_string_equal(t.path, "/tmp/r.sock");

    assert_int_equal(kv_redis_url_parse("rediss://:topsecret@h:6380", &t, err, sizeof err),
                     LU_INVALID);
    assert_non_null(strstr(err, "TLS"));
    assert_null(strstr(err, "topsecret"));
    assert_string_equal(t.password, "");

    static const char *const bad[] = {
        "http://h",
        "redis://",
        "redis://:pw@",
        "redis://h:0",
        "redis://h:65536",
        "redis://h:12x",
        "redis://h/db",
        "redis://h?db=1",
        "redis://[::1",
        "redis://[::1]x",
        "redis://:%zz@h",
        "redis://:%4@h",
        "unix://",
        "unix://relative.sock",
        "unix:///s?password=x",
        "redis://h/-1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (kv_redis_url_parse(bad[i], &t, err, sizeof err) != LU_INVALID) {
            fail_msg("accepted %s", bad[i]);
        }
        assert_non_null(strstr(err, "REDIS_URL"));
    }
    /* Credentials are never echoed, even in the refusal of a bad port. */
    assert_int_equal(kv_redis_url_parse("redis://u:sekrit@h:99999", &t, err, sizeof err),
                     LU_INVALID);
    assert_null(strstr(err, "sekrit"));
}

/* ---- the in-process rate table -------------------------------------------- */

static void test_rate_table_counts_and_evicts(void **unused)
{
    (void)unused;
    struct rate_table *t = rate_table_new(3);
    assert_non_null(t);
    assert_int_equal(rate_table_hit(t, "a", 60, 100), 1);
    assert_int_equal(rate_table_hit(t, "a", 60, 100), 2);
    assert_int_equal(rate_table_hit(t, "a", 10, 100), 1); /* another window length */
    assert_int_equal(rate_table_hit(t, "b", 60, 100), 1);
    assert_int_equal(rate_table_size(t), 3);
    /* "a"/60 is hit again, so "a"/10 is now the least recently hit. */
    assert_int_equal(rate_table_hit(t, "a", 60, 100), 3);
    assert_int_equal(rate_table_hit(t, "c", 60, 100), 1);
    assert_int_equal(rate_table_size(t), 3);
    assert_int_equal(rate_table_hit(t, "a", 60, 100), 4); /* kept */
    assert_int_equal(rate_table_hit(t, "a", 10, 100), 1); /* evicted, counts afresh */
    assert_int_equal(rate_table_hit(t, "a", 60, 101), 1); /* a new window */
    for (int i = 0; i < 1000; i++) {
        char name[32];
        snprintf(name, sizeof name, "flood-%d", i);
        assert_int_equal(rate_table_hit(t, name, 60, 100), 1);
    }
    assert_int_equal(rate_table_size(t), 3);
    rate_table_free(t);
}

/* ---- embedded: no REDIS_URL ---------------------------------------------------- */

static void test_embedded(void **unused)
{
    (void)unused;
    struct kv *kv = open_kv(NULL, NULL);
    assert_false(kv_redis_configured(kv));
    assert_int_equal(kv_health(kv), KV_HEALTH_OK);

    json_t *s = state_of("greeting", 1);
    assert_int_equal(session_save(kv, "ses_embedded", s, 60), LU_OK);
    json_decref(s);
    assert_state(kv, "ses_embedded", "greeting", 1);
    json_t *got = NULL;
    assert_int_equal(session_load(kv, "ses_never", &got), LU_NOT_FOUND);
    assert_null(got);
    assert_int_equal(session_load(kv, "bad id", &got), LU_INVALID);

    bool allowed = false;
    int retry = -1;
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(rate_limit_hit(kv, "waitlist:10.0.0.1", 2, 60, &allowed, &retry), LU_OK);
        assert_int_equal(allowed, i <= 2);
        assert_true(allowed ? retry == 0 : retry >= 1 && retry <= 60);
    }
    char long_bucket[KV_RATE_BUCKET_BYTES_MAX + 2];
    memset(long_bucket, 'b', sizeof long_bucket - 1);
    long_bucket[sizeof long_bucket - 1] = '\0';
    assert_int_equal(rate_limit_hit(kv, long_bucket, 2, 60, &allowed, &retry), LU_INVALID);

    struct kv_idempotency rec;
    assert_int_equal(kv_idempotency_get(kv, "service", "k", &rec), LU_UNAVAILABLE);
    kv_free(kv);
}

/* ---- sessions with Redis --------------------------------------------------------- */

static void test_session_save_load(void **unused)
{
    (void)unused;
    char prefix[48];
    struct kv *kv = open_main(prefix);
    assert_true(kv_redis_configured(kv));
    assert_int_equal(kv_health(kv), KV_HEALTH_OK);

    json_t *s = state_of("distress", 7);
    assert_int_equal(session_save(kv, "ses_a", s, 600), LU_OK);
    json_decref(s);
    assert_state(kv, "ses_a", "distress", 7);

    /* Both homes hold it: Redis under the prefix, with the TTL, and the table. */
    redisReply *r = raw(&main_redis, "TTL %ssess:ses_a", prefix);
    assert_true(r->type == REDIS_REPLY_INTEGER && r->integer > 590 && r->integer <= 600);
    freeReplyObject(r);
    assert_int_equal(table_rows("ses_a"), 1);

    /* A Redis miss (it restarted empty, say) falls back to the table. */
    r = raw(&main_redis, "DEL %ssess:ses_a", prefix);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    assert_state(kv, "ses_a", "distress", 7);

    /* Redis is read first: what it holds is what a load returns. */
    r = raw(&main_redis, "SET %ssess:ses_a {\"last_route\":\"payment_risk\",\"n\":8}", prefix);
    freeReplyObject(r);
    assert_state(kv, "ses_a", "payment_risk", 8);
    /* A value that is not ours is ignored, and the table answers. */
    r = raw(&main_redis, "SET %ssess:ses_a not-json", prefix);
    freeReplyObject(r);
    assert_state(kv, "ses_a", "distress", 7);

    /* A later save replaces both. */
    s = state_of("priority_triage", 9);
    assert_int_equal(session_save(kv, "ses_a", s, 600), LU_OK);
    json_decref(s);
    assert_state(kv, "ses_a", "priority_triage", 9);
    assert_int_equal(table_rows("ses_a"), 1);

    /* Over-large state is refused and stored nowhere. */
    json_t *big = json_object();
    char *blob = malloc(KV_SESSION_STATE_BYTES_MAX + 1);
    memset(blob, 'x', KV_SESSION_STATE_BYTES_MAX);
    blob[KV_SESSION_STATE_BYTES_MAX] = '\0';
    json_object_set_new(big, "blob", json_string(blob));
    free(blob);
    assert_int_equal(session_save(kv, "ses_big", big, 600), LU_TOO_LARGE);
    json_decref(big);
    assert_int_equal(table_rows("ses_big"), 0);
    kv_free(kv);
}

static void test_session_expires(void **unused)
{
    (void)unused;
    struct kv *kv = open_main(NULL);
    json_t *s = state_of("greeting", 1);
    assert_int_equal(session_save(kv, "ses_short", s, 1), LU_OK);
    assert_int_equal(session_save(kv, "ses_long", s, 600), LU_OK);
    json_decref(s);
    assert_state(kv, "ses_short", "greeting", 1);
    sleep_ms(2200);
    json_t *got = NULL;
    /* Gone from Redis (EX) and from the table (expires_at): start fresh. */
    assert_int_equal(session_load(kv, "ses_short", &got), LU_NOT_FOUND);
    assert_null(got);
    assert_state(kv, "ses_long", "greeting", 1);
    kv_free(kv);
}

/* ---- prefix isolation ------------------------------------------------------------- */

static void test_prefix_isolation(void **unused)
{
    (void)unused;
    char pa[48];
    char pb[48];
    struct kv *a = open_main(pa);
    struct kv *b = open_main(pb);
    bool allowed = false;
    int retry = 0;
    assert_int_equal(rate_limit_hit(a, "iso", 1, 60, &allowed, &retry), LU_OK);
    assert_true(allowed);
    assert_int_equal(rate_limit_hit(a, "iso", 1, 60, &allowed, &retry), LU_OK);
    assert_false(allowed);
    /* The other prefix has its own count. */
    assert_int_equal(rate_limit_hit(b, "iso", 1, 60, &allowed, &retry), LU_OK);
    assert_true(allowed);

    struct kv_idempotency put = {.method = "POST",
                                 .path = "/api/items",
                                 .body_hash = "ab",
                                 .response = "{}",
                                 .status = 201,
                                 .created_s = clock_now_s()};
    assert_int_equal(kv_idempotency_put(a, "service", "iso-key", &put, 60), LU_OK);
    struct kv_idempotency got;
    assert_int_equal(kv_idempotency_get(b, "service", "iso-key", &got), LU_NOT_FOUND);
    assert_int_equal(kv_idempotency_get(a, "service", "iso-key", &got), LU_OK);
    kv_idempotency_free(&got);

    json_t *s = state_of("greeting", 1);
    assert_int_equal(session_save(a, "ses_iso", s, 60), LU_OK);
    json_decref(s);
    /* Every key either store wrote starts with its own prefix. */
    redisReply *r = raw(&main_redis, "KEYS %s*", pa);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 3); /* the rate window, the response, the session */
    freeReplyObject(r);
    r = raw(&main_redis, "KEYS %s*", pb);
    assert_int_equal(r->elements, 1); /* its rate window */
    assert_non_null(strstr(r->element[0]->str, ":rl:60:"));
    freeReplyObject(r);
    kv_free(a);
    kv_free(b);
}

/* ---- rate limits -------------------------------------------------------------------- */

static void test_rate_limit_shared(void **unused)
{
    (void)unused;
    char prefix[48];
    struct kv *one = open_main(prefix);
    /* A second store with the same prefix: another engine process. */
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", main_redis.port);
    struct kv_options opt = {.redis_url = url, .prefix = prefix, .pool_size = 2};
    struct kv *two = NULL;
    char err[256];
    assert_int_equal(kv_open(&opt, db, &two, err, sizeof err), LU_OK);

    bool allowed = false;
    int retry = -1;
    for (int i = 1; i <= 10; i++) {
        assert_int_equal(
            rate_limit_hit(i % 2 ? one : two, "waitlist:192.0.2.7", 10, 60, &allowed, &retry),
            LU_OK);
        assert_true(allowed);
        assert_int_equal(retry, 0);
    }
    assert_int_equal(rate_limit_hit(two, "waitlist:192.0.2.7", 10, 60, &allowed, &retry), LU_OK);
    assert_false(allowed);
    assert_true(retry >= 1 && retry <= 60);
    /* Another client is not limited. */
    assert_int_equal(rate_limit_hit(one, "waitlist:192.0.2.8", 10, 60, &allowed, &retry), LU_OK);
    assert_true(allowed);

    /* The window's key expires on its own. */
    int64_t index = clock_now_s() / 60;
    redisReply *r =
        raw(&main_redis, "TTL %srl:60:%lld:waitlist:192.0.2.7", prefix, (long long)index);
    if (r->type == REDIS_REPLY_INTEGER && r->integer == -2) {
        /* The window rolled over between the hits and this check. */
        freeReplyObject(r);
    } else {
        assert_true(r->type == REDIS_REPLY_INTEGER && r->integer >= 1 && r->integer <= 61);
        freeReplyObject(r);
    }

    /* A one-second window admits again once it has passed. */
    assert_int_equal(rate_limit_hit(one, "short", 1, 1, &allowed, &retry), LU_OK);
    assert_int_equal(rate_limit_hit(one, "short", 1, 1, &allowed, &retry), LU_OK);
    if (!allowed) {
        assert_int_equal(retry, 1);
        sleep_ms(1100);
        assert_int_equal(rate_limit_hit(one, "short", 1, 1, &allowed, &retry), LU_OK);
    }
    assert_true(allowed);
    kv_free(one);
    kv_free(two);
}

/* ---- the idempotency cache ------------------------------------------------------------- */

static void test_idempotency_cache(void **unused)
{
    (void)unused;
    char prefix[48];
    struct kv *kv = open_main(prefix);
    struct kv_idempotency got;
    assert_int_equal(kv_idempotency_get(kv, "service", "k-1", &got), LU_NOT_FOUND);
    assert_null(got.owner);

    struct kv_idempotency put = {.method = "POST",
                                 .path = "/api/items",
                                 .body_hash = "9f86d081884c7d65",
                                 .response = "{\"id\":\"itm_1\",\"title\":\"Towels \\u00e9\"}",
                                 .status = 201,
                                 .created_s = 1700000000};
    assert_int_equal(kv_idempotency_put(kv, "service", "k-1", &put, 86400), LU_OK);
    assert_int_equal(kv_idempotency_get(kv, "service", "k-1", &got), LU_OK);
    assert_string_equal(got.method, "POST");
    assert_string_equal(got.path, "/api/items");
    assert_string_equal(got.body_hash, "9f86d081884c7d65");
    assert_string_equal(got.response, put.response);
    assert_int_equal(got.status, 201);
    assert_int_equal(got.created_s, 1700000000);
    kv_idempotency_free(&got);

    /* Keys belong to their actor, and "a:b"+"c" is not "a"+"b:c". */
    assert_int_equal(kv_idempotency_get(kv, "user_2", "k-1", &got), LU_NOT_FOUND);
    assert_int_equal(kv_idempotency_put(kv, "a:b", "c", &put, 60), LU_OK);
    assert_int_equal(kv_idempotency_get(kv, "a", "b:c", &got), LU_NOT_FOUND);

    redisReply *r = raw(&main_redis, "TTL %sidem:7:service:k-1", prefix);
    assert_true(r->type == REDIS_REPLY_INTEGER && r->integer > 86000 && r->integer <= 86400);
    freeReplyObject(r);

    /* Something else under our key is a miss, not a crash or a replay. */
    r = raw(&main_redis, "SET %sidem:7:service:k-2 {\"method\":\"POST\"}", prefix);
    freeReplyObject(r);
    assert_int_equal(kv_idempotency_get(kv, "service", "k-2", &got), LU_NOT_FOUND);
    kv_free(kv);
}

/* ---- AUTH, SELECT and unix sockets ------------------------------------------------------- */

static void test_auth_select_unix(void **unused)
{
    (void)unused;
    struct redis_proc secured = {.password = "s3cr3t-pw"};
    snprintf(secured.sock, sizeof secured.sock, "%s/redis.sock", tmp_dir);
    redis_start(&secured);

    char url[256];
    snprintf(url, sizeof url, "redis://:s3cr3t-pw@127.0.0.1:%d/2", secured.port);
    char prefix[48];
    struct kv *tcp = open_kv(url, prefix);
    assert_int_equal(kv_health(tcp), KV_HEALTH_OK);
    assert_null(strstr(kv_redis_display(tcp), "s3cr3t"));
    struct kv_idempotency put = {.method = "POST",
                                 .path = "/p",
                                 .body_hash = "h",
                                 .response = "{}",
                                 .status = 200,
                                 .created_s = 1};
    assert_int_equal(kv_idempotency_put(tcp, "service", "db2", &put, 60), LU_OK);
    /* It went to database 2. */
    redisReply *r = raw(&secured, "EXISTS %sidem:7:service:db2", prefix);
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    redisContext *c = raw_connect(&secured);
    assert_non_null(c);
    r = redisCommand(c, "SELECT 2");
    freeReplyObject(r);
    r = redisCommand(c, "EXISTS %sidem:7:service:db2", prefix);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    redisFree(c);
    kv_free(tcp);

    snprintf(url, sizeof url, "unix://:s3cr3t-pw@%s?db=1", secured.sock);
    struct kv *local = open_kv(url, NULL);
    assert_int_equal(kv_health(local), KV_HEALTH_OK);
    kv_free(local);

    /* A wrong password is an unreachable Redis: degraded, never fatal. */
    snprintf(url, sizeof url, "redis://:wrong@127.0.0.1:%d", secured.port);
    struct kv *wrong = open_kv(url, NULL);
    assert_int_equal(kv_health(wrong), KV_HEALTH_DEGRADED);
    json_t *s = state_of("greeting", 3);
    assert_int_equal(session_save(wrong, "ses_wrong_pw", s, 60), LU_OK);
    json_decref(s);
    assert_state(wrong, "ses_wrong_pw", "greeting", 3);
    kv_free(wrong);
    redis_stop(&secured);
}

static void test_rediss_refused(void **unused)
{
    (void)unused;
    struct kv_options opt = {.redis_url = "rediss://:pw@h:6380", .prefix = "p:", .pool_size = 1};
    struct kv *kv = NULL;
    char err[512];
    assert_int_equal(kv_open(&opt, db, &kv, err, sizeof err), LU_INVALID);
    assert_null(kv);
    assert_non_null(strstr(err, "rediss://"));
    char prefix[KV_PREFIX_BYTES_MAX + 2];
    memset(prefix, 'p', sizeof prefix - 1);
    prefix[sizeof prefix - 1] = '\0';
    opt = (struct kv_options){.redis_url = NULL, .prefix = prefix, .pool_size = 1};
    assert_int_equal(kv_open(&opt, db, &kv, err, sizeof err), LU_INVALID);
    assert_non_null(strstr(err, "LUCIA_REDIS_PREFIX"));
}

/* ---- outages ---------------------------------------------------------------------------- */

static void test_outage_fails_fast_and_recovers(void **unused)
{
    (void)unused;
    struct kv *kv = open_main(NULL);
    json_t *s = state_of("greeting", 1);
    assert_int_equal(session_save(kv, "ses_outage", s, 600), LU_OK);
    json_decref(s);
    struct kv_idempotency put = {.method = "POST",
                                 .path = "/p",
                                 .body_hash = "h",
                                 .response = "{}",
                                 .status = 201,
                                 .created_s = 1};
    assert_int_equal(kv_idempotency_put(kv, "service", "before", &put, 60), LU_OK);

    redis_stop(&main_redis);

    /* Everything keeps answering from its fallback. */
    double start = clock_mono_ms();
    assert_int_equal(kv_health(kv), KV_HEALTH_DEGRADED);
    assert_state(kv, "ses_outage", "greeting", 1);
    s = state_of("distress", 2);
    assert_int_equal(session_save(kv, "ses_outage", s, 600), LU_OK);
    json_decref(s);
    assert_state(kv, "ses_outage", "distress", 2);
    struct kv_idempotency got;
    assert_int_equal(kv_idempotency_get(kv, "service", "before", &got), LU_UNAVAILABLE);
    bool allowed = false;
    int retry = 0;
    assert_int_equal(rate_limit_hit(kv, "down", 1, 60, &allowed, &retry), LU_OK);
    assert_true(allowed);
    assert_int_equal(rate_limit_hit(kv, "down", 1, 60, &allowed, &retry), LU_OK);
    assert_false(allowed); /* the in-process table still limits */

    /* Failing fast: a burst of calls makes at most a few connection
     * attempts (one per backoff period), the rest fail without I/O. */
    struct redis_client_stats before;
    struct redis_client_stats after;
    kv_redis_stats(kv, &before);
    for (int i = 0; i < 200; i++) {
        (void)rate_limit_hit(kv, "burst", 1000, 60, &allowed, &retry);
        (void)kv_idempotency_get(kv, "service", "before", &got);
    }
    kv_redis_stats(kv, &after);
    assert_true(after.down);
    assert_true(after.fast_failures >= before.fast_failures + 390);
    assert_true(after.connect_failures - before.connect_failures <= 10);
    /* A bound, not a measurement: 400 calls that each waited for a timeout
     * would take minutes. */
    assert_true(clock_mono_ms() - start < 10000);

    /* Back on the same port: recovered after the backoff, no restart. */
    redis_start(&main_redis);
    wait_health(kv, KV_HEALTH_OK);
    assert_state(kv, "ses_outage", "distress", 2);
    assert_int_equal(kv_idempotency_put(kv, "service", "after", &put, 60), LU_OK);
    assert_int_equal(kv_idempotency_get(kv, "service", "after", &got), LU_OK);
    kv_idempotency_free(&got);
    kv_redis_stats(kv, &after);
    assert_false(after.down);
    kv_free(kv);
}

static void test_frozen_redis_leaves_no_stale_copy(void **unused)
{
    (void)unused;
    char prefix[48];
    struct kv *kv = open_main(prefix);
    json_t *s = state_of("greeting", 1);
    assert_int_equal(session_save(kv, "ses_frozen", s, 600), LU_OK);
    json_decref(s);

    /* A frozen Redis (or a partition) keeps its old copy while the table
     * gets a newer state; the first write waits out one command timeout. */
    assert_int_equal(kill(main_redis.pid, SIGSTOP), 0);
    s = state_of("distress", 2);
    assert_int_equal(session_save(kv, "ses_frozen", s, 600), LU_OK);
    json_decref(s);
    s = state_of("distress", 3);
    assert_int_equal(session_save(kv, "ses_frozen", s, 600), LU_OK);
    json_decref(s);
    assert_state(kv, "ses_frozen", "distress", 3);
    struct redis_client_stats stats;
    kv_redis_stats(kv, &stats);
    assert_true(stats.down);
    assert_int_equal(stats.stale_keys, 1);
    assert_int_equal(kv_health(kv), KV_HEALTH_DEGRADED);
    assert_int_equal(kill(main_redis.pid, SIGCONT), 0);

    /* Thawed: the stale copy is deleted on reconnect, so the newer state
     * from the table wins, and the next save reaches Redis again. */
    wait_health(kv, KV_HEALTH_OK);
    assert_state(kv, "ses_frozen", "distress", 3);
    redisReply *r = raw(&main_redis, "EXISTS %ssess:ses_frozen", prefix);
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    s = state_of("priority_triage", 4);
    assert_int_equal(session_save(kv, "ses_frozen", s, 600), LU_OK);
    json_decref(s);
    r = raw(&main_redis, "EXISTS %ssess:ses_frozen", prefix);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    assert_state(kv, "ses_frozen", "priority_triage", 4);
    kv_free(kv);
}

/* ---- fixture ------------------------------------------------------------------------------ */

static int group_setup(void **unused)
{
    (void)unused;
    signal(SIGPIPE, SIG_IGN); /* as `lucia serve` does; hiredis writes to dead sockets */
    log_level_set("warn");
    if (!on_path("redis-server")) {
        fprintf(stderr, "test_kv: redis-server is not installed (on PATH). These tests need a "
                        "real Redis: apt-get install -y redis-server (scripts/deps.sh does)\n");
        return -1;
    }
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/lucia-kv-XXXXXX");
    if (mkdtemp(tmp_dir) == NULL) {
        fprintf(stderr, "cannot make a temp dir: %s\n", strerror(errno));
        return -1;
    }
    char path[128];
    snprintf(path, sizeof path, "%s/kv.db", tmp_dir);
    /* LUCIA_TEST_DATABASE_URL runs the same tests over an empty PostgreSQL
     * database instead of a SQLite file. */
    const char *pg_url = getenv("LUCIA_TEST_DATABASE_URL");
    char err[256] = "";
    int applied = 0;
    if (db_open(pg_url ? &db_pg_driver : &db_sqlite_driver, pg_url ? pg_url : path, 4, &db, err,
                sizeof err) != LU_OK ||
        migrate_up(db, &applied, err, sizeof err) != LU_OK) {
        fprintf(stderr, "cannot open the test database: %s\n", err);
        return -1;
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static int group_teardown(void **unused)
{
    (void)unused;
    redis_stop(&main_redis);
    db_close(db);
    db = NULL;
    if (tmp_dir[0] != '\0' && nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        fprintf(stderr, "could not remove %s\n", tmp_dir);
    }
    return 0;
}

/* Each Redis test finds the shared server running (an outage test may have
 * stopped it and failed before restarting it). */
static int redis_up(void **unused)
{
    (void)unused;
    if (main_redis.pid > 0 && !pings(&main_redis)) {
        kill(main_redis.pid, SIGCONT);
        redis_stop(&main_redis);
    }
    if (main_redis.pid == 0) {
        redis_start(&main_redis);
    }
    return 0;
}

#define RT(f) cmocka_unit_test_setup(f, redis_up)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test(test_rate_table_counts_and_evicts),
        cmocka_unit_test(test_embedded),
        cmocka_unit_test(test_rediss_refused),
        RT(test_session_save_load),
        RT(test_session_expires),
        RT(test_prefix_isolation),
        RT(test_rate_limit_shared),
        RT(test_idempotency_cache),
        RT(test_auth_select_unix),
        RT(test_outage_fails_fast_and_recovers),
        RT(test_frozen_redis_leaves_no_stale_copy),
    };
    return cmocka_run_group_tests_name("kv", tests, group_setup, group_teardown);
}
