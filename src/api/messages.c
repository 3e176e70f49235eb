/*
 * messages.c — GET /api/messages and GET /api/messages/{id} (SPEC §7): the
 * inbox. Inbound messages are written only by intake (api/webhooks.c) and
 * replies by POST /api/messages (messages_post.c); this file only reads.
 *
 * Who sees what: a message belongs to its guest's property, and a caller
 * sees the messages of the properties it sees. An unlinked message (no
 * guest matched its sender, property_id null) belongs to no property, so
 * only the roles that see every property — owner and the service key —
 * see it; `?unlinked=true` lists just those (for an operator, an empty
 * list). Its id answers 404 to everyone else, like any invisible record.
 */
#include <string.h>

#include "api/api_internal.h"
#include "api/checks.h"
#include "store/messages.h"

static bool check_channel(const char *s)
{
    return strcmp(s, "sms") == 0 || strcmp(s, "mms") == 0 || strcmp(s, "whatsapp") == 0 ||
           strcmp(s, "email") == 0 || strcmp(s, "chat") == 0; /* chat: the guest agent */
}

static bool check_direction(const char *s)
{
    return strcmp(s, "inbound") == 0 || strcmp(s, "outbound") == 0;
}

static bool check_boolean(const char *s)
{
    return strcmp(s, "true") == 0 || strcmp(s, "false") == 0;
}

static enum lu_rc list_messages(struct db_conn *conn, const struct scope *scope,
                                const void *filter, int limit, const char *after,
                                struct page *out)
{
    return store_message_list(conn, scope, filter, limit, after, out);
}

void api_messages_list(struct lu_req *req)
{
    struct message_filter f = {.linked = -1};
    const char *unlinked = NULL;
    if (!api_query_checked(req, "guest_id", check_id, &f.guest_id) ||
        !api_query_checked(req, "channel", check_channel, &f.channel) ||
        !api_query_checked(req, "thread_id", check_id, &f.thread_id) ||
        !api_query_checked(req, "property_id", check_id, &f.property_id) ||
        !api_query_checked(req, "direction", check_direction, &f.direction) ||
        !api_query_checked(req, "unlinked", check_boolean, &unlinked)) {
        return;
    }
    if (unlinked != NULL) {
        f.linked = strcmp(unlinked, "true") == 0 ? 0 : 1;
    }
    api_list(req, list_messages, &f);
}

void api_message_get(struct lu_req *req)
{
    api_get_by_id(req, store_message_get);
}
