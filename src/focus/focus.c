/*
 * focus.c — one operator-focus turn (SPEC §8; see focus.h): route the
 * message, take up a pending offer, read the day, compose the reply from
 * the records, pass it through the truth guard, let a configured model
 * reword it (and the guard judge that), and settle the continuity state
 * and the transcript row.
 *
 * Called by src/api/focus.c and by `lucia ask`. It never logs the
 * operator's message or the reply (they may carry guest contact details);
 * log lines name the session, the route and counts only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/log.h"
#include "focus/focus.h"
#include "focus/focus_internal.h"

/* How this turn relates to the session's pending offer. */
struct turn_plan {
    enum focus_route route;
    bool continuing;      /* takes up the offer */
    bool keep_offer;      /* the offer stays open after this turn */
    bool decline;         /* "no", "not now": the offer is dropped */
    const char *property; /* the property this turn is about, or NULL */
};

/* Settles the route from the pick and the state (see route.c's comment):
 * a follow-up takes the offer up; without an offer "next" asks for the
 * triage list and "yes" is an acknowledgement. */
static void plan_settle(struct focus_pick *pick, const json_t *state,
                        const struct focus_request *rq, struct turn_plan *plan)
{
    const json_t *offer = json_object_get(state, "offer");
    bool offered = json_is_object(offer);
    memset(plan, 0, sizeof *plan);
    plan->route = pick->route;
    plan->property = rq->property_id;
    if ((pick->follow == FOLLOW_CONTINUE || pick->follow == FOLLOW_NEXT) && offered) {
        enum focus_route r = FOCUS_PRIORITY_TRIAGE;
        (void)focus_route_parse(json_string_value(json_object_get(offer, "route")), &r);
        plan->route = r;
        plan->continuing = true;
        if (plan->property == NULL) {
            plan->property = json_string_value(json_object_get(offer, "property_id"));
        }
    } else if (pick->follow == FOLLOW_NEXT) {
        plan->route = FOCUS_PRIORITY_TRIAGE;
    } else if (pick->follow == FOLLOW_CONTINUE) {
        plan->route = FOCUS_HUMAN_UTILITY;
        pick->social = SOCIAL_ACK;
    } else if (pick->follow == FOLLOW_DECLINE) {
        plan->route = FOCUS_HUMAN_UTILITY;
        pick->social = SOCIAL_ACK;
        plan->decline = true;
    }
    pick->known |= plan->route != pick->route;
    /* Small talk and refusals of other topics leave an offer open. */
    plan->keep_offer = offered && !plan->decline &&
                       (plan->route == FOCUS_GREETING || plan->route == FOCUS_HUMAN_UTILITY ||
                        plan->route == FOCUS_OFF_TOPIC);
}

/* The facts the model may reword from: the rule reply and each item's
 * title, state and reason. Owned text. */
