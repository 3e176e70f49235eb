/*
 * focus_internal.h — what the files of src/focus/ share; nothing outside
 * src/focus/ (but its unit tests) includes this. The public surface is
 * focus.h.
 *
 * The pipeline of one turn (focus.c):
 *   normalise.c  the message as words: case, punctuation, contractions,
 *                common typos
 *   route.c      weighted phrase and keyword features → one of 8 routes
 *   facts.c      the operator's day read from the store, per property zone
 *   rank.c       the candidates of each route, scored and ordered
 *   reply.c      the reply lines and items, from the records alone
 *   guard.c      the truth guard over every reply (and any model rewording)
 *   session.c    continuity state in the session store (src/kv/)
 *   model.c      optional rewording by an OpenAI-compatible endpoint
 */
#ifndef LU_FOCUS_INTERNAL_H
#define LU_FOCUS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/limits.h"
#include "core/rc.h"
#include "core/zone.h"
#include "kv/kv.h"
#include "store/store.h"

/* ---- normalise.c ------------------------------------------------------- */

/* A message as routing sees it: lower-case words, contractions expanded
 * ("what's" → "what is"), punctuation gone, common typos corrected. At most
 * FOCUS_TOKENS_MAX words are kept (routing reads the opening words). */
struct focus_text {
    size_t n;
    char words[FOCUS_TOKENS_MAX][FOCUS_TOKEN_BYTES];
};

/* Normalises message (borrowed, UTF-8) into out. Never fails: an empty or
 * unreadable message gives zero words. */
void focus_text_normalise(const char *message, struct focus_text *out);

/* The words joined by single spaces, for tests and logs ("" when empty). */
void focus_text_join(const struct focus_text *t, char *out, size_t cap);

/* True when pattern's words (single spaces between them) occur in t one
 * after another. A word ending in '*' matches any word it begins; a
 * pattern starting with '^' must match from the first word. The routers
 * of operator focus and of the guest agent share it. */
bool focus_text_has(const struct focus_text *t, const char *pattern);

/* The typo corrector on one lower-case word: the vocabulary word it most
 * likely meant, or NULL when it is already right or too far from any. */
const char *focus_word_correct(const char *word);

/* ---- route.c ------------------------------------------------------------ */

enum focus_route {
    FOCUS_GREETING = 0,
    FOCUS_HUMAN_UTILITY,
    FOCUS_DISTRESS,
    FOCUS_PRIORITY_TRIAGE,
    FOCUS_PAYMENT_RISK,
    FOCUS_CONCIERGE_READINESS,
    FOCUS_MAINTENANCE_FOCUS,
    FOCUS_OFF_TOPIC,
    FOCUS_ROUTES
};

/* What a human_utility message is, so the reply fits it. */
enum focus_social {
    SOCIAL_NONE = 0,
    SOCIAL_HOW_ARE_YOU,
    SOCIAL_THANKS,
    SOCIAL_WHO,
    SOCIAL_BYE,
    SOCIAL_BETTER, /* "I feel better now": ends a distressed stretch */
    SOCIAL_ACK,    /* "ok", "got it" with nothing offered */
};

/* A short reply to an offer ("yes", "next", "what else", "no thanks"). */
enum focus_follow {
    FOLLOW_NONE = 0,
    FOLLOW_CONTINUE, /* yes / ok / sure / go on: take what was offered */
    FOLLOW_NEXT,     /* next / what else / more: the next item, offered or not */
    FOLLOW_DECLINE,  /* no / not now / later */
};

struct focus_pick {
    enum focus_route route;
    bool known; /* false: no route reached FOCUS_ROUTE_SCORE_MIN (don't know) */
    int scores[FOCUS_ROUTES];
    enum focus_social social;
    enum focus_follow follow;
    bool greeted; /* a greeting feature matched, whatever won */
};

