/*
 * demo.c — the `lucia demo` dataset (see demo.h): two properties, thirteen
 * guests, thirteen bookings from three weeks ago to four weeks ahead, their
 * Stripe payments, and concierge, maintenance and task items in every
 * truth state.
 *
 * The story on the day it is loaded, in each property's own zone:
 *   Villa Aurora (Positano, Europe/Rome, eur): James leaves today, Amelia's
 *   family is mid-stay, Daniel and Chiara arrive today. Daniel's dinner at
 *   19:30 tonight is still only `requested`; an urgent leak under the
 *   pool-house sink was reported 40 minutes ago; the pool is being cleaned,
 *   linen is due, welcome hampers are overdue since yesterday; last night's
 *   private chef failed. Chiara's card was declined for her balance
 *   yesterday (a payment_failed risk, and the balance is overdue); Lukas's
 *   balance falls due in three days.
 *   Casa Marea (Malibu, the operator's zone, usd): Marcus arrives today,
 *   Elena is in the house with a hot tub being fixed; Oliver cancelled and
 *   his deposit was refunded.
 * Payments: past, in-house and arriving stays are paid in full (a 30%
 * deposit at booking, the balance before balance_due_on); later stays have
 * paid the deposit only; the request has paid nothing.
 * Every record goes through the store functions inside one write
 * transaction — payments as Stripe events through the webhook's own
 * store_stripe_event_apply — so the audit chain, /history and `lucia ledger
 * reconcile` read as if an operator and Stripe had done it, and a failure
 * leaves nothing half-written.
 */
#include "demo/demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/log.h"
#include "ledger/ledger.h"
#include "store/store.h"

#define ACTOR "demo"
#define GUESTS 13
#define BOOKINGS 13
#define STEPS_MAX 3
#define NONE (-1)
/* balance_due_day meaning "no date" (a day count, so not NONE: -1 is
 * yesterday). */
#define NO_DATE 999
/* due_day value meaning "relative to the moment of loading". */
#define DUE_FROM_NOW 99

struct demo_property {
    const char *name;
    const char *zone; /* NULL: the operator's zone */
};

struct demo_guest {
    int property;
    const char *name;
    const char *email;
    const char *phone;
};

/* What Stripe has seen of a booking's money: a 30% deposit at booking, then
 * the balance before balance_due_on. */
enum demo_pay {
    PAY_NOTHING,  /* a request: nothing asked yet */
    PAY_DEPOSIT,  /* the deposit; the balance is not due yet */
    PAY_FULL,     /* the deposit and the balance */
    PAY_DECLINED, /* the deposit; the card was declined for the balance */
    PAY_REFUNDED, /* the deposit, refunded in full on cancellation */
};

/* The deposit's share of the total, in percent. */
#define DEPOSIT_PERCENT 30

struct demo_booking {
    int guest;
    int check_in_day; /* days from today in the property's zone */
    int check_out_day;
    int64_t total_cents;
    const char *currency;
    int balance_due_day;  /* NO_DATE: no date */
    const char *status;   /* where it ends up */
    const char *evidence; /* for confirmed */
    const char *note;     /* for cancelled */
    enum demo_pay pay;
};

struct demo_step {
    const char *to;
    const char *evidence;
    const char *note;
};

struct demo_item {
    int property;
    int booking; /* NONE, or the booking the item belongs to */
    const char *kind;
    const char *title;
    const char *details;
    const char *priority;
    bool guest_impacting;
    int due_day;     /* days from today, or DUE_FROM_NOW */
    int due_minutes; /* local minutes after midnight, or from now */
    const char *assignee;
    struct demo_step steps[STEPS_MAX];
};

/* The tables read as rows, one record each, so the formatter keeps off. */
/* clang-format off */
static const struct demo_property properties[DEMO_PROPERTIES] = {
    {"Villa Aurora", "Europe/Rome"},
    {"Casa Marea", NULL},
};

