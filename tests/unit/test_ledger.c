/*
 * test_ledger.c — unit tests for ledger/: events in Stripe's documented
 * shapes folded into records; the order-safety rules one by one (terminal
 * states, newest created, precedence on ties, amounts only grow); booking
 * links through payment intents, checkout sessions and charges; the
 * property that in-order, reversed, shuffled and duplicated deliveries end
 * in the same records over a thousand seeds; the booking summary; and the
 * risks with their order, judged in a zone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger/ledger.h"

#define BK "bk_01jd0000000000000000000001"
#define T0 1795400000 /* 2026-11-23T02:13:20Z */

/* --- Stripe objects, as the API reference documents them ---------------- */

static json_t *meta(const char *booking)
{
    return booking ? json_pack("{s:s}", "booking_id", booking) : json_object();
}

static json_t *payment_intent(const char *id, const char *status, int64_t amount, int64_t received,
                              const char *booking, const char *decline)
{
    json_t *err =
        decline ? json_pack("{s:s, s:s, s:s, s:s}", "type", "card_error", "code", "card_declined",
                            "decline_code", decline, "message", "Your card has insufficient funds.")
                : json_null();
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:I, s:o, s:o, s:n, s:b}", "id", id,
                     "object", "payment_intent", "amount", (json_int_t)amount, "amount_capturable",
                     (json_int_t)0, "amount_received", (json_int_t)received, "currency", "eur",
                     "status", status, "created", (json_int_t)T0, "metadata", meta(booking),
                     "last_payment_error", err, "latest_charge", "livemode", 0);
}

static json_t *refund(const char *id, const char *charge, const char *pi, const char *status,
                      int64_t amount)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:s, s:s?, s:s, s:I, s:o, s:n}", "id", id, "object",
                     "refund", "amount", (json_int_t)amount, "currency", "eur", "charge", charge,
                     "payment_intent", pi, "status", status, "created", (json_int_t)(T0 + 50),
                     "metadata", json_object(), "failure_reason");
}

static json_t *charge(const char *id, const char *pi, const char *status, int64_t amount,
                      int64_t refunded, json_t *refunds)
{
    json_t *list = json_pack("{s:s, s:o, s:b, s:I, s:s}", "object", "list", "data",
                             refunds ? refunds : json_array(), "has_more", 0, "total_count",
                             (json_int_t)json_array_size(refunds), "url", "/v1/charges/x/refunds");
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:b, s:s, s:s?, s:b, s:b, s:s, s:I, s:o, s:n, "
                     "s:n, s:o}",
                     "id", id, "object", "charge", "amount", (json_int_t)amount, "amount_captured",
                     (json_int_t)amount, "amount_refunded", (json_int_t)refunded, "captured", 1,
                     "currency", "eur", "payment_intent", pi, "paid",
                     strcmp(status, "succeeded") == 0, "refunded", refunded >= amount, "status",
                     status, "created", (json_int_t)(T0 + 5), "metadata", json_object(),
                     "failure_code", "failure_message", "refunds", list);
}

static json_t *dispute(const char *id, const char *charge_id, const char *pi, const char *status,
                       int64_t amount)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:b}", "id", id, "object",
                     "dispute", "amount", (json_int_t)amount, "currency", "eur", "charge",
                     charge_id, "payment_intent", pi, "reason", "fraudulent", "status", status,
                     "created", (json_int_t)(T0 + 900), "metadata", json_object(),
                     "is_charge_refundable", 0);
}

static json_t *session(const char *id, const char *pi, const char *payment_status, int64_t amount,
                       const char *booking)
{
    return json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s?, s:s, s:s, s:I, s:o, s:s?}", "id", id,
                     "object", "checkout.session", "amount_subtotal", (json_int_t)amount,
                     "amount_total", (json_int_t)amount, "currency", "eur", "mode", "payment",
                     "payment_intent", pi, "payment_status", payment_status, "status", "complete",
                     "created", (json_int_t)T0, "metadata", meta(booking), "client_reference_id",
                     NULL);
}

