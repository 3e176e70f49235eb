/*
 * risks.c — a booking's payment truth and its risks, from its records
 * (rules in ledger.h). Pure: the store loads bookings and records and
 * passes a zone and an instant; /api/bookings/{id}/payments,
 * /api/payments/risks, the today view and every balance shown come from
 * these functions only, so they cannot disagree.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "ledger/ledger.h"

static bool is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static bool refund_counts(const struct ledger_record *r)
{
    return is(r->status, "pending") || is(r->status, "requires_action") ||
           is(r->status, "succeeded");
}

static bool dispute_open(const struct ledger_record *r)
{
    return r->kind == LEDGER_DISPUTE && !ledger_record_terminal(r);
}

static bool refund_pending(const struct ledger_record *r)
{
    return r->kind == LEDGER_REFUND &&
           (is(r->status, "pending") || is(r->status, "requires_action"));
}

/* The newest attempt (ledger.h), or NULL. */
static const struct ledger_record *last_attempt(const struct ledger_record *recs, size_t n)
{
    const struct ledger_record *last = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct ledger_record *r = &recs[i];
        bool attempt = r->kind == LEDGER_PAYMENT_INTENT ||
                       (r->kind == LEDGER_CHARGE && r->payment_intent[0] == '\0');
        if (attempt &&
            (last == NULL || r->status_created > last->status_created ||
             (r->status_created == last->status_created && strcmp(r->id, last->id) > 0))) {
            last = r;
        }
    }
    return last;
}

static bool attempt_failed(const struct ledger_record *r)
{
    if (r->kind == LEDGER_CHARGE) {
        return is(r->status, "failed");
    }
    return is(r->status, "requires_payment_method") &&
           (r->failure_code[0] || r->failure_message[0]);
}

/* Money of one payment group: received and refunded, counted once. */
static void group_money(const struct ledger_record *recs, size_t n, const char *key,
                        const char *currency, int64_t *received, int64_t *refunded)
{
    int64_t intent = 0, charges = 0, sessions = 0, charge_refunds = 0, refunds = 0;
    for (size_t j = 0; j < n; j++) {
        const struct ledger_record *r = &recs[j];
        if (!is(ledger_group_key(recs, n, j), key) || !is(r->currency, currency)) {
            continue;
        }
        switch (r->kind) {
        case LEDGER_PAYMENT_INTENT:
            intent += r->amount_received;
            break;
        case LEDGER_CHARGE:
            charges += r->amount_received;
            charge_refunds += r->amount_refunded;
            break;
        case LEDGER_CHECKOUT_SESSION:
            sessions += r->amount_received;
            break;
        case LEDGER_REFUND:
            refunds += refund_counts(r) ? r->amount : 0;
            break;
        case LEDGER_DISPUTE:
            break;
        case LEDGER_KINDS:
            LU_ASSERT(!"no such kind");
            break;
        }
    }
    int64_t in = intent > charges ? intent : charges;
    *received = in > sessions ? in : sessions;
    *refunded = charge_refunds > refunds ? charge_refunds : refunds;
}

void ledger_summary_compute(int64_t total_cents, const char *currency,
                            const struct ledger_record *recs, size_t n, struct ledger_summary *out)
{
    LU_ASSERT(out != NULL && (recs != NULL || n == 0));
    memset(out, 0, sizeof *out);
    out->total_cents = total_cents;
    for (size_t i = 0; i < n; i++) {
        out->disputes_open += dispute_open(&recs[i]) ? 1 : 0;
        out->refunds_pending += refund_pending(&recs[i]) ? 1 : 0;
        const char *key = ledger_group_key(recs, n, i);
        bool first = true;
        for (size_t j = 0; j < i && first; j++) {
            first = !is(ledger_group_key(recs, n, j), key);
        }
        if (first && currency != NULL) {
            int64_t received = 0, refunded = 0;
            group_money(recs, n, key, currency, &received, &refunded);
            out->received_cents += received;
            out->refunded_cents += refunded;
        }
    }
    out->paid_cents = out->received_cents - out->refunded_cents;
    int64_t open = total_cents - out->paid_cents;
    out->open_cents = open > 0 ? open : 0;
    const struct ledger_record *last = last_attempt(recs, n);
    out->attempt_failed = last != NULL && attempt_failed(last);
    out->status = out->disputes_open > 0                       ? "disputed"
                  : out->received_cents == 0                   ? "unpaid"
                  : out->refunded_cents >= out->received_cents ? "refunded"
                  : out->paid_cents > total_cents              ? "overpaid"
                  : out->paid_cents == total_cents             ? "paid"
                                                               : "partially_paid";
}