static const struct demo_guest guests[GUESTS] = {
    {0, "Sophie Laurent", "sophie.laurent@example.com", "+33612345678"},
    {0, "James Whitfield", "james.whitfield@example.co.uk", "+447700900123"},
    {0, "Amelia Hart", "amelia.hart@example.com.au", "+61412345678"},
    {0, "Daniel Okafor", "daniel.okafor@example.com", "+14155550142"},
    {0, "Chiara Benedetti", "chiara.benedetti@example.it", "+393471234567"},
    {0, "Lukas Becker", "lukas.becker@example.de", "+4915123456789"},
    {0, "Harriet Moss", "harriet.moss@example.co.uk", "+447700900456"},
    {1, "Priya Raman", "priya.raman@example.com", "+16505550123"},
    {1, "Marcus Chen", "marcus.chen@example.com", "+14155550199"},
    {1, "Elena Vasquez", "elena.vasquez@example.com", "+13105550177"},
    {1, "Noah Feldman", "noah.feldman@example.com", "+12125550110"},
    {1, "Grace Kim", "grace.kim@example.com", "+12065550133"},
    {1, "Oliver Grant", "oliver.grant@example.com", "+17185550188"},
};

static const struct demo_booking bookings[BOOKINGS] = {
    {0, -12, -5, 420000, "eur", -40, "checked_out", "Rental agreement RA-2041 signed online", NULL,
     PAY_FULL},
    {1, -4, 0, 380000, "eur", -34, "checked_in", "Rental agreement RA-2047 signed online", NULL,
     PAY_FULL},
    {2, -2, 3, 510000, "eur", -32, "checked_in", "Rental agreement RA-2050 signed online", NULL,
     PAY_FULL},
    {3, 0, 7, 690000, "eur", -30, "confirmed", "Rental agreement RA-2053 signed online", NULL,
     PAY_FULL},
    {4, 0, 4, 290000, "eur", -1, "confirmed", "Rental agreement RA-2058 signed online", NULL,
     PAY_DECLINED},
    {5, 10, 17, 640000, "eur", 3, "confirmed", "Rental agreement RA-2061 signed online", NULL,
     PAY_DEPOSIT},
    {6, 21, 28, 720000, "eur", NO_DATE, "requested", NULL, NULL, PAY_NOTHING},
    {7, -20, -13, 315000, "usd", -50, "checked_out", "Lease CM-118 signed by DocuSign", NULL,
     PAY_FULL},
    {8, 0, 3, 185000, "usd", -30, "confirmed", "Lease CM-124 signed by DocuSign", NULL, PAY_FULL},
    {9, -3, 2, 260000, "usd", -33, "checked_in", "Lease CM-121 signed by DocuSign", NULL, PAY_FULL},
    {10, 5, 9, 240000, "usd", -25, "confirmed", "Lease CM-127 signed by DocuSign", NULL, PAY_FULL},
    {11, 24, 31, 410000, "usd", 10, "confirmed", "Lease CM-130 signed by DocuSign", NULL,
     PAY_DEPOSIT},
    {12, 7, 12, 200000, "usd", NO_DATE, "cancelled", "Lease CM-126 signed by DocuSign",
     "Oliver cancelled: his work trip moved. Free cancellation under the 30-day policy.",
     PAY_REFUNDED},
};

