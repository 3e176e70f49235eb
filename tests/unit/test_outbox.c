/*
 * test_outbox.c — unit tests for the outbox: the retry policy (backoff with
 * jitter and its cap, Retry-After in both forms, what each answer means),
 * the scrubbing of secrets from kept errors, the emails Lucia composes, and
 * the store's claim, lease, finish and expiry on a real, migrated SQLite
 * file (the same SQL runs on PostgreSQL in the end-to-end suite).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "db_fixture.h"

#include "core/config.h"
#include "db/db.h"
#include "db/migrate.h"
#include "outbox/outbox.h"
#include "outbox/outbox_internal.h"
#include "store/outbox.h"

/* --- policy ---------------------------------------------------------------- */

static void test_backoff_doubles_from_base(void **state)
{
    (void)state;
    assert_int_equal(outbox_backoff_ms(1000, 1, 0), 1000);
    assert_int_equal(outbox_backoff_ms(1000, 2, 0), 2000);
    assert_int_equal(outbox_backoff_ms(1000, 3, 0), 4000);
    assert_int_equal(outbox_backoff_ms(1000, 8, 0), 128000);
    assert_int_equal(outbox_backoff_ms(50, 4, 0), 400);
}

static void test_backoff_jitter_adds_at_most_a_quarter(void **state)
{
    (void)state;
    assert_int_equal(outbox_backoff_ms(1000, 1, UINT32_MAX), 1249);
    assert_int_equal(outbox_backoff_ms(1000, 3, 1u << 31), 4500);
    for (uint32_t j = 0; j < 1000; j++) {
        int64_t d = outbox_backoff_ms(1000, 2, j * 4294967u);
        assert_true(d >= 2000 && d < 2500);
    }
}

static void test_backoff_caps_at_ten_minutes(void **state)
{
    (void)state;
    assert_int_equal(outbox_backoff_ms(1000, 40, 0), OUTBOX_BACKOFF_MAX_MS);
    assert_int_equal(outbox_backoff_ms(1000, 40, UINT32_MAX), OUTBOX_BACKOFF_MAX_MS);
    assert_int_equal(outbox_backoff_ms(OUTBOX_BACKOFF_MAX_MS, 1, UINT32_MAX),
                     OUTBOX_BACKOFF_MAX_MS);
    assert_int_equal(outbox_backoff_ms(400000, 2, 0), OUTBOX_BACKOFF_MAX_MS);
}

static void test_retry_after_seconds_and_dates(void **state)
{
    (void)state;
    assert_int_equal(outbox_retry_after_parse("1", 0), 1);
    assert_int_equal(outbox_retry_after_parse(" 120\r\n", 0), 120);
    assert_int_equal(outbox_retry_after_parse("0", 0), 0);
    assert_int_equal(outbox_retry_after_parse("999999999", 0), OUTBOX_RETRY_AFTER_MAX_S);
    assert_int_equal(outbox_retry_after_parse(NULL, 0), -1);
    assert_int_equal(outbox_retry_after_parse("", 0), -1);
    assert_int_equal(outbox_retry_after_parse("12abc", 0), -1);
    assert_int_equal(outbox_retry_after_parse("soon", 0), -1);
    /* Wed, 21 Oct 2015 07:28:00 GMT is 1445412480. */
    assert_int_equal(outbox_retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 30),
                     30);
    assert_int_equal(outbox_retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 + 30),
                     0);
}

static void test_classify(void **state)
{
    (void)state;
    assert_int_equal(outbox_classify(false, 200, "resend", NULL), OUTBOX_SENT);
    assert_int_equal(outbox_classify(false, 201, "twilio", NULL), OUTBOX_SENT);
    assert_int_equal(outbox_classify(true, 0, "resend", NULL), OUTBOX_RETRY);
    assert_int_equal(outbox_classify(true, 200, "resend", NULL), OUTBOX_RETRY);
    assert_int_equal(outbox_classify(false, 500, "resend", NULL), OUTBOX_RETRY);
    assert_int_equal(outbox_classify(false, 503, "twilio", NULL), OUTBOX_RETRY);
    assert_int_equal(outbox_classify(false, 429, "twilio", NULL), OUTBOX_RETRY);
    assert_int_equal(outbox_classify(false, 422, "resend", NULL), OUTBOX_FAILED);
    assert_int_equal(outbox_classify(false, 400, "twilio", NULL), OUTBOX_FAILED);
    assert_int_equal(outbox_classify(false, 401, "resend", NULL), OUTBOX_FAILED);
    assert_int_equal(outbox_classify(false, 404, "twilio", NULL), OUTBOX_FAILED);
    assert_int_equal(outbox_classify(false, 302, "twilio", NULL), OUTBOX_FAILED);
    assert_int_equal(
        outbox_classify(false, 409, "resend", "{\"name\":\"concurrent_idempotent_requests\"}"),
        OUTBOX_RETRY);
    assert_int_equal(
        outbox_classify(false, 409, "resend", "{\"name\":\"invalid_idempotent_request\"}"),
        OUTBOX_FAILED);
    assert_int_equal(outbox_classify(false, 409, "twilio", "concurrent_idempotent_requests"),
                     OUTBOX_FAILED);
}

