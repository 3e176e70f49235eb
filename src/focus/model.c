/*
 * model.c — optional model phrasing of focus replies (SPEC §8): one
 * OpenAI-compatible chat completion through libcurl, within
 * FOCUS_MODEL_TIMEOUT_MS, whose only input is the facts focus.c hands it
 * (the rule reply and the items' titles, states and reasons).
 *
 * Called by focus.c when LUCIA_MODEL_FOCUS_OPS_REPLY and an API key are
 * configured. It returns text; guard.c decides whether the text may go out.
 * It never logs the facts, the answer or the key, and it follows no
 * redirect (a redirect could carry the Authorization header elsewhere).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "focus/focus_internal.h"
#include "ops/status.h"

#define MODEL_BASE_URL_DEFAULT "https://api.openai.com/v1"
#define MODEL_URL_BYTES_MAX 1024
#define MODEL_AUTH_BYTES_MAX 1024
/* The rewording is a few sentences; this bounds what the endpoint spends. */
#define MODEL_MAX_TOKENS 400

static const char system_prompt[] =
    "You reword a short reply from Lucia, an operations assistant for a boutique hospitality "
    "operator. Use only the facts in the user message. Keep every name, number, amount, time "
    "and state exactly as given; add none and drop none of the items. Never call anything "
    "confirmed, paid or done unless the facts say so. Keep it short, warm and calm. Answer "
    "with the reworded reply only.";

bool focus_model_configured(const struct lu_config *cfg)
{
    return cfg->model_focus != NULL && cfg->model_focus[0] != '\0' && cfg->openai_api_key != NULL &&
           cfg->openai_api_key[0] != '\0';
}

struct sink {
    char *data;
    size_t len;
    bool over;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (s->len + n > FOCUS_MODEL_REPLY_BYTES_MAX) {
        s->over = true;
        return 0; /* aborts the transfer */
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

/* The chat completions URL under the base (no doubled slash). */
static bool url_build(const struct lu_config *cfg, char *out, size_t cap)
{
    const char *base = cfg->openai_base_url ? cfg->openai_base_url : MODEL_BASE_URL_DEFAULT;
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/') {
        n--;
    }
    int len = snprintf(out, cap, "%.*s/chat/completions", (int)n, base);
    return len > 0 && (size_t)len < cap;
}

/* The text of choices[0].message.content, owned; NULL when absent. */
static char *content_of(const char *body, size_t len)
{
    json_error_t error;
    json_t *root = json_loadb(body, len, 0, &error);
    const char *text = json_string_value(json_object_get(
        json_object_get(json_array_get(json_object_get(root, "choices"), 0), "message"),
        "content"));
    char *out = text ? strdup(text) : NULL;
    json_decref(root);
    return out;
}

static enum lu_rc post(const char *url, const char *auth, const char *payload, struct sink *s,
                       long *status)
{
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        return LU_NOMEM;
    }
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *more = headers ? curl_slist_append(headers, auth) : NULL;
    if (more == NULL) {
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        return LU_NOMEM;
    }
    headers = more;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)FOCUS_MODEL_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)FOCUS_MODEL_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, s);
    CURLcode code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (s->over) {
        return LU_TOO_LARGE;
    }
    return code == CURLE_OK ? LU_OK : LU_UNAVAILABLE;
}

enum lu_rc focus_model_reword(const struct lu_config *cfg, const char *facts_json, char **out)
{
    LU_ASSERT(cfg != NULL && facts_json != NULL && out != NULL);
    *out = NULL;
    if (!focus_model_configured(cfg)) {
        return LU_UNAVAILABLE;
    }
    char url[MODEL_URL_BYTES_MAX];
    char auth[MODEL_AUTH_BYTES_MAX];
    int n = snprintf(auth, sizeof auth, "Authorization: Bearer %s", cfg->openai_api_key);
    if (!url_build(cfg, url, sizeof url) || n < 0 || (size_t)n >= sizeof auth) {
        return LU_INVALID;
    }
    json_t *body =
        json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}], s:i, s:i}", "model", cfg->model_focus,
                  "messages", "role", "system", "content", system_prompt, "role", "user", "content",
                  facts_json, "temperature", 0, "max_tokens", MODEL_MAX_TOKENS);
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (payload == NULL) {
        return LU_NOMEM;
    }
    struct sink s = {0};
    long status = 0;
    enum lu_rc rc = post(url, auth, payload, &s, &status);
    explicit_bzero(auth, sizeof auth);
    free(payload);
    if (rc == LU_OK && (status < 200 || status > 299)) {
        rc = LU_UNAVAILABLE;
    }
    if (rc == LU_OK) {
        *out = content_of(s.data ? s.data : "", s.len);
        rc = *out ? LU_OK : LU_UNAVAILABLE;
    }
    free(s.data);
    /* A live answer proves the integration for /admin/status; the guard may
     * still discard the wording, which says nothing about the endpoint. */
    ops_status_prove("model", rc == LU_OK,
                     rc == LU_OK ? "last model call answered" : "last model call failed");
    return rc;
}