static const struct demo_item items[] = {
    {0, 3, "concierge", "Dinner for 4 at Da Adolfo, 19:30",
     "Daniel asked for a terrace table for four at 19:30 on their first evening. The "
     "restaurant has not confirmed yet.",
     "high", true, 0, 19 * 60 + 30, "Giulia (concierge)", {{NULL, NULL, NULL}}},
    {0, 2, "maintenance", "Leak under the pool-house sink",
     "Amelia reported water pooling under the pool-house sink. Towels are down; the shut-off "
     "valve is stiff and has not been closed. No plumber called yet.",
     "urgent", true, DUE_FROM_NOW, -40, NULL, {{NULL, NULL, NULL}}},
    {0, 2, "concierge", "Boat charter to Capri",
     "Full-day gozzo charter for four, leaving Positano pier at 09:30.", "normal", true, 1,
     9 * 60 + 30, "Giulia (concierge)",
     {{"confirmed", "Confirmed by Marco at Capri Blue Boats by phone, booking ref CBB-4471",
       NULL}}},
    {0, NONE, "task", "Pool cleaning", "Weekly clean and chemical check before the arrivals.",
     "normal", false, 0, 10 * 60, "Piscine Azzurra",
     {{"confirmed", "Piscine Azzurra confirmed the 10:00 visit, ticket AZ-2231", NULL},
      {"in_progress", NULL, "Technician on site"}}},
    {0, 3, "task", "Linen delivery for the Okafor arrival",
     "Fresh linen and towels for four bedrooms before the 15:00 check-in.", "normal", false, 0,
     13 * 60, "Lavanderia Sole", {{NULL, NULL, NULL}}},
    {0, NONE, "task", "Restock welcome hampers",
     "Limoncello, taralli and fruit for today's two arrivals. Was due yesterday evening.",
     "normal", false, -1, 17 * 60, "Giulia (concierge)", {{NULL, NULL, NULL}}},
    {0, 2, "concierge", "Airport transfer from Naples (NAP)",
     "Flight EZY2371; two adults, two children, five bags.", "normal", true, -2, 13 * 60,
     "Amalfi Drivers",
     {{"confirmed", "Booked with Amalfi Drivers, ref AD-9910, driver Luca", NULL},
      {"in_progress", NULL, "Luca picked the family up at arrivals"},
      {"done", "Luca dropped the family at the villa at 15:10; signed delivery note AD-9910",
       NULL}}},
    {0, 2, "concierge", "Couples massage on the terrace", "90 minutes, two therapists.", "low",
     true, 2, 17 * 60, NULL,
     {{"cancelled", NULL, "Amelia cancelled: they will be on the boat that day. No fee."}}},
    {0, 1, "concierge", "Private chef farewell dinner", "Dinner for six, seafood menu, 20:00.",
     "high", true, -1, 20 * 60, "Chef Bianchi",
     {{"confirmed", "Chef Bianchi confirmed by WhatsApp; menu agreed", NULL},
      {"failed", NULL,
       "Chef Bianchi fell ill at 17:00 and no replacement was free. James was told at 17:30 "
       "and booked a table at Il Ritrovo himself."}}},
    {0, 4, "task", "Follow up on Chiara Benedetti's declined balance payment",
     "Stripe declined her card for the EUR 2,030 balance yesterday (card_declined); the EUR 870 "
     "deposit is paid. Send her a new payment link or agree a bank transfer before she checks "
     "in this afternoon.",
     "high", false, 0, 12 * 60, NULL, {{NULL, NULL, NULL}}},
    {1, 9, "maintenance", "Hot tub heater not reaching temperature",
     "Elena says the hot tub stays lukewarm, about 30 C.", "high", true, 0, 16 * 60,
     "Pacific Spa Service",
     {{"confirmed", "Pacific Spa Service confirmed a visit today, work order PS-5582", NULL},
      {"in_progress", NULL, "Technician replacing the heater element"}}},
    {1, 8, "concierge", "Sunset sail for two", "Marcus asked for a sunset sail around 17:30.",
     "normal", true, 1, 17 * 60 + 30, NULL, {{NULL, NULL, NULL}}},
    {1, NONE, "task", "Beach towels and linen delivery", "For Marcus Chen's arrival.", "normal",
     false, 0, 11 * 60, "Coastal Linen Co.",
     {{"confirmed", "Coastal Linen confirmed the 11:00 drop-off, order CL-3310", NULL}}},
    {1, NONE, "task", "Pool cleaning", "Skim, vacuum and balance the chemicals.", "normal",
     false, 0, 9 * 60, "Blue Wave Pools", {{NULL, NULL, NULL}}},
    {1, 9, "maintenance", "Replace smoke detector battery in bedroom 2",
     "The detector chirps at night, reported by Elena.", "high", true, -1, 18 * 60,
     "Ray (handyman)",
     {{"confirmed", "Ray confirmed by text for a 17:00 visit", NULL},
      {"in_progress", NULL, NULL},
      {"done", "Ray replaced the battery and tested the alarm at 17:20; photo in the thread",
       NULL}}},
    {1, 8, "concierge", "Surf lesson at Zuma", "Two beginners, 08:00.", "low", true, 1, 8 * 60,
     NULL, {{"cancelled", NULL, "Marcus cancelled: the surf forecast is too big for beginners."}}},
};
/* clang-format on */
#define ITEMS (sizeof items / sizeof items[0])