static void test_scrub_removes_secrets_and_controls(void **state)
{
    (void)state;
    const char *secrets[] = {"re_SECRET", "tok3n", NULL};
    char out[64];
    outbox_scrub("key re_SECRET and tok3n\nend", secrets, out, sizeof out);
    assert_string_equal(out, "key [redacted] and [redacted] end");
    outbox_scrub("caf\xc3\xa9", secrets, out, sizeof out);
    assert_string_equal(out, "caf??");
    char small[8];
    outbox_scrub("re_SECRET", secrets, small, sizeof small);
    assert_string_equal(small, "[redact");
    outbox_scrub(NULL, NULL, small, sizeof small);
    assert_string_equal(small, "");
    const char *none[] = {"", NULL};
    outbox_scrub("abc", none, small, sizeof small);
    assert_string_equal(small, "abc");
}

static void test_time_format_keeps_milliseconds(void **state)
{
    (void)state;
    char t[RFC3339_BYTES];
    outbox_time_format(1445412480250LL, t);
    assert_string_equal(t, "2015-10-21T07:28:00.250Z");
    outbox_time_format(5, t);
    assert_string_equal(t, "1970-01-01T00:00:00.005Z");
}

static void test_compose(void **state)
{
    (void)state;
    json_t *welcome = outbox_welcome_payload();
    assert_non_null(welcome);
    assert_true(json_is_string(json_object_get(welcome, "subject")));
    assert_null(json_object_get(welcome, "redact"));
    json_decref(welcome);
    json_t *v = outbox_verification_payload("https://lucia.example", "tok_123", "Ana Ruiz");
    assert_non_null(v);
    const char *text = json_string_value(json_object_get(v, "text"));
    assert_non_null(strstr(text, "https://lucia.example/verify?token=tok_123\n"));
    assert_non_null(strstr(text, "Hello Ana Ruiz,"));
    assert_true(json_is_true(json_object_get(v, "redact")));
    json_decref(v);
}

static void test_channels_configured(void **state)
{
    (void)state;
    struct lu_config cfg = {0};
    const char *missing = NULL;
    assert_false(outbox_channel_configured(&cfg, "email", &missing));
    assert_string_equal(missing, "RESEND_API_KEY, LUCIA_EMAIL_FROM");
    cfg.resend_api_key = "re_x";
    cfg.email_from = "Lucia <hello@example.com>";
    assert_true(outbox_channel_configured(&cfg, "email", &missing));
    assert_null(missing);
    cfg.twilio_account_sid = "AC1";
    cfg.twilio_auth_token = "t";
    assert_false(outbox_channel_configured(&cfg, "sms", NULL));
    cfg.twilio_whatsapp_from = "+14155550000";
    assert_true(outbox_channel_configured(&cfg, "whatsapp", NULL));
    char from[64];
    outbox_twilio_sender(&cfg, "whatsapp", from, sizeof from);
    assert_string_equal(from, "whatsapp:+14155550000");
    cfg.twilio_whatsapp_from = "whatsapp:+14155550001";
    outbox_twilio_sender(&cfg, "whatsapp", from, sizeof from);
    assert_string_equal(from, "whatsapp:+14155550001");
    outbox_twilio_sender(&cfg, "sms", from, sizeof from);
    assert_string_equal(from, "");
}

/* --- configuration (core/config.c) ---------------------------------------- */

static const char *const *env_current;

static const char *env_lookup(const char *name)
{
    for (size_t i = 0; env_current != NULL && env_current[i] != NULL; i += 2) {
        if (strcmp(env_current[i], name) == 0) {
            return env_current[i + 1];
        }
    }
    return NULL;
}

static enum lu_rc load(const char *const *env, struct lu_config *cfg, char *err, size_t cap)
{
    env_current = env;
    enum lu_rc rc = config_load(cfg, env_lookup, err, cap);
    env_current = NULL;
    return rc;
}