/* An event around object (taken), dumped the way Stripe sends it. */
static char *event_text(const char *id, const char *type, int64_t created, json_t *object)
{
    json_t *ev =
        json_pack("{s:s, s:s, s:s, s:I, s:{s:o}, s:b, s:I, s:{s:n, s:n}, s:s}", "id", id, "object",
                  "event", "api_version", "2024-06-20", "created", (json_int_t)created, "data",
                  "object", object, "livemode", 0, "pending_webhooks", (json_int_t)1, "request",
                  "id", "idempotency_key", "type", type);
    assert_non_null(ev);
    char *text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    assert_non_null(text);
    return text;
}

/* --- a record set folded the way the store and reconcile fold ------------ */

struct set {
    struct ledger_record recs[64];
    size_t n;
};

static void fold(struct set *s, const char *text)
{
    struct ledger_event ev;
    const char *why = NULL;
    assert_int_equal(ledger_event_parse(text, strlen(text), &ev, &why), LU_OK);
    struct ledger_record snaps[LEDGER_SNAPSHOTS_MAX];
    size_t n = ledger_event_snapshots(&ev, snaps, LEDGER_SNAPSHOTS_MAX);
    for (size_t i = 0; i < n; i++) {
        size_t at = 0;
        while (at < s->n && strcmp(s->recs[at].id, snaps[i].id) != 0) {
            at++;
        }
        assert_true(at < 64);
        ledger_record_merge(&s->recs[at], at == s->n, &snaps[i]);
        s->n += at == s->n;
    }
    ledger_event_free(&ev);
    assert_int_equal(ledger_bookings_resolve(s->recs, s->n, NULL), LU_OK);
}

static const struct ledger_record *find(const struct set *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->recs[i].id, id) == 0) {
            return &s->recs[i];
        }
    }
    fail_msg("no record %s", id);
    return NULL;
}

/* --- rules ----------------------------------------------------------------- */

static void test_parse_rejects_non_events(void **state)
{
    (void)state;
    struct ledger_event ev;
    const char *why = NULL;
    const char *bad[] = {
        "",
        "[]",
        "{\"id\":\"evt_1\"}",
        "{\"id\":\"evt_1\",\"type\":\"x\",\"created\":1}",
        "{\"id\":\"evt_1\",\"type\":\"x\",\"created\":\"1\",\"data\":{\"object\":{}}}",
        "{\"id\":1,\"type\":\"x\",\"created\":1,\"data\":{\"object\":{}}}",
        "{\"id\":\"evt_1\",\"type\":\"x\",\"created\":1,\"data\":{\"object\":[]}}",
        "{not json",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ledger_event_parse(bad[i], strlen(bad[i]), &ev, &why), LU_INVALID);
        assert_non_null(why);
    }
    const char *ok = "{\"id\":\"evt_1\",\"type\":\"customer.created\",\"created\":1,"
                     "\"data\":{\"object\":{\"id\":\"cus_1\",\"object\":\"customer\"}}}";
    assert_int_equal(ledger_event_parse(ok, strlen(ok), &ev, &why), LU_OK);
    assert_string_equal(ev.object_id, "cus_1");
    struct ledger_record snaps[4];
    assert_int_equal(ledger_event_snapshots(&ev, snaps, 4), 0); /* stored, folds nothing */
    ledger_event_free(&ev);
}

static void test_snapshot_fields(void **state)
{
    (void)state;
    struct set s = {.n = 0};
    char *e = event_text(
        "evt_a", "payment_intent.payment_failed", T0 + 10,
        payment_intent("pi_1", "requires_payment_method", 50000, 0, BK, "insufficient_funds"));
    fold(&s, e);
    free(e);
    const struct ledger_record *r = find(&s, "pi_1");
    assert_int_equal(r->kind, LEDGER_PAYMENT_INTENT);
    assert_string_equal(r->status, "requires_payment_method");
    assert_string_equal(r->failure_code, "card_declined");
    assert_string_equal(r->failure_message, "Your card has insufficient funds.");
    assert_string_equal(r->booking_id, BK);
    assert_string_equal(r->currency, "eur");
    assert_int_equal(r->amount, 50000);
    assert_int_equal(r->status_created, T0 + 10);
    assert_string_equal(r->status_event_id, "evt_a");
    assert_int_equal(r->object_created, T0);
}

