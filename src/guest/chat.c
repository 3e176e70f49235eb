/*
 * chat.c — one guest turn (SPEC §8b), inside the caller's write
 * transaction: route the message (route.c), read the guest's own records
 * (records.c), compose the reply from them alone, create the `requested`
 * item of a request or report through the store (audit and change stream
 * as every item write), keep the guest's words and the reply in the guest's
 * chat thread (channel "chat", provider "lucia"), guard the reply
 * (guard.c), and move the session's continuity state on.
 *
 * The booking a turn is about: the guest's current or next stay (not
 * cancelled or checked out, check-out today or later in the property's
 * zone, earliest check-in first), else the latest stay. Check-in and
 * check-out times are not in the schema: GUEST_CHECK_IN_TIME and
 * GUEST_CHECK_OUT_TIME (limits.h) are said as the house's standard times.
 *
 * Continuity: the state remembers the last item a turn created or talked
 * about, so "is it confirmed?" or "any update?" answers about that item,
 * and a follow-up naming a thing ("and the AC?") answers about the
 * guest's items that mention it.
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/zone.h"
#include "guest/guest_internal.h"
#include "intake/intake.h"
#include "store/messages.h"

#define STATE_VERSION 1
/* Draws for a reply id that sorts after its turn's inbound id: each draw in
 * the same millisecond wins half the time, so 64 never all lose. */
#define REPLY_ID_TRIES_MAX 64

/* What a turn is composing. */
struct turn {
    struct db_conn *conn;
    const struct guest_identity *who;
    const char *message;
    int64_t now_s;
    struct guest_pick pick;
    json_t *property; /* owned */
    const char *property_name;
    struct zone *zone;     /* owned */
    json_t *bookings;      /* owned */
    const json_t *booking; /* borrowed from bookings, or NULL */
    json_t *lines;         /* [{"text","claim"?}] owned */
    json_t *claims;        /* [{"type","state"}] owned: what each claim line is about */
    json_t *items;         /* the answer's items, owned */
    json_t *balance;       /* the balance answer, owned, or NULL */
    char last_item[ID_BYTES_MAX];
    bool needs_human;
    char created_item[ID_BYTES_MAX];
};

