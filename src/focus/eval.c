/*
 * eval.c — `lucia eval --url URL --key KEY [--prompts FILE]` (SPEC §8; see
 * focus.h): sends the validation prompts to a running engine in one
 * session and prints the must-pass table — check, result, notes — judging
 * each answer against the engine's own read API (payment risks, concierge
 * items, each property's day), not against wording.
 *
 * The built-in prompts are a copy of ../shared/eval/prompts.json; a file
 * given with --prompts has the same shape ({"prompts":[{"message","route",
 * "check"}]}). Rows named by the checks this file knows are judged as
 * below; any other check name is judged by its route alone.
 *
 * A client only: it talks HTTP through libcurl with a timeout per call and
 * never prints the key.
 */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/assert.h"
#include "core/clock.h"
#include "focus/focus.h"
#include "focus/focus_internal.h"

/* One call to the engine: generous for a focus turn with a model (3 s). */
#define EVAL_CALL_TIMEOUT_MS 15000
#define EVAL_BODY_BYTES_MAX (4 * 1024 * 1024)
#define EVAL_PROMPTS_MAX 64
#define EVAL_ROWS_MAX 16
#define EVAL_NOTES_BYTES 600
/* Pages read from a list endpoint while cross-checking (500 each). */
#define EVAL_PAGES_MAX 20

static const char builtin_prompts[] =
    "{\"prompts\":["
    "{\"message\":\"Good morning\",\"route\":\"greeting\",\"check\":\"greeting / human "
    "utility\"},"
    "{\"message\":\"How are you?\",\"route\":\"human_utility\",\"check\":\"greeting / human "
    "utility\"},"
    "{\"message\":\"I'm overwhelmed\",\"route\":\"distress\",\"check\":\"distress "
    "continuity\"},"
    "{\"message\":\"What matters most right now?\",\"route\":\"priority_triage\",\"check\":"
    "\"priority triage\",\"expect\":\"distressed session: one item, calm, offers the next\"},"
    "{\"message\":\"Show payment risks I need to handle now.\",\"route\":\"payment_risk\","
    "\"check\":\"payment risk\"},"
    "{\"message\":\"Show open concierge requests needing confirmation.\",\"route\":"
    "\"concierge_readiness\",\"check\":\"concierge readiness\"},"
    "{\"message\":\"Any urgent maintenance issues today?\",\"route\":\"maintenance_focus\","
    "\"check\":\"maintenance focus\"},"
    "{\"message\":\"What's the capital of France?\",\"route\":\"off_topic\",\"check\":"
    "\"off-topic boundary\"}"
    "]}";

/* Answers an off-topic question must never contain (lower case). */
static const char *const known_answers[] = {"paris", "rome", "berlin", "london", "madrid"};

/* ---- HTTP ----------------------------------------------------------------- */

struct sink {
    char *data;
    size_t len;
    bool over;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (s->len + n > EVAL_BODY_BYTES_MAX) {
        s->over = true;
        return 0;
    }
    char *grown = realloc(s->data, s->len + n + 1);
    if (grown == NULL) {
        return 0;
    }
    s->data = grown;
    memcpy(s->data + s->len, ptr, n);
    s->len += n;
    s->data[s->len] = '\0';
    return n;
}

struct eval_ctx {
    const char *url;
    char auth[1024];
    FILE *out;
};

/* GET (body NULL) or POST body to path; *json owned on a JSON answer.
 * Returns the HTTP status, or 0 when the engine could not be reached. */
static long call(const struct eval_ctx *ctx, const char *path, const json_t *body, json_t **json)
{
    *json = NULL;
    char url[2048];
    snprintf(url, sizeof url, "%s%s", ctx->url, path);
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        return 0;
    }
    struct curl_slist *headers = curl_slist_append(NULL, ctx->auth);
    struct curl_slist *more =
        headers ? curl_slist_append(headers, "Content-Type: application/json") : NULL;
    headers = more ? more : headers;
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct sink s = {0};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (payload != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
    }
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)EVAL_CALL_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(payload);
    if (s.data != NULL && !s.over) {
        json_error_t error;
        *json = json_loadb(s.data, s.len, 0, &error);
    }
    free(s.data);
    return status;
}

/* Every row of a paged list (?limit=500&after=…), owned array; NULL when
 * the endpoint failed. */
