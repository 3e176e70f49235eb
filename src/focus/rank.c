/*
 * rank.c — what each focus route lists, and in which order (see
 * focus_internal.h). Called by focus.c with the facts of facts.c; words
 * nothing (reply.c does) and reads nothing (facts.c did).
 *
 * Who is a candidate, per set (each property's "today" in its own zone):
 *   triage       every booking with a payment risk (once, by its most
 *                severe risk); concierge items still `requested`
 *                and due by the end of tomorrow (or overdue); open
 *                maintenance (requested, confirmed, in_progress) that is
 *                urgent or guest-impacting and due by the end of today or
 *                overdue; open tasks that are overdue, or high or urgent
 *                and due today; arrivals today not yet checked in;
 *                departures today still checked in.
 *   payments     every payment risk, in the ledger's order (most severe
 *                first, SPEC §6).
 *   concierge    every concierge item still `requested`, soonest first
 *                (no due time last), then by id.
 *   maintenance  the triage set's maintenance items, ranked.
 *
 * The score (deterministic, integers; higher first):
 *   score = severity + time + impact + money
 *   severity  items by priority: urgent 400, high 250, normal 120, low 40,
 *             less 40 when confirmed and 80 when in progress (someone has
 *             it in hand); arrival 150, departure 100; payment risks by
 *             reason: payment_failed 300, dispute_open 300,
 *             balance_overdue 200, refund_pending 120, balance_due_soon
 *             100, overpaid 60.
 *   time      to the due time, in the property's zone: overdue 300,
 *             within 2 hours 240, later today 180, tomorrow 80, later 20,
 *             none 0. Arrivals and departures count as "later today"
 *             (180). Money late is not late by the hour, so a risk's time
 *             is set by its reason: payment_failed and dispute_open 240,
 *             balance_overdue 180, refund_pending 80, overpaid 20; only
 *             balance_due_soon is timed like an item, due at the start of
 *             balance_due_on (else check-in) in the property's zone. For
 *             ties a risk is due at its `since`.
 *   impact    guest-impacting item 150, arrival 150, departure 100.
 *   money     the amount at risk in major units (a currency's minor units
 *             / 100, whatever the currency: a coarse bucket, not a
 *             conversion): 5,000 or more 150, 1,000 or more 100, 250 or
 *             more 60, any 30.
 * So an urgent guest-facing leak that is overdue (850) comes before a
 * failed payment of €2,900 (640), which comes before tonight's unconfirmed
 * dinner (580), today's arrivals (480) and an overdue routine task (420).
 * Ties break by due time (earlier first, none last), then by id bytewise.
 */
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/clock.h"
#include "focus/focus_internal.h"

#define HOUR_S 3600

static enum lu_rc list_push(struct focus_list *l, const struct focus_candidate *c)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        struct focus_candidate *grown = realloc(l->c, cap * sizeof *grown);
        if (grown == NULL) {
            return LU_NOMEM;
        }
        l->c = grown;
        l->cap = cap;
    }
    l->c[l->n++] = *c;
    return LU_OK;
}

void focus_list_free(struct focus_list *l)
{
    if (l != NULL) {
        free(l->c);
        memset(l, 0, sizeof *l);
    }
}

static const char *text_of(const json_t *record, const char *key)
{
    return json_string_value(json_object_get(record, key));
}

static bool is_open(const char *state)
{
    return state != NULL && (strcmp(state, "requested") == 0 || strcmp(state, "confirmed") == 0 ||
                             strcmp(state, "in_progress") == 0);
}

static bool str_is(const char *a, const char *b)
{
    return a != NULL && strcmp(a, b) == 0;
}

/* The start of date (YYYY-MM-DD) in the place's zone. */
static bool date_start(const struct focus_place *p, const char *date, int64_t *out)
{
    int64_t start = 0, end = 0;
    if (date == NULL || p == NULL || !zone_day_bounds(p->zone, date, &start, &end)) {
        return false;
    }
    *out = start;
    return true;
}

static void due_settle(struct focus_candidate *c)
{
    const json_t *r = c->record;
    c->has_due = false;
    if (c->kind == FOCUS_KIND_ARRIVAL || c->kind == FOCUS_KIND_DEPARTURE) {
        c->has_due = c->place != NULL;
        c->due_s = c->place ? c->place->day_start_s : 0;
        return;
    }
    if (c->kind == FOCUS_KIND_PAYMENT && str_is(text_of(r, "reason"), "balance_due_soon")) {
        const char *date =
            text_of(r, "balance_due_on") ? text_of(r, "balance_due_on") : text_of(r, "check_in");
        c->has_due = date_start(c->place, date, &c->due_s);
        return;
    }
    const char *when = text_of(r, c->kind == FOCUS_KIND_PAYMENT ? "since" : "due_at");
    c->has_due = when != NULL && clock_parse_rfc3339(when, &c->due_s);
}