/* The least score a route needs to be chosen; below it the message goes
 * to the don't-know path (off_topic with a short clarifying answer). */
#define FOCUS_ROUTE_SCORE_MIN 3

/* Routes message (borrowed) without state, network or model. */
void focus_route_pick(const char *message, struct focus_pick *out);
/* The same over words already normalised. */
void focus_route_pick_text(const struct focus_text *t, struct focus_pick *out);

const char *focus_route_name(enum focus_route route);
/* False when name is not one of the eight. */
bool focus_route_parse(const char *name, enum focus_route *out);

/* ---- facts.c ------------------------------------------------------------ */

/* One visible property and its day in its own zone. */
struct focus_place {
    const char *id; /* borrowed from facts->properties */
    const char *name;
    const char *zone_name;
    struct zone *zone; /* borrowed from the facts' zone cache */
    char yesterday[ZONE_DATE_BYTES];
    char today[ZONE_DATE_BYTES];
    char tomorrow[ZONE_DATE_BYTES];
    int64_t day_start_s;    /* first instant of today there */
    int64_t day_end_s;      /* first instant of tomorrow */
    int64_t tomorrow_end_s; /* first instant of the day after */
};

/* Distinct zones opened for one answer; properties beyond this many
 * different zones share the operator's zone (and the log says so). */
#define FOCUS_ZONES_MAX 32

struct focus_facts {
    int64_t now_s;
    json_t *properties;         /* [{"id","name","time_zone"}], owned */
    json_t *items;              /* open items (store_focus_items), owned */
    json_t *stays;              /* stays touching yesterday..tomorrow, owned */
    json_t *risks;              /* payment risks, most severe first, owned */
    bool risks_known;           /* false: no payment ledger to ask */
    bool truncated;             /* a fact list hit FOCUS_FACT_ROWS_MAX */
    struct focus_place *places; /* nplaces, owned */
    size_t nplaces;
    struct zone *zones[FOCUS_ZONES_MAX];
    char zone_names[FOCUS_ZONES_MAX][64]; /* IANA names are under 40 bytes */
    size_t nzones;
    const char *operator_zone; /* borrowed from the config */
};

/* Which facts a route reads (the properties always). */
#define FOCUS_FACTS_ITEMS 1u
#define FOCUS_FACTS_STAYS 2u
#define FOCUS_FACTS_RISKS 4u
#define FOCUS_FACTS_ALL (FOCUS_FACTS_ITEMS | FOCUS_FACTS_STAYS | FOCUS_FACTS_RISKS)

/* Reads the day's facts for scope (and property_id alone when not NULL)
 * inside the caller's read transaction: the properties and their days, and
 * the lists named in needs (the others are empty). LU_NOT_FOUND when
 * property_id is not visible. On LU_OK *out must be released with
 * focus_facts_free. */
enum lu_rc focus_facts_load(struct db_conn *conn, const struct scope *scope,
                            const char *property_id, const char *operator_zone, int64_t now_s,
                            unsigned needs, struct focus_facts *out);

/* The facts route needs: off_topic none, concierge and maintenance the
 * items, payment_risk the risks, the others all (for the day's count). */
unsigned focus_facts_needed(enum focus_route route);
void focus_facts_free(struct focus_facts *f);

/* The zone named name, opened once per answer (the operator's when name
 * cannot be read); NULL only when no zone data can be read at all. */
const struct zone *focus_facts_zone(struct focus_facts *f, const char *name);

/* The place of property_id, or NULL. */
const struct focus_place *focus_place_of(const struct focus_facts *f, const char *property_id);

/* The payment risks (SPEC §6) of the properties in scope, the one source
 * focus reads them from (store_payment_risks, the Stripe ledger's); *known
 * is false when there is no ledger to ask, *truncated when the ledger
 * judged only part of the bookings. */
enum lu_rc focus_risks_read(struct db_conn *conn, const struct scope *scope,
                            const char *property_id, json_t **out, bool *known, bool *truncated);