static bool str_is(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* ---- continuity ------------------------------------------------------------ */

static json_t *state_fresh(const char *owner)
{
    return json_pack("{s:i, s:s, s:s, s:n, s:n, s:i}", "v", STATE_VERSION, "kind", "guest", "owner",
                     owner, "last_route", "last_item", "turns", 0);
}

enum lu_rc guest_session_load(struct kv *kv, const struct guest_identity *who,
                              const char *session_id, struct guest_session *out)
{
    memset(out, 0, sizeof *out);
    if (session_id == NULL) {
        enum lu_rc rc = id_new("ses_", out->id, sizeof out->id);
        out->state = rc == LU_OK ? state_fresh(who->actor) : NULL;
        return rc != LU_OK ? rc : out->state ? LU_OK : LU_NOMEM;
    }
    if (!id_valid("ses_", session_id) || strlen(session_id) >= sizeof out->id) {
        return LU_INVALID;
    }
    snprintf(out->id, sizeof out->id, "%s", session_id);
    json_t *state = NULL;
    enum lu_rc rc = session_load(kv, session_id, &state);
    if (rc == LU_NOT_FOUND) {
        out->state = state_fresh(who->actor);
        return out->state ? LU_OK : LU_NOMEM;
    }
    if (rc != LU_OK) {
        return rc;
    }
    if (!str_is(json_string_value(json_object_get(state, "kind")), "guest") ||
        !str_is(json_string_value(json_object_get(state, "owner")), who->actor) ||
        json_integer_value(json_object_get(state, "v")) != STATE_VERSION) {
        json_decref(state);
        return LU_NOT_FOUND; /* another principal's session, or an operator's */
    }
    out->state = state;
    out->found = true;
    return LU_OK;
}

enum lu_rc guest_session_save(struct kv *kv, const struct guest_session *s, int ttl_s)
{
    LU_ASSERT(s->state != NULL);
    return session_save(kv, s->id, s->state, ttl_s);
}

void guest_session_clear(struct guest_session *s)
{
    json_decref(s->state);
    s->state = NULL;
}

/* ---- wording helpers ------------------------------------------------------- */

/* "7:05 PM" today in the property's zone, else "7:05 PM on Tue 24 Nov". */
static void time_say(const struct turn *t, const char *rfc3339, char *out, size_t cap)
{
    int64_t at = 0;
    if (rfc3339 == NULL || !clock_parse_rfc3339(rfc3339, &at)) {
        snprintf(out, cap, "an unrecorded time");
        return;
    }
    int64_t local = at + zone_offset_s(t->zone, at);
    time_t lt = (time_t)local;
    struct tm tm;
    gmtime_r(&lt, &tm);
    int h12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
    char day[ZONE_DATE_BYTES], today[ZONE_DATE_BYTES];
    zone_date_of(t->zone, at, day);
    zone_date_of(t->zone, t->now_s, today);
    if (strcmp(day, today) == 0) {
        snprintf(out, cap, "%d:%02d %s", h12, tm.tm_min, tm.tm_hour < 12 ? "AM" : "PM");
    } else {
        char d[32];
        strftime(d, sizeof d, "%a %-d %b", &tm);
        snprintf(out, cap, "%d:%02d %s on %s", h12, tm.tm_min, tm.tm_hour < 12 ? "AM" : "PM", d);
    }
}

/* "Tue 24 Nov 2026" for a YYYY-MM-DD date. */
static void date_say(const char *date, char *out, size_t cap)
{
    int64_t local = 0;
    if (date == NULL || !zone_date_local_s(date, &local)) {
        snprintf(out, cap, "%s", date ? date : "an unknown date");
        return;
    }
    time_t lt = (time_t)local;
    struct tm tm;
    gmtime_r(&lt, &tm);
    strftime(out, cap, "%a %-d %b %Y", &tm);
}

static enum lu_rc line_add(struct turn *t, const char *text, const char *type, const char *state)
{
    json_t *line = json_pack("{s:s}", "text", text);
    if (line == NULL) {
        return LU_NOMEM;
    }
    if (type != NULL) {
        json_array_append_new(t->claims, json_pack("{s:s, s:s?}", "type", type, "state", state));
        json_object_set_new(line, "claim",
                            json_integer((json_int_t)json_array_size(t->claims) - 1));
    }
    return json_array_append_new(t->lines, line) == 0 ? LU_OK : LU_NOMEM;
}

/* The first name of the guest for a greeting, into out. */
static void first_name(struct turn *t, char *out, size_t cap)
{
    struct guest_scope gs;
    guest_scope(t->who, &gs);
    json_t *guest = NULL;
    out[0] = '\0';
    if (store_guest_get(t->conn, &gs.scope, t->who->guest_id, &guest) == LU_OK) {
        const char *name = json_string_value(json_object_get(guest, "name"));
        size_t n = name ? strcspn(name, " ") : 0;
        snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), name ? name : "");
    }
    json_decref(guest);
}

/* ---- the booking ------------------------------------------------------------ */

static void booking_pick(struct turn *t)
{
    char today[ZONE_DATE_BYTES];
    zone_date_of(t->zone, t->now_s, today);
    const json_t *current = NULL, *latest = NULL;
    for (size_t i = 0; i < json_array_size(t->bookings); i++) {
        const json_t *b = json_array_get(t->bookings, i);
        const char *status = json_string_value(json_object_get(b, "status"));
        const char *in = json_string_value(json_object_get(b, "check_in"));
        const char *out = json_string_value(json_object_get(b, "check_out"));
        if (in == NULL || out == NULL) {
            continue;
        }
        bool live = !str_is(status, "cancelled") && !str_is(status, "checked_out") &&
                    strcmp(out, today) >= 0;
        const char *cur_in = json_string_value(json_object_get(current, "check_in"));
        if (live && (current == NULL || strcmp(in, cur_in) < 0)) {
            current = b;
        }
        const char *lat_in = json_string_value(json_object_get(latest, "check_in"));
        if (latest == NULL || strcmp(in, lat_in) > 0) {
            latest = b;
        }
    }
    t->booking = current != NULL ? current : latest;
}

/* ---- routes ------------------------------------------------------------------ */