static int severity_of(const struct focus_candidate *c)
{
    static const struct {
        const char *name;
        int points;
    } priorities[] = {{"urgent", 400}, {"high", 250}, {"normal", 120}, {"low", 40}},
      reasons[] = {{"payment_failed", 300}, {"dispute_open", 300},     {"balance_overdue", 200},
                   {"refund_pending", 120}, {"balance_due_soon", 100}, {"overpaid", 60}};
    switch (c->kind) {
    case FOCUS_KIND_ARRIVAL:
        return 150;
    case FOCUS_KIND_DEPARTURE:
        return 100;
    case FOCUS_KIND_PAYMENT:
        for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
            if (str_is(text_of(c->record, "reason"), reasons[i].name)) {
                return reasons[i].points;
            }
        }
        return 100; /* a reason newer than this table: still a risk */
    default:
        break;
    }
    int points = 120;
    for (size_t i = 0; i < sizeof priorities / sizeof priorities[0]; i++) {
        if (str_is(text_of(c->record, "priority"), priorities[i].name)) {
            points = priorities[i].points;
        }
    }
    const char *state = text_of(c->record, "state");
    return points - (str_is(state, "confirmed") ? 40 : str_is(state, "in_progress") ? 80 : 0);
}

/* Money that is late is not late by the hour: a risk's urgency is set by
 * its reason, except a balance coming due, which counts like an item. */
static int risk_time_of(const char *reason)
{
    static const struct {
        const char *name;
        int points;
    } table[] = {{"payment_failed", 240},
                 {"dispute_open", 240},
                 {"balance_overdue", 180},
                 {"refund_pending", 80},
                 {"overpaid", 20}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (str_is(reason, table[i].name)) {
            return table[i].points;
        }
    }
    return -1;
}

static int time_of(const struct focus_candidate *c, int64_t now_s)
{
    if (c->kind == FOCUS_KIND_ARRIVAL || c->kind == FOCUS_KIND_DEPARTURE) {
        return 180;
    }
    int fixed = c->kind == FOCUS_KIND_PAYMENT ? risk_time_of(text_of(c->record, "reason")) : -1;
    if (fixed >= 0) {
        return fixed;
    }
    if (!c->has_due) {
        return 0;
    }
    if (c->due_s < now_s) {
        return 300;
    }
    if (c->due_s < now_s + 2 * HOUR_S) {
        return 240;
    }
    if (c->place != NULL && c->due_s < c->place->day_end_s) {
        return 180;
    }
    if (c->place != NULL && c->due_s < c->place->tomorrow_end_s) {
        return 80;
    }
    return 20;
}

static int impact_of(const struct focus_candidate *c)
{
    switch (c->kind) {
    case FOCUS_KIND_ARRIVAL:
        return 150;
    case FOCUS_KIND_DEPARTURE:
        return 100;
    case FOCUS_KIND_PAYMENT:
        return 0;
    default:
        return json_is_true(json_object_get(c->record, "guest_impacting")) ? 150 : 0;
    }
}

static int money_of(const struct focus_candidate *c)
{
    if (c->kind != FOCUS_KIND_PAYMENT) {
        return 0;
    }
    json_int_t major = json_integer_value(json_object_get(c->record, "amount_cents")) / 100;
    return major >= 5000 ? 150 : major >= 1000 ? 100 : major >= 250 ? 60 : major > 0 ? 30 : 0;
}

void focus_candidate_score(struct focus_candidate *c, int64_t now_s)
{
    due_settle(c);
    c->severity = severity_of(c);
    c->time = time_of(c, now_s);
    c->impact = impact_of(c);
    c->money = money_of(c);
    c->score = c->severity + c->time + c->impact + c->money;
}

/* Due time first (none last), then id bytewise. */
static int due_then_id(const struct focus_candidate *a, const struct focus_candidate *b)
{
    if (a->has_due != b->has_due) {
        return a->has_due ? -1 : 1;
    }
    if (a->has_due && a->due_s != b->due_s) {
        return a->due_s < b->due_s ? -1 : 1;
    }
    return strcmp(a->id, b->id);
}

int focus_candidate_cmp(const struct focus_candidate *a, const struct focus_candidate *b)
{
    if (a->score != b->score) {
        return a->score > b->score ? -1 : 1;
    }
    return due_then_id(a, b);
}

static int cmp_ranked(const void *a, const void *b)
{
    return focus_candidate_cmp(a, b);
}

static int cmp_soonest(const void *a, const void *b)
{
    return due_then_id(a, b);
}

/* ---- membership ----------------------------------------------------------- */

static enum focus_kind item_kind(const json_t *item)
{
    const char *kind = text_of(item, "kind");
    return str_is(kind, "concierge")     ? FOCUS_KIND_CONCIERGE
           : str_is(kind, "maintenance") ? FOCUS_KIND_MAINTENANCE
                                         : FOCUS_KIND_TASK;
}

