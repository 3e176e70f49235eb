/*
 * reply.c — the words of a focus answer, made from the records alone (see
 * focus_internal.h): each candidate's reason ("Dinner for 4 at Da Adolfo
 * for the Okafors, tonight at 19:30, is still unconfirmed."), money and
 * times as a person says them, and each route's reply as lines, every line
 * about at most one item so the truth guard can check it.
 *
 * Called by focus.c. It never calls an item confirmed, done or paid unless
 * its state says so (guard.c checks that anyway), never lists anything on
 * greeting, human_utility, distress or off_topic, and never answers an
 * off-topic question. A distressed session gets one item at a time, in
 * short calm sentences, with the next one offered.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/ids.h"
#include "focus/focus_internal.h"

#define REASON_BYTES 600
#define LINE_BYTES 800
#define PHRASE_BYTES 160
#define DAY_S 86400

static const char *text_of(const json_t *record, const char *key)
{
    return json_string_value(json_object_get(record, key));
}

static bool str_is(const char *a, const char *b)
{
    return a != NULL && strcmp(a, b) == 0;
}

/* snprintf that appends at *len and never overruns. */
__attribute__((format(printf, 4, 5))) static void append(char *out, size_t cap, size_t *len,
                                                         const char *fmt, ...)
{
    if (*len >= cap) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        *len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
    }
}

const char *focus_kind_name(enum focus_kind kind)
{
    switch (kind) {
    case FOCUS_KIND_PAYMENT:
        return "payment_risk";
    case FOCUS_KIND_CONCIERGE:
        return "concierge";
    case FOCUS_KIND_MAINTENANCE:
        return "maintenance";
    case FOCUS_KIND_TASK:
        return "task";
    case FOCUS_KIND_ARRIVAL:
        return "arrival";
    case FOCUS_KIND_DEPARTURE:
        return "departure";
    }
    LU_ASSERT(!"unknown focus kind");
    return "";
}

const char *focus_candidate_state(const struct focus_candidate *c)
{
    const char *key = c->kind == FOCUS_KIND_PAYMENT     ? "reason"
                      : c->kind == FOCUS_KIND_ARRIVAL   ? "status"
                      : c->kind == FOCUS_KIND_DEPARTURE ? "status"
                                                        : "state";
    const char *state = text_of(c->record, key);
    return state ? state : "";
}

/* ---- money and time --------------------------------------------------------- */

/* Stripe's zero-decimal currencies: their amounts are whole units. */
static bool zero_decimal(const char *cur)
{
    static const char *const list[] = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
                                       "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        if (cur != NULL && strcasecmp(cur, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

void focus_money_format(int64_t amount_minor, const char *currency, char *out, size_t cap)
{
    const char *cur = currency ? currency : "";
    const char *symbol = strcasecmp(cur, "eur") == 0   ? "\xe2\x82\xac"
                         : strcasecmp(cur, "usd") == 0 ? "$"
                         : strcasecmp(cur, "gbp") == 0 ? "\xc2\xa3"
                         : strcasecmp(cur, "jpy") == 0 ? "\xc2\xa5"
                                                       : NULL;
    bool whole = zero_decimal(cur);
    bool negative = amount_minor < 0;
    uint64_t v = negative ? (uint64_t)0 - (uint64_t)amount_minor : (uint64_t)amount_minor;
    uint64_t units = whole ? v : v / 100;
    char digits[32];
    snprintf(digits, sizeof digits, "%llu", (unsigned long long)units);
    char grouped[48];
    size_t nd = strlen(digits), g = 0;
    for (size_t i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0) {
            grouped[g++] = ',';
        }
        grouped[g++] = digits[i];
    }
    grouped[g] = '\0';
    char code[8] = "";
    for (size_t i = 0; i < 3 && cur[i]; i++) {
        code[i] = (char)(cur[i] >= 'a' && cur[i] <= 'z' ? cur[i] - 32 : cur[i]);
    }
    char cents[8] = "";
    if (!whole) {
        snprintf(cents, sizeof cents, ".%02u", (unsigned)(v % 100));
    }
    if (symbol != NULL) {
        snprintf(out, cap, "%s%s%s%s", negative ? "-" : "", symbol, grouped, cents);
    } else {
        snprintf(out, cap, "%s%s%s%s%s", code, code[0] ? " " : "", negative ? "-" : "", grouped,
                 cents);
    }
}