static void test_config_outbox_defaults_and_values(void **state)
{
    (void)state;
    struct lu_config cfg;
    char err[256];
    const char *none[] = {NULL};
    assert_int_equal(load(none, &cfg, err, sizeof err), LU_OK);
    assert_int_equal(cfg.outbox_backoff_ms, 1000);
    assert_int_equal(cfg.outbox_timeout_ms, 15000);
    assert_string_equal(cfg.twilio_api_url, "https://api.twilio.com");
    assert_null(cfg.twilio_from_number);
    const char *set[] = {"LUCIA_OUTBOX_BACKOFF_MS", "50", "LUCIA_OUTBOX_TIMEOUT_MS", "2000",
                         "TWILIO_API_URL", "http://127.0.0.1:9", "TWILIO_FROM_NUMBER",
                         "+15005550006", "TWILIO_WHATSAPP_FROM", "whatsapp:+15005550007", NULL};
    assert_int_equal(load(set, &cfg, err, sizeof err), LU_OK);
    assert_int_equal(cfg.outbox_backoff_ms, 50);
    assert_int_equal(cfg.outbox_timeout_ms, 2000);
    assert_string_equal(cfg.twilio_api_url, "http://127.0.0.1:9");
    assert_string_equal(cfg.twilio_whatsapp_from, "whatsapp:+15005550007");
}

