/*
 * http.c — the outbox's one bounded HTTP POST through libcurl (see
 * outbox_internal.h). Called only by the worker thread, never while it
 * holds a database connection.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/assert.h"
#include "core/clock.h"
#include "outbox/outbox_internal.h"

_Static_assert(OUTBOX_CURL_ERROR_BYTES == CURL_ERROR_SIZE, "curl's error buffer size");

struct sink {
    char *data;
    size_t len;
    bool over;
    int retry_after_s;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (s->len + n > OUTBOX_RESPONSE_BYTES_MAX) {
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

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nitems;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && n < 256 && strncasecmp(buf, name, sizeof name - 1) == 0) {
        char value[256];
        memcpy(value, buf + sizeof name - 1, n - (sizeof name - 1));
        value[n - (sizeof name - 1)] = '\0';
        s->retry_after_s = outbox_retry_after_parse(value, clock_now_s());
    }
    return n;
}

void outbox_http_post(void *handle, const struct outbox_http_request *request,
                      struct outbox_http_answer *answer)
{
    CURL *curl = handle;
    LU_ASSERT(curl != NULL && request->url != NULL && request->body != NULL);
    memset(answer, 0, sizeof *answer);
    answer->retry_after_s = -1;
    /* "Expect:" drops curl's 100-continue round trip for larger bodies. */
    struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
    for (size_t i = 0; headers != NULL && request->headers != NULL && request->headers[i] != NULL;
         i++) {
        struct curl_slist *grown = curl_slist_append(headers, request->headers[i]);
        if (grown == NULL) {
            curl_slist_free_all(headers);
            headers = NULL;
            break;
        }
        headers = grown;
    }
    if (headers == NULL) {
        answer->transport = true;
        snprintf(answer->error, sizeof answer->error, "out of memory");
        return;
    }
    struct sink s = {.retry_after_s = -1};
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, request->url);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request->body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(request->body));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)OUTBOX_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, request->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &s);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, answer->error);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "lucia/" LU_VERSION);
    if (request->basic_user != NULL) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(curl, CURLOPT_USERNAME, request->basic_user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, request->basic_password);
    }
    CURLcode code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer->status);
    /* The handle is kept for the next call: leave no pointer into this
     * frame or into the headers freed below. */
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    if (s.over) {
        snprintf(answer->error, sizeof answer->error, "the answer exceeded %d bytes",
                 OUTBOX_RESPONSE_BYTES_MAX);
    } else if (code != CURLE_OK && answer->error[0] == '\0') {
        snprintf(answer->error, sizeof answer->error, "%s", curl_easy_strerror(code));
    }
    answer->transport = code != CURLE_OK || s.over || answer->status == 0;
    answer->body = s.data;
    answer->len = s.len;
    answer->retry_after_s = s.retry_after_s;
}