static char *model_facts(const char *route, const char *reply, const json_t *items)
{
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < json_array_size(items); i++) {
        const json_t *it = json_array_get(items, i);
        json_t *brief =
            json_pack("{s:O, s:O, s:O, s:O}", "type", json_object_get(it, "type"), "title",
                      json_object_get(it, "title"), "state", json_object_get(it, "state"), "reason",
                      json_object_get(it, "reason"));
        if (brief == NULL || json_array_append_new(list, brief) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    json_t *facts =
        list ? json_pack("{s:s, s:s, s:o}", "route", route, "reply", reply, "items", list) : NULL;
    char *text = facts ? json_dumps(facts, JSON_COMPACT) : NULL;
    json_decref(facts);
    return text;
}

/* Replaces *reply with the model's rewording when it passes the guard. */
static void model_apply(const struct focus_env *env, const char *session_id, struct focus_turn *out,
                        const json_t *items)
{
    char *facts = model_facts(out->route, out->reply, items);
    char *reworded = NULL;
    enum lu_rc rc = facts ? focus_model_reword(env->cfg, facts, &reworded) : LU_NOMEM;
    free(facts);
    char why[200] = "";
    if (rc == LU_OK && focus_guard_rewording(out->reply, items, reworded, why, sizeof why)) {
        free(out->reply);
        out->reply = reworded;
        out->model = env->cfg->model_focus;
        return;
    }
    if (rc == LU_OK) {
        /* The reason may quote a number the model made up; digits are
         * masked so nothing like a phone number reaches the log. */
        for (char *p = why; *p; p++) {
            *p = *p >= '0' && *p <= '9' ? '#' : *p;
        }
        log_msg(LOG_INFO, NULL, "focus: session %s: model rewording discarded: it %s", session_id,
                why);
    } else {
        log_msg(LOG_INFO, NULL, "focus: session %s: model unavailable (%s); rule reply used",
                session_id, lu_rc_name(rc));
    }
    free(reworded);
}

/* Reads the day, composes and guards, inside one read transaction. */
static enum lu_rc compose_in_db(const struct focus_env *env, const struct focus_caller *caller,
                                const struct focus_request *rq, bool check_owner,
                                struct focus_compose *in, struct focus_composed *composed,
                                struct focus_turn *out, const char *property)
{
    struct db_conn *conn = db_acquire(env->db);
    if (conn == NULL) {
        return LU_UNAVAILABLE;
    }
    enum lu_rc rc = db_begin(conn, false);
    if (rc == LU_OK && check_owner) {
        char owner[KV_SESSION_ID_BYTES_MAX + 64]; /* a sub is under 128 bytes */
        rc = store_focus_session_owner(conn, rq->session_id, owner, sizeof owner);
        if (rc == LU_OK && strcmp(owner, caller->sub) != 0) {
            out->not_found = "session_id";
            rc = LU_NOT_FOUND;
        } else if (rc == LU_NOT_FOUND) {
            rc = LU_OK; /* a session never recorded: it starts with this turn */
        }
    }
    struct focus_facts facts;
    bool have_facts = false;
    if (rc == LU_OK) {
        rc = focus_facts_load(conn, &caller->scope, property, env->cfg->operator_time_zone,
                              in->now_s, focus_facts_needed(in->route), &facts);
        have_facts = rc == LU_OK;
        if (rc == LU_NOT_FOUND) {
            out->not_found = "property_id";
        }
    }
    if (rc == LU_OK) {
        const struct focus_place *p = focus_place_of(&facts, property);
        in->day_zone = p ? p->zone : focus_facts_zone(&facts, env->cfg->operator_time_zone);
        in->facts = in->route == FOCUS_OFF_TOPIC ? NULL : &facts;
        rc = in->day_zone ? focus_reply_compose(in, composed) : LU_IO;
    }
    if (rc == LU_OK) {
        out->guard_removed =
            focus_guard_records(conn, &caller->scope, &facts, composed->lines, composed->items) +
            focus_guard_lines(composed->lines, composed->items);
    }
    db_rollback(conn); /* a read: nothing to keep */
    db_release(conn);
    if (have_facts) {
        focus_facts_free(&facts);
    }
    return rc;
}

/* The continuity state after this turn, built on the loaded one (taken). */
static json_t *state_next(json_t *state, const struct turn_plan *plan,
                          const struct focus_compose *in, const struct focus_composed *c,
                          const struct focus_request *rq)
{
    bool distressed = in->distressed && !c->clear_distress;
    json_object_set_new(state, "distressed", json_boolean(distressed));
    json_object_set_new(state, "last_route", json_string(focus_route_name(plan->route)));
    json_int_t turns = json_integer_value(json_object_get(state, "turns"));
    json_object_set_new(state, "turns", json_integer(turns + 1));
    json_object_set_new(state, "last_key",
                        rq->request_key ? json_string(rq->request_key) : json_null());
    if (c->offer) {
        json_t *given = json_array();
        size_t n = json_array_size(c->given);
        /* The chain remembers its newest ids; older ones have long scrolled
         * past and would only grow the state. */
        size_t from = n > FOCUS_OFFER_GIVEN_MAX ? n - FOCUS_OFFER_GIVEN_MAX : 0;
        for (size_t i = from; given != NULL && i < n; i++) {
            json_array_append(given, json_array_get(c->given, i));
        }
        json_object_set_new(state, "offer",
                            json_pack("{s:s, s:o, s:s?}", "route",
                                      focus_route_name(FOCUS_PRIORITY_TRIAGE), "given",
                                      given ? given : json_array(), "property_id", plan->property));
    } else if (!plan->keep_offer) {
        json_object_set_new(state, "offer", json_null());
    }
    return state;
}

static enum lu_rc answer_build(struct focus_turn *out, const json_t *items, int64_t now_s)
{
    char generated[RFC3339_BYTES];
    clock_format_utc(now_s, generated);
    out->answer = json_pack("{s:s, s:s, s:s, s:O, s:s, s:s}", "session_id", out->session_id,
                            "route", out->route, "reply", out->reply, "items", items,
                            "generated_at", generated, "model", out->model);
    json_t *ids = json_array();
    for (size_t i = 0; ids != NULL && i < json_array_size(items); i++) {
        json_array_append(ids, json_object_get(json_array_get(items, i), "id"));
    }
    out->cited = ids ? json_dumps(ids, JSON_COMPACT) : NULL;
    json_decref(ids);
    return out->answer && out->cited ? LU_OK : LU_NOMEM;
}

/* Opens the session: its id and loaded (or fresh) state. */
static enum lu_rc session_open(const struct focus_env *env, const struct focus_caller *caller,
                               const struct focus_request *rq, struct focus_turn *out,
                               json_t **state, bool *check_owner)
{
    *check_owner = false;
    if (rq->session_id == NULL) {
        if (id_new("ses_", out->session_id, sizeof out->session_id) != LU_OK) {
            return LU_IO;
        }
        *state = focus_state_fresh(caller->sub);
        return *state ? LU_OK : LU_NOMEM;
    }
    if (!id_valid("ses_", rq->session_id)) {
        return LU_INVALID;
    }
    snprintf(out->session_id, sizeof out->session_id, "%s", rq->session_id);
    bool found = false;
    enum lu_rc rc = focus_session_load(env->kv, rq->session_id, caller->sub, state, &found);
    if (rc == LU_NOT_FOUND) {
        out->not_found = "session_id";
    }
    /* No live state: the transcript still knows whose session it was. */
    *check_owner = rc == LU_OK && !found;
    return rc;
}

enum lu_rc focus_turn_compute(const struct focus_env *env, const struct focus_caller *caller,
                              const struct focus_request *rq, struct focus_turn *out)
{
    LU_ASSERT(env != NULL && caller != NULL && caller->sub != NULL && rq != NULL);
    LU_ASSERT(rq->message != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    out->model = "rules";
    json_t *state = NULL;
    bool check_owner = false;
    enum lu_rc rc = session_open(env, caller, rq, out, &state, &check_owner);
    if (rc != LU_OK) {
        return rc;
    }
    /* A retried request (same Idempotency-Key) must not move the session
     * on twice: the write path replays its first answer. */
    const char *last_key = json_string_value(json_object_get(state, "last_key"));
    bool replay =
        rq->request_key != NULL && last_key != NULL && strcmp(last_key, rq->request_key) == 0;

    struct focus_pick pick;
    focus_route_pick(rq->message, &pick);
    struct turn_plan plan;
    plan_settle(&pick, state, rq, &plan);
    const json_t *offer = json_object_get(state, "offer");
    struct focus_compose in = {
        .route = plan.route,
        .pick = &pick,
        .distressed =
            json_is_true(json_object_get(state, "distressed")) || plan.route == FOCUS_DISTRESS,
        .continuing = plan.continuing,
        .given = plan.continuing ? json_object_get(offer, "given") : NULL,
        .offer_pending = plan.keep_offer,
        .now_s = clock_now_s(),
    };
    struct focus_composed composed = {0};
    out->route = focus_route_name(plan.route);
    rc = compose_in_db(env, caller, rq, check_owner, &in, &composed, out, plan.property);
    if (rc == LU_OK) {
        out->reply = focus_reply_text(composed.lines);
        rc = out->reply ? LU_OK : LU_NOMEM;
    }
    if (rc == LU_OK && out->guard_removed > 0) {
        log_msg(LOG_ERROR, NULL,
                "focus: session %s: the truth guard removed %zu item(s) or line(s) from a rule "
                "reply; this is a bug in src/focus/",
                out->session_id, out->guard_removed);
    }
    if (rc == LU_OK && plan.route != FOCUS_OFF_TOPIC && focus_model_configured(env->cfg)) {
        model_apply(env, out->session_id, out, composed.items);
    }
    if (rc == LU_OK) {
        rc = answer_build(out, composed.items, in.now_s);
    }
    if (rc == LU_OK && !replay) {
        out->state = state_next(state, &plan, &in, &composed, rq);
        state = NULL;
    }
    json_decref(state);
    focus_composed_free(&composed);
    if (rc != LU_OK) {
        focus_turn_clear(out);
    }
    return rc;
}

enum lu_rc focus_turn_save(const struct focus_env *env, const struct focus_turn *turn)
{
    if (turn->state == NULL) {
        return LU_OK;
    }
    return focus_session_save(env->kv, turn->session_id, turn->state, env->cfg->session_ttl_s);
}

enum lu_rc focus_turn_record(struct db_conn *conn, const struct focus_caller *caller,
                             const struct focus_request *rq, const struct focus_turn *turn)
{
    struct focus_turn_row row = {
        .session_id = turn->session_id,
        .user_sub = caller->sub,
        .message = rq->message,
        .route = turn->route,
        .reply = turn->reply,
        .cited_ids = turn->cited,
        .model = turn->model,
    };
    int64_t turn_no = 0;
    return store_focus_turn_append(conn, &row, &turn_no);
}

void focus_turn_clear(struct focus_turn *turn)
{
    if (turn == NULL) {
        return;
    }
    json_decref(turn->answer);
    json_decref(turn->state);
    free(turn->reply);
    free(turn->cited);
    const char *not_found = turn->not_found;
    char session_id[ID_BYTES_MAX];
    memcpy(session_id, turn->session_id, sizeof session_id);
    memset(turn, 0, sizeof *turn);
    /* What a failed turn reports survives the clean-up. */
    turn->not_found = not_found;
    memcpy(turn->session_id, session_id, sizeof session_id);
}