static void test_terminal_is_never_overwritten(void **state)
{
    (void)state;
    struct set s = {.n = 0};
    char *done = event_text("evt_s", "payment_intent.succeeded", T0 + 10,
                            payment_intent("pi_1", "succeeded", 50000, 50000, BK, NULL));
    char *late = event_text("evt_p", "payment_intent.processing", T0 + 99,
                            payment_intent("pi_1", "processing", 50000, 0, BK, NULL));
    fold(&s, done);
    fold(&s, late); /* newer, but not terminal */
    assert_string_equal(find(&s, "pi_1")->status, "succeeded");
    assert_int_equal(find(&s, "pi_1")->amount_received, 50000);
    free(done);
    free(late);
    /* A refund that succeeded and later failed: both terminal, newer wins. */
    struct set r = {.n = 0};
    char *ok = event_text("evt_r1", "charge.refund.updated", T0 + 10,
                          refund("re_1", "ch_1", "pi_1", "succeeded", 100));
    char *failed = event_text("evt_r2", "charge.refund.updated", T0 + 20,
                              refund("re_1", "ch_1", "pi_1", "failed", 100));
    fold(&r, failed);
    fold(&r, ok);
    assert_string_equal(find(&r, "re_1")->status, "failed");
    free(ok);
    free(failed);
}

static void test_newest_wins_ties_by_precedence(void **state)
{
    (void)state;
    struct set s = {.n = 0};
    char *action = event_text("evt_b", "payment_intent.requires_action", T0 + 20,
                              payment_intent("pi_1", "requires_action", 50000, 0, BK, NULL));
    char *failed = event_text(
        "evt_a", "payment_intent.payment_failed", T0 + 10,
        payment_intent("pi_1", "requires_payment_method", 50000, 0, BK, "insufficient_funds"));
    fold(&s, action);
    fold(&s, failed); /* older: ignored */
    assert_string_equal(find(&s, "pi_1")->status, "requires_action");
    assert_string_equal(find(&s, "pi_1")->failure_code, "");
    free(action);
    free(failed);
    /* Same second: processing outranks requires_action, whatever comes last,
     * and a failure outranks processing. */
    struct set t = {.n = 0};
    char *a = event_text("evt_z", "payment_intent.requires_action", T0,
                         payment_intent("pi_2", "requires_action", 1, 0, NULL, NULL));
    char *b = event_text("evt_y", "payment_intent.processing", T0,
                         payment_intent("pi_2", "processing", 1, 0, NULL, NULL));
    fold(&t, b);
    fold(&t, a);
    assert_string_equal(find(&t, "pi_2")->status, "processing");
    char *c = event_text("evt_x", "payment_intent.payment_failed", T0,
                         payment_intent("pi_2", "requires_payment_method", 1, 0, NULL, "x"));
    fold(&t, c);
    assert_string_equal(find(&t, "pi_2")->status, "requires_payment_method");
    free(a);
    free(b);
    free(c);
}

static void test_amounts_only_grow(void **state)
{
    (void)state;
    struct set s = {.n = 0};
    char *full = event_text("evt_2", "charge.refunded", T0 + 20,
                            charge("ch_1", "pi_1", "succeeded", 50000, 20000, NULL));
    char *part = event_text("evt_1", "charge.refunded", T0 + 30, /* newer, yet smaller */
                            charge("ch_1", "pi_1", "succeeded", 50000, 5000, NULL));
    fold(&s, full);
    fold(&s, part);
    assert_int_equal(find(&s, "ch_1")->amount_refunded, 20000);
    assert_string_equal(find(&s, "ch_1")->status_event_id, "evt_1");
    free(full);
    free(part);
}

