/*
 * compose.c — the emails Lucia writes itself (see outbox.h): the waitlist
 * welcome and the guest email verification. Plain text, short, with nothing
 * in them that a stranger chose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/limits.h"
#include "outbox/outbox.h"

json_t *outbox_welcome_payload(void)
{
    return json_pack("{s:s, s:s}", "subject", "You are on the Lucia waitlist", "text",
                     "Hello,\n\n"
                     "Thank you for joining the Lucia waitlist. We will write to you at this "
                     "address when there is a place for you.\n\n"
                     "If you did not ask for this, there is nothing to do: you will hear from "
                     "us only about the waitlist.\n\n"
                     "Lucia");
}

json_t *outbox_verification_payload(const char *public_url, const char *token,
                                    const char *guest_name)
{
    LU_ASSERT(public_url != NULL && token != NULL);
    size_t cap = strlen(public_url) + strlen(token) + (guest_name ? strlen(guest_name) : 0) + 512;
    char *text = malloc(cap);
    if (text == NULL) {
        return NULL;
    }
    snprintf(text, cap,
             "Hello%s%s,\n\n"
             "Please confirm that this is your email address for your stay by opening this "
             "link within %d hours:\n\n"
             "%s/verify?token=%s\n\n"
             "The link works once. If you did not expect this email, you can ignore it.\n\n"
             "Lucia",
             guest_name ? " " : "", guest_name ? guest_name : "", VERIFY_TOKEN_TTL_S / 3600,
             public_url, token);
    json_t *payload = json_pack("{s:s, s:s, s:b}", "subject", "Confirm your email address",
                                "text", text, "redact", 1);
    free(text);
    return payload;
}