/* --- money text ----------------------------------------------------------- */

static int decimals_of(const char *currency)
{
    /* Stripe's zero- and three-decimal currencies. */
    static const char zero[] = "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf";
    static const char three[] = "bhd jod kwd omr tnd";
    if (currency == NULL || strlen(currency) != 3) {
        return 2;
    }
    return strstr(zero, currency) ? 0 : strstr(three, currency) ? 3 : 2;
}

void ledger_money_format(int64_t minor, const char *currency, char *out, size_t cap)
{
    int decimals = decimals_of(currency);
    uint64_t v = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    uint64_t unit = decimals == 0 ? 1 : decimals == 3 ? 1000 : 100;
    uint64_t whole = v / unit, frac = v % unit;
    char digits[32];
    snprintf(digits, sizeof digits, "%" PRIu64, whole);
    char grouped[48];
    size_t len = strlen(digits), o = 0;
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0) {
            grouped[o++] = ',';
        }
        grouped[o++] = digits[i];
    }
    grouped[o] = '\0';
    char code[4] = "???";
    for (int i = 0; currency != NULL && i < 3 && currency[i]; i++) {
        code[i] = (char)(currency[i] >= 'a' && currency[i] <= 'z' ? currency[i] - 32 : currency[i]);
    }
    if (decimals == 0) {
        snprintf(out, cap, "%s %s%s", code, minor < 0 ? "-" : "", grouped);
    } else {
        snprintf(out, cap, "%s %s%s.%0*" PRIu64, code, minor < 0 ? "-" : "", grouped, decimals,
                 frac);
    }
}

/* --- risks ---------------------------------------------------------------- */

const char *ledger_risk_reason_name(enum ledger_risk_reason r)
{
    static const char *const names[RISK_REASONS] = {
        [RISK_DISPUTE_OPEN] = "dispute_open",
        [RISK_PAYMENT_FAILED] = "payment_failed",
        [RISK_BALANCE_OVERDUE] = "balance_overdue",
        [RISK_BALANCE_DUE_SOON] = "balance_due_soon",
        [RISK_OVERPAID] = "overpaid",
        [RISK_REFUND_PENDING] = "refund_pending",
    };
    LU_ASSERT(r < RISK_REASONS);
    return names[r];
}

static struct ledger_risk *risk_add(const struct ledger_booking *b, enum ledger_risk_reason reason,
                                    int64_t amount, const char *currency, int64_t since,
                                    struct ledger_risk *out, size_t *n)
{
    LU_ASSERT(*n < LEDGER_RISKS_PER_BOOKING_MAX);
    struct ledger_risk *r = &out[(*n)++];
    memset(r, 0, sizeof *r);
    r->reason = reason;
    snprintf(r->booking_id, sizeof r->booking_id, "%s", b->id);
    snprintf(r->guest_name, sizeof r->guest_name, "%s", b->guest_name ? b->guest_name : "");
    r->amount_cents = amount;
    snprintf(r->currency, sizeof r->currency, "%s", currency ? currency : "");
    r->since = since;
    return r;
}

/* The first instant of date (YYYY-MM-DD) in z; 0 when it is not a date. */
static int64_t day_start(const struct zone *z, const char *date)
{
    int64_t start = 0, end = 0;
    return zone_day_bounds(z, date, &start, &end) ? start : 0;
}

/* dispute_open and refund_pending: one per booking, the oldest record's
 * date, the sum of the amounts in the booking's currency (or the first
 * record's when none is). */