static enum lu_rc compose_stay(struct turn *t)
{
    char text[512], in[40], out[40];
    if (t->booking == NULL) {
        return line_add(t,
                        "I can't find a stay booked under your name. I've noted your question "
                        "for the team.",
                        NULL, NULL);
    }
    const char *check_in = json_string_value(json_object_get(t->booking, "check_in"));
    const char *check_out = json_string_value(json_object_get(t->booking, "check_out"));
    int64_t a = 0, b = 0;
    int nights = zone_date_local_s(check_in, &a) && zone_date_local_s(check_out, &b)
                     ? (int)((b - a) / 86400)
                     : 0;
    date_say(check_in, in, sizeof in);
    date_say(check_out, out, sizeof out);
    snprintf(text, sizeof text, "Your stay at %s is from %s to %s (%d night%s).", t->property_name,
             in, out, nights, nights == 1 ? "" : "s");
    enum lu_rc rc = line_add(t, text, NULL, NULL);
    snprintf(text, sizeof text,
             "Check-in is from %s and check-out is by %s, local time (the house's standard "
             "times).",
             GUEST_CHECK_IN_TIME, GUEST_CHECK_OUT_TIME);
    if (rc == LU_OK) {
        rc = line_add(t, text, NULL, NULL);
    }
    const char *status = json_string_value(json_object_get(t->booking, "status"));
    if (rc == LU_OK && str_is(status, "confirmed")) {
        rc = line_add(t, "Your booking is confirmed.", "booking", status);
    } else if (rc == LU_OK && str_is(status, "requested")) {
        rc = line_add(t, "Your booking is still waiting for the team's confirmation.", NULL, NULL);
    } else if (rc == LU_OK && str_is(status, "checked_in")) {
        rc = line_add(t, "You are checked in. Enjoy your stay!", NULL, NULL);
    } else if (rc == LU_OK && status != NULL) {
        snprintf(text, sizeof text, "The booking's status is: %s.", status);
        if (strstr(status, "cancel") != NULL) {
            snprintf(text, sizeof text, "This booking was cancelled.");
        }
        rc = line_add(t, text, "booking", status);
    }
    return rc;
}

static enum lu_rc compose_balance(struct turn *t)
{
    if (t->booking == NULL) {
        return line_add(t,
                        "I can't find a stay booked under your name, so there is no balance "
                        "to show.",
                        NULL, NULL);
    }
    json_t *view = NULL;
    const char *booking_id = json_string_value(json_object_get(t->booking, "id"));
    enum lu_rc rc = guest_balance(t->conn, t->who, booking_id, t->now_s, &view);
    if (rc != LU_OK) {
        return rc;
    }
    t->balance = view;
    const char *cur = json_string_value(json_object_get(view, "currency"));
    const char *status = json_string_value(json_object_get(view, "status"));
    char total[48], paid[48], open[48], refunded[48], text[512];
    focus_money_format(json_integer_value(json_object_get(view, "total_cents")), cur, total,
                       sizeof total);
    focus_money_format(json_integer_value(json_object_get(view, "paid_cents")), cur, paid,
                       sizeof paid);
    focus_money_format(json_integer_value(json_object_get(view, "open_cents")), cur, open,
                       sizeof open);
    json_int_t refunded_cents = json_integer_value(json_object_get(view, "refunded_cents"));
    focus_money_format(refunded_cents, cur, refunded, sizeof refunded);
    snprintf(text, sizeof text, "Your stay at %s comes to %s in total.", t->property_name, total);
    rc = line_add(t, text, NULL, NULL);
    if (rc == LU_OK && str_is(status, "paid")) {
        snprintf(text, sizeof text, "It is paid in full: Stripe has received %s.", paid);
        rc = line_add(t, text, "payment", status);
    } else if (rc == LU_OK) {
        snprintf(text, sizeof text, "Stripe shows %s received so far, and %s is still open.", paid,
                 open);
        rc = line_add(t, text, NULL, NULL);
    }
    if (rc == LU_OK && refunded_cents > 0) {
        snprintf(text, sizeof text, "Refunds of %s are included in those figures.", refunded);
        rc = line_add(t, text, NULL, NULL);
    }
    if (rc == LU_OK && (str_is(status, "disputed") || str_is(status, "overpaid"))) {
        rc = line_add(t,
                      str_is(status, "disputed")
                          ? "There is an open card dispute on this booking; the team will be in "
                            "touch about it."
                          : "Stripe shows more received than the total; the team will sort out "
                            "the difference with you.",
                      NULL, NULL);
    }
    const char *due = json_string_value(json_object_get(t->booking, "balance_due_on"));
    if (rc == LU_OK && due != NULL && json_integer_value(json_object_get(view, "open_cents")) > 0) {
        char when[40];
        date_say(due, when, sizeof when);
        snprintf(text, sizeof text, "The open balance is due on %s.", when);
        rc = line_add(t, text, NULL, NULL);
    }
    return rc;
}