static void test_booking_links(void **state)
{
    (void)state;
    struct set s = {.n = 0};
    /* The charge and its refund come before their payment intent. */
    char *r = event_text("evt_3", "charge.refund.updated", T0 + 3,
                         refund("re_1", "ch_1", NULL, "succeeded", 100));
    char *c = event_text("evt_2", "charge.succeeded", T0 + 2,
                         charge("ch_1", "pi_1", "succeeded", 1000, 0, NULL));
    fold(&s, r);
    fold(&s, c);
    assert_string_equal(find(&s, "ch_1")->booking_id, "");
    /* Checkout sets metadata on the session, not on the intent. */
    char *cs = event_text("evt_1", "checkout.session.completed", T0 + 1,
                          session("cs_test_a1", "pi_1", "paid", 1000, BK));
    fold(&s, cs);
    assert_string_equal(find(&s, "cs_test_a1")->booking_id, BK);
    assert_string_equal(find(&s, "ch_1")->booking_id, BK);
    assert_string_equal(find(&s, "re_1")->booking_id, BK); /* through its charge */
    /* The intent's own metadata outranks the session's for the group. */
    char *pi = event_text("evt_4", "payment_intent.succeeded", T0 + 4,
                          payment_intent("pi_1", "succeeded", 1000, 1000, "bk_other", NULL));
    fold(&s, pi);
    assert_string_equal(find(&s, "ch_1")->booking_id, "bk_other");
    assert_string_equal(find(&s, "cs_test_a1")->booking_id, BK); /* its own metadata */
    free(r);
    free(c);
    free(cs);
    free(pi);
}

/* --- the property: order and duplicates do not matter ---------------------- */

/* A booking's whole payment life, out of order on purpose in places. */
static size_t scenario(char **events)
{
    size_t n = 0;
    events[n++] =
        event_text("evt_01", "payment_intent.created", T0,
                   payment_intent("pi_dep", "requires_payment_method", 30000, 0, BK, NULL));
    events[n++] = event_text(
        "evt_02", "payment_intent.payment_failed", T0 + 60,
        payment_intent("pi_dep", "requires_payment_method", 30000, 0, BK, "insufficient_funds"));
    events[n++] = event_text("evt_03", "payment_intent.requires_action", T0 + 120,
                             payment_intent("pi_dep", "requires_action", 30000, 0, BK, NULL));
    events[n++] = event_text("evt_04", "payment_intent.processing", T0 + 180,
                             payment_intent("pi_dep", "processing", 30000, 0, BK, NULL));
    events[n++] = event_text("evt_05", "payment_intent.succeeded", T0 + 240,
                             payment_intent("pi_dep", "succeeded", 30000, 30000, BK, NULL));
    events[n++] = event_text("evt_06", "charge.succeeded", T0 + 240,
                             charge("ch_dep", "pi_dep", "succeeded", 30000, 0, NULL));
    events[n++] = event_text("evt_07", "checkout.session.completed", T0 + 600,
                             session("cs_test_bal", "pi_bal", "paid", 70000, BK));
    events[n++] = event_text("evt_08", "payment_intent.succeeded", T0 + 600,
                             payment_intent("pi_bal", "succeeded", 70000, 70000, NULL, NULL));
    events[n++] =
        event_text("evt_09", "charge.refunded", T0 + 900,
                   charge("ch_bal", "pi_bal", "succeeded", 70000, 10000,
                          json_pack("[o]", refund("re_1", "ch_bal", "pi_bal", "pending", 10000))));
    events[n++] = event_text("evt_10", "charge.refund.updated", T0 + 960,
                             refund("re_1", "ch_bal", "pi_bal", "succeeded", 10000));
    events[n++] = event_text("evt_11", "charge.dispute.created", T0 + 1200,
                             dispute("dp_1", "ch_dep", "pi_dep", "needs_response", 30000));
    events[n++] = event_text("evt_12", "charge.dispute.updated", T0 + 1300,
                             dispute("dp_1", "ch_dep", "pi_dep", "under_review", 30000));
    events[n++] = event_text("evt_13", "charge.dispute.closed", T0 + 1400,
                             dispute("dp_1", "ch_dep", "pi_dep", "won", 30000));
    events[n++] = event_text("evt_14", "customer.created", T0 + 5,
                             json_pack("{s:s, s:s}", "id", "cus_1", "object", "customer"));
    return n;
}

static uint64_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return *state >> 33;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const struct ledger_record *)a)->id, ((const struct ledger_record *)b)->id);
}

static void assert_same_sets(struct set *a, struct set *b, uint64_t seed)
{
    qsort(a->recs, a->n, sizeof a->recs[0], by_id);
    qsort(b->recs, b->n, sizeof b->recs[0], by_id);
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        char why[256];
        if (!ledger_record_same(&a->recs[i], &b->recs[i], why, sizeof why)) {
            fail_msg("seed %llu: %s differs: %s", (unsigned long long)seed, a->recs[i].id, why);
        }
    }
}

