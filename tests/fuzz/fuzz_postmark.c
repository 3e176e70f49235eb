/*
 * fuzz_postmark.c — libFuzzer driver for Postmark's inbound JSON
 * (src/intake/postmark.c), plus the email normaliser and triage on what it
 * reads.
 */
#include <assert.h>
#include <jansson.h>

#include "fuzz_common.h"
#include "intake/intake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t error;
    json_t *payload = json_loadb((const char *)data, size, 0, &error);
    if (payload == NULL) {
        return 0;
    }
    struct intake_message m;
    memset(&m, 0, sizeof m);
    json_t *attachments = NULL;
    const char *field = NULL;
    if (intake_postmark_message(payload, &m, &attachments, &field) == LU_OK) {
        assert(m.provider_id != NULL && m.from_addr != NULL);
        char email[INTAKE_EMAIL_BYTES];
        (void)intake_email_normalise(m.from_addr, email);
        struct triage_result t;
        intake_triage_classify(m.subject, m.body, &t);
        char title[128];
        intake_triage_title(m.subject, m.body, title, sizeof title);
    }
    json_decref(attachments);
    json_decref(payload);
    return 0;
}