static void record_risks(const struct ledger_booking *b, const struct ledger_record *recs, size_t n,
                         struct ledger_risk *out, size_t *count)
{
    for (int pass = 0; pass < 2; pass++) {
        enum ledger_risk_reason reason = pass == 0 ? RISK_DISPUTE_OPEN : RISK_REFUND_PENDING;
        const struct ledger_record *first = NULL;
        int64_t amount = 0;
        size_t hits = 0;
        for (size_t i = 0; i < n; i++) {
            const struct ledger_record *r = &recs[i];
            bool hit = pass == 0 ? dispute_open(r) : refund_pending(r);
            if (!hit) {
                continue;
            }
            hits++;
            int64_t at = r->object_created ? r->object_created : r->status_created;
            int64_t first_at =
                first ? (first->object_created ? first->object_created : first->status_created) : 0;
            if (first == NULL || at < first_at) {
                first = r;
            }
            amount += r->amount;
        }
        if (first == NULL) {
            continue;
        }
        char money[64];
        ledger_money_format(amount, first->currency, money, sizeof money);
        struct ledger_risk *risk = risk_add(
            b, reason, amount, first->currency,
            first->object_created ? first->object_created : first->status_created, out, count);
        if (pass == 0) {
            snprintf(risk->detail, sizeof risk->detail,
                     "%s disputed (%.96s%s%.47s), status %.47s%s", money, first->id,
                     first->reason[0] ? ": " : "", first->reason, first->status,
                     hits > 1 ? ", and more disputes" : "");
        } else {
            snprintf(risk->detail, sizeof risk->detail, "refund of %s is %.47s (%.96s%s)", money,
                     first->status, first->id, hits > 1 ? " and more" : "");
        }
    }
}

/* balance_overdue or balance_due_soon, when the balance is open. */
static void balance_risk(const struct ledger_booking *b, const struct ledger_summary *s,
                         const struct zone *z, const char *today, struct ledger_risk *out,
                         size_t *count)
{
    char horizon[ZONE_DATE_BYTES], window_start[ZONE_DATE_BYTES], money[64];
    if (s->open_cents <= 0 || b->check_in == NULL ||
        !zone_date_add(today, LEDGER_DUE_SOON_DAYS, horizon)) {
        return;
    }
    ledger_money_format(s->open_cents, b->currency, money, sizeof money);
    bool has_due = b->balance_due_on != NULL && b->balance_due_on[0] != '\0';
    const char *deadline = has_due ? b->balance_due_on : b->check_in;
    if (strcmp(deadline, today) < 0) {
        char after[ZONE_DATE_BYTES];
        int64_t since = zone_date_add(deadline, 1, after) ? day_start(z, after) : 0;
        struct ledger_risk *r =
            risk_add(b, RISK_BALANCE_OVERDUE, s->open_cents, b->currency, since, out, count);
        snprintf(r->detail, sizeof r->detail, "%s open; %s %s", money,
                 has_due ? "the balance was due on" : "no balance_due_on, and check-in was on",
                 deadline);
        return;
    }
    const char *soon = NULL;
    const char *what = NULL;
    bool in_ok = strcmp(b->check_in, today) >= 0 && strcmp(b->check_in, horizon) <= 0;
    bool due_ok = has_due && strcmp(b->balance_due_on, horizon) <= 0; /* >= today: not overdue */
    if (due_ok && (!in_ok || strcmp(b->balance_due_on, b->check_in) <= 0)) {
        soon = b->balance_due_on;
        what = "the balance is due on";
    } else if (in_ok) {
        soon = b->check_in;
        what = "check-in is on";
    }
    if (soon == NULL || !zone_date_add(soon, -LEDGER_DUE_SOON_DAYS, window_start)) {
        return;
    }
    struct ledger_risk *r = risk_add(b, RISK_BALANCE_DUE_SOON, s->open_cents, b->currency,
                                     day_start(z, window_start), out, count);
    snprintf(r->detail, sizeof r->detail, "%s open; %s %s", money, what, soon);
}