/* ---- rank.c ------------------------------------------------------------- */

enum focus_kind {
    FOCUS_KIND_PAYMENT = 0,
    FOCUS_KIND_CONCIERGE,
    FOCUS_KIND_MAINTENANCE,
    FOCUS_KIND_TASK,
    FOCUS_KIND_ARRIVAL,
    FOCUS_KIND_DEPARTURE,
};

struct focus_candidate {
    enum focus_kind kind;
    const json_t *record; /* borrowed from the facts: item, stay or risk */
    const struct focus_place *place;
    const char *id; /* the item's id, or the booking's */
    bool has_due;
    int64_t due_s;
    int severity;
    int time;
    int impact;
    int money;
    int score;
};

struct focus_list {
    struct focus_candidate *c; /* owned */
    size_t n;
    size_t cap;
};

enum focus_set {
    FOCUS_SET_TRIAGE = 0,  /* everything that needs the operator today */
    FOCUS_SET_PAYMENTS,    /* every current payment risk, as the ledger orders them */
    FOCUS_SET_CONCIERGE,   /* concierge items still requested, soonest first */
    FOCUS_SET_MAINTENANCE, /* open urgent or guest-impacting maintenance due today */
};

/* Fills out (zeroed first) with the set's candidates, scored and ordered.
 * LU_NOMEM on allocation failure. Release with focus_list_free. */
enum lu_rc focus_list_build(const struct focus_facts *f, enum focus_set set,
                            struct focus_list *out);
void focus_list_free(struct focus_list *l);

/* Scores c in place (severity, time, impact, money, score) at now_s. */
void focus_candidate_score(struct focus_candidate *c, int64_t now_s);

/* The ranking order: score descending, then due time (none last), then id
 * bytewise. Negative when a comes first. */
int focus_candidate_cmp(const struct focus_candidate *a, const struct focus_candidate *b);

/* ---- reply.c ------------------------------------------------------------ */

/* The kind's name in an answer's items ("payment_risk", "concierge", …). */
const char *focus_kind_name(enum focus_kind kind);

/* The state an item shows: an item's state, a booking's status, a risk's
 * reason. Borrowed from the record. */
const char *focus_candidate_state(const struct focus_candidate *c);

/* The human reason of one candidate at now, e.g. "Dinner for 4 at Da
 * Adolfo for the Okafors, tonight at 19:30, is still unconfirmed." Names
 * the property when name_place. */
void focus_reason(const struct focus_candidate *c, int64_t now_s, bool name_place, char *out,
                  size_t cap);

/* "€2,900.00", "$18.50", "CHF 12.00", "¥5,000" for minor units. */
void focus_money_format(int64_t amount_minor, const char *currency, char *out, size_t cap);

/* A moment as a person says it at now in zone z: "tonight at 19:30",
 * "today at 10:00", "tomorrow at 09:30", "yesterday at 17:00", "on Friday
 * at 09:30", "on 3 December at 09:30". With drop_today, a time today is
 * only "19:30" (for "overdue since 14:20"). */
void focus_when_format(const struct zone *z, int64_t t, int64_t now_s, bool drop_today, char *out,
                       size_t cap);

/* What one turn's reply is made from. */
struct focus_compose {
    enum focus_route route;
    const struct focus_pick *pick;
    const struct focus_facts *facts; /* NULL for off_topic */
    bool distressed;                 /* the session is in distress after this turn */
    bool continuing;                 /* this turn takes up an offer ("yes", "next") */
    const json_t *given;             /* ids already given in the offer chain, or NULL */
    bool offer_pending;              /* an offer stays open from an earlier turn */
    const struct zone *day_zone;     /* the operator's (or property's) zone, for greetings */
    int64_t now_s;
};

/* A composed reply: lines [{"text", "item"?: index into items}], items (the
 * answer's items), and what it offers next. All owned: focus_composed_free. */