/* A clock time the guest named for today ("at 8pm", "19:30"), as an RFC
 * 3339 instant in the property's zone; false when none, when another day is
 * named, or when the time has passed. */
static bool due_today(const struct turn *t, char out[RFC3339_BYTES])
{
    static const char *const other_day[] = {"tomorrow", "monday",  "tuesday",  "wednesday",
                                            "thursday", "friday",  "saturday", "sunday",
                                            "next",     "weekend", "tmrw",     "tmr"};
    char low[512];
    size_t n = 0;
    for (const char *p = t->message; *p && n + 1 < sizeof low; p++) {
        low[n++] = (char)tolower((unsigned char)*p);
    }
    low[n] = '\0';
    for (size_t i = 0; i < sizeof other_day / sizeof other_day[0]; i++) {
        if (strstr(low, other_day[i]) != NULL) {
            return false;
        }
    }
    for (const char *p = low; *p; p++) {
        if (!isdigit((unsigned char)*p) || (p > low && isdigit((unsigned char)p[-1]))) {
            continue;
        }
        char *end = NULL;
        long h = strtol(p, &end, 10);
        long m = 0;
        bool clock = false;
        if (*end == ':' && isdigit((unsigned char)end[1])) {
            m = strtol(end + 1, &end, 10);
            clock = true;
        }
        while (*end == ' ') {
            end++;
        }
        bool pm = strncmp(end, "pm", 2) == 0 || strncmp(end, "p.m", 3) == 0;
        bool am = strncmp(end, "am", 2) == 0 || strncmp(end, "a.m", 3) == 0;
        if (!(clock || pm || am) || h < 0 || h > 23 || m < 0 || m > 59 || ((pm || am) && h > 12)) {
            continue;
        }
        if (pm && h < 12) {
            h += 12;
        } else if (am && h == 12) {
            h = 0;
        }
        char today[ZONE_DATE_BYTES];
        int64_t local = 0;
        zone_date_of(t->zone, t->now_s, today);
        if (!zone_date_local_s(today, &local)) {
            return false;
        }
        int64_t at = zone_local_to_utc(t->zone, local + h * 3600 + m * 60);
        if (at <= t->now_s) {
            return false;
        }
        clock_format_utc(at, out);
        return true;
    }
    return false;
}