static void test_any_order_any_duplicates_same_records(void **state)
{
    (void)state;
    char *events[32];
    size_t n = scenario(events);
    struct set *base = calloc(1, sizeof *base);
    struct set *other = calloc(1, sizeof *other);
    assert_non_null(base);
    assert_non_null(other);
    for (size_t i = 0; i < n; i++) {
        fold(base, events[i]);
    }
    memset(other, 0, sizeof *other); /* reversed */
    for (size_t i = n; i-- > 0;) {
        fold(other, events[i]);
    }
    assert_same_sets(base, other, 0);
    for (uint64_t seed = 1; seed <= 1000; seed++) {
        uint64_t rng = seed;
        size_t order[64];
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            order[m++] = i;
        }
        size_t dups = next_random(&rng) % 12; /* redeliveries, anywhere */
        for (size_t d = 0; d < dups; d++) {
            order[m++] = next_random(&rng) % n;
        }
        for (size_t i = m; i > 1; i--) { /* Fisher-Yates */
            size_t j = next_random(&rng) % i;
            size_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        memset(other, 0, sizeof *other);
        for (size_t i = 0; i < m; i++) {
            fold(other, events[order[i]]);
        }
        assert_same_sets(base, other, seed);
    }
    /* And the end state is the truth of the scenario. */
    assert_string_equal(find(base, "pi_dep")->status, "succeeded");
    assert_string_equal(find(base, "dp_1")->status, "won");
    assert_string_equal(find(base, "re_1")->status, "succeeded");
    assert_string_equal(find(base, "pi_bal")->booking_id, BK); /* from its session */
    assert_string_equal(find(base, "dp_1")->booking_id, BK);
    struct ledger_summary s;
    ledger_summary_compute(100000, "eur", base->recs, base->n, &s);
    assert_int_equal(s.received_cents, 100000); /* counted once through three objects */
    assert_int_equal(s.refunded_cents, 10000);
    assert_int_equal(s.paid_cents, 90000);
    assert_string_equal(s.status, "partially_paid");
    for (size_t i = 0; i < n; i++) {
        free(events[i]);
    }
    free(base);
    free(other);
}

/* --- summary and risks ------------------------------------------------------ */

static struct ledger_record rec(enum ledger_kind kind, const char *id, const char *pi,
                                const char *status, int64_t amount, int64_t received,
                                int64_t refunded)
{
    struct ledger_record r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    snprintf(r.id, sizeof r.id, "%s", id);
    snprintf(r.payment_intent, sizeof r.payment_intent, "%s", pi ? pi : "");
    snprintf(r.status, sizeof r.status, "%s", status);
    snprintf(r.currency, sizeof r.currency, "eur");
    snprintf(r.booking_id, sizeof r.booking_id, BK);
    r.amount = amount;
    r.amount_received = received;
    r.amount_refunded = refunded;
    r.object_created = T0;
    r.status_created = T0;
    return r;
}