struct focus_composed {
    json_t *lines;
    json_t *items;
    bool offer;          /* the reply offers the next item(s) */
    json_t *given;       /* the offer chain's ids after this turn */
    bool clear_distress; /* the operator said they feel better */
};

/* Composes the reply of in->route from the records. LU_NOMEM only. */
enum lu_rc focus_reply_compose(const struct focus_compose *in, struct focus_composed *out);
void focus_composed_free(struct focus_composed *c);

/* The reply text: the lines' texts joined by newlines. Owned (free). */
char *focus_reply_text(const json_t *lines);

/* ---- guard.c ------------------------------------------------------------ */

/* The words the guard watches, with the record state each needs. */
enum focus_claim { CLAIM_NONE = 0, CLAIM_CONFIRMED, CLAIM_DONE, CLAIM_PAID };

/* The claim a word makes ("confirmed", "done", "completed", "paid", …) or
 * CLAIM_NONE. word is lower case. */
enum focus_claim focus_claim_of(const char *word);

/* True when an item whose shown state is state, of the given type, may be
 * called what claim says. */
bool focus_claim_allowed(enum focus_claim claim, const char *type, const char *state);

/*
 * Checks the reply lines against the items: every claim word on a line
 * must be allowed by the state of the item that line is about (its "item"
 * index), and a line about no item makes no claim. Removes offending lines
 * (and an offending line's item) in place and returns how many it removed:
 * 0 for a true reply.
 */
size_t focus_guard_lines(json_t *lines, json_t *items);

/*
 * Re-reads every cited item inside the caller's read transaction: an item,
 * stay or booking must exist, be visible in scope and be in the state the
 * answer shows; a payment risk must be one of the facts' current risks for
 * a visible booking. Removes failing items (and their lines, renumbering
 * the rest) and returns how many it removed.
 */
size_t focus_guard_records(struct db_conn *conn, const struct scope *scope,
                           const struct focus_facts *facts, json_t *lines, json_t *items);

/*
 * Judges a model's rewording of rule_reply (borrowed) given the items
 * (borrowed): true when it names no id, amount, number, clock time or
 * state word that the rule reply and the items do not, and every claim word
 * stands in a sentence about an item whose record allows it. why gets a
 * short reason when false.
 */
bool focus_guard_rewording(const char *rule_reply, const json_t *items, const char *rewording,
                           char *why, size_t why_cap);

/* ---- session.c ---------------------------------------------------------- */

/* A new session's state for owner, owned. NULL on allocation failure. */
json_t *focus_state_fresh(const char *owner);

/* The continuity state of session_id for owner: LU_OK with *state owned
 * and *found when a live state exists, or a fresh state and !*found when
 * the session never existed or expired; LU_NOT_FOUND when the state
 * belongs to another user; LU_UNAVAILABLE when the session store is down. */
enum lu_rc focus_session_load(struct kv *kv, const char *session_id, const char *owner,
                              json_t **state, bool *found);

/* Saves state (borrowed) for ttl_s seconds: session_save's codes. */
enum lu_rc focus_session_save(struct kv *kv, const char *session_id, const json_t *state,
                              int ttl_s);

/* ---- model.c ------------------------------------------------------------ */

/* True when LUCIA_MODEL_FOCUS_OPS_REPLY and an API key are configured. */
bool focus_model_configured(const struct lu_config *cfg);

/* Asks the chat endpoint to reword facts (borrowed JSON text) within
 * FOCUS_MODEL_TIMEOUT_MS. LU_OK with *out owned (free); LU_UNAVAILABLE on
 * a timeout, a network error, a non-2xx or an answer without text;
 * LU_TOO_LARGE past FOCUS_MODEL_REPLY_BYTES_MAX. */
enum lu_rc focus_model_reword(const struct lu_config *cfg, const char *facts_json, char **out);

#endif