static enum lu_rc compose_request(struct turn *t, bool maintenance)
{
    struct triage_result tri;
    intake_triage_classify(NULL, t->message, &tri);
    bool safety = tri.kind == TRIAGE_MAINTENANCE && str_is(tri.priority, "urgent");
    if (safety && !maintenance) {
        /* A danger named inside a request ("book a taxi, there's smoke")
         * is a report first: the house comes before the errand. */
        maintenance = true;
        t->pick.route = GUEST_MAINTENANCE_REPORT;
    }
    const char *priority = safety                                         ? "urgent"
                           : maintenance                                  ? "high"
                           : tri.kind == TRIAGE_CONCIERGE && tri.priority ? tri.priority
                                                                          : "normal";
    char title[INTAKE_TITLE_BYTES_MAX + 8], due[RFC3339_BYTES];
    intake_triage_title(NULL, t->message, title, sizeof title);
    for (char *q = title; *q; q++) {
        *q = *q == '"' ? '\'' : *q; /* quotes bound the guest's words in replies (guard.c) */
    }
    bool has_due = due_today(t, due);
    json_t *fields =
        json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s?, s:s?}", "kind",
                  maintenance ? "maintenance" : "concierge", "title", title, "details", t->message,
                  "priority", priority, "guest_impacting", maintenance, "guest_id",
                  t->who->guest_id, "due_at", has_due ? due : NULL, "booking_id",
                  t->booking ? json_string_value(json_object_get(t->booking, "id")) : NULL);
    if (fields == NULL) {
        return LU_NOMEM;
    }
    if (t->booking == NULL) {
        json_object_set_new(fields, "property_id", json_string(t->who->property_id));
    }
    if (!has_due) {
        json_object_del(fields, "due_at");
    }
    struct guest_scope gs;
    guest_scope(t->who, &gs);
    json_t *item = NULL, *view = NULL;
    enum lu_rc rc = store_item_create(t->conn, t->who->actor, &gs.scope, fields, &item);
    json_decref(fields);
    if (rc == LU_OK) {
        rc = guest_item_view(t->conn, item, &view);
    }
    if (rc == LU_OK) {
        snprintf(t->created_item, sizeof t->created_item, "%s",
                 json_string_value(json_object_get(item, "id")));
        snprintf(t->last_item, sizeof t->last_item, "%s", t->created_item);
        json_array_append_new(t->items, view);
    }
    json_decref(item);
    if (rc != LU_OK) {
        return rc;
    }
    char text[512];
    if (safety) {
        t->needs_human = true;
        rc = line_add(t,
                      "If anyone is in danger, call 112 (or 911 in the US) now, then leave "
                      "the area if it is not safe.",
                      NULL, NULL);
    }
    snprintf(text, sizeof text,
             "I've passed this to the team%s: \"%s\". It is not yet confirmed; I'll show you "
             "here as soon as the team confirms it.",
             safety ? " as urgent" : "", title);
    if (rc == LU_OK) {
        rc = line_add(t, text, "item", "requested");
    }
    if (rc == LU_OK && has_due) {
        char when[64];
        time_say(t, due, when, sizeof when);
        snprintf(text, sizeof text, "I noted the time you asked for: %s today.", when);
        rc = line_add(t, text, NULL, NULL);
    }
    return rc;
}

/* The words of text (normalised), for matching items to a question. */
static bool text_has_word(const char *text, const char *word)
{
    static _Thread_local struct focus_text words;
    focus_text_normalise(text ? text : "", &words);
    for (size_t i = 0; i < words.n; i++) {
        if (strcmp(words.words[i], word) == 0) {
            return true;
        }
    }
    return false;
}

/* The item line of a my_requests answer. */
static enum lu_rc item_line(struct turn *t, const json_t *view)
{
    const char *state = json_string_value(json_object_get(view, "state"));
    char title[INTAKE_TITLE_BYTES_MAX + 8], text[512], when[64];
    snprintf(title, sizeof title, "%s", json_string_value(json_object_get(view, "title")));
    for (char *q = title; *q; q++) {
        *q = *q == '"' ? '\'' : *q; /* quotes bound the title (guard.c) */
    }
    if (str_is(state, "confirmed")) {
        time_say(t, json_string_value(json_object_get(view, "confirmed_at")), when, sizeof when);
        snprintf(text, sizeof text, "\"%s\": confirmed at %s.", title, when);
    } else if (str_is(state, "in_progress")) {
        snprintf(text, sizeof text, "\"%s\": the team is working on it now.", title);
    } else if (str_is(state, "done")) {
        time_say(t, json_string_value(json_object_get(view, "done_at")), when, sizeof when);
        snprintf(text, sizeof text, "\"%s\": done at %s.", title, when);
    } else if (str_is(state, "cancelled")) {
        snprintf(text, sizeof text, "\"%s\": cancelled.", title);
    } else if (str_is(state, "failed")) {
        snprintf(text, sizeof text,
                 "\"%s\": the team could not arrange it; they will be in "
                 "touch.",
                 title);
    } else {
        snprintf(text, sizeof text, "\"%s\": passed to the team, not yet confirmed.", title);
    }
    return line_add(t, text, "item", state);
}