/* What the loader knows while it writes. */
struct demo_ctx {
    struct db_conn *conn;
    struct scope scope;
    int64_t now_s;
    struct zone *zones[DEMO_PROPERTIES];
    char guest_ids[GUESTS][ID_BYTES_MAX];
    char booking_ids[BOOKINGS][ID_BYTES_MAX];
    struct demo_summary *sum;
    char *err;
    size_t err_cap;
};

static enum lu_rc failed(struct demo_ctx *c, enum lu_rc rc, const char *what, const char *name)
{
    snprintf(c->err, c->err_cap, "could not write %s \"%s\": %s", what, name, lu_rc_name(rc));
    return rc;
}

/* The date `days` from today in the property's zone. */
static void day_date(const struct demo_ctx *c, int property, int days, char out[ZONE_DATE_BYTES])
{
    bool ok = zone_date_add(c->sum->today[property], days, out);
    LU_ASSERT(ok);
}

/* Unix seconds of local minutes after midnight, `days` from today in the
 * property's zone. */
static int64_t local_time(const struct demo_ctx *c, int property, int days, int minutes)
{
    char date[ZONE_DATE_BYTES];
    day_date(c, property, days, date);
    int64_t local = 0;
    bool ok = zone_date_local_s(date, &local);
    LU_ASSERT(ok);
    return zone_local_to_utc(c->zones[property], local + (int64_t)minutes * 60);
}

/* RFC 3339 UTC of an item's due time: local minutes on a day, or minutes
 * from now. */
static void due_time(const struct demo_ctx *c, const struct demo_item *it, char out[RFC3339_BYTES])
{
    if (it->due_day == DUE_FROM_NOW) {
        clock_format_utc(c->now_s + (int64_t)it->due_minutes * 60, out);
        return;
    }
    clock_format_utc(local_time(c, it->property, it->due_day, it->due_minutes), out);
}

static enum lu_rc record_id(json_t *record, char out[ID_BYTES_MAX])
{
    snprintf(out, ID_BYTES_MAX, "%s", json_string_value(json_object_get(record, "id")));
    json_decref(record);
    return LU_OK;
}

static enum lu_rc step_apply(struct demo_ctx *c, const char *type, const char *id,
                             const struct demo_step *s, const char *name)
{
    struct transition_request t = {
        .to = s->to, .evidence = s->evidence, .note = s->note, .expected = VERSION_ANY};
    struct transition_refusal refusal;
    json_t *record = NULL;
    enum lu_rc rc = store_transition(c->conn, ACTOR, &c->scope, type, id, &t, &record, &refusal);
    json_decref(record);
    if (rc == LU_INVALID) {
        snprintf(c->err, c->err_cap, "could not move \"%s\" to %s: %s", name, s->to,
                 refusal.message);
        return rc;
    }
    if (rc != LU_OK) {
        return failed(c, rc, "the transition of", name);
    }
    c->sum->transitions++;
    return LU_OK;
}

static enum lu_rc properties_add(struct demo_ctx *c, const char *operator_zone)
{
    for (int i = 0; i < DEMO_PROPERTIES; i++) {
        const char *zone = properties[i].zone ? properties[i].zone : operator_zone;
        json_t *record = NULL;
        enum lu_rc rc = store_property_create(c->conn, ACTOR, properties[i].name, zone, &record);
        if (rc == LU_OK) {
            rc = record_id(record, c->sum->property_ids[i]);
        }
        if (rc == LU_OK) {
            rc = zone_open(zone, &c->zones[i]);
        }
        if (rc != LU_OK) {
            return failed(c, rc, "the property", properties[i].name);
        }
        c->sum->property_names[i] = properties[i].name;
        c->sum->zones[i] = zone;
        zone_date_of(c->zones[i], c->now_s, c->sum->today[i]);
        c->sum->properties++;
    }
    return LU_OK;
}