static const char *const month_names[12] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};
static const char *const weekday_names[7] = {"Thursday", "Friday",  "Saturday", "Sunday",
                                             "Monday",   "Tuesday", "Wednesday"};

/* Days since 1970-01-01 of a YYYY-MM-DD date (proleptic Gregorian). */
static int64_t days_of(const char *date)
{
    int64_t local = 0;
    bool ok = zone_date_local_s(date, &local);
    LU_ASSERT(ok);
    return local >= 0 ? local / DAY_S : -((-local + DAY_S - 1) / DAY_S);
}

void focus_when_format(const struct zone *z, int64_t t, int64_t now_s, bool drop_today, char *out,
                       size_t cap)
{
    char date[ZONE_DATE_BYTES], today[ZONE_DATE_BYTES];
    zone_date_of(z, t, date);
    zone_date_of(z, now_s, today);
    int64_t local = t + zone_offset_s(z, t);
    int64_t of_day = ((local % DAY_S) + DAY_S) % DAY_S;
    int hour = (int)(of_day / 3600), minute = (int)(of_day % 3600 / 60);
    int64_t delta = days_of(date) - days_of(today);
    int64_t day = days_of(date);
    if (delta == 0 && drop_today) {
        snprintf(out, cap, "%02d:%02d", hour, minute);
    } else if (delta == 0) {
        snprintf(out, cap, "%s at %02d:%02d", hour >= 17 ? "tonight" : "today", hour, minute);
    } else if (delta == 1) {
        snprintf(out, cap, "tomorrow at %02d:%02d", hour, minute);
    } else if (delta == -1) {
        snprintf(out, cap, "yesterday at %02d:%02d", hour, minute);
    } else if (delta > 1 && delta < 7) {
        snprintf(out, cap, "on %s at %02d:%02d", weekday_names[((day % 7) + 7) % 7], hour, minute);
    } else {
        int month = (date[5] - '0') * 10 + (date[6] - '0');
        int dom = (date[8] - '0') * 10 + (date[9] - '0');
        snprintf(out, cap, "on %d %s at %02d:%02d", dom, month_names[(month - 1) % 12], hour,
                 minute);
    }
}

/* "today", "tomorrow", "on Friday", "on 3 December" for a date in zone z. */
static void date_phrase(const struct zone *z, const char *date, int64_t now_s, char *out,
                        size_t cap)
{
    char today[ZONE_DATE_BYTES];
    zone_date_of(z, now_s, today);
    if (date == NULL || !clock_date_valid(date)) {
        snprintf(out, cap, "soon");
        return;
    }
    int64_t delta = days_of(date) - days_of(today);
    int64_t day = days_of(date);
    int month = (date[5] - '0') * 10 + (date[6] - '0');
    int dom = (date[8] - '0') * 10 + (date[9] - '0');
    if (delta == 0) {
        snprintf(out, cap, "today");
    } else if (delta == 1) {
        snprintf(out, cap, "tomorrow");
    } else if (delta == -1) {
        snprintf(out, cap, "yesterday");
    } else if (delta > 1 && delta < 7) {
        snprintf(out, cap, "on %s", weekday_names[((day % 7) + 7) % 7]);
    } else {
        snprintf(out, cap, "on %d %s", dom, month_names[(month - 1) % 12]);
    }
}

/* ---- names ------------------------------------------------------------------ */