static enum lu_rc compose_requests(struct turn *t, const char *last_item)
{
    json_t *mine = NULL;
    bool more = false;
    enum lu_rc rc = guest_items_read(t->conn, t->who, GUEST_ITEMS_MAX, NULL, &mine, &more);
    if (rc != LU_OK) {
        return rc;
    }
    if (json_array_size(mine) == 0) {
        json_decref(mine);
        return line_add(t,
                        "You haven't asked for anything yet. Tell me what you need and I'll "
                        "pass it to the team.",
                        NULL, NULL);
    }
    /* The thing the question names ("dinner", "air conditioning"), if any. */
    static _Thread_local struct focus_text words;
    focus_text_normalise(t->message, &words);
    bool named = false;
    bool *pick = calloc(json_array_size(mine), sizeof *pick);
    LU_ASSERT(pick != NULL);
    size_t picked = 0;
    for (size_t w = 0; w < words.n; w++) {
        if (guest_word_generic(words.words[w]) || strlen(words.words[w]) < 3) {
            continue;
        }
        named = true;
        for (size_t i = 0; i < json_array_size(mine); i++) {
            const json_t *v = json_array_get(mine, i);
            if (!pick[i] &&
                (text_has_word(json_string_value(json_object_get(v, "title")), words.words[w]) ||
                 text_has_word(json_string_value(json_object_get(v, "details")), words.words[w]))) {
                pick[i] = true;
                picked++;
            }
        }
    }
    /* "what are my requests?", "show me everything": all of them, even
     * right after a turn about one. */
    static const char *const every[] = {"requests", "all",      "everything", "list",
                                        "asked",    "anything", "things"};
    bool all = false;
    for (size_t w = 0; w < words.n && !all; w++) {
        for (size_t k = 0; k < sizeof every / sizeof every[0]; k++) {
            all = all || strcmp(words.words[w], every[k]) == 0;
        }
    }
    if (picked == 0 && !named && !all && last_item != NULL) {
        for (size_t i = 0; i < json_array_size(mine); i++) {
            if (str_is(json_string_value(json_object_get(json_array_get(mine, i), "id")),
                       last_item)) {
                pick[i] = true;
                picked = 1;
            }
        }
    }
    if (picked == 0 && named) {
        rc = line_add(t,
                      "I don't see a request about that among yours. Here is what you have "
                      "asked for:",
                      NULL, NULL);
    } else if (picked == 0) {
        rc = line_add(t, "Here is what you have asked for:", NULL, NULL);
    }
    size_t shown = 0;
    for (size_t i = 0; rc == LU_OK && i < json_array_size(mine); i++) {
        if ((picked > 0 && !pick[i]) || shown == GUEST_REPLY_ITEMS_MAX) {
            continue;
        }
        const json_t *v = json_array_get(mine, i);
        rc = item_line(t, v);
        json_array_append(t->items, (json_t *)v);
        if (shown == 0) {
            snprintf(t->last_item, sizeof t->last_item, "%s",
                     json_string_value(json_object_get(v, "id")));
        }
        shown++;
    }
    free(pick);
    json_decref(mine);
    return rc;
}

static enum lu_rc compose_human(struct turn *t)
{
    t->needs_human = true;
    const char *text =
        t->pick.tone == TONE_INFO
            ? "I don't have that in your booking's records, so I've asked the team to send it "
              "to you here."
        : t->pick.tone == TONE_RESOLVED
            ? "Thanks for letting us know. I've passed that to the team so they can update "
              "your request."
            : "I've flagged this conversation for the team; a person will reply to you here "
              "as soon as they can.";
    return line_add(t, text, NULL, NULL);
}

static enum lu_rc compose_off_topic(struct turn *t)
{
    char text[512], name[64];
    const char *place = t->property_name ? t->property_name : "your stay";
    if (t->pick.tone == TONE_GREETING || t->pick.tone == TONE_THANKS) {
        first_name(t, name, sizeof name);
        snprintf(text, sizeof text,
                 "%s%s%s! I can help with your stay at %s: your dates and "
                 "check-in times, your balance, requests such as dinner or a transfer, and "
                 "anything in the house that needs fixing.",
                 t->pick.tone == TONE_THANKS ? "You're welcome" : "Hello", name[0] ? ", " : "",
                 name, place);
    } else {
        snprintf(text, sizeof text,
                 "I'm sorry, I can only help with your stay at %s: your "
                 "dates and check-in times, your balance, requests such as dinner or a transfer, "
                 "and anything in the house that needs fixing.",
                 place);
    }
    return line_add(t, text, NULL, NULL);
}

/* ---- the thread ----------------------------------------------------------------- */