static enum lu_rc guests_add(struct demo_ctx *c)
{
    for (int i = 0; i < GUESTS; i++) {
        const struct demo_guest *g = &guests[i];
        json_t *fields =
            json_pack("{s:s, s:s, s:s, s:s}", "property_id", c->sum->property_ids[g->property],
                      "name", g->name, "email", g->email, "phone", g->phone);
        json_t *record = NULL;
        enum lu_rc rc =
            fields ? store_guest_create(c->conn, ACTOR, &c->scope, fields, &record) : LU_NOMEM;
        json_decref(fields);
        if (rc == LU_OK) {
            rc = record_id(record, c->guest_ids[i]);
        }
        if (rc != LU_OK) {
            return failed(c, rc, "the guest", g->name);
        }
        c->sum->guests++;
    }
    return LU_OK;
}

/* The transitions from requested to b->status, each with what it needs:
 * evidence to confirm, a note to cancel. */
static enum lu_rc booking_walk(struct demo_ctx *c, const struct demo_booking *b, const char *id)
{
    const char *name = guests[b->guest].name;
    if (strcmp(b->status, "requested") == 0) {
        return LU_OK;
    }
    if (strcmp(b->status, "cancelled") == 0) {
        struct demo_step confirm = {"confirmed", b->evidence, NULL};
        struct demo_step cancel = {"cancelled", NULL, b->note};
        enum lu_rc rc = step_apply(c, "booking", id, &confirm, name);
        return rc == LU_OK ? step_apply(c, "booking", id, &cancel, name) : rc;
    }
    static const struct demo_step path[] = {
        {"confirmed", NULL, NULL},
        {"checked_in", NULL, "Keys handed over at the door"},
        {"checked_out", NULL, "Keys returned; the house inspected, no damage"},
    };
    for (size_t i = 0; i < sizeof path / sizeof path[0]; i++) {
        struct demo_step s = path[i];
        if (i == 0) {
            s.evidence = b->evidence;
        }
        enum lu_rc rc = step_apply(c, "booking", id, &s, name);
        if (rc != LU_OK || strcmp(b->status, s.to) == 0) {
            return rc;
        }
    }
    LU_ASSERT(!"a demo booking ends in an unknown status");
    return LU_INVALID;
}

/* --- payments: Stripe's events, as its webhook would deliver them ------- */

/* The Stripe API version the demo events claim to come from. */
#define STRIPE_API_VERSION "2024-06-20"
/* Payments are taken at 10:00 local; a payment intent is created a minute
 * before its charge (the guest opening the payment page). */
#define PAY_MINUTES (10 * 60)
#define INTENT_LEAD_S 60
/* The deposit is taken this many days before check-in; a balance without a
 * due date is taken this many days before check-in. */
#define DEPOSIT_DAYS_BEFORE 60
#define BALANCE_DAYS_BEFORE 30
/* A balance is paid this many days before it falls due. */
#define BALANCE_EARLY_DAYS 2
#define DECLINE_CODE "card_declined"
#define DECLINE_MESSAGE "Your card was declined."

/* One attempt to take money for a booking: a payment intent and its
 * charge, named pi_demo_<booking>_<purpose> and ch_demo_<booking>_<purpose>,
 * so ids and event ids are unique per booking and so per run. */
struct demo_attempt {
    const char *booking_id;
    const char *purpose; /* "deposit" or "balance" */
    const char *currency;
    int64_t amount;
    int64_t at; /* Unix seconds of the charge */
    bool declined;
    char pi[LEDGER_ID_BYTES];
    char ch[LEDGER_ID_BYTES];
};

/* Stores and folds one event (data.object = object, stolen) through the
 * webhook's write, in the demo's transaction. */
static enum lu_rc event_apply(struct demo_ctx *c, const struct demo_attempt *a, const char *type,
                              const char *suffix, int64_t created, json_t *object, const char *name)
{
    char evt[LEDGER_ID_BYTES];
    snprintf(evt, sizeof evt, "evt_demo_%s_%s_%s", a->booking_id, a->purpose, suffix);
    json_t *event =
        json_pack("{s:s, s:s, s:s, s:I, s:b, s:i, s:s, s:{s:o}}", "id", evt, "object", "event",
                  "api_version", STRIPE_API_VERSION, "created", (json_int_t)created, "livemode", 0,
                  "pending_webhooks", 1, "type", type, "data", "object", object);
    char *raw = event ? json_dumps(event, JSON_COMPACT) : NULL;
    json_decref(event);
    if (raw == NULL) {
        return failed(c, LU_NOMEM, "the payment of", name);
    }
    struct ledger_event ev;
    const char *why = "";
    enum lu_rc rc = ledger_event_parse(raw, strlen(raw), &ev, &why);
    if (rc != LU_OK) {
        snprintf(c->err, c->err_cap, "could not read the demo Stripe event %s: %s", evt, why);
        free(raw);
        return rc;
    }
    json_t *answer = NULL;
    rc = store_stripe_event_apply(c->conn, &ev, raw, &answer);
    json_decref(answer);
    ledger_event_free(&ev);
    free(raw);
    if (rc != LU_OK) {
        return failed(c, rc, "the Stripe event of", name);
    }
    c->sum->payment_events++;
    return LU_OK;
}