static json_t *list_all(const struct eval_ctx *ctx, const char *path)
{
    json_t *all = json_array();
    char after[128] = "";
    for (int page = 0; all != NULL && page < EVAL_PAGES_MAX; page++) {
        char p[1024];
        snprintf(p, sizeof p, "%s%slimit=500%s%s", path, strchr(path, '?') ? "&" : "?",
                 after[0] ? "&after=" : "", after);
        json_t *j = NULL;
        if (call(ctx, p, NULL, &j) != 200 || !json_is_array(json_object_get(j, "data"))) {
            json_decref(j);
            json_decref(all);
            return NULL;
        }
        json_array_extend(all, json_object_get(j, "data"));
        const char *next = json_string_value(json_object_get(j, "next"));
        bool more = json_is_true(json_object_get(j, "has_more")) && next != NULL;
        if (more) {
            snprintf(after, sizeof after, "%s", next);
        }
        json_decref(j);
        if (!more) {
            break;
        }
    }
    return all;
}

/* ---- the run ---------------------------------------------------------------- */

struct turn {
    const char *message; /* borrowed from the prompts */
    const char *route;   /* expected */
    const char *check;
    long status;
    json_t *answer; /* owned */
};

struct row {
    const char *check;
    bool pass;
    char notes[EVAL_NOTES_BYTES];
};

__attribute__((format(printf, 2, 3))) static void fail(struct row *r, const char *fmt, ...)
{
    size_t len = strlen(r->notes);
    if (r->pass) {
        len = 0; /* the first failure replaces the pass note */
        r->notes[0] = '\0';
    }
    r->pass = false;
    if (len > 0 && len + 2 < sizeof r->notes) {
        memcpy(r->notes + len, "; ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes + len, sizeof r->notes - len, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 2, 3))) static void note(struct row *r, const char *fmt, ...)
{
    if (!r->pass) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes, sizeof r->notes, fmt, ap);
    va_end(ap);
}

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static json_t *items_of(const struct turn *t)
{
    return json_object_get(t->answer, "items");
}

static const char *reply_of(const struct turn *t)
{
    return jstr(t->answer, "reply");
}

/* A whole-word, case-insensitive search. */
static bool has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = text; *p; p++) {
        if (strncasecmp(p, word, n) == 0) {
            bool start = p == text || !((p[-1] | 32) >= 'a' && (p[-1] | 32) <= 'z');
            char e = p[n];
            bool end = !((e | 32) >= 'a' && (e | 32) <= 'z');
            if (start && end) {
                return true;
            }
        }
    }
    return false;
}

