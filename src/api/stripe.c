/*
 * stripe.c — POST /webhooks/stripe (SPEC §6): Stripe's signed events into
 * the ledger.
 *
 * Order of checks, each answered before anything is stored:
 *  1. STRIPE_WEBHOOK_SECRET unset: 503 unavailable. A webhook we cannot
 *     verify is never accepted; 503 (not 400) because the event is fine and
 *     Stripe retries for three days, so nothing is lost once the secret is
 *     configured.
 *  2. Stripe-Signature over the raw body bytes exactly as received
 *     (ledger/stripe_sig.h): missing, malformed, mismatched or stale → 400
 *     invalid_field naming Stripe-Signature.
 *  3. The body as an event (id, type, created, data.object): 400
 *     invalid_json otherwise.
 * Then one write transaction (api_write_begin/commit) stores the event and
 * folds it (store_stripe_event_apply); 200 is sent only after the commit.
 * A repeated event id answers 200 with "duplicate": true and changes
 * nothing. The database down or busy: 503, nothing written, so Stripe's
 * retry is safe and is applied exactly once. Every answer counts in
 * lucia_webhook_results_total{source="stripe",outcome=…}: accepted,
 * duplicate, bad_signature, invalid, unavailable, error.
 * Never logged: the signature header, the secret, the body.
 */
#include <string.h>

#include "api/api_internal.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/metrics.h"
#include "ledger/ledger.h"
#include "ledger/stripe_sig.h"
#include "ops/status.h"

static void count(const char *outcome)
{
    metrics_webhook_observe("stripe", outcome);
    /* Only a delivery whose signature verified proves the integration. */
    if (strcmp(outcome, "accepted") == 0 || strcmp(outcome, "duplicate") == 0) {
        ops_status_prove("stripe", true, "last verified webhook: stripe event stored");
    }
}

/* The outcome label of an answered write. */
static const char *write_outcome(const struct lu_req *req, bool duplicate)
{
    if (req->status == 200) {
        return duplicate ? "duplicate" : "accepted";
    }
    return req->status == 503 ? "unavailable" : "error";
}

/* Steps 1 and 2 of the opening comment; replies and returns false when the
 * request must stop. */
static bool verified(struct lu_req *req)
{
    const char *secret = req->app->cfg.stripe_webhook_secret;
    if (secret == NULL) {
        log_msg(LOG_WARN, req->request_id,
                "Stripe webhook refused: STRIPE_WEBHOOK_SECRET is not set, so no event can be "
                "verified; Stripe will retry");
        reply_header_add(req, "Retry-After", "60");
        reply_error(req, 503, "unavailable",
                    "Stripe webhooks are not configured here (no signing secret); nothing was "
                    "stored, retry later",
                    NULL);
        count("unavailable");
        return false;
    }
    enum stripe_sig_result sig =
        stripe_signature_check(secret, req_header(req, "Stripe-Signature"), req->body,
                               req->body_len, clock_now_s(), req->app->cfg.stripe_tolerance_s);
    if (sig != STRIPE_SIG_OK) {
        log_msg(LOG_INFO, req->request_id, "Stripe webhook refused: %s",
                stripe_sig_result_message(sig));
        reply_error(req, 400, "invalid_field", stripe_sig_result_message(sig), "Stripe-Signature");
        count("bad_signature");
        return false;
    }
    return true;
}

void api_webhook_stripe(struct lu_req *req)
{
    if (!verified(req)) {
        return;
    }
    struct ledger_event ev;
    const char *why = "the body is empty";
    bool has_nul = req->body != NULL && memchr(req->body, '\0', req->body_len) != NULL;
    if (has_nul || req->body == NULL ||
        ledger_event_parse(req->body, req->body_len, &ev, &why) != LU_OK) {
        reply_error(req, 400, "invalid_json", has_nul ? "the body holds a NUL byte" : why, NULL);
        count("invalid");
        return;
    }
    struct api_write w;
    if (!api_write_begin(req, &w)) {
        ledger_event_free(&ev);
        count(write_outcome(req, false));
        return;
    }
    json_t *answer = NULL;
    enum lu_rc rc = store_stripe_event_apply(w.conn, &ev, req->body, &answer);
    bool duplicate = rc == LU_OK && json_is_true(json_object_get(answer, "duplicate"));
    if (rc == LU_OK) {
        api_write_commit(&w, 200, answer);
    } else {
        api_write_fail(&w, rc);
    }
    const char *outcome = write_outcome(req, duplicate);
    log_msg(LOG_INFO, req->request_id, "stripe event %s (%s): %s", ev.id, ev.type, outcome);
    ledger_event_free(&ev);
    count(outcome);
}
