/*
 * fetch.c — bounded GET with libcurl (see fetch.h).
 */
#include "core/fetch.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct sink {
    char *data;
    size_t len;
    size_t cap;
    bool over;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (s->len + n > s->cap) {
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

enum lu_rc fetch_get(const char *url, long timeout_ms, size_t cap, char **body, size_t *len)
{
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        return LU_NOMEM;
    }
    struct sink s = {.cap = cap};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
    CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (s.over) {
        free(s.data);
        return LU_TOO_LARGE;
    }
    if (code != CURLE_OK || status < 200 || status > 299) {
        free(s.data);
        return LU_UNAVAILABLE;
    }
    if (s.data == NULL) {
        s.data = calloc(1, 1);
        if (s.data == NULL) {
            return LU_NOMEM;
        }
    }
    *body = s.data;
    *len = s.len;
    return LU_OK;
}
