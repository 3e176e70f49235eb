/*
 * peer.c — the client address of a request, for per-client limits such as
 * the waitlist's (see request.h). It is the TCP peer: X-Forwarded-For is
 * not trusted, since any client may send it.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "http/request.h"

bool req_client_address(const struct lu_req *req, char *out, size_t cap)
{
    out[0] = '\0';
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(req->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info == NULL || info->client_addr == NULL) {
        return false;
    }
    const struct sockaddr *sa = info->client_addr;
    const void *addr = NULL;
    if (sa->sa_family == AF_INET) {
        addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    } else if (sa->sa_family == AF_INET6) {
        addr = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    }
    return addr != NULL && inet_ntop(sa->sa_family, addr, out, (socklen_t)cap) != NULL;
}
