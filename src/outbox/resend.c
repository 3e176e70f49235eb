/*
 * resend.c — email through Resend (see outbox_internal.h). The row's
 * idempotency key goes out as Idempotency-Key on every attempt, so a row
 * sent again after its process died mid-send (outbox.c) is recognised by
 * Resend and not delivered twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "outbox/outbox_internal.h"

/* Header lines: "Authorization: Bearer " + a key, or the idempotency key. */
#define RESEND_HEADER_BYTES 512

/* The JSON Resend takes; owned text, NULL on OOM or a payload not ours. */
static char *request_body(const struct lu_config *cfg, const struct outbox_claim *c)
{
    const json_t *subject = json_object_get(c->payload, "subject");
    const json_t *text = json_object_get(c->payload, "text");
    const json_t *html = json_object_get(c->payload, "html");
    if (!json_is_string(subject) || !json_is_string(text)) {
        return NULL;
    }
    json_t *body = json_pack("{s:s, s:[s], s:O, s:O}", "from", cfg->email_from, "to", c->recipient,
                             "subject", subject, "text", text);
    if (body != NULL && json_is_string(html)) {
        json_object_set(body, "html", (json_t *)html);
    }
    char *out = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    return out;
}

void resend_send(void *curl, const struct lu_config *cfg, const struct outbox_claim *c,
                 struct outbox_verdict *v)
{
    LU_ASSERT(cfg->resend_api_key != NULL && cfg->email_from != NULL);
    memset(v, 0, sizeof *v);
    v->retry_after_s = -1;
    char *body = request_body(cfg, c);
    char url[512];
    size_t base = strlen(cfg->resend_api_url);
    while (base > 0 && cfg->resend_api_url[base - 1] == '/') {
        base--;
    }
    int n = snprintf(url, sizeof url, "%.*s/emails", (int)base, cfg->resend_api_url);
    char auth[RESEND_HEADER_BYTES];
    char key[RESEND_HEADER_BYTES];
    int a = snprintf(auth, sizeof auth, "Authorization: Bearer %s", cfg->resend_api_key);
    int k = snprintf(key, sizeof key, "Idempotency-Key: %s", c->idempotency_key);
    if (body == NULL || n >= (int)sizeof url || a >= (int)sizeof auth || k >= (int)sizeof key) {
        /* Nothing a retry would change: our payload or our settings. */
        v->outcome = OUTBOX_FAILED;
        snprintf(v->error, sizeof v->error, "%s",
                 body == NULL ? "the row's payload is not an email Lucia can send"
                              : "RESEND_API_URL, the key or the idempotency key is too long");
        free(body);
        return;
    }
    const char *headers[] = {"Content-Type: application/json", auth, key, NULL};
    struct outbox_http_request request = {
        .url = url,
        .headers = headers,
        .body = body,
        .timeout_ms = cfg->outbox_timeout_ms,
    };
    struct outbox_http_answer answer;
    outbox_http_post(curl, &request, &answer);
    free(body);
    v->outcome = outbox_classify(answer.transport, answer.status, "resend", answer.body);
    v->retry_after_s = answer.retry_after_s;
    v->transport = answer.transport;
    v->http_status = answer.status;
    if (v->outcome == OUTBOX_SENT) {
        json_error_t jerr;
        json_t *parsed = answer.body ? json_loads(answer.body, 0, &jerr) : NULL;
        const char *id = json_string_value(json_object_get(parsed, "id"));
        snprintf(v->provider_id, sizeof v->provider_id, "%s", id ? id : "");
        json_decref(parsed);
    } else {
        outbox_verdict_error(cfg, "resend", &answer, v);
    }
    free(answer.body);
}
