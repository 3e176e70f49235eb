/*
 * fuzz_twilio.c — libFuzzer driver for Twilio's form parsing and request
 * signature (src/intake/twilio.c): parse a form body, read it as a message
 * and as a status callback, compute and verify its signature.
 */
#include <assert.h>
#include <jansson.h>

#include "fuzz_common.h"
#include "intake/intake.h"

#define TOKEN "fuzz_twilio_auth_token_0123456789"
#define URL "https://lucia.example/webhooks/twilio?x=1"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct form f;
    memset(&f, 0, sizeof f);
    if (intake_form_parse((const char *)data, size, &f) == LU_OK) {
        (void)intake_form_get(&f, "From");
        (void)intake_twilio_is_status(&f);
        struct intake_message m;
        memset(&m, 0, sizeof m);
        json_t *media = NULL;
        const char *field = NULL;
        if (intake_twilio_message(&f, &m, &media, &field) == LU_OK) {
            assert(m.channel != NULL);
        }
        json_decref(media);
        char sig[TWILIO_SIGNATURE_BYTES];
        if (intake_twilio_signature(TOKEN, URL, &f, sig) == LU_OK) {
            assert(intake_twilio_verify(TOKEN, URL, &f, sig));
        }
        const char *given = intake_form_get(&f, "Signature");
        (void)intake_twilio_verify(TOKEN, URL, &f, given);
        char phone[INTAKE_PHONE_BYTES];
        const char *from = intake_form_get(&f, "From");
        if (from != NULL) {
            (void)intake_phone_normalise(from, phone);
        }
    }
    intake_form_free(&f);
    return 0;
}
