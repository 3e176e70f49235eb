/*
 * ledger.c — Stripe events into snapshots, snapshots into records, and
 * records into bookings (see ledger.h for the rules). Pure: the webhook's
 * store code and the reconcile walk both call these, and the unit tests
 * prove their order-independence over many shuffles.
 */
#include "ledger/ledger.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"

/* --- state precedence ----------------------------------------------------- */

struct state_rule {
    const char *status;
    int rank;
    bool terminal;
};

/* Per kind, weakest first (ledger.h). A status missing here ranks 0 and is
 * not terminal: a state Stripe adds later never freezes a record. */
static const struct state_rule pi_rules[] = {
    {"requires_payment_method", 1, false},
    {"requires_confirmation", 2, false},
    {"requires_action", 3, false},
    {"processing", 4, false},
    {"requires_capture", 6, false},
    {"canceled", 7, true},
    {"succeeded", 8, true},
};
#define PI_FAILED_RANK 5
static const struct state_rule charge_rules[] = {
    {"pending", 1, false}, {"failed", 2, true}, {"succeeded", 3, true}};
static const struct state_rule refund_rules[] = {
    {"pending", 1, false},  {"requires_action", 2, false}, {"canceled", 3, true},
    {"succeeded", 4, true}, {"failed", 5, true},
};
static const struct state_rule dispute_rules[] = {
    {"warning_needs_response", 1, false},
    {"needs_response", 2, false},
    {"warning_under_review", 3, false},
    {"under_review", 4, false},
    {"warning_closed", 5, true},
    {"prevented", 6, true},
    {"won", 7, true},
    {"lost", 8, true},
};
static const struct state_rule session_rules[] = {
    {"open", 1, false}, {"expired", 2, true}, {"complete", 3, true}};

static const struct {
    const struct state_rule *rules;
    size_t n;
    const char *name;   /* ours, in records and the API */
    const char *stripe; /* data.object.object */
} kinds[LEDGER_KINDS] = {
    [LEDGER_PAYMENT_INTENT] = {pi_rules, sizeof pi_rules / sizeof pi_rules[0], "payment_intent",
                               "payment_intent"},
    [LEDGER_CHECKOUT_SESSION] = {session_rules, sizeof session_rules / sizeof session_rules[0],
                                 "checkout_session", "checkout.session"},
    [LEDGER_CHARGE] = {charge_rules, sizeof charge_rules / sizeof charge_rules[0], "charge",
                       "charge"},
    [LEDGER_REFUND] = {refund_rules, sizeof refund_rules / sizeof refund_rules[0], "refund",
                       "refund"},
    [LEDGER_DISPUTE] = {dispute_rules, sizeof dispute_rules / sizeof dispute_rules[0], "dispute",
                        "dispute"},
};

static const struct state_rule *rule_of(const struct ledger_record *r)
{
    LU_ASSERT(r->kind < LEDGER_KINDS);
    for (size_t i = 0; i < kinds[r->kind].n; i++) {
        if (strcmp(kinds[r->kind].rules[i].status, r->status) == 0) {
            return &kinds[r->kind].rules[i];
        }
    }
    return NULL;
}

bool ledger_record_terminal(const struct ledger_record *rec)
{
    const struct state_rule *rule = rule_of(rec);
    return rule != NULL && rule->terminal;
}

static int rank_of(const struct ledger_record *r)
{
    const struct state_rule *rule = rule_of(r);
    int rank = rule ? rule->rank : 0;
    if (r->kind == LEDGER_PAYMENT_INTENT && strcmp(r->status, "requires_payment_method") == 0 &&
        (r->failure_code[0] || r->failure_message[0])) {
        rank = PI_FAILED_RANK; /* payment_failed leaves this status with an error */
    }
    if (r->kind == LEDGER_CHECKOUT_SESSION && strcmp(r->status, "complete") == 0) {
        rank += strcmp(r->payment_status, "paid") == 0                  ? 2
                : strcmp(r->payment_status, "no_payment_required") == 0 ? 1
                                                                        : 0;
    }
    return rank;
}

/* The snapshot order of ledger.h: terminal, created, precedence, event id. */
static int key_compare(const struct ledger_record *a, const struct ledger_record *b)
{
    int ta = ledger_record_terminal(a), tb = ledger_record_terminal(b);
    if (ta != tb) {
        return ta - tb;
    }
    if (a->status_created != b->status_created) {
        return a->status_created < b->status_created ? -1 : 1;
    }
    int ra = rank_of(a), rb = rank_of(b);
    if (ra != rb) {
        return ra - rb;
    }
    return strcmp(a->status_event_id, b->status_event_id);
}