static enum lu_rc thread_write(struct turn *t, const char *reply, char thread[ID_BYTES_MAX])
{
    const char *channels[] = {"chat"};
    struct thread_query q = {.guest_id = t->who->guest_id, .channels = channels, .nchannels = 1};
    char in_id[ID_BYTES_MAX], out_id[ID_BYTES_MAX];
    enum lu_rc rc = id_new("msg_", in_id, sizeof in_id);
    if (rc == LU_OK) {
        rc = store_message_thread_latest(t->conn, &q, thread);
        if (rc == LU_NOT_FOUND) {
            snprintf(thread, ID_BYTES_MAX, "%s", in_id);
            rc = LU_OK;
        }
    }
    const char *booking_id =
        t->booking ? json_string_value(json_object_get(t->booking, "id")) : NULL;
    const char *item_id = t->created_item[0] ? t->created_item : NULL;
    for (int dir = 0; rc == LU_OK && dir < 2; dir++) {
        /* The reply's id sorts after the guest's words (ids sort by their
         * millisecond, then at random): a thread reads in turn order. */
        for (int tries = 0; dir == 1 && rc == LU_OK && tries < REPLY_ID_TRIES_MAX; tries++) {
            rc = id_new("msg_", out_id, sizeof out_id);
            if (strcmp(out_id, in_id) > 0) {
                break;
            }
        }
        json_t *values =
            json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:b}", "property_id",
                      t->who->property_id, "guest_id", t->who->guest_id, "booking_id", booking_id,
                      "thread_id", thread, "channel", "chat", "direction",
                      dir ? "outbound" : "inbound", "provider", "lucia", "body",
                      dir ? reply : t->message, "status", dir ? "sent" : "received", "item_id",
                      item_id, "needs_human", dir == 0 && t->needs_human);
        json_t *record = NULL;
        rc = values ? store_message_insert(t->conn, dir ? "lucia:guest-agent" : t->who->actor,
                                           dir ? out_id : in_id, values, &record)
                    : LU_NOMEM;
        json_decref(values);
        json_decref(record);
    }
    return rc;
}

/* ---- the turn ---------------------------------------------------------------------- */

static void turn_free(struct turn *t)
{
    json_decref(t->property);
    zone_close(t->zone);
    json_decref(t->bookings);
    json_decref(t->lines);
    json_decref(t->claims);
    json_decref(t->items);
    json_decref(t->balance);
}

static enum lu_rc turn_read(struct turn *t)
{
    enum lu_rc rc = guest_property_read(t->conn, t->who, &t->property);
    if (rc != LU_OK) {
        return rc;
    }
    t->property_name = json_string_value(json_object_get(t->property, "name"));
    const char *tz = json_string_value(json_object_get(t->property, "time_zone"));
    if (zone_open(tz ? tz : "UTC", &t->zone) != LU_OK && zone_open("UTC", &t->zone) != LU_OK) {
        return LU_IO;
    }
    rc = guest_bookings_read(t->conn, t->who, &t->bookings);
    if (rc == LU_OK) {
        booking_pick(t);
    }
    t->lines = json_array();
    t->claims = json_array();
    t->items = json_array();
    return t->lines && t->claims && t->items ? rc : LU_NOMEM;
}

static enum lu_rc compose(struct turn *t, const char *last_item)
{
    switch (t->pick.route) {
    case GUEST_STAY_INFO:
        return compose_stay(t);
    case GUEST_BALANCE:
        return compose_balance(t);
    case GUEST_CONCIERGE_REQUEST:
        return compose_request(t, false);
    case GUEST_MAINTENANCE_REPORT:
        return compose_request(t, true);
    case GUEST_MY_REQUESTS:
        return compose_requests(t, last_item);
    case GUEST_HUMAN:
        return compose_human(t);
    case GUEST_OFF_TOPIC:
    case GUEST_ROUTES:
        break;
    }
    return compose_off_topic(t);
}