static void test_summary_statuses(void **state)
{
    (void)state;
    struct ledger_summary s;
    ledger_summary_compute(1000, "eur", NULL, 0, &s);
    assert_string_equal(s.status, "unpaid");
    assert_int_equal(s.open_cents, 1000);
    struct ledger_record r[3];
    r[0] = rec(LEDGER_PAYMENT_INTENT, "pi_1", NULL, "succeeded", 400, 400, 0);
    ledger_summary_compute(1000, "eur", r, 1, &s);
    assert_string_equal(s.status, "partially_paid");
    assert_int_equal(s.open_cents, 600);
    r[0] = rec(LEDGER_PAYMENT_INTENT, "pi_1", NULL, "succeeded", 1000, 1000, 0);
    r[1] = rec(LEDGER_CHARGE, "ch_1", "pi_1", "succeeded", 1000, 1000, 0);
    ledger_summary_compute(1000, "eur", r, 2, &s);
    assert_string_equal(s.status, "paid"); /* intent and charge: one payment */
    assert_int_equal(s.open_cents, 0);
    ledger_summary_compute(900, "eur", r, 2, &s);
    assert_string_equal(s.status, "overpaid");
    r[1].amount_refunded = 300; /* a partial refund */
    ledger_summary_compute(1000, "eur", r, 2, &s);
    assert_string_equal(s.status, "partially_paid");
    assert_int_equal(s.refunded_cents, 300);
    r[2] = rec(LEDGER_REFUND, "re_1", "pi_1", "succeeded", 300, 0, 0); /* the same refund */
    ledger_summary_compute(1000, "eur", r, 3, &s);
    assert_int_equal(s.refunded_cents, 300);
    r[1].amount_refunded = 1000;
    ledger_summary_compute(1000, "eur", r, 2, &s);
    assert_string_equal(s.status, "refunded");
    r[1].amount_refunded = 0;
    r[2] = rec(LEDGER_DISPUTE, "dp_1", "pi_1", "needs_response", 1000, 0, 0);
    ledger_summary_compute(1000, "eur", r, 3, &s);
    assert_string_equal(s.status, "disputed"); /* an open dispute wins */
    snprintf(r[2].status, sizeof r[2].status, "won");
    ledger_summary_compute(1000, "eur", r, 3, &s);
    assert_string_equal(s.status, "paid");
    /* Money in another currency does not pay this booking. */
    ledger_summary_compute(1000, "usd", r, 2, &s);
    assert_string_equal(s.status, "unpaid");
}

static size_t risks_at(const struct ledger_booking *b, const struct ledger_record *recs, size_t n,
                       int64_t now, struct ledger_risk *out)
{
    struct zone *z = NULL;
    assert_int_equal(zone_open("Europe/Rome", &z), LU_OK);
    size_t count = ledger_risks_of(b, recs, n, z, now, out);
    zone_close(z);
    ledger_risks_sort(out, count);
    return count;
}

static void test_balance_risks_in_the_zone(void **state)
{
    (void)state;
    struct ledger_risk out[LEDGER_RISKS_PER_BOOKING_MAX];
    struct ledger_booking b = {.id = BK,
                               .guest_name = "Ann",
                               .status = "confirmed",
                               .check_in = "2026-12-01",
                               .currency = "eur",
                               .total_cents = 1000};
    /* 2026-11-23T23:30Z is already the 24th in Rome: check-in is 7 days off. */
    int64_t late_23rd = 1795476600;
    assert_int_equal(risks_at(&b, NULL, 0, late_23rd, out), 1);
    assert_int_equal(out[0].reason, RISK_BALANCE_DUE_SOON);
    assert_int_equal(out[0].amount_cents, 1000);
    assert_int_equal(out[0].since, 1795474800); /* 2026-11-24T00:00+01:00 */
    /* Half an hour earlier it is the 23rd in Rome: 8 days, no risk yet. */
    assert_int_equal(risks_at(&b, NULL, 0, late_23rd - 3600, out), 0);
    /* balance_due_on passed: overdue since the next day's start. */
    b.balance_due_on = "2026-11-20";
    assert_int_equal(risks_at(&b, NULL, 0, late_23rd, out), 1);
    assert_int_equal(out[0].reason, RISK_BALANCE_OVERDUE);
    assert_int_equal(out[0].since, 1795215600); /* 2026-11-21T00:00+01:00 */
    /* Paid in full: nothing. Cancelled: nothing owed. */
    struct ledger_record paid =
        rec(LEDGER_PAYMENT_INTENT, "pi_1", NULL, "succeeded", 1000, 1000, 0);
    assert_int_equal(risks_at(&b, &paid, 1, late_23rd, out), 0);
    b.status = "cancelled";
    assert_int_equal(risks_at(&b, NULL, 0, late_23rd, out), 0);
}

