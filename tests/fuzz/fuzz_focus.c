/*
 * fuzz_focus.c — libFuzzer driver for the focus normaliser
 * (src/focus/normalise.c): any bytes as an operator's message. Fuzz
 * drivers are the one place outside src/focus/ that reads its internal
 * header, to reach the normaliser without a database.
 */
#include <assert.h>

#include "focus/focus_internal.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *message = fuzz_strndup(data, size);
    if (message == NULL) {
        return 0;
    }
    struct focus_text t;
    focus_text_normalise(message, &t);
    assert(t.n <= FOCUS_TOKENS_MAX);
    for (size_t i = 0; i < t.n; i++) {
        assert(memchr(t.words[i], '\0', FOCUS_TOKEN_BYTES) != NULL);
    }
    char joined[FOCUS_TOKENS_MAX * FOCUS_TOKEN_BYTES + 1];
    focus_text_join(&t, joined, sizeof joined);
    free(message);
    return 0;
}