const char *ledger_kind_name(enum ledger_kind kind)
{
    LU_ASSERT(kind < LEDGER_KINDS);
    return kinds[kind].name;
}

bool ledger_kind_parse(const char *name, enum ledger_kind *out)
{
    for (int k = 0; name != NULL && k < LEDGER_KINDS; k++) {
        if (strcmp(kinds[k].name, name) == 0) {
            *out = (enum ledger_kind)k;
            return true;
        }
    }
    return false;
}

/* --- events ------------------------------------------------------------- */

/* Copies a JSON string into dst. Absent, null or not a string gives "";
 * false only when it is a string that does not fit. */
static bool copy_text(char *dst, size_t cap, const json_t *v)
{
    dst[0] = '\0';
    if (!json_is_string(v)) {
        return true;
    }
    size_t len = json_string_length(v);
    if (len >= cap || memchr(json_string_value(v), '\0', len) != NULL) {
        return false;
    }
    memcpy(dst, json_string_value(v), len + 1);
    return true;
}

/* Display text: cut at a UTF-8 boundary when too long (the raw event
 * keeps the whole), never fails. */
static void copy_display(char *dst, size_t cap, const json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = s ? strlen(s) : 0;
    if (len >= cap) {
        len = cap - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80) {
            len--; /* s[len] continues a character: cut before it */
        }
    }
    if (len > 0) {
        memcpy(dst, s, len);
    }
    dst[len] = '\0';
}

/* An id field that may be expanded into its object ({"id": …}). */
static bool copy_link(char *dst, size_t cap, const json_t *v)
{
    return copy_text(dst, cap, json_is_object(v) ? json_object_get(v, "id") : v);
}

static int64_t int_of(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

enum lu_rc ledger_event_parse(const char *body, size_t len, struct ledger_event *out,
                              const char **why)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = body && len ? json_loadb(body, len, 0, &jerr) : NULL;
    *why = "the body is not a JSON object";
    if (!json_is_object(root)) {
        json_decref(root);
        return LU_INVALID;
    }
    const json_t *data = json_object_get(root, "data");
    const json_t *object = json_object_get(data, "object");
    const json_t *id = json_object_get(root, "id");
    const json_t *created = json_object_get(root, "created");
    if (!json_is_string(id) || json_string_length(id) == 0 ||
        !copy_text(out->id, sizeof out->id, id)) {
        *why = "the event needs an id of at most 255 characters";
    } else if (!json_is_string(json_object_get(root, "type")) ||
               !copy_text(out->type, sizeof out->type, json_object_get(root, "type")) ||
               out->type[0] == '\0') {
        *why = "the event needs a type";
    } else if (!json_is_integer(created) || json_integer_value(created) < 0) {
        *why = "the event needs created, in Unix seconds";
    } else if (!json_is_object(object)) {
        *why = "the event needs data.object";
    } else {
        out->created = (int64_t)json_integer_value(created);
        out->livemode = json_is_true(json_object_get(root, "livemode"));
        if (!copy_text(out->api_version, sizeof out->api_version,
                       json_object_get(root, "api_version"))) {
            out->api_version[0] = '\0'; /* informative only */
        }
        if (!copy_text(out->object_id, sizeof out->object_id, json_object_get(object, "id"))) {
            out->object_id[0] = '\0'; /* too long to be Stripe's: not linked */
        }
        copy_display(out->object_type, sizeof out->object_type, json_object_get(object, "object"));
        out->root = root;
        out->object = object;
        *why = NULL;
        return LU_OK;
    }
    json_decref(root);
    memset(out, 0, sizeof *out);
    return LU_INVALID;
}

void ledger_event_free(struct ledger_event *ev)
{
    if (ev != NULL) {
        json_decref(ev->root);
        ev->root = NULL;
        ev->object = NULL;
    }
}

bool ledger_event_type_folds(const char *type)
{
    static const char *const folds[] = {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.processing",
        "payment_intent.canceled",
        "payment_intent.requires_action",
        "payment_intent.created",
        "payment_intent.amount_capturable_updated",
        "payment_intent.partially_funded",
        "charge.succeeded",
        "charge.failed",
        "charge.pending",
        "charge.captured",
        "charge.refunded",
        "charge.updated",
        "charge.expired",
        "charge.refund.updated",
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
    };
    for (size_t i = 0; type != NULL && i < sizeof folds / sizeof folds[0]; i++) {
        if (strcmp(folds[i], type) == 0) {
            return true;
        }
    }
    return false;
}

static void lower(char *s)
{
    for (; *s; s++) {
        *s = (char)tolower((unsigned char)*s);
    }
}