/* The reply text after the guard: the lines joined by spaces. Owned. */
static char *reply_text(struct turn *t)
{
    json_t *guarded = json_array();
    for (size_t i = 0; guarded != NULL && i < json_array_size(t->lines); i++) {
        const json_t *line = json_array_get(t->lines, i);
        json_t *copy = json_pack("{s:O}", "text", json_object_get(line, "text"));
        json_t *claim = json_object_get(line, "claim");
        if (copy != NULL && json_is_integer(claim)) {
            json_object_set(copy, "item", claim);
        }
        json_array_append_new(guarded, copy);
    }
    size_t removed = guarded ? guest_guard_lines(guarded, t->claims) : 0;
    if (removed > 0) {
        log_msg(LOG_ERROR, NULL, "guest: the truth guard removed %zu line(s) of a %s reply",
                removed, guest_route_name(t->pick.route));
    }
    size_t cap = 1;
    for (size_t i = 0; i < json_array_size(guarded); i++) {
        cap += strlen(json_string_value(json_object_get(json_array_get(guarded, i), "text"))) + 1;
    }
    char *out = malloc(cap);
    if (out != NULL) {
        out[0] = '\0';
        size_t len = 0;
        for (size_t i = 0; i < json_array_size(guarded); i++) {
            const char *s = json_string_value(json_object_get(json_array_get(guarded, i), "text"));
            len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? " " : "", s);
        }
    }
    json_decref(guarded);
    return out;
}

enum lu_rc guest_chat_turn(struct db_conn *conn, const struct guest_identity *who,
                           struct guest_session *s, const char *message, int64_t now_s,
                           json_t **answer, const char **route)
{
    LU_ASSERT(conn != NULL && who != NULL && s != NULL && s->state != NULL && message != NULL);
    struct turn t = {.conn = conn, .who = who, .message = message, .now_s = now_s};
    guest_route_pick(message, &t.pick);
    const char *last_item = json_string_value(json_object_get(s->state, "last_item"));
    enum lu_rc rc = turn_read(&t);
    if (rc == LU_OK) {
        rc = compose(&t, t.pick.follow_up ? last_item : NULL);
    }
    char *reply = rc == LU_OK ? reply_text(&t) : NULL;
    if (rc == LU_OK && reply == NULL) {
        rc = LU_NOMEM;
    }
    char thread[ID_BYTES_MAX] = "";
    if (rc == LU_OK) {
        rc = thread_write(&t, reply, thread);
    }
    if (rc == LU_OK) {
        char generated[RFC3339_BYTES];
        clock_format_utc(now_s, generated);
        *route = guest_route_name(t.pick.route);
        *answer = json_pack("{s:s, s:s, s:s, s:O, s:s, s:s}", "session_id", s->id, "route", *route,
                            "reply", reply, "items", t.items, "generated_at", generated,
                            "thread_id", thread);
        if (*answer != NULL && t.balance != NULL) {
            json_object_set(*answer, "balance", t.balance);
        }
        rc = *answer ? LU_OK : LU_NOMEM;
    }
    if (rc == LU_OK) {
        json_object_set_new(s->state, "last_route", json_string(*route));
        if (t.last_item[0] != '\0') {
            json_object_set_new(s->state, "last_item", json_string(t.last_item));
        }
        json_object_set_new(
            s->state, "turns",
            json_integer(json_integer_value(json_object_get(s->state, "turns")) + 1));
    }
    free(reply);
    turn_free(&t);
    return rc;
}

/* ---- metrics ------------------------------------------------------------------------- */

static atomic_ullong turns_by_route[GUEST_ROUTES];

void guest_metrics_turn(const char *route)
{
    enum guest_route r;
    if (guest_route_parse(route, &r)) {
        atomic_fetch_add(&turns_by_route[r], 1);
    }
}

char *guest_metrics_append(char *text, size_t *len)
{
    char buf[1024];
    size_t n = (size_t)snprintf(buf, sizeof buf,
                                "# HELP lucia_guest_chat_turns_total Guest chat turns answered, "
                                "by route.\n# TYPE lucia_guest_chat_turns_total counter\n");
    for (int r = 0; r < GUEST_ROUTES && n < sizeof buf; r++) {
        n += (size_t)snprintf(buf + n, sizeof buf - n,
                              "lucia_guest_chat_turns_total{route=\"%s\"} %llu\n",
                              guest_route_name((enum guest_route)r),
                              (unsigned long long)atomic_load(&turns_by_route[r]));
    }
    LU_ASSERT(n < sizeof buf);
    char *grown = realloc(text, *len + n + 1);
    if (grown == NULL) {
        return text;
    }
    memcpy(grown + *len, buf, n + 1);
    *len += n;
    return grown;
}