static bool contains_ci(const char *text, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = text; *p; p++) {
        if (strncasecmp(p, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

static size_t lines_of(const char *s)
{
    size_t n = *s ? 1 : 0;
    for (; *s; s++) {
        n += *s == '\n';
    }
    return n;
}

/* True when set (array of strings) has s. */
static bool set_has(const json_t *set, const char *s)
{
    for (size_t i = 0; i < json_array_size(set); i++) {
        if (strcmp(json_string_value(json_array_get(set, i)), s) == 0) {
            return true;
        }
    }
    return false;
}

static void judge_contract(struct turn *turns, size_t n, struct row *r)
{
    const char *session = NULL;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *a = turns[i].answer;
        if (turns[i].status != 200 || !json_is_object(a)) {
            fail(r, "prompt %zu answered HTTP %ld", i + 1, turns[i].status);
            continue;
        }
        static const char *const fields[] = {"session_id", "route", "reply", "generated_at",
                                             "model"};
        for (size_t f = 0; f < 5; f++) {
            if (!json_is_string(json_object_get(a, fields[f]))) {
                fail(r, "prompt %zu has no %s", i + 1, fields[f]);
            }
        }
        const json_t *items = json_object_get(a, "items");
        for (size_t k = 0; k < json_array_size(items); k++) {
            const json_t *it = json_array_get(items, k);
            if (jstr(it, "type")[0] == '\0' || jstr(it, "id")[0] == '\0' ||
                !json_is_string(json_object_get(it, "title")) || jstr(it, "state")[0] == '\0' ||
                jstr(it, "reason")[0] == '\0') {
                fail(r, "prompt %zu item %zu lacks type, id, title, state or reason", i + 1, k + 1);
            }
        }
        if (!json_is_array(items)) {
            fail(r, "prompt %zu has no items list", i + 1);
        }
        if (session == NULL) {
            session = jstr(a, "session_id");
        } else if (strcmp(session, jstr(a, "session_id")) != 0) {
            fail(r, "prompt %zu left the session", i + 1);
        }
        if (strcmp(jstr(a, "route"), turns[i].route) != 0) {
            fail(r, "\"%s\": expected %s, got %s", turns[i].message, turns[i].route,
                 jstr(a, "route"));
        } else {
            ok++;
        }
    }
    note(r, "%zu/%zu prompts routed as expected in session %s", ok, n, session ? session : "-");
}

static void judge_social(struct turn *t, struct row *r)
{
    const char *reply = reply_of(t);
    if (json_array_size(items_of(t)) != 0) {
        fail(r, "%s listed %zu items", t->route, json_array_size(items_of(t)));
    }
    if (reply[0] == '\0' || lines_of(reply) > 2 || strlen(reply) > 400) {
        fail(r, "%s reply is not one or two short lines", t->route);
    }
    if (strcmp(t->route, "greeting") == 0) {
        static const char *const parts[] = {"Good morning", "Good afternoon", "Good evening",
                                            "Hello"};
        bool part = false;
        for (size_t i = 0; i < 4; i++) {
            part |= strncmp(reply, parts[i], strlen(parts[i])) == 0;
        }
        bool count = strpbrk(reply, "0123456789") != NULL || has_word(reply, "nothing") ||
                     has_word(reply, "one");
        if (!part || !count) {
            fail(r, "greeting lacks the part of day or how many things need you");
        }
    }
    note(r, "warm and short, no list");
}

static void judge_distress(struct turn *turns, size_t n, size_t i, struct row *r)
{
    struct turn *t = &turns[i];
    if (json_array_size(items_of(t)) != 0) {
        fail(r, "the distress reply listed items");
    }
    if (!contains_ci(reply_of(t), "one thing at a time") && !contains_ci(reply_of(t), "breath")) {
        fail(r, "the distress reply does not offer one thing at a time");
    }
    for (size_t k = i + 1; k < n; k++) {
        if (strcmp(jstr(turns[k].answer, "route"), "priority_triage") == 0) {
            size_t items = json_array_size(items_of(&turns[k]));
            if (items > 1) {
                fail(r, "the next triage listed %zu items, not one: distress was forgotten", items);
            } else if (items == 1 && !has_word(reply_of(&turns[k]), "next")) {
                fail(r, "the next triage does not offer the next item");
            }
            note(r, "calm, no list; the next triage gave %zu item and offered the next", items);
            return;
        }
    }
    note(r, "calm, no list");
}

static void judge_triage(struct turn *t, struct row *r)
{
    const json_t *items = items_of(t);
    size_t n = json_array_size(items);
    if (n == 0 && !contains_ci(reply_of(t), "nothing")) {
        fail(r, "no items, and the reply does not say nothing needs you");
    }
    json_int_t last = 0;
    for (size_t k = 0; k < n; k++) {
        const json_t *it = json_array_get(items, k);
        json_int_t score = json_integer_value(json_object_get(it, "score"));
        if (k > 0 && score > last) {
            fail(r, "items are not ranked (item %zu scores above item %zu)", k + 1, k);
        }
        last = score;
    }
    note(r, "%zu ranked item%s, each with its reason", n, n == 1 ? "" : "s");
}

static void judge_payments(const struct eval_ctx *ctx, struct turn *t, struct row *r)
{
    json_t *j = NULL;
    long status = call(ctx, "/api/payments/risks", NULL, &j);
    const json_t *risks = json_object_get(j, "data");
    if (status != 200 || !json_is_array(risks)) {
        fail(r, "GET /api/payments/risks answered %ld", status);
        json_decref(j);
        return;
    }
    const json_t *items = items_of(t);
    if (json_array_size(items) != json_array_size(risks)) {
        fail(r, "%zu risks listed, the ledger has %zu", json_array_size(items),
             json_array_size(risks));
    }
    for (size_t k = 0; k < json_array_size(items) && k < json_array_size(risks); k++) {
        const json_t *it = json_array_get(items, k), *rk = json_array_get(risks, k);
        if (strcmp(jstr(it, "id"), jstr(rk, "booking_id")) != 0 ||
            strcmp(jstr(it, "state"), jstr(rk, "reason")) != 0 ||
            json_integer_value(json_object_get(it, "amount_cents")) !=
                json_integer_value(json_object_get(rk, "amount_cents"))) {
            fail(r, "risk %zu differs from the ledger's (%s %s)", k + 1, jstr(rk, "booking_id"),
                 jstr(rk, "reason"));
        }
        char amount[64];
        focus_money_format(json_integer_value(json_object_get(rk, "amount_cents")),
                           jstr(rk, "currency"), amount, sizeof amount);
        if (strstr(reply_of(t), amount) == NULL) {
            fail(r, "the reply does not state %s", amount);
        }
    }
    if (json_array_size(risks) == 0 && !contains_ci(reply_of(t), "no payment risks")) {
        fail(r, "no risks, and the reply does not say so plainly");
    }
    note(r, "exactly the ledger's %zu risk%s, with amounts", json_array_size(risks),
         json_array_size(risks) == 1 ? "" : "s");
    json_decref(j);
}

static void judge_concierge(const struct eval_ctx *ctx, struct turn *t, struct row *r)
{
    json_t *open = list_all(ctx, "/api/items?kind=concierge&state=requested");
    if (open == NULL) {
        fail(r, "GET /api/items answered an error");
        return;
    }
    json_t *ids = json_array();
    for (size_t k = 0; k < json_array_size(open); k++) {
        json_array_append_new(ids, json_string(jstr(json_array_get(open, k), "id")));
    }
    const json_t *items = items_of(t);
    size_t n = json_array_size(items);
    const char *last_due = NULL;
    for (size_t k = 0; k < n; k++) {
        const json_t *it = json_array_get(items, k);
        if (strcmp(jstr(it, "type"), "concierge") != 0 ||
            strcmp(jstr(it, "state"), "requested") != 0 || !set_has(ids, jstr(it, "id"))) {
            fail(r, "item %s is not a concierge request still requested", jstr(it, "id"));
        }
        if (has_word(jstr(it, "reason"), "confirmed")) {
            fail(r, "item %s is called confirmed", jstr(it, "id"));
        }
        const char *due = json_string_value(json_object_get(it, "due_at"));
        if (due != NULL && last_due != NULL && strcmp(due, last_due) < 0) {
            fail(r, "items are not soonest first");
        }
        if (due == NULL && k + 1 < n &&
            json_string_value(json_object_get(json_array_get(items, k + 1), "due_at"))) {
            fail(r, "an item without a time comes before a timed one");
        }
        last_due = due ? due : last_due;
    }
    size_t expected =
        json_array_size(ids) < FOCUS_LIST_ITEMS_MAX ? json_array_size(ids) : FOCUS_LIST_ITEMS_MAX;
    if (n != expected) {
        fail(r, "%zu listed, %zu concierge requests are still requested", n, json_array_size(ids));
    }
    if (has_word(reply_of(t), "confirmed")) {
        fail(r, "the reply calls something confirmed");
    }
    note(r, "%zu still-requested concierge item%s, soonest first, none called confirmed", n,
         n == 1 ? "" : "s");
    json_decref(ids);
    json_decref(open);
}

/* Whether a today item is maintenance that focus must list. */
static bool maintenance_due(const json_t *it)
{
    return strcmp(jstr(it, "kind"), "maintenance") == 0 &&
           (strcmp(jstr(it, "priority"), "urgent") == 0 ||
            json_is_true(json_object_get(it, "guest_impacting")));
}

static void judge_maintenance(const struct eval_ctx *ctx, struct turn *t, struct row *r)
{
    json_t *properties = list_all(ctx, "/api/properties");
    if (properties == NULL) {
        fail(r, "GET /api/properties answered an error");
        return;
    }
    json_t *due = json_array();
    for (size_t p = 0; p < json_array_size(properties); p++) {
        char path[256];
        snprintf(path, sizeof path, "/api/today?property_id=%s",
                 jstr(json_array_get(properties, p), "id"));
        json_t *day = NULL;
        if (call(ctx, path, NULL, &day) != 200) {
            fail(r, "GET %s failed", path);
        }
        const json_t *list = json_object_get(day, "items_due");
        for (size_t k = 0; k < json_array_size(list); k++) {
            if (maintenance_due(json_array_get(list, k))) {
                json_array_append_new(due, json_string(jstr(json_array_get(list, k), "id")));
            }
        }
        json_decref(day);
    }
    const json_t *items = items_of(t);
    for (size_t k = 0; k < json_array_size(items); k++) {
        const json_t *it = json_array_get(items, k);
        if (strcmp(jstr(it, "type"), "maintenance") != 0 || !set_has(due, jstr(it, "id"))) {
            fail(r, "item %s is not urgent or guest-impacting maintenance due today",
                 jstr(it, "id"));
        }
    }
    size_t expected =
        json_array_size(due) < FOCUS_LIST_ITEMS_MAX ? json_array_size(due) : FOCUS_LIST_ITEMS_MAX;
    if (json_array_size(items) != expected) {
        fail(r, "%zu listed, each property's day has %zu", json_array_size(items),
             json_array_size(due));
    }
    note(r, "the %zu open urgent or guest-impacting issue%s due today", json_array_size(due),
         json_array_size(due) == 1 ? "" : "s");
    json_decref(due);
    json_decref(properties);
}

static void judge_off_topic(struct turn *t, struct row *r)
{
    if (json_array_size(items_of(t)) != 0) {
        fail(r, "the off-topic reply listed items");
    }
    for (size_t i = 0; i < sizeof known_answers / sizeof known_answers[0]; i++) {
        if (has_word(reply_of(t), known_answers[i]) && !has_word(t->message, known_answers[i])) {
            fail(r, "the reply answers the question (\"%s\")", known_answers[i]);
        }
    }
    if (!contains_ci(reply_of(t), "operations") && !contains_ci(reply_of(t), "matters most")) {
        fail(r, "the reply does not point back to operations");
    }
    note(r, "declined, pointed back to operations, answered nothing");
}

/* The row for check, added in first-seen order. */
static struct row *row_for(struct row *rows, size_t *nrows, const char *check)
{
    for (size_t i = 0; i < *nrows; i++) {
        if (strcmp(rows[i].check, check) == 0) {
            return &rows[i];
        }
    }
    if (*nrows == EVAL_ROWS_MAX) {
        return NULL;
    }
    struct row *r = &rows[(*nrows)++];
    r->check = check;
    r->pass = true;
    r->notes[0] = '\0';
    return r;
}

static void judge(const struct eval_ctx *ctx, struct turn *turns, size_t n, struct row *rows,
                  size_t *nrows)
{
    judge_contract(turns, n, row_for(rows, nrows, "route contract"));
    for (size_t i = 0; i < n; i++) {
        struct row *r = row_for(rows, nrows, turns[i].check);
        struct turn *t = &turns[i];
        if (r == NULL || r == &rows[0]) {
            continue;
        }
        if (t->status != 200 || strcmp(jstr(t->answer, "route"), t->route) != 0) {
            fail(r, "\"%s\" was not answered on route %s", t->message, t->route);
            continue;
        }
        const char *route = t->route;
        if (strcmp(route, "greeting") == 0 || strcmp(route, "human_utility") == 0) {
            judge_social(t, r);
        } else if (strcmp(route, "distress") == 0) {
            judge_distress(turns, n, i, r);
        } else if (strcmp(route, "priority_triage") == 0) {
            judge_triage(t, r);
        } else if (strcmp(route, "payment_risk") == 0) {
            judge_payments(ctx, t, r);
        } else if (strcmp(route, "concierge_readiness") == 0) {
            judge_concierge(ctx, t, r);
        } else if (strcmp(route, "maintenance_focus") == 0) {
            judge_maintenance(ctx, t, r);
        } else if (strcmp(route, "off_topic") == 0) {
            judge_off_topic(t, r);
        } else {
            note(r, "routed as expected");
        }
    }
}

/* Reads the prompts into turns; false with a message when malformed. */
static bool prompts_read(const json_t *root, struct turn *turns, size_t *n, FILE *out)
{
    const json_t *list = json_object_get(root, "prompts");
    *n = 0;
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > EVAL_PROMPTS_MAX) {
        fprintf(out, "lucia eval: prompts must be {\"prompts\":[…]} with 1 to %d entries\n",
                EVAL_PROMPTS_MAX);
        return false;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *p = json_array_get(list, i);
        enum focus_route route;
        turns[i] = (struct turn){.message = json_string_value(json_object_get(p, "message")),
                                 .route = json_string_value(json_object_get(p, "route")),
                                 .check = json_string_value(json_object_get(p, "check"))};
        if (turns[i].message == NULL || !focus_route_parse(turns[i].route, &route)) {
            fprintf(out, "lucia eval: prompt %zu needs a message and one of the eight routes\n",
                    i + 1);
            return false;
        }
        if (turns[i].check == NULL) {
            turns[i].check = turns[i].route;
        }
        (*n)++;
    }
    return true;
}

/* Issue 11's staging rows: /health, /ready and /admin/status answer, and
 * no configured integration's last live check failed. */
static void judge_operations(const struct eval_ctx *ctx, struct row *rows, size_t *nrows)
{
    static const char *const checks[] = {"health", "readiness", "status"};
    static const char *const paths[] = {"/health", "/ready", "/admin/status"};
    for (size_t i = 0; i < 3; i++) {
        struct row *r = row_for(rows, nrows, checks[i]);
        json_t *answer = NULL;
        long status = r ? call(ctx, paths[i], NULL, &answer) : 0;
        if (r == NULL) {
            continue;
        }
        if (status != 200 || answer == NULL) {
            fail(r, "GET %s answered %ld", paths[i], status);
        } else if (i < 2) {
            note(r, "GET %s: %s", paths[i], jstr(answer, "status"));
        } else {
            const json_t *list = json_object_get(answer, "integrations");
            size_t tested = 0, failed = 0;
            for (size_t k = 0; k < json_array_size(list); k++) {
                const json_t *it = json_array_get(list, k);
                tested += strcmp(jstr(it, "state"), "tested") == 0;
                if (json_is_string(json_object_get(it, "failed_at")) &&
                    strcmp(jstr(it, "state"), "tested") != 0) {
                    failed++;
                    fail(r, "%s: %s", jstr(it, "name"), jstr(it, "why"));
                }
            }
            if (failed == 0) {
                note(r, "%zu integrations, %zu tested", json_array_size(list), tested);
            }
        }
        json_decref(answer);
    }
}

static void table_print(FILE *out, const struct row *rows, size_t nrows)
{
    fprintf(out, "%-26s %-6s %s\n", "check", "result", "notes");
    for (size_t i = 0; i < nrows; i++) {
        fprintf(out, "%-26s %-6s %s\n", rows[i].check, rows[i].pass ? "PASS" : "FAIL",
                rows[i].notes);
    }
}

int focus_eval_run(const char *url, const char *key, const char *prompts_file, FILE *out)
{
    LU_ASSERT(url != NULL && key != NULL && out != NULL);
    json_error_t error;
    json_t *root = prompts_file ? json_load_file(prompts_file, 0, &error)
                                : json_loads(builtin_prompts, 0, &error);
    if (root == NULL) {
        fprintf(out, "lucia eval: cannot read %s: %s (line %d)\n",
                prompts_file ? prompts_file : "the built-in prompts", error.text, error.line);
        return 2;
    }
    struct turn turns[EVAL_PROMPTS_MAX];
    size_t n = 0;
    if (!prompts_read(root, turns, &n, out)) {
        json_decref(root);
        return 2;
    }
    struct eval_ctx ctx = {.url = url, .out = out};
    snprintf(ctx.auth, sizeof ctx.auth, "Authorization: Bearer %s", key);
    const char *session = NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *body = json_pack("{s:s, s:s?}", "message", turns[i].message, "session_id", session);
        turns[i].status = call(&ctx, "/admin/operator-focus", body, &turns[i].answer);
        json_decref(body);
        if (session == NULL && turns[i].status == 200) {
            session = json_string_value(json_object_get(turns[i].answer, "session_id"));
        }
        fprintf(out, "> %s\n  [%s] ", turns[i].message,
                jstr(turns[i].answer, "route")[0] ? jstr(turns[i].answer, "route") : "error");
        const char *reply = turns[i].status == 200 ? reply_of(&turns[i]) : "(no answer)";
        for (const char *p = reply; *p; p++) {
            if (*p == '\n') {
                fputs("\n    ", out);
            } else {
                fputc(*p, out);
            }
        }
        fprintf(out, "\n");
    }
    fprintf(out, "\n");
    struct row rows[EVAL_ROWS_MAX];
    size_t nrows = 0;
    judge(&ctx, turns, n, rows, &nrows);
    judge_operations(&ctx, rows, &nrows);
    table_print(out, rows, nrows);
    bool all = nrows > 0;
    for (size_t i = 0; i < nrows; i++) {
        all &= rows[i].pass;
    }
    for (size_t i = 0; i < n; i++) {
        json_decref(turns[i].answer);
    }
    explicit_bzero(ctx.auth, sizeof ctx.auth);
    json_decref(root);
    return all ? 0 : 1;
}