/* "the Okafors" for "Daniel Okafor"; the name itself when it is one word. */
static void family_of(const char *guest, char *out, size_t cap)
{
    const char *last = strrchr(guest, ' ');
    if (last == NULL || last[1] == '\0') {
        snprintf(out, cap, "%s", guest);
        return;
    }
    last++;
    size_t n = strlen(last);
    bool es =
        n > 0 && (last[n - 1] == 's' || last[n - 1] == 'x' || last[n - 1] == 'z' ||
                  (n > 1 && (strcmp(last + n - 2, "ch") == 0 || strcmp(last + n - 2, "sh") == 0)));
    snprintf(out, cap, "the %s%s", last, es ? "es" : "s");
}

static void place_suffix(const struct focus_candidate *c, bool name_place, const char *word,
                         char *out, size_t cap)
{
    if (name_place && c->place != NULL && c->place->name != NULL) {
        snprintf(out, cap, " %s %s", word, c->place->name);
    } else {
        out[0] = '\0';
    }
}

/* ---- reasons ------------------------------------------------------------------ */

static void reason_concierge(const struct focus_candidate *c, int64_t now_s, const char *where,
                             char *out, size_t cap)
{
    const char *title = text_of(c->record, "title");
    const char *guest = text_of(c->record, "guest_name");
    const char *state = focus_candidate_state(c);
    char who[PHRASE_BYTES + 8] = "";
    if (guest != NULL) {
        char family[PHRASE_BYTES];
        family_of(guest, family, sizeof family);
        snprintf(who, sizeof who, " for %s", family);
    }
    const char *standing = str_is(state, "requested")     ? "is still unconfirmed"
                           : str_is(state, "confirmed")   ? "is confirmed"
                           : str_is(state, "in_progress") ? "is under way"
                                                          : "is open";
    size_t len = 0;
    if (!c->has_due || c->place == NULL) {
        append(out, cap, &len, "%s%s%s %s.", title, who, where, standing);
        return;
    }
    char when[PHRASE_BYTES];
    focus_when_format(c->place->zone, c->due_s, now_s, false, when, sizeof when);
    if (c->due_s < now_s) {
        append(out, cap, &len, "%s%s%s was due %s and %s.", title, who, where, when,
               standing + 3 /* "still unconfirmed" after "is " */);
    } else {
        append(out, cap, &len, "%s%s%s, %s, %s.", title, who, where, when, standing);
    }
}

/* Maintenance and tasks: what it is, how pressing, when, who has it. */
static void reason_work(const struct focus_candidate *c, int64_t now_s, const char *where,
                        char *out, size_t cap)
{
    const char *title = text_of(c->record, "title");
    const char *priority = text_of(c->record, "priority");
    const char *state = focus_candidate_state(c);
    const char *assignee = text_of(c->record, "assignee");
    bool guests = json_is_true(json_object_get(c->record, "guest_impacting"));
    size_t len = 0;
    append(out, cap, &len, "%s%s:", title, where);
    bool first = true;
    if (str_is(priority, "urgent") || str_is(priority, "high")) {
        append(out, cap, &len, " %s", priority);
        first = false;
    }
    if (guests) {
        append(out, cap, &len, "%s affects guests", first ? "" : ",");
        first = false;
    }
    if (c->has_due && c->place != NULL) {
        char when[PHRASE_BYTES];
        bool late = c->due_s < now_s;
        focus_when_format(c->place->zone, c->due_s, now_s, late, when, sizeof when);
        append(out, cap, &len, "%s %s %s", first ? "" : ",", late ? "overdue since" : "due", when);
    }
    if (str_is(state, "requested")) {
        append(out, cap, &len, "; not picked up yet.");
    } else if (str_is(state, "confirmed")) {
        append(out, cap, &len, "; confirmed%s%s, not started.", assignee ? " with " : "",
               assignee ? assignee : "");
    } else if (str_is(state, "in_progress")) {
        append(out, cap, &len, "; in progress%s%s.", assignee ? " with " : "",
               assignee ? assignee : "");
    } else {
        append(out, cap, &len, ".");
    }
}