/* The fields every kind shares. False when one does not fit. */
static bool snapshot_common(const struct ledger_event *ev, const json_t *obj,
                            struct ledger_record *s)
{
    const json_t *meta = json_object_get(obj, "metadata");
    bool ok = copy_text(s->id, sizeof s->id, json_object_get(obj, "id")) && s->id[0] != '\0' &&
              copy_text(s->metadata_booking_id, sizeof s->metadata_booking_id,
                        json_object_get(meta, "booking_id")) &&
              copy_text(s->currency, sizeof s->currency, json_object_get(obj, "currency")) &&
              copy_text(s->status, sizeof s->status, json_object_get(obj, "status"));
    lower(s->currency);
    s->object_created = int_of(obj, "created");
    s->status_created = ev->created;
    snprintf(s->status_event_id, sizeof s->status_event_id, "%s", ev->id);
    return ok;
}

static bool snapshot_kind_fields(const json_t *obj, struct ledger_record *s)
{
    bool ok = true;
    switch (s->kind) {
    case LEDGER_PAYMENT_INTENT: {
        const json_t *err = json_object_get(obj, "last_payment_error");
        s->amount = int_of(obj, "amount");
        s->amount_received = int_of(obj, "amount_received");
        ok = copy_text(s->failure_code, sizeof s->failure_code, json_object_get(err, "code"));
        copy_display(s->failure_message, sizeof s->failure_message,
                     json_object_get(err, "message"));
        break;
    }
    case LEDGER_CHARGE: {
        bool captured_known = json_object_get(obj, "amount_captured") != NULL;
        int64_t captured = captured_known ? int_of(obj, "amount_captured")
                           : json_is_true(json_object_get(obj, "captured")) ? int_of(obj, "amount")
                                                                            : 0;
        s->amount = int_of(obj, "amount");
        s->amount_received = strcmp(s->status, "succeeded") == 0 ? captured : 0;
        s->amount_refunded = int_of(obj, "amount_refunded");
        ok = copy_link(s->payment_intent, sizeof s->payment_intent,
                       json_object_get(obj, "payment_intent")) &&
             copy_text(s->failure_code, sizeof s->failure_code,
                       json_object_get(obj, "failure_code"));
        copy_display(s->failure_message, sizeof s->failure_message,
                     json_object_get(obj, "failure_message"));
        break;
    }
    case LEDGER_REFUND:
    case LEDGER_DISPUTE:
        s->amount = int_of(obj, "amount");
        ok =
            copy_link(s->payment_intent, sizeof s->payment_intent,
                      json_object_get(obj, "payment_intent")) &&
            copy_link(s->charge, sizeof s->charge, json_object_get(obj, "charge")) &&
            copy_text(s->kind == LEDGER_REFUND ? s->failure_code : s->reason, LEDGER_WORD_BYTES,
                      json_object_get(obj, s->kind == LEDGER_REFUND ? "failure_reason" : "reason"));
        break;
    case LEDGER_CHECKOUT_SESSION:
        s->amount = int_of(obj, "amount_total");
        ok = copy_link(s->payment_intent, sizeof s->payment_intent,
                       json_object_get(obj, "payment_intent")) &&
             copy_text(s->payment_status, sizeof s->payment_status,
                       json_object_get(obj, "payment_status"));
        s->amount_received = strcmp(s->payment_status, "paid") == 0 ? s->amount : 0;
        break;
    case LEDGER_KINDS:
        LU_ASSERT(!"no such kind");
        break;
    }
    return ok;
}

/* One snapshot of obj, when it is an object of a kind we keep. */
static bool snapshot_of(const struct ledger_event *ev, const json_t *obj, struct ledger_record *s)
{
    memset(s, 0, sizeof *s);
    const char *type = json_string_value(json_object_get(obj, "object"));
    int kind = -1;
    for (int k = 0; type != NULL && k < LEDGER_KINDS; k++) {
        if (strcmp(kinds[k].stripe, type) == 0) {
            kind = k;
        }
    }
    if (kind < 0) {
        return false;
    }
    s->kind = (enum ledger_kind)kind;
    return snapshot_common(ev, obj, s) && snapshot_kind_fields(obj, s);
}