/* The charge as Stripe shows it: succeeded (refunded in part or full when
 * refund is not NULL, stolen) or failed with the decline. */
static json_t *charge_object(const struct demo_attempt *a, int64_t refunded, json_t *refund)
{
    int64_t captured = a->declined ? 0 : a->amount;
    json_t *refunds =
        json_pack("{s:s, s:[], s:b, s:i, s:s++}", "object", "list", "data", "has_more", 0,
                  "total_count", refund ? 1 : 0, "url", "/v1/charges/", a->ch, "/refunds");
    if (refunds != NULL && refund != NULL) {
        json_array_append(json_object_get(refunds, "data"), refund);
    }
    json_decref(refund);
    return json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:b, s:b, s:b, s:s, s:s, s:s, s:I, s:s?, s:s?, s:o, s:{s:s, "
        "s:s}}",
        "id", a->ch, "object", "charge", "amount", (json_int_t)a->amount, "amount_captured",
        (json_int_t)captured, "amount_refunded", (json_int_t)refunded, "captured", !a->declined,
        "paid", !a->declined, "refunded", refunded > 0 && refunded == a->amount, "currency",
        a->currency, "status", a->declined ? "failed" : "succeeded", "payment_intent", a->pi,
        "created", (json_int_t)a->at, "failure_code", a->declined ? DECLINE_CODE : NULL,
        "failure_message", a->declined ? DECLINE_MESSAGE : NULL, "refunds", refunds, "metadata",
        "booking_id", a->booking_id, "purpose", a->purpose);
}

/* The payment intent as Stripe shows it after the charge. */
static json_t *intent_object(const struct demo_attempt *a)
{
    json_t *error = a->declined ? json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "card_error",
                                            "code", DECLINE_CODE, "decline_code", "generic_decline",
                                            "message", DECLINE_MESSAGE, "charge", a->ch)
                                : json_null();
    return json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:I, s:s, s:[s], s:o, s:{s:s, s:s}}", "id",
                     a->pi, "object", "payment_intent", "amount", (json_int_t)a->amount,
                     "amount_received", (json_int_t)(a->declined ? 0 : a->amount), "currency",
                     a->currency, "status", a->declined ? "requires_payment_method" : "succeeded",
                     "created", (json_int_t)(a->at - INTENT_LEAD_S), "latest_charge", a->ch,
                     "payment_method_types", "card", "last_payment_error", error, "metadata",
                     "booking_id", a->booking_id, "purpose", a->purpose);
}

/* One attempt's two events, in the order Stripe sends them: the charge,
 * then the payment intent. */
static enum lu_rc attempt_apply(struct demo_ctx *c, struct demo_attempt *a, const char *name)
{
    snprintf(a->pi, sizeof a->pi, "pi_demo_%s_%s", a->booking_id, a->purpose);
    snprintf(a->ch, sizeof a->ch, "ch_demo_%s_%s", a->booking_id, a->purpose);
    enum lu_rc rc = event_apply(c, a, a->declined ? "charge.failed" : "charge.succeeded", "charge",
                                a->at, charge_object(a, 0, NULL), name);
    if (rc == LU_OK) {
        rc = event_apply(c, a,
                         a->declined ? "payment_intent.payment_failed" : "payment_intent.succeeded",
                         "intent", a->at, intent_object(a), name);
    }
    return rc;
}