static void test_risk_reasons_and_order(void **state)
{
    (void)state;
    struct ledger_risk out[LEDGER_RISKS_PER_BOOKING_MAX];
    struct ledger_booking b = {.id = BK,
                               .guest_name = "Ann",
                               .status = "confirmed",
                               .check_in = "2026-11-01",
                               .currency = "eur",
                               .total_cents = 1000};
    struct ledger_record r[4];
    r[0] = rec(LEDGER_PAYMENT_INTENT, "pi_1", NULL, "succeeded", 500, 500, 0);
    r[1] = rec(LEDGER_PAYMENT_INTENT, "pi_2", NULL, "requires_payment_method", 500, 0, 0);
    snprintf(r[1].failure_code, sizeof r[1].failure_code, "card_declined");
    r[1].status_created = T0 + 100; /* the newest attempt */
    r[2] = rec(LEDGER_DISPUTE, "dp_1", "pi_1", "needs_response", 500, 0, 0);
    r[3] = rec(LEDGER_REFUND, "re_1", "pi_1", "pending", 100, 0, 0);
    size_t n = risks_at(&b, r, 4, T0 + 3600, out);
    assert_int_equal(n, 4);
    assert_int_equal(out[0].reason, RISK_DISPUTE_OPEN);
    assert_int_equal(out[1].reason, RISK_PAYMENT_FAILED);
    assert_int_equal(out[1].amount_cents, 500);
    assert_int_equal(out[2].reason, RISK_BALANCE_OVERDUE); /* check-in passed */
    assert_non_null(strstr(out[2].detail, "check-in was on 2026-11-01"));
    assert_int_equal(out[3].reason, RISK_REFUND_PENDING);
    /* A later success clears payment_failed; overpaid when over the total. */
    r[1] = rec(LEDGER_PAYMENT_INTENT, "pi_2", NULL, "succeeded", 700, 700, 0);
    r[1].status_created = T0 + 200;
    n = risks_at(&b, r, 2, T0 + 3600, out);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].reason, RISK_OVERPAID);
    assert_int_equal(out[0].amount_cents, 200);
    for (int reason = 0; reason < RISK_REASONS; reason++) {
        assert_non_null(ledger_risk_reason_name((enum ledger_risk_reason)reason));
    }
}

static bool summaries_equal(const struct ledger_summary *a, const struct ledger_summary *b)
{
    return a->received_cents == b->received_cents && a->refunded_cents == b->refunded_cents &&
           a->paid_cents == b->paid_cents && a->open_cents == b->open_cents &&
           strcmp(a->status, b->status) == 0 && a->disputes_open == b->disputes_open &&
           a->refunds_pending == b->refunds_pending && a->attempt_failed == b->attempt_failed;
}

/* The summary the store keeps per booking (booking_payment_summaries,
 * written after every event) is ledger_summary_compute of the records so
 * far. After every prefix of a shuffled, duplicated delivery it equals the
 * summary of the same events folded in order, and its flags say exactly
 * which risks the booking's records raise: the risks read selects its
 * candidates by them. */
