/*
 * twilio_send.c — SMS and WhatsApp through Twilio's Messages API (see
 * outbox_internal.h). Twilio takes no idempotency key: what that means when
 * a process dies mid-send is explained atop outbox.c.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "outbox/outbox.h"
#include "outbox/outbox_internal.h"

/* The longest form body: three escaped fields, each at most three bytes per
 * byte of a MESSAGE_BODY_BYTES_MAX body or a 64-byte address. */
#define TWILIO_FORM_BYTES (3 * (MESSAGE_BODY_BYTES_MAX + 2 * 64) + 64)

/* Appends "&name=escaped(value)" to out; false when it does not fit. */
static bool form_add(void *curl, char *out, size_t cap, size_t *len, const char *name,
                     const char *value)
{
    char *escaped = curl_easy_escape(curl, value, 0);
    if (escaped == NULL) {
        return false;
    }
    int n = snprintf(out + *len, cap - *len, "%s%s=%s", *len ? "&" : "", name, escaped);
    curl_free(escaped);
    if (n < 0 || (size_t)n >= cap - *len) {
        return false;
    }
    *len += (size_t)n;
    return true;
}

void twilio_send(void *curl, const struct lu_config *cfg, const struct outbox_claim *c,
                 struct outbox_verdict *v)
{
    LU_ASSERT(cfg->twilio_account_sid != NULL && cfg->twilio_auth_token != NULL);
    memset(v, 0, sizeof *v);
    v->retry_after_s = -1;
    outbox_twilio_sender(cfg, c->channel, v->from_addr, sizeof v->from_addr);
    const char *text = json_string_value(json_object_get(c->payload, "body"));
    char url[512];
    size_t base = strlen(cfg->twilio_api_url);
    while (base > 0 && cfg->twilio_api_url[base - 1] == '/') {
        base--;
    }
    char *sid = curl_easy_escape(curl, cfg->twilio_account_sid, 0);
    int n = sid ? snprintf(url, sizeof url, "%.*s/2010-04-01/Accounts/%s/Messages.json",
                           (int)base, cfg->twilio_api_url, sid)
                : -1;
    curl_free(sid);
    char form[TWILIO_FORM_BYTES];
    size_t len = 0;
    bool ok = text != NULL && n > 0 && n < (int)sizeof url &&
              form_add(curl, form, sizeof form, &len, "To", c->recipient) &&
              form_add(curl, form, sizeof form, &len, "From", v->from_addr) &&
              form_add(curl, form, sizeof form, &len, "Body", text);
    if (!ok) {
        v->outcome = OUTBOX_FAILED;
        snprintf(v->error, sizeof v->error, "%s",
                 text == NULL ? "the row's payload is not a message Lucia can send"
                              : "TWILIO_API_URL, the recipient or the body is too long");
        return;
    }
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded",
                             "Accept: application/json", NULL};
    struct outbox_http_request request = {
        .url = url,
        .headers = headers,
        .body = form,
        .basic_user = cfg->twilio_account_sid,
        .basic_password = cfg->twilio_auth_token,
        .timeout_ms = cfg->outbox_timeout_ms,
    };
    struct outbox_http_answer answer;
    outbox_http_post(curl, &request, &answer);
    v->outcome = outbox_classify(answer.transport, answer.status, "twilio", answer.body);
    v->retry_after_s = answer.retry_after_s;
    v->transport = answer.transport;
    v->http_status = answer.status;
    if (v->outcome == OUTBOX_SENT) {
        json_error_t jerr;
        json_t *parsed = answer.body ? json_loads(answer.body, 0, &jerr) : NULL;
        const char *message_sid = json_string_value(json_object_get(parsed, "sid"));
        const char *status = json_string_value(json_object_get(parsed, "status"));
        snprintf(v->provider_id, sizeof v->provider_id, "%s", message_sid ? message_sid : "");
        snprintf(v->provider_status, sizeof v->provider_status, "%s", status ? status : "");
        json_decref(parsed);
    } else {
        outbox_verdict_error(cfg, "twilio", &answer, v);
    }
    free(answer.body);
}