/* The deposit refunded in full at `at`: charge.refunded with the refund. */
static enum lu_rc refund_apply(struct demo_ctx *c, const struct demo_attempt *a, int64_t at,
                               const char *name)
{
    char re[LEDGER_ID_BYTES];
    snprintf(re, sizeof re, "re_demo_%s_%s", a->booking_id, a->purpose);
    json_t *refund =
        json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:{}}", "id", re, "object",
                  "refund", "amount", (json_int_t)a->amount, "charge", a->ch, "payment_intent",
                  a->pi, "currency", a->currency, "status", "succeeded", "created", (json_int_t)at,
                  "reason", "requested_by_customer", "metadata");
    if (refund == NULL) {
        return failed(c, LU_NOMEM, "the refund of", name);
    }
    return event_apply(c, a, "charge.refunded", "refund", at, charge_object(a, a->amount, refund),
                       name);
}

/* Booking i's payments, by its demo_pay (see the opening comment). */
static enum lu_rc payments_add(struct demo_ctx *c, int i)
{
    const struct demo_booking *b = &bookings[i];
    const char *name = guests[b->guest].name;
    int p = guests[b->guest].property;
    if (b->pay == PAY_NOTHING) {
        return LU_OK;
    }
    int64_t deposit = b->total_cents * DEPOSIT_PERCENT / 100;
    struct demo_attempt a = {
        .booking_id = c->booking_ids[i],
        .purpose = "deposit",
        .currency = b->currency,
        .amount = deposit,
        .at = local_time(c, p, b->check_in_day - DEPOSIT_DAYS_BEFORE, PAY_MINUTES),
    };
    enum lu_rc rc = attempt_apply(c, &a, name);
    if (rc == LU_OK && b->pay == PAY_REFUNDED) {
        /* Refunded the day the cancellation came in, three days ago. */
        rc = refund_apply(c, &a, local_time(c, p, -3, PAY_MINUTES), name);
    }
    if (rc != LU_OK || (b->pay != PAY_FULL && b->pay != PAY_DECLINED)) {
        return rc;
    }
    int due =
        b->balance_due_day == NO_DATE ? b->check_in_day - BALANCE_DAYS_BEFORE : b->balance_due_day;
    /* A declined card is tried on the due date; a paid balance came early. */
    bool declined = b->pay == PAY_DECLINED;
    struct demo_attempt bal = {
        .booking_id = c->booking_ids[i],
        .purpose = "balance",
        .currency = b->currency,
        .amount = b->total_cents - deposit,
        .at = local_time(c, p, declined ? due : due - BALANCE_EARLY_DAYS, PAY_MINUTES),
        .declined = declined,
    };
    return attempt_apply(c, &bal, name);
}

static enum lu_rc bookings_add(struct demo_ctx *c)
{
    for (int i = 0; i < BOOKINGS; i++) {
        const struct demo_booking *b = &bookings[i];
        int p = guests[b->guest].property;
        char in[ZONE_DATE_BYTES], out[ZONE_DATE_BYTES], due[ZONE_DATE_BYTES];
        day_date(c, p, b->check_in_day, in);
        day_date(c, p, b->check_out_day, out);
        day_date(c, p, b->balance_due_day == NO_DATE ? 0 : b->balance_due_day, due);
        json_t *fields =
            json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s?}", "property_id",
                      c->sum->property_ids[p], "guest_id", c->guest_ids[b->guest], "check_in", in,
                      "check_out", out, "total_cents", (json_int_t)b->total_cents, "currency",
                      b->currency, "balance_due_on", b->balance_due_day == NO_DATE ? NULL : due);
        json_t *record = NULL;
        enum lu_rc rc =
            fields ? store_booking_create(c->conn, ACTOR, &c->scope, fields, &record) : LU_NOMEM;
        json_decref(fields);
        if (rc == LU_OK) {
            rc = record_id(record, c->booking_ids[i]);
        }
        if (rc != LU_OK) {
            return failed(c, rc, "the booking of", guests[b->guest].name);
        }
        c->sum->bookings++;
        rc = booking_walk(c, b, c->booking_ids[i]);
        if (rc == LU_OK) {
            rc = payments_add(c, i);
        }
        if (rc != LU_OK) {
            return rc;
        }
    }
    return LU_OK;
}