/* payment_failed and overpaid. */
static void money_risks(const struct ledger_booking *b, const struct ledger_record *recs, size_t n,
                        const struct ledger_summary *s, struct ledger_risk *out, size_t *count)
{
    char money[64];
    const struct ledger_record *last = last_attempt(recs, n);
    if (s->open_cents > 0 && last != NULL && attempt_failed(last)) {
        ledger_money_format(last->amount, last->currency, money, sizeof money);
        struct ledger_risk *r = risk_add(b, RISK_PAYMENT_FAILED, last->amount, last->currency,
                                         last->status_created, out, count);
        snprintf(r->detail, sizeof r->detail, "payment of %s failed (%.96s%s%.47s)%s%.120s", money,
                 last->id, last->failure_code[0] ? ": " : "", last->failure_code,
                 last->failure_message[0] ? ": " : "", last->failure_message);
    }
    if (s->paid_cents > s->total_cents) {
        int64_t since = 0;
        for (size_t i = 0; i < n; i++) {
            if (recs[i].kind != LEDGER_DISPUTE && recs[i].status_created > since) {
                since = recs[i].status_created;
            }
        }
        char total[64];
        ledger_money_format(s->paid_cents - s->total_cents, b->currency, money, sizeof money);
        ledger_money_format(s->total_cents, b->currency, total, sizeof total);
        struct ledger_risk *r = risk_add(b, RISK_OVERPAID, s->paid_cents - s->total_cents,
                                         b->currency, since, out, count);
        snprintf(r->detail, sizeof r->detail, "%s received beyond the total of %s", money, total);
    }
}

size_t ledger_risks_of(const struct ledger_booking *b, const struct ledger_record *recs, size_t n,
                       const struct zone *z, int64_t now_s, struct ledger_risk *out)
{
    LU_ASSERT(b != NULL && b->id != NULL && z != NULL && out != NULL);
    size_t count = 0;
    record_risks(b, recs, n, out, &count);
    if (b->status != NULL && is(b->status, "cancelled")) {
        return count; /* nothing is owed on a cancelled stay */
    }
    struct ledger_summary s;
    ledger_summary_compute(b->total_cents, b->currency, recs, n, &s);
    money_risks(b, recs, n, &s, out, &count);
    char today[ZONE_DATE_BYTES];
    zone_date_of(z, now_s, today);
    balance_risk(b, &s, z, today, out, &count);
    LU_ASSERT(count <= LEDGER_RISKS_PER_BOOKING_MAX);
    return count;
}

size_t ledger_balance_risks_of(const struct ledger_booking *b, int64_t paid_cents,
                               const struct zone *z, int64_t now_s, struct ledger_risk *out)
{
    LU_ASSERT(b != NULL && b->id != NULL && z != NULL && out != NULL);
    size_t count = 0;
    if (b->status != NULL && is(b->status, "cancelled")) {
        return 0;
    }
    struct ledger_summary s;
    memset(&s, 0, sizeof s);
    s.total_cents = b->total_cents;
    s.paid_cents = paid_cents;
    int64_t open = b->total_cents - paid_cents;
    s.open_cents = open > 0 ? open : 0;
    char today[ZONE_DATE_BYTES];
    zone_date_of(z, now_s, today);
    balance_risk(b, &s, z, today, out, &count);
    return count;
}

static int risk_compare(const void *pa, const void *pb)
{
    const struct ledger_risk *a = pa, *b = pb;
    if (a->reason != b->reason) {
        return a->reason < b->reason ? -1 : 1;
    }
    if (a->since != b->since) {
        return a->since < b->since ? -1 : 1;
    }
    if (a->amount_cents != b->amount_cents) {
        return a->amount_cents > b->amount_cents ? -1 : 1;
    }
    int c = strcmp(a->booking_id, b->booking_id);
    return c != 0 ? c : strcmp(a->detail, b->detail);
}

void ledger_risks_sort(struct ledger_risk *risks, size_t n)
{
    if (n > 1) {
        qsort(risks, n, sizeof *risks, risk_compare);
    }
}