size_t ledger_event_snapshots(const struct ledger_event *ev, struct ledger_record *out, size_t cap)
{
    LU_ASSERT(ev != NULL && ev->object != NULL && out != NULL);
    if (cap == 0 || !ledger_event_type_folds(ev->type)) {
        return 0;
    }
    size_t n = 0;
    if (snapshot_of(ev, ev->object, &out[n])) {
        n++;
    }
    /* A charge embeds its refunds (charge.refunded in API versions that
     * include the list): each is a snapshot of that refund. */
    const json_t *list = json_object_get(json_object_get(ev->object, "refunds"), "data");
    size_t i;
    const json_t *refund;
    json_array_foreach(list, i, refund)
    {
        if (n == cap) {
            break; /* LEDGER_SNAPSHOTS_MAX is above Stripe's page size */
        }
        if (snapshot_of(ev, refund, &out[n]) && out[n].kind == LEDGER_REFUND) {
            n++;
        }
    }
    return n;
}

/* --- merging ------------------------------------------------------------ */

static void take_state(struct ledger_record *rec, const struct ledger_record *snap)
{
    memcpy(rec->metadata_booking_id, snap->metadata_booking_id, sizeof rec->metadata_booking_id);
    memcpy(rec->currency, snap->currency, sizeof rec->currency);
    memcpy(rec->status, snap->status, sizeof rec->status);
    memcpy(rec->payment_status, snap->payment_status, sizeof rec->payment_status);
    memcpy(rec->failure_code, snap->failure_code, sizeof rec->failure_code);
    memcpy(rec->failure_message, snap->failure_message, sizeof rec->failure_message);
    memcpy(rec->reason, snap->reason, sizeof rec->reason);
    memcpy(rec->status_event_id, snap->status_event_id, sizeof rec->status_event_id);
    rec->amount = snap->amount;
    rec->status_created = snap->status_created;
}

/* Links are immutable at Stripe; should two ever differ, the greater id
 * wins so that the result still does not depend on the order. */
static void take_link(char *dst, const char *src)
{
    if (src[0] != '\0' && strcmp(src, dst) > 0) {
        snprintf(dst, LEDGER_ID_BYTES, "%s", src);
    }
}

bool ledger_record_merge(struct ledger_record *rec, bool fresh, const struct ledger_record *snap)
{
    LU_ASSERT(rec != NULL && snap != NULL && snap->kind < LEDGER_KINDS);
    if (fresh) {
        *rec = *snap;
        rec->booking_id[0] = '\0'; /* resolved afterwards, over the group */
        return true;
    }
    if (rec->kind != snap->kind || strcmp(rec->id, snap->id) != 0) {
        return false;
    }
    struct ledger_record before = *rec;
    if (key_compare(snap, rec) > 0) {
        take_state(rec, snap);
    }
    if (snap->amount_received > rec->amount_received) {
        rec->amount_received = snap->amount_received;
    }
    if (snap->amount_refunded > rec->amount_refunded) {
        rec->amount_refunded = snap->amount_refunded;
    }
    take_link(rec->payment_intent, snap->payment_intent);
    take_link(rec->charge, snap->charge);
    if (snap->object_created != 0 &&
        (rec->object_created == 0 || snap->object_created < rec->object_created)) {
        rec->object_created = snap->object_created;
    }
    char why[8];
    return !ledger_record_same(&before, rec, why, sizeof why);
}

/* --- booking links ------------------------------------------------------ */

const char *ledger_group_key(const struct ledger_record *recs, size_t n, size_t i)
{
    const struct ledger_record *r = &recs[i];
    if (r->kind == LEDGER_PAYMENT_INTENT) {
        return r->id;
    }
    if (r->payment_intent[0] != '\0') {
        return r->payment_intent;
    }
    if (r->kind == LEDGER_CHARGE || r->charge[0] == '\0') {
        return r->id;
    }
    for (size_t j = 0; j < n; j++) {
        if (recs[j].kind == LEDGER_CHARGE && strcmp(recs[j].id, r->charge) == 0) {
            return recs[j].payment_intent[0] ? recs[j].payment_intent : recs[j].id;
        }
    }
    return r->charge;
}

struct keyed {
    const char *key;
    const struct ledger_record *rec;
    size_t index;
};

/* Group key, then the booking-source order of ledger.h: kind, then id. */
static int keyed_compare(const void *pa, const void *pb)
{
    const struct keyed *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    if (c == 0 && a->rec->kind != b->rec->kind) {
        c = a->rec->kind < b->rec->kind ? -1 : 1;
    }
    return c != 0 ? c : strcmp(a->rec->id, b->rec->id);
}

static int charge_compare(const void *pa, const void *pb)
{
    const struct ledger_record *const *a = pa, *const *b = pb;
    return strcmp((*a)->id, (*b)->id);
}