static void reason_payment(const struct focus_candidate *c, int64_t now_s, const char *where,
                           char *out, size_t cap)
{
    const json_t *r = c->record;
    const char *guest = text_of(r, "guest_name");
    const char *reason = text_of(r, "reason");
    char amount[64];
    focus_money_format(json_integer_value(json_object_get(r, "amount_cents")),
                       text_of(r, "currency"), amount, sizeof amount);
    if (guest == NULL || guest[0] == '\0') {
        guest = "A guest";
    }
    size_t len = 0;
    if (str_is(reason, "payment_failed")) {
        append(out, cap, &len, "%s's last payment failed%s: %s is still open.", guest, where,
               amount);
    } else if (str_is(reason, "balance_overdue")) {
        append(out, cap, &len, "%s's balance of %s%s is overdue.", guest, amount, where);
    } else if (str_is(reason, "balance_due_soon")) {
        char when[PHRASE_BYTES] = "soon";
        const char *date =
            text_of(r, "balance_due_on") ? text_of(r, "balance_due_on") : text_of(r, "check_in");
        if (c->place != NULL) {
            date_phrase(c->place->zone, date, now_s, when, sizeof when);
        }
        append(out, cap, &len, "%s still owes %s%s, due %s.", guest, amount, where, when);
    } else if (str_is(reason, "dispute_open")) {
        append(out, cap, &len, "%s has an open dispute over %s%s.", guest, amount, where);
    } else if (str_is(reason, "refund_pending")) {
        append(out, cap, &len, "A refund of %s to %s%s is still pending.", amount, guest, where);
    } else if (str_is(reason, "overpaid")) {
        append(out, cap, &len, "%s's booking%s received %s more than its total.", guest, where,
               amount);
    } else {
        append(out, cap, &len, "%s%s: %s, %s.", guest, where, reason ? reason : "a risk", amount);
    }
}

static void reason_stay(const struct focus_candidate *c, const char *where, char *out, size_t cap)
{
    const char *guest = text_of(c->record, "guest_name");
    const char *status = focus_candidate_state(c);
    size_t len = 0;
    if (c->kind == FOCUS_KIND_DEPARTURE) {
        append(out, cap, &len, "%s checks out today%s.", guest ? guest : "A guest", where);
        return;
    }
    const char *in = text_of(c->record, "check_in");
    const char *out_date = text_of(c->record, "check_out");
    int64_t nights = in && out_date && clock_date_valid(in) && clock_date_valid(out_date)
                         ? days_of(out_date) - days_of(in)
                         : 0;
    append(out, cap, &len, "%s arrives today%s", guest ? guest : "A guest", where);
    if (nights > 0) {
        append(out, cap, &len, " for %lld night%s", (long long)nights, nights == 1 ? "" : "s");
    }
    append(out, cap, &len, "; the booking is %s.",
           str_is(status, "confirmed") ? "confirmed" : "not confirmed yet");
}

void focus_reason(const struct focus_candidate *c, int64_t now_s, bool name_place, char *out,
                  size_t cap)
{
    LU_ASSERT(c != NULL && out != NULL && cap > 0);
    out[0] = '\0';
    char where[PHRASE_BYTES];
    switch (c->kind) {
    case FOCUS_KIND_CONCIERGE:
        place_suffix(c, name_place, "at", where, sizeof where);
        reason_concierge(c, now_s, where, out, cap);
        break;
    case FOCUS_KIND_MAINTENANCE:
    case FOCUS_KIND_TASK:
        place_suffix(c, name_place, "at", where, sizeof where);
        reason_work(c, now_s, where, out, cap);
        break;
    case FOCUS_KIND_PAYMENT:
        place_suffix(c, name_place, "at", where, sizeof where);
        reason_payment(c, now_s, where, out, cap);
        break;
    case FOCUS_KIND_ARRIVAL:
        place_suffix(c, name_place, "at", where, sizeof where);
        reason_stay(c, where, out, cap);
        break;
    case FOCUS_KIND_DEPARTURE:
        place_suffix(c, name_place, "from", where, sizeof where);
        reason_stay(c, where, out, cap);
        break;
    }
}

/* ---- items and lines ------------------------------------------------------------ */

