/*
 * fuzz_router.c — libFuzzer driver for the router's path matching
 * (src/http/router.c) over the real route table (src/api/routes.c).
 * Input: a method name, a newline, then the decoded path as
 * libmicrohttpd would hand it over. Checks that a match's parameters are
 * NUL-terminated strings inside the match buffer.
 */
#include <assert.h>

#include "api/api.h"
#include "fuzz_common.h"
#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *rest;
    size_t rest_len;
    char *method = fuzz_split(data, size, &rest, &rest_len);
    char *path = fuzz_strndup(rest, rest_len);
    if (method != NULL && path != NULL) {
        (void)http_method_parse(method);
        struct route_match m;
        enum route_result r = router_match(api_routes, api_routes_count, method, path, &m);
        if (r == ROUTE_FOUND) {
            assert(m.route != NULL);
            assert(m.nparams <= ROUTE_PARAMS_MAX);
            for (size_t i = 0; i < m.nparams; i++) {
                assert(m.params[i] >= m.buf && m.params[i] < m.buf + sizeof m.buf);
                assert(strlen(m.params[i]) < sizeof m.buf);
            }
            (void)route_param(&m, "id");
            (void)route_param(&m, "file");
        } else if (r == ROUTE_METHOD_NOT_ALLOWED) {
            assert(memchr(m.allow, '\0', sizeof m.allow) != NULL);
        }
    }
    free(method);
    free(path);
    return 0;
}