/* The charge record named id, from the sorted index; NULL when absent. */
static const struct ledger_record *charge_find(const struct ledger_record **index, size_t n,
                                               const char *id)
{
    struct ledger_record probe;
    snprintf(probe.id, sizeof probe.id, "%s", id);
    const struct ledger_record *p = &probe;
    const struct ledger_record **hit = bsearch(&p, index, n, sizeof *index, charge_compare);
    return hit ? *hit : NULL;
}

static const char *indexed_group_key(const struct ledger_record *r,
                                     const struct ledger_record **charges, size_t ncharges)
{
    if (r->kind == LEDGER_PAYMENT_INTENT) {
        return r->id;
    }
    if (r->payment_intent[0] != '\0') {
        return r->payment_intent;
    }
    if (r->kind == LEDGER_CHARGE || r->charge[0] == '\0') {
        return r->id;
    }
    const struct ledger_record *c = charge_find(charges, ncharges, r->charge);
    if (c == NULL) {
        return r->charge;
    }
    return c->payment_intent[0] ? c->payment_intent : c->id;
}

enum lu_rc ledger_bookings_resolve(struct ledger_record *recs, size_t n, size_t *changed)
{
    size_t count = 0;
    struct keyed *keys = calloc(n ? n : 1, sizeof *keys);
    const struct ledger_record **charges = calloc(n ? n : 1, sizeof *charges);
    if (keys == NULL || charges == NULL) {
        free(keys);
        free(charges);
        return LU_NOMEM;
    }
    size_t ncharges = 0;
    for (size_t i = 0; i < n; i++) {
        if (recs[i].kind == LEDGER_CHARGE) {
            charges[ncharges++] = &recs[i];
        }
    }
    qsort(charges, ncharges, sizeof *charges, charge_compare);
    for (size_t i = 0; i < n; i++) {
        keys[i] = (struct keyed){indexed_group_key(&recs[i], charges, ncharges), &recs[i], i};
    }
    qsort(keys, n, sizeof *keys, keyed_compare);
    for (size_t start = 0; start < n;) {
        size_t end = start + 1;
        while (end < n && strcmp(keys[end].key, keys[start].key) == 0) {
            end++;
        }
        const char *group_booking = "";
        for (size_t k = start; k < end && group_booking[0] == '\0'; k++) {
            group_booking = keys[k].rec->metadata_booking_id;
        }
        for (size_t k = start; k < end; k++) {
            struct ledger_record *r = &recs[keys[k].index];
            const char *b = r->metadata_booking_id[0] ? r->metadata_booking_id : group_booking;
            if (strcmp(r->booking_id, b) != 0) {
                /* b may live in another record: copy through a buffer */
                char copy[LEDGER_ID_BYTES];
                snprintf(copy, sizeof copy, "%s", b);
                memcpy(r->booking_id, copy, sizeof copy);
                count++;
            }
        }
        start = end;
    }
    free(keys);
    free(charges);
    if (changed != NULL) {
        *changed = count;
    }
    return LU_OK;
}

/* --- comparison --------------------------------------------------------- */

bool ledger_record_same(const struct ledger_record *a, const struct ledger_record *b, char *out,
                        size_t cap)
{
    const struct {
        const char *name;
        const char *x, *y;
    } texts[] = {
        {"object", ledger_kind_name(a->kind), ledger_kind_name(b->kind)},
        {"id", a->id, b->id},
        {"booking_id", a->booking_id, b->booking_id},
        {"metadata_booking_id", a->metadata_booking_id, b->metadata_booking_id},
        {"payment_intent", a->payment_intent, b->payment_intent},
        {"charge", a->charge, b->charge},
        {"currency", a->currency, b->currency},
        {"status", a->status, b->status},
        {"payment_status", a->payment_status, b->payment_status},
        {"failure_code", a->failure_code, b->failure_code},
        {"failure_message", a->failure_message, b->failure_message},
        {"reason", a->reason, b->reason},
        {"status_event_id", a->status_event_id, b->status_event_id},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (strcmp(texts[i].x, texts[i].y) != 0) {
            snprintf(out, cap, "%s: \"%.80s\" vs \"%.80s\"", texts[i].name, texts[i].x, texts[i].y);
            return false;
        }
    }
    const struct {
        const char *name;
        int64_t x, y;
    } ints[] = {
        {"amount", a->amount, b->amount},
        {"amount_received", a->amount_received, b->amount_received},
        {"amount_refunded", a->amount_refunded, b->amount_refunded},
        {"object_created", a->object_created, b->object_created},
        {"status_created", a->status_created, b->status_created},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (ints[i].x != ints[i].y) {
            snprintf(out, cap, "%s: %" PRId64 " vs %" PRId64, ints[i].name, ints[i].x, ints[i].y);
            return false;
        }
    }
    return true;
}
