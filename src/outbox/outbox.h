/*
 * outbox.h — sending what the outbox holds (SPEC §7): one worker thread per
 * `lucia serve` process claims due rows (store/outbox.h), sends each
 * through its provider with libcurl — email through Resend, SMS and
 * WhatsApp through Twilio's Messages API — and records the result.
 *
 * main.c starts the worker after the migrations and stops it on SIGTERM
 * after its current row, before the database closes. Handlers that queue a
 * row call outbox_wake after their commit so the row goes out at once; rows
 * queued by other processes, and retries coming due, are found by a poll
 * of at most OUTBOX_POLL_MS. How delivery behaves when a process dies
 * mid-send is explained atop outbox.c.
 */
#ifndef LU_OUTBOX_H
#define LU_OUTBOX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "app.h"
#include "core/config.h"
#include "core/rc.h"

/* Starts the worker over app (borrowed; it must outlive the worker). Logs
 * once which channels have no provider configured: their rows stay queued.
 * LU_IO when the thread cannot start. Call once, with the process's
 * signals blocked (the worker must not take SIGTERM). */
enum lu_rc outbox_start(struct lu_app *app);

/* A row was committed in this process: look now instead of at the next
 * poll. Safe from any thread, and a no-op when the worker is not running. */
void outbox_wake(void);

/* Asks the worker to stop after its current row, without waiting. */
void outbox_shutdown(void);

/* Waits for the worker to finish its current row (a provider call is bounded
 * by LUCIA_OUTBOX_TIMEOUT_MS) and stop. Call before the database closes. */
void outbox_stop(void);

/* True when the provider of channel ("email", "sms", "whatsapp") has every
 * setting it needs; *missing (may be NULL) names them when not, e.g.
 * "RESEND_API_KEY, LUCIA_EMAIL_FROM". */
bool outbox_channel_configured(const struct lu_config *cfg, const char *channel,
                               const char **missing);

/* The Twilio sender for channel ("sms": TWILIO_FROM_NUMBER; "whatsapp":
 * TWILIO_WHATSAPP_FROM with "whatsapp:" added when absent) into out; ""
 * when it is not configured. */
void outbox_twilio_sender(const struct lu_config *cfg, const char *channel, char *out,
                          size_t cap);

/* {"email":{"provider":"resend","configured":true}, "sms":{…,"missing":"…"}, …},
 * for GET /api/outbox (and /admin/status once it exists). Owned. */
json_t *outbox_channels_json(const struct lu_config *cfg);

/* --- what Lucia sends (compose.c) -------------------------------------- */

/* The waitlist welcome: a fixed text (nothing a stranger typed goes into an
 * email Lucia sends to an address a stranger typed). Owned payload. */
json_t *outbox_welcome_payload(void);

/* The verification email for a guest: the link
 * public_url + "/verify?token=" + token, marked "redact" so the link leaves
 * the database once sent. guest_name may be NULL. Owned payload. */
json_t *outbox_verification_payload(const char *public_url, const char *token,
                                    const char *guest_name);

#endif