static void title_of(const struct focus_candidate *c, char *out, size_t cap)
{
    const char *guest = text_of(c->record, "guest_name");
    switch (c->kind) {
    case FOCUS_KIND_PAYMENT: {
        const char *reason = text_of(c->record, "reason");
        char words[64];
        snprintf(words, sizeof words, "%s", reason ? reason : "risk");
        for (char *p = words; *p; p++) {
            *p = *p == '_' ? ' ' : *p;
        }
        snprintf(out, cap, "%s: %s", guest ? guest : "A guest", words);
        break;
    }
    case FOCUS_KIND_ARRIVAL:
        snprintf(out, cap, "%s arrives", guest ? guest : "A guest");
        break;
    case FOCUS_KIND_DEPARTURE:
        snprintf(out, cap, "%s checks out", guest ? guest : "A guest");
        break;
    default:
        snprintf(out, cap, "%s", text_of(c->record, "title") ? text_of(c->record, "title") : "");
        break;
    }
}

/* The answer's item for c, with its reason; owned. */
static json_t *item_json(const struct focus_candidate *c, const char *reason)
{
    char title[REASON_BYTES];
    title_of(c, title, sizeof title);
    const json_t *r = c->record;
    char due[RFC3339_BYTES] = "";
    if (c->has_due) {
        clock_format_utc(c->due_s, due);
    }
    json_t *item = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:i}", "type", focus_kind_name(c->kind), "id",
        c->id, "title", title, "state", focus_candidate_state(c), "reason", reason, "property_id",
        text_of(r, "property_id"), "property_name", c->place ? c->place->name : NULL, "due_at",
        due[0] ? due : NULL, "score", c->score);
    if (item == NULL) {
        return NULL;
    }
    static const char *const item_keys[] = {"priority",   "guest_impacting", "assignee",
                                            "booking_id", "guest_id",        "guest_name"};
    static const char *const stay_keys[] = {"guest_id", "guest_name", "check_in", "check_out"};
    static const char *const risk_keys[] = {"booking_id", "guest_name", "amount_cents",
                                            "currency",   "since",      "detail"};
    const char *const *keys = item_keys;
    size_t n = 6;
    if (c->kind == FOCUS_KIND_ARRIVAL || c->kind == FOCUS_KIND_DEPARTURE) {
        keys = stay_keys;
        n = 4;
    } else if (c->kind == FOCUS_KIND_PAYMENT) {
        keys = risk_keys;
        n = 6;
        json_object_set(item, "risk", json_object_get(r, "reason"));
    }
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(r, keys[i]);
        if (v != NULL) {
            json_object_set(item, keys[i], v);
        }
    }
    json_t *parts = json_pack("{s:i, s:i, s:i, s:i}", "severity", c->severity, "time", c->time,
                              "impact", c->impact, "money", c->money);
    if (parts == NULL || json_object_set_new(item, "score_parts", parts) != 0) {
        json_decref(item);
        return NULL;
    }
    return item;
}

