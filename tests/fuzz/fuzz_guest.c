/*
 * fuzz_guest.c — libFuzzer driver for the guest agent's router and truth
 * guard (src/guest/route.c, guard.c): any bytes as a guest's message, and
 * the same bytes as a reply line judged against every item state. Like
 * fuzz_focus.c, it reads the module's internal header to reach them
 * without a database.
 */
#include <assert.h>

#include "fuzz_common.h"
#include "guest/guest_internal.h"

static const char *const states[] = {"requested", "confirmed",  "in_progress", "done",
                                     "cancelled", "failed",     "paid",        NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *message = fuzz_strndup(data, size);
    if (message == NULL) {
        return 0;
    }
    struct guest_pick pick;
    guest_route_pick(message, &pick);
    assert(pick.route >= GUEST_STAY_INFO && pick.route < GUEST_ROUTES);
    const char *name = guest_route_name(pick.route);
    enum guest_route back;
    assert(name != NULL && guest_route_parse(name, &back) && back == pick.route);
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        (void)guest_guard_line_ok(message, "item", states[i]);
    }
    free(message);
    return 0;
}