static enum lu_rc item_add(struct demo_ctx *c, const struct demo_item *it)
{
    char due[RFC3339_BYTES];
    due_time(c, it, due);
    /* An item given its booking takes the booking's property and guest. */
    json_t *fields =
        json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s?}", "kind", it->kind, "title", it->title,
                  "details", it->details, "priority", it->priority, "guest_impacting",
                  it->guest_impacting, "due_at", due, "assignee", it->assignee);
    if (fields != NULL) {
        const char *key = it->booking == NONE ? "property_id" : "booking_id";
        const char *value =
            it->booking == NONE ? c->sum->property_ids[it->property] : c->booking_ids[it->booking];
        json_object_set_new(fields, key, json_string(value));
    }
    json_t *record = NULL;
    enum lu_rc rc =
        fields ? store_item_create(c->conn, ACTOR, &c->scope, fields, &record) : LU_NOMEM;
    json_decref(fields);
    char id[ID_BYTES_MAX];
    if (rc == LU_OK) {
        rc = record_id(record, id);
    }
    if (rc != LU_OK) {
        return failed(c, rc, "the item", it->title);
    }
    c->sum->items++;
    for (size_t s = 0; s < STEPS_MAX && it->steps[s].to != NULL; s++) {
        rc = step_apply(c, "item", id, &it->steps[s], it->title);
        if (rc != LU_OK) {
            return rc;
        }
    }
    return LU_OK;
}

/* LU_CONFLICT when any property exists. */
static enum lu_rc empty_check(struct db_conn *conn)
{
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn, "SELECT COUNT(*) FROM properties", NULL, 0, &rows, NULL);
    if (rc == LU_OK && db_rows_int(rows, 0, 0) > 0) {
        rc = LU_CONFLICT;
    }
    db_rows_free(rows);
    return rc;
}

static enum lu_rc dataset_write(struct demo_ctx *c, const char *operator_zone)
{
    enum lu_rc rc = properties_add(c, operator_zone);
    if (rc == LU_OK) {
        rc = guests_add(c);
    }
    if (rc == LU_OK) {
        rc = bookings_add(c);
    }
    for (size_t i = 0; rc == LU_OK && i < ITEMS; i++) {
        rc = item_add(c, &items[i]);
    }
    return rc;
}

enum lu_rc demo_load(struct db *db, const char *operator_zone, bool force, int64_t now_s,
                     struct demo_summary *out, char *err, size_t err_cap)
{
    LU_ASSERT(db != NULL && operator_zone != NULL && out != NULL && err_cap > 0);
    memset(out, 0, sizeof *out);
    err[0] = '\0';
    struct demo_ctx c = {
        .scope = {.all = true}, .now_s = now_s, .sum = out, .err = err, .err_cap = err_cap};
    c.conn = db_acquire(db);
    if (c.conn == NULL) {
        snprintf(err, err_cap, "the database is busy or unreachable");
        return LU_UNAVAILABLE;
    }
    /* The emptiness check and the writes share one write transaction, so
     * two demo runs at once cannot both find the database empty. */
    enum lu_rc rc = db_begin(c.conn, true);
    if (rc == LU_OK && !force) {
        rc = empty_check(c.conn);
    }
    if (rc == LU_OK) {
        rc = dataset_write(&c, operator_zone);
    }
    if (rc == LU_OK) {
        rc = db_commit(c.conn);
    }
    if (rc != LU_OK) {
        db_rollback(c.conn);
        if (err[0] == '\0' && rc != LU_CONFLICT) {
            snprintf(err, err_cap, "the database failed (%s); the log line above says why",
                     lu_rc_name(rc));
        }
    }
    db_release(c.conn);
    for (int i = 0; i < DEMO_PROPERTIES; i++) {
        zone_close(c.zones[i]);
    }
    return rc;
}

void demo_summary_print(FILE *f, const struct demo_summary *s)
{
    fprintf(f,
            "demo data loaded: %d properties, %d guests, %d bookings, %d items, %d transitions, "
            "%d Stripe events\n",
            s->properties, s->guests, s->bookings, s->items, s->transitions, s->payment_events);
    for (int i = 0; i < s->properties && i < DEMO_PROPERTIES; i++) {
        fprintf(f, "  %-13s %s  (%s, today %s)\n", s->property_names[i], s->property_ids[i],
                s->zones[i], s->today[i]);
    }
}