static void test_config_outbox_refusals(void **state)
{
    (void)state;
    struct lu_config cfg;
    char err[256];
    const char *cases[][3] = {
        {"LUCIA_OUTBOX_BACKOFF_MS", "0", "LUCIA_OUTBOX_BACKOFF_MS"},
        {"LUCIA_OUTBOX_BACKOFF_MS", "600001", "LUCIA_OUTBOX_BACKOFF_MS"},
        {"LUCIA_OUTBOX_TIMEOUT_MS", "99", "LUCIA_OUTBOX_TIMEOUT_MS"},
        {"LUCIA_OUTBOX_TIMEOUT_MS", "1s", "LUCIA_OUTBOX_TIMEOUT_MS"},
        {"TWILIO_API_URL", "ftp://api.twilio.com", "TWILIO_API_URL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *env[] = {cases[i][0], cases[i][1], NULL};
        assert_int_equal(load(env, &cfg, err, sizeof err), LU_INVALID);
        assert_non_null(strstr(err, cases[i][2]));
    }
    /* Production: a sender number without the account is refused. */
    const char *prod[] = {"LUCIA_ENV", "production", "LUCIA_SERVICE_KEY",
                          "svc_0123456789abcdef0123456789abcdef",
                          "TWILIO_FROM_NUMBER", "+15005550006", NULL};
    assert_int_equal(load(prod, &cfg, err, sizeof err), LU_INVALID);
    assert_non_null(strstr(err, "TWILIO_ACCOUNT_SID"));
}

/* --- the store on SQLite ---------------------------------------------------- */

static int fixture_setup(void **state)
{
    return db_fixture_setup(state, "outbox", true);
}

static void enqueue(struct fixture *fx, const char *key, char id[ID_BYTES_MAX])
{
    json_t *payload = json_pack("{s:s, s:s, s:b}", "subject", "Hi", "text", "Secret link",
                                "redact", 1);
    struct outbox_new n = {
        .kind = "waitlist_welcome",
        .channel = "email",
        .recipient = "ana@example.com",
        .payload = payload,
        .idempotency_key = key,
    };
    assert_int_equal(db_begin(fx->conn, true), LU_OK);
    assert_int_equal(store_outbox_enqueue(fx->conn, &n, id), LU_OK);
    assert_int_equal(db_commit(fx->conn), LU_OK);
    json_decref(payload);
}

static const char *const email_only[] = {"email"};

static struct outbox_claim_query query_at(int64_t now_ms)
{
    return (struct outbox_claim_query){
        .channels = email_only, .nchannels = 1, .now_ms = now_ms, .lease_ms = 10000};
}

static const char *state_of(struct fixture *fx, const char *id, char *buf, size_t cap)
{
    struct db_param p[] = {P_TEXT(id)};
    struct db_rows *rows = NULL;
    assert_int_equal(db_exec(fx->conn, "SELECT state FROM outbox WHERE id = ?", p, 1, &rows,
                             NULL),
                     LU_OK);
    assert_int_equal(rows->nrows, 1);
    snprintf(buf, cap, "%s", db_rows_text(rows, 0, 0));
    db_rows_free(rows);
    return buf;
}

static void finish(struct fixture *fx, const struct outbox_claim *c,
                   const struct outbox_result *r, bool *recorded)
{
    assert_int_equal(db_begin(fx->conn, true), LU_OK);
    assert_int_equal(store_outbox_finish(fx->conn, c, r, outbox_now_ms(), recorded), LU_OK);
    assert_int_equal(db_commit(fx->conn), LU_OK);
}

static void test_enqueue_refuses_a_second_key(void **state)
{
    struct fixture *fx = *state;
    char id[ID_BYTES_MAX];
    enqueue(fx, "waitlist:wl_1", id);
    json_t *payload = json_pack("{s:s, s:s}", "subject", "Hi", "text", "x");
    struct outbox_new n = {.kind = "waitlist_welcome", .channel = "email",
                           .recipient = "ana@example.com", .payload = payload,
                           .idempotency_key = "waitlist:wl_1"};
    char again[ID_BYTES_MAX];
    assert_int_equal(db_begin(fx->conn, true), LU_OK);
    assert_int_equal(store_outbox_enqueue(fx->conn, &n, again), LU_CONFLICT);
    db_rollback(fx->conn);
    json_decref(payload);
}

static void test_claim_leases_one_row_once(void **state)
{
    struct fixture *fx = *state;
    char id[ID_BYTES_MAX];
    enqueue(fx, "k1", id);
    int64_t now = outbox_now_ms() + 1;
    struct outbox_claim_query q = query_at(now);
    struct outbox_claim c;
    bool found = false;
    assert_int_equal(store_outbox_claim(fx->conn, &q, &c, &found), LU_OK);
    assert_true(found);
    assert_string_equal(c.id, id);
    assert_int_equal(c.attempts, 1);
    assert_false(c.lease_expired);
    assert_string_equal(c.idempotency_key, "k1");
    assert_string_equal(json_string_value(json_object_get(c.payload, "text")), "Secret link");
    /* While the lease holds, nobody else gets it. */
    struct outbox_claim other;
    assert_int_equal(store_outbox_claim(fx->conn, &q, &other, &found), LU_OK);
    assert_false(found);
    /* A channel without a provider claims nothing. */
    struct outbox_claim_query none = q;
    none.nchannels = 0;
    assert_int_equal(store_outbox_claim(fx->conn, &none, &other, &found), LU_OK);
    assert_false(found);
    /* Past the lease it is claimed again, marked as taken over. */
    struct outbox_claim_query later = query_at(now + 10001);
    assert_int_equal(store_outbox_claim(fx->conn, &later, &other, &found), LU_OK);
    assert_true(found);
    assert_int_equal(other.attempts, 2);
    assert_true(other.lease_expired);
    /* The first claim's retry no longer counts; its success still does. */
    struct outbox_result retry = {.outcome = OUTBOX_RETRY, .error = "HTTP 500",
                                  .next_attempt_ms = now};
    bool recorded = true;
    finish(fx, &c, &retry, &recorded);
    assert_false(recorded);
    struct outbox_result sent = {.outcome = OUTBOX_SENT, .provider_id = "re_1"};
    finish(fx, &c, &sent, &recorded);
    assert_true(recorded);
    char buf[16];
    assert_string_equal(state_of(fx, id, buf, sizeof buf), "sent");
    /* Recorded once: the second claim's own success changes nothing. */
    finish(fx, &other, &sent, &recorded);
    assert_false(recorded);
    store_outbox_claim_free(&c);
    store_outbox_claim_free(&other);
}

static void test_retry_waits_for_its_time(void **state)
{
    struct fixture *fx = *state;
    char id[ID_BYTES_MAX];
    enqueue(fx, "k2", id);
    int64_t now = outbox_now_ms() + 1;
    struct outbox_claim_query q = query_at(now);
    struct outbox_claim c;
    bool found = false;
    assert_int_equal(store_outbox_claim(fx->conn, &q, &c, &found), LU_OK);
    assert_true(found);
    struct outbox_result retry = {.outcome = OUTBOX_RETRY, .error = "HTTP 503",
                                  .next_attempt_ms = now + 5000};
    bool recorded = false;
    finish(fx, &c, &retry, &recorded);
    assert_true(recorded);
    char buf[16];
    assert_string_equal(state_of(fx, id, buf, sizeof buf), "queued");
    struct outbox_claim again;
    assert_int_equal(store_outbox_claim(fx->conn, &q, &again, &found), LU_OK);
    assert_false(found);
    int64_t due = 0;
    bool any = false;
    assert_int_equal(store_outbox_next_due(fx->conn, &q, &due, &any), LU_OK);
    assert_true(any);
    assert_int_equal(due, now + 5000);
    struct outbox_claim_query later = query_at(now + 5000);
    assert_int_equal(store_outbox_claim(fx->conn, &later, &again, &found), LU_OK);
    assert_true(found);
    assert_int_equal(again.attempts, 2);
    assert_false(again.lease_expired);
    /* A failure blanks the payload marked "redact". */
    struct outbox_result failed = {.outcome = OUTBOX_FAILED, .error = "HTTP 422"};
    finish(fx, &again, &failed, &recorded);
    assert_true(recorded);
    assert_string_equal(state_of(fx, id, buf, sizeof buf), "failed");
    struct db_param p[] = {P_TEXT(id)};
    struct db_rows *rows = NULL;
    assert_int_equal(db_exec(fx->conn, "SELECT payload, last_error FROM outbox WHERE id = ?", p,
                             1, &rows, NULL),
                     LU_OK);
    assert_null(strstr(db_rows_text(rows, 0, 0), "Secret"));
    assert_string_equal(db_rows_text(rows, 0, 1), "HTTP 422");
    db_rows_free(rows);
    store_outbox_claim_free(&c);
    store_outbox_claim_free(&again);
}

static void test_last_attempt_dying_fails_the_row(void **state)
{
    struct fixture *fx = *state;
    char id[ID_BYTES_MAX];
    enqueue(fx, "k3", id);
    struct db_param p[] = {P_INT(OUTBOX_ATTEMPTS_MAX - 1), P_TEXT(id)};
    assert_int_equal(db_exec(fx->conn, "UPDATE outbox SET attempts = ? WHERE id = ?", p, 2, NULL,
                             NULL),
                     LU_OK);
    int64_t now = outbox_now_ms() + 1;
    struct outbox_claim_query q = query_at(now);
    struct outbox_claim c;
    bool found = false;
    assert_int_equal(store_outbox_claim(fx->conn, &q, &c, &found), LU_OK);
    assert_true(found);
    assert_int_equal(c.attempts, OUTBOX_ATTEMPTS_MAX);
    /* The process dies; past the lease the row is not sent a ninth time. */
    struct outbox_claim_query later = query_at(now + 20000);
    struct outbox_claim again;
    assert_int_equal(store_outbox_claim(fx->conn, &later, &again, &found), LU_OK);
    assert_false(found);
    int64_t changed = 0;
    assert_int_equal(store_outbox_expire(fx->conn, now + 20000, &changed), LU_OK);
    assert_int_equal(changed, 1);
    char buf[16];
    assert_string_equal(state_of(fx, id, buf, sizeof buf), "failed");
    store_outbox_claim_free(&c);
}

static void test_list_hides_payloads(void **state)
{
    struct fixture *fx = *state;
    char id[ID_BYTES_MAX];
    enqueue(fx, "k4", id);
    struct outbox_filter f = {.state = "queued"};
    struct page page;
    assert_int_equal(store_outbox_list(fx->conn, &f, 10, NULL, &page), LU_OK);
    assert_int_equal(json_array_size(page.data), 1);
    json_t *row = json_array_get(page.data, 0);
    assert_null(json_object_get(row, "payload"));
    assert_string_equal(json_string_value(json_object_get(row, "subject")), "Hi");
    const char *due = json_string_value(json_object_get(row, "next_attempt_at"));
    assert_int_equal(strlen(due), 20); /* seconds, as every API time */
    json_decref(page.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_doubles_from_base),
        cmocka_unit_test(test_backoff_jitter_adds_at_most_a_quarter),
        cmocka_unit_test(test_backoff_caps_at_ten_minutes),
        cmocka_unit_test(test_retry_after_seconds_and_dates),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_scrub_removes_secrets_and_controls),
        cmocka_unit_test(test_time_format_keeps_milliseconds),
        cmocka_unit_test(test_compose),
        cmocka_unit_test(test_channels_configured),
        cmocka_unit_test(test_config_outbox_defaults_and_values),
        cmocka_unit_test(test_config_outbox_refusals),
        cmocka_unit_test_setup_teardown(test_enqueue_refuses_a_second_key, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_claim_leases_one_row_once, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_retry_waits_for_its_time, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_last_attempt_dying_fails_the_row, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_list_hides_payloads, fixture_setup,
                                        fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