/* Whether an open item belongs to the triage set (see the opening comment). */
static bool item_needs_you(const struct focus_candidate *c, int64_t now_s)
{
    const char *state = text_of(c->record, "state");
    if (!is_open(state) || c->place == NULL) {
        return false;
    }
    const char *priority = text_of(c->record, "priority");
    switch (c->kind) {
    case FOCUS_KIND_CONCIERGE:
        return str_is(state, "requested") && c->has_due && c->due_s < c->place->tomorrow_end_s;
    case FOCUS_KIND_MAINTENANCE:
        return (str_is(priority, "urgent") ||
                json_is_true(json_object_get(c->record, "guest_impacting"))) &&
               c->has_due && c->due_s < c->place->day_end_s;
    default:
        return c->has_due &&
               (c->due_s < now_s || ((str_is(priority, "urgent") || str_is(priority, "high")) &&
                                     c->due_s < c->place->day_end_s));
    }
}

static enum lu_rc items_add(const struct focus_facts *f, enum focus_set set, struct focus_list *out)
{
    for (size_t i = 0; i < json_array_size(f->items); i++) {
        const json_t *item = json_array_get(f->items, i);
        struct focus_candidate c = {
            .kind = item_kind(item),
            .record = item,
            .place = focus_place_of(f, text_of(item, "property_id")),
            .id = text_of(item, "id"),
        };
        focus_candidate_score(&c, f->now_s);
        bool member = false;
        switch (set) {
        case FOCUS_SET_TRIAGE:
            member = item_needs_you(&c, f->now_s);
            break;
        case FOCUS_SET_CONCIERGE:
            member = c.kind == FOCUS_KIND_CONCIERGE && str_is(text_of(item, "state"), "requested");
            break;
        case FOCUS_SET_MAINTENANCE:
            member = c.kind == FOCUS_KIND_MAINTENANCE && item_needs_you(&c, f->now_s);
            break;
        case FOCUS_SET_PAYMENTS:
            break;
        }
        if (member && list_push(out, &c) != LU_OK) {
            return LU_NOMEM;
        }
    }
    return LU_OK;
}

static enum lu_rc stays_add(const struct focus_facts *f, struct focus_list *out)
{
    for (size_t i = 0; i < json_array_size(f->stays); i++) {
        const json_t *stay = json_array_get(f->stays, i);
        const struct focus_place *p = focus_place_of(f, text_of(stay, "property_id"));
        const char *status = text_of(stay, "status");
        if (p == NULL) {
            continue;
        }
        struct focus_candidate c = {.record = stay, .place = p, .id = text_of(stay, "id")};
        if (str_is(text_of(stay, "check_in"), p->today) &&
            (str_is(status, "requested") || str_is(status, "confirmed"))) {
            c.kind = FOCUS_KIND_ARRIVAL;
        } else if (str_is(text_of(stay, "check_out"), p->today) && str_is(status, "checked_in")) {
            c.kind = FOCUS_KIND_DEPARTURE;
        } else {
            continue;
        }
        focus_candidate_score(&c, f->now_s);
        if (list_push(out, &c) != LU_OK) {
            return LU_NOMEM;
        }
    }
    return LU_OK;
}

/* A booking can carry several risks at once (a failed payment on a
 * balance that is also coming due). The payments set lists each, as the
 * ledger does; triage names the booking once, by its most severe risk (the
 * ledger's first). */
static enum lu_rc risks_add(const struct focus_facts *f, enum focus_set set, struct focus_list *out)
{
    json_t *listed = json_object(); /* booking ids already in the list: a set */
    enum lu_rc rc = listed ? LU_OK : LU_NOMEM;
    for (size_t i = 0; rc == LU_OK && i < json_array_size(f->risks); i++) {
        const json_t *risk = json_array_get(f->risks, i);
        struct focus_candidate c = {
            .kind = FOCUS_KIND_PAYMENT,
            .record = risk,
            .place = focus_place_of(f, text_of(risk, "property_id")),
            .id = text_of(risk, "booking_id"),
        };
        if (c.id == NULL) {
            continue; /* the ledger names a booking for every risk */
        }
        if (set == FOCUS_SET_TRIAGE) {
            if (json_object_get(listed, c.id) != NULL) {
                continue;
            }
            if (json_object_set_new(listed, c.id, json_true()) != 0) {
                rc = LU_NOMEM;
                break;
            }
        }
        focus_candidate_score(&c, f->now_s);
        rc = list_push(out, &c);
    }
    json_decref(listed);
    return rc;
}

enum lu_rc focus_list_build(const struct focus_facts *f, enum focus_set set, struct focus_list *out)
{
    LU_ASSERT(f != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    enum lu_rc rc = LU_OK;
    if (set == FOCUS_SET_TRIAGE || set == FOCUS_SET_PAYMENTS) {
        rc = risks_add(f, set, out);
    }
    if (rc == LU_OK && set != FOCUS_SET_PAYMENTS) {
        rc = items_add(f, set, out);
    }
    if (rc == LU_OK && set == FOCUS_SET_TRIAGE) {
        rc = stays_add(f, out);
    }
    if (rc != LU_OK) {
        focus_list_free(out);
        return rc;
    }
    if (out->n < 2) {
        return LU_OK;
    }
    if (set == FOCUS_SET_CONCIERGE) {
        qsort(out->c, out->n, sizeof *out->c, cmp_soonest);
    } else if (set != FOCUS_SET_PAYMENTS) {
        qsort(out->c, out->n, sizeof *out->c, cmp_ranked);
    }
    return LU_OK;
}
