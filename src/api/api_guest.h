/*
 * api_guest.h — the guest agent's handlers (SPEC §8b) and the guest
 * principal they share; included by src/api/guest*.c and routes.c only.
 */
#ifndef LU_API_GUEST_H
#define LU_API_GUEST_H

#include <stdbool.h>

#include "api/api_internal.h"
#include "guest/guest.h"

/* The guest an AUTH_GUEST request was authenticated as (the server ran
 * api_guest_authenticate, declared in api/api.h, before the handler). */
void api_guest_who(const struct lu_req *req, struct guest_identity *who);

/* Public sign-in. */
void api_guest_session_create(struct lu_req *req);
void api_guest_session_verify(struct lu_req *req);
/* With a guest token. */
void api_guest_session_delete(struct lu_req *req);
void api_guest_me(struct lu_req *req);
void api_guest_chat(struct lu_req *req);
void api_guest_booking_get(struct lu_req *req);
void api_guest_booking_balance(struct lu_req *req);
void api_guest_items_list(struct lu_req *req);
void api_guest_item_get(struct lu_req *req);
void api_guest_thread_get(struct lu_req *req);
/* Operator: DELETE /api/guests/{id}/tokens. */
void api_guest_tokens_revoke(struct lu_req *req);

#endif