/* Appends a line; item is an index into out->items or -1. */
static enum lu_rc line_add(struct focus_composed *out, int item, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum lu_rc line_add(struct focus_composed *out, int item, const char *fmt, ...)
{
    char text[LINE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_t *line = item >= 0 ? json_pack("{s:s, s:i}", "text", text, "item", item)
                             : json_pack("{s:s}", "text", text);
    return line != NULL && json_array_append_new(out->lines, line) == 0 ? LU_OK : LU_NOMEM;
}

/* The key of c in an offer chain: "kind:id", since an arrival and a
 * payment risk may share their booking's id. */
static void given_key(const struct focus_candidate *c, char *out, size_t cap)
{
    snprintf(out, cap, "%s:%s", focus_kind_name(c->kind), c->id);
}

/* Adds c as an item with a line "prefix + reason"; the item's index. */
static enum lu_rc item_add(struct focus_composed *out, const struct focus_candidate *c,
                           int64_t now_s, bool name_place, const char *prefix)
{
    char reason[REASON_BYTES];
    focus_reason(c, now_s, name_place, reason, sizeof reason);
    json_t *item = item_json(c, reason);
    if (item == NULL || json_array_append_new(out->items, item) != 0) {
        return LU_NOMEM;
    }
    int index = (int)json_array_size(out->items) - 1;
    char key[ID_BYTES_MAX + 32];
    given_key(c, key, sizeof key);
    if (json_array_append_new(out->given, json_string(key)) != 0) {
        return LU_NOMEM;
    }
    return line_add(out, index, "%s%s", prefix, reason);
}

static bool was_given(const json_t *given, const struct focus_candidate *c)
{
    char key[ID_BYTES_MAX + 32];
    given_key(c, key, sizeof key);
    for (size_t i = 0; i < json_array_size(given); i++) {
        if (str_is(json_string_value(json_array_get(given, i)), key)) {
            return true;
        }
    }
    return false;
}

/* ---- each route ------------------------------------------------------------------ */

/* "Good morning" and the like for the local hour in zone z. */
static const char *day_part(const struct zone *z, int64_t now_s)
{
    int64_t local = now_s + zone_offset_s(z, now_s);
    int hour = (int)((((local % DAY_S) + DAY_S) % DAY_S) / 3600);
    return hour >= 5 && hour < 12    ? "Good morning"
           : hour >= 12 && hour < 17 ? "Good afternoon"
           : hour >= 17 && hour < 22 ? "Good evening"
                                     : "Hello, working late";
}

/* "9 things need you today" / "One thing needs you today" / "Nothing…". */
static void count_phrase(size_t n, char *out, size_t cap)
{
    if (n == 0) {
        snprintf(out, cap, "Nothing needs you right now");
    } else if (n == 1) {
        snprintf(out, cap, "One thing needs you today");
    } else {
        snprintf(out, cap, "%zu things need you today", n);
    }
}

/* The sentence that turns small talk back to work. */
static void back_to_work(const struct focus_compose *in, size_t count, char *out, size_t cap)
{
    if (in->offer_pending && count > 0) {
        snprintf(out, cap, "Say \"next\" when you're ready for the next thing.");
        return;
    }
    char counted[PHRASE_BYTES];
    count_phrase(count, counted, sizeof counted);
    if (count == 0) {
        snprintf(out, cap, "%s.", counted);
    } else if (in->distressed) {
        snprintf(out, cap, "%s; we'll take them one at a time when you say \"what first?\".",
                 counted);
    } else {
        snprintf(out, cap, "%s; ask \"what first?\" when you want them.", counted);
    }
}

static enum lu_rc compose_greeting(const struct focus_compose *in, const struct focus_list *all,
                                   struct focus_composed *out)
{
    char work[LINE_BYTES];
    back_to_work(in, all->n, work, sizeof work);
    return line_add(out, -1, "%s. %s", day_part(in->day_zone, in->now_s), work);
}

static enum lu_rc compose_human(const struct focus_compose *in, const struct focus_list *all,
                                struct focus_composed *out)
{
    char work[LINE_BYTES];
    back_to_work(in, all->n, work, sizeof work);
    switch (in->pick ? in->pick->social : SOCIAL_NONE) {
    case SOCIAL_HOW_ARE_YOU:
        return line_add(out, -1, "I'm well, thank you for asking. %s", work);
    case SOCIAL_THANKS:
        return line_add(out, -1, "You're welcome. %s", work);
    case SOCIAL_WHO:
        return line_add(out, -1,
                        "I'm Lucia: I read your bookings, requests, maintenance and payments "
                        "and tell you what matters now, from the records alone. %s",
                        work);
    case SOCIAL_BYE:
        return line_add(out, -1, "Talk soon. %s", work);
    case SOCIAL_BETTER:
        out->clear_distress = true;
        return line_add(out, -1, "Glad to hear it. %s", work);
    case SOCIAL_ACK:
    case SOCIAL_NONE:
        break;
    }
    return line_add(out, -1, "Okay. %s", work);
}

static enum lu_rc compose_distress(const struct focus_compose *in, const struct focus_list *all,
                                   struct focus_composed *out)
{
    if (all->n == 0) {
        return line_add(out, -1,
                        "That sounds like a lot. The good news: nothing needs you right now, "
                        "so take a breath.");
    }
    out->offer = true;
    return line_add(out, -1,
                    "That sounds like a lot. Let's take it one thing at a time: I'll give you "
                    "only the most important thing. Shall I?");
}

static enum lu_rc compose_triage(const struct focus_compose *in, const struct focus_list *all,
                                 struct focus_composed *out)
{
    bool name_place = in->facts->nplaces > 1;
    size_t fresh = 0;
    for (size_t i = 0; i < all->n; i++) {
        fresh += was_given(in->given, &all->c[i]) ? 0 : 1;
    }
    if (fresh == 0) {
        return line_add(out, -1, "%s",
                        all->n == 0 ? "Nothing needs you right now."
                                    : "That's everything on today's list.");
    }
    size_t room = in->distressed ? 1 : FOCUS_TRIAGE_ITEMS_MAX;
    enum lu_rc rc = LU_OK;
    if (!in->distressed) {
        const char *hello = in->pick && in->pick->greeted && !in->continuing
                                ? day_part(in->day_zone, in->now_s)
                                : NULL;
        rc = line_add(out, -1, "%s%s%s", hello ? hello : "", hello ? ". " : "",
                      in->continuing ? "Next:" : "Here's what matters most right now:");
    }
    size_t shown = 0;
    for (size_t i = 0; rc == LU_OK && i < all->n && shown < room; i++) {
        if (was_given(in->given, &all->c[i])) {
            continue;
        }
        char prefix[32];
        if (in->distressed) {
            snprintf(prefix, sizeof prefix, "%s", in->continuing ? "Next: " : "One thing first: ");
        } else {
            snprintf(prefix, sizeof prefix, "%zu. ", shown + 1);
        }
        rc = item_add(out, &all->c[i], in->now_s, name_place, prefix);
        shown++;
    }
    size_t left = fresh - shown;
    if (rc != LU_OK) {
        return rc;
    }
    if (left == 0) {
        return line_add(out, -1, "%s",
                        in->distressed ? "That's the only thing that needs you right now."
                                       : "That's everything on today's list.");
    }
    out->offer = true;
    if (in->distressed) {
        return line_add(out, -1, "When you're ready, say \"next\" and I'll give you the next one.");
    }
    return line_add(out, -1, "%zu more after %s; say \"what else\" for them.", left,
                    shown == 1 ? "this one" : "these");
}

static enum lu_rc compose_list(const struct focus_compose *in, const struct focus_list *list,
                               const char *none, const char *one, const char *many, size_t max,
                               struct focus_composed *out)
{
    bool name_place = in->facts->nplaces > 1;
    if (list->n == 0) {
        return line_add(out, -1, "%s", none);
    }
    enum lu_rc rc = list->n == 1 ? line_add(out, -1, "%s", one) : line_add(out, -1, many, list->n);
    size_t shown = list->n < max ? list->n : max;
    for (size_t i = 0; rc == LU_OK && i < shown; i++) {
        rc = item_add(out, &list->c[i], in->now_s, name_place, "- ");
    }
    if (rc == LU_OK && shown < list->n) {
        rc = line_add(out, -1, "And %zu more.", list->n - shown);
    }
    return rc;
}

static enum lu_rc compose_off_topic(const struct focus_compose *in, struct focus_composed *out)
{
    if (in->pick != NULL && !in->pick->known) {
        return line_add(out, -1,
                        "I'm not sure what you need. I can tell you what matters most right "
                        "now, or show payment risks, concierge requests waiting for "
                        "confirmation, or urgent maintenance.");
    }
    return line_add(out, -1,
                    "That's outside what I can help with: I stick to your operations. Ask me "
                    "what matters most right now, or about payments, concierge requests or "
                    "maintenance.");
}

static enum lu_rc compose_route(const struct focus_compose *in, struct focus_composed *out)
{
    if (in->route == FOCUS_OFF_TOPIC || in->facts == NULL) {
        return compose_off_topic(in, out);
    }
    enum focus_set set = in->route == FOCUS_PAYMENT_RISK          ? FOCUS_SET_PAYMENTS
                         : in->route == FOCUS_CONCIERGE_READINESS ? FOCUS_SET_CONCIERGE
                         : in->route == FOCUS_MAINTENANCE_FOCUS   ? FOCUS_SET_MAINTENANCE
                                                                  : FOCUS_SET_TRIAGE;
    struct focus_list list;
    enum lu_rc rc = focus_list_build(in->facts, set, &list);
    if (rc != LU_OK) {
        return rc;
    }
    switch (in->route) {
    case FOCUS_GREETING:
        rc = compose_greeting(in, &list, out);
        break;
    case FOCUS_HUMAN_UTILITY:
        rc = compose_human(in, &list, out);
        break;
    case FOCUS_DISTRESS:
        rc = compose_distress(in, &list, out);
        break;
    case FOCUS_PRIORITY_TRIAGE:
        rc = compose_triage(in, &list, out);
        break;
    case FOCUS_PAYMENT_RISK:
        rc = !in->facts->risks_known
                 ? line_add(out, -1,
                            "I can't see payment risks: the Stripe ledger is not connected, so "
                            "I won't guess.")
                 : compose_list(in, &list,
                                "No payment risks right now: nothing has failed, is overdue, is "
                                "disputed or is waiting on a refund.",
                                "One payment risk needs you:",
                                "%zu payment risks need you, most severe first:", SIZE_MAX, out);
        break;
    case FOCUS_CONCIERGE_READINESS:
        rc = compose_list(in, &list, "No concierge requests are waiting for confirmation.",
                          "One concierge request still needs confirmation:",
                          "%zu concierge requests still need confirmation, soonest first:",
                          FOCUS_LIST_ITEMS_MAX, out);
        break;
    case FOCUS_MAINTENANCE_FOCUS:
        rc =
            compose_list(in, &list, "No urgent or guest-affecting maintenance is due today.",
                         "One maintenance issue needs attention today:",
                         "%zu maintenance issues need attention today:", FOCUS_LIST_ITEMS_MAX, out);
        break;
    case FOCUS_OFF_TOPIC:
    case FOCUS_ROUTES:
        LU_ASSERT(!"handled above");
    }
    focus_list_free(&list);
    if (rc == LU_OK && in->facts->truncated && in->route != FOCUS_DISTRESS) {
        /* Never a silent cut: the operator hears the list is not whole. */
        rc = line_add(out, -1,
                      "There are more open records than I read at once (%d a list), so this "
                      "may not be everything.",
                      FOCUS_FACT_ROWS_MAX);
    }
    return rc;
}

enum lu_rc focus_reply_compose(const struct focus_compose *in, struct focus_composed *out)
{
    LU_ASSERT(in != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    out->lines = json_array();
    out->items = json_array();
    /* The offer chain continues only while triage continues it. */
    out->given = in->continuing && in->given ? json_deep_copy(in->given) : json_array();
    enum lu_rc rc = out->lines && out->items && out->given ? compose_route(in, out) : LU_NOMEM;
    if (rc != LU_OK) {
        focus_composed_free(out);
    }
    return rc;
}

void focus_composed_free(struct focus_composed *c)
{
    if (c != NULL) {
        json_decref(c->lines);
        json_decref(c->items);
        json_decref(c->given);
        memset(c, 0, sizeof *c);
    }
}

char *focus_reply_text(const json_t *lines)
{
    size_t total = 1;
    for (size_t i = 0; i < json_array_size(lines); i++) {
        total += strlen(json_string_value(json_object_get(json_array_get(lines, i), "text"))) + 1;
    }
    char *text = malloc(total);
    if (text == NULL) {
        return NULL;
    }
    size_t len = 0;
    text[0] = '\0';
    for (size_t i = 0; i < json_array_size(lines); i++) {
        const char *line = json_string_value(json_object_get(json_array_get(lines, i), "text"));
        append(text, total, &len, "%s%s", i ? "\n" : "", line);
    }
    return text;
}