static void test_summary_after_every_event_in_any_order(void **state)
{
    (void)state;
    char *events[32];
    size_t n = scenario(events);
    struct set *got = calloc(1, sizeof *got);
    struct set *canon = calloc(1, sizeof *canon);
    assert_non_null(got);
    assert_non_null(canon);
    struct ledger_booking b = {.id = BK,
                               .guest_name = "Ann",
                               .status = "confirmed",
                               .check_in = "2027-06-01",
                               .currency = "eur",
                               .total_cents = 100000};
    /* prefixes with an open dispute, a pending refund, a failure; balance
     * risks judged both ways */
    size_t flagged[4] = {0};
    for (uint64_t seed = 1; seed <= 200; seed++) {
        uint64_t rng = seed;
        size_t order[64];
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            order[m++] = i;
        }
        size_t dups = next_random(&rng) % 12;
        for (size_t d = 0; d < dups; d++) {
            order[m++] = next_random(&rng) % n;
        }
        for (size_t i = m; i > 1; i--) {
            size_t j = next_random(&rng) % i;
            size_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        memset(got, 0, sizeof *got);
        bool seen[32] = {false};
        for (size_t k = 0; k < m; k++) {
            fold(got, events[order[k]]);
            seen[order[k]] = true;
            memset(canon, 0, sizeof *canon); /* the same events, once each, in order */
            for (size_t i = 0; i < n; i++) {
                if (seen[i]) {
                    fold(canon, events[i]);
                }
            }
            struct ledger_summary a, c;
            ledger_summary_compute(b.total_cents, b.currency, got->recs, got->n, &a);
            ledger_summary_compute(b.total_cents, b.currency, canon->recs, canon->n, &c);
            assert_true(summaries_equal(&a, &c));
            struct ledger_risk out[LEDGER_RISKS_PER_BOOKING_MAX];
            size_t count = risks_at(&b, got->recs, got->n, T0 + 86400, out);
            bool reason[RISK_REASONS] = {false};
            for (size_t r = 0; r < count; r++) {
                reason[out[r].reason] = true;
            }
            assert_int_equal(a.disputes_open > 0, reason[RISK_DISPUTE_OPEN]);
            assert_int_equal(a.refunds_pending > 0, reason[RISK_REFUND_PENDING]);
            assert_int_equal(a.attempt_failed && a.open_cents > 0, reason[RISK_PAYMENT_FAILED]);
            assert_int_equal(a.paid_cents > b.total_cents, reason[RISK_OVERPAID]);
            /* Unflagged, the summary's paid_cents judges it alone, in
             * ledger_risks_of's words: whether the balance is due soon,
             * overdue, or neither. */
            bool clear = a.disputes_open == 0 && a.refunds_pending == 0 && !a.attempt_failed &&
                         a.paid_cents <= b.total_cents;
            static const char *const check_ins[] = {"2027-06-01", "2026-11-30", "2026-12-08"};
            for (size_t ci = 0; clear && ci < 3; ci++) {
                struct ledger_booking bb = b;
                bb.check_in = check_ins[ci]; /* far; overdue; due soon on 2026-12-05 */
                struct ledger_risk full[LEDGER_RISKS_PER_BOOKING_MAX];
                struct ledger_risk part[LEDGER_RISKS_PER_BOOKING_MAX];
                size_t nf = risks_at(&bb, got->recs, got->n, T0 + 12 * 86400, full);
                struct zone *z = NULL;
                assert_int_equal(zone_open("Europe/Rome", &z), LU_OK);
                size_t np = ledger_balance_risks_of(&bb, a.paid_cents, z, T0 + 12 * 86400, part);
                zone_close(z);
                assert_int_equal(nf, np);
                for (size_t r = 0; r < nf; r++) {
                    assert_int_equal(full[r].reason, part[r].reason);
                    assert_int_equal(full[r].amount_cents, part[r].amount_cents);
                    assert_int_equal(full[r].since, part[r].since);
                    assert_string_equal(full[r].detail, part[r].detail);
                }
                flagged[3] += nf;
            }
            flagged[0] += a.disputes_open > 0;
            flagged[1] += a.refunds_pending > 0;
            flagged[2] += a.attempt_failed;
        }
    }
    /* The scenario passes through each flag on the way. */
    assert_true(flagged[0] > 0 && flagged[1] > 0 && flagged[2] > 0 && flagged[3] > 0);
    for (size_t i = 0; i < n; i++) {
        free(events[i]);
    }
    free(got);
    free(canon);
}

static void test_money_format(void **state)
{
    (void)state;
    char out[64];
    ledger_money_format(123456789, "eur", out, sizeof out);
    assert_string_equal(out, "EUR 1,234,567.89");
    ledger_money_format(5, "usd", out, sizeof out);
    assert_string_equal(out, "USD 0.05");
    ledger_money_format(12345, "jpy", out, sizeof out);
    assert_string_equal(out, "JPY 12,345");
    ledger_money_format(-1500, "eur", out, sizeof out);
    assert_string_equal(out, "EUR -15.00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_rejects_non_events),
        cmocka_unit_test(test_snapshot_fields),
        cmocka_unit_test(test_terminal_is_never_overwritten),
        cmocka_unit_test(test_newest_wins_ties_by_precedence),
        cmocka_unit_test(test_amounts_only_grow),
        cmocka_unit_test(test_booking_links),
        cmocka_unit_test(test_any_order_any_duplicates_same_records),
        cmocka_unit_test(test_summary_statuses),
        cmocka_unit_test(test_balance_risks_in_the_zone),
        cmocka_unit_test(test_risk_reasons_and_order),
        cmocka_unit_test(test_summary_after_every_event_in_any_order),
        cmocka_unit_test(test_money_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
