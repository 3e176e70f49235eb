/*
 * fuzz_jwt.c — libFuzzer driver for JWT verification and JWKS parsing
 * (src/auth/jwt.c). The first byte picks the target: even, the rest is a
 * JWKS document; odd, the rest is a token verified with an HS256 secret
 * and the key set in tests/fuzz/jwks.inc. A token that verifies must give
 * a claims object.
 */
#include <assert.h>
#include <jansson.h>

#include "auth/jwt.h"
#include "fuzz_common.h"

static const char jwks[] =
#include "jwks.inc"
    ;

static jwt_keyset *keys;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    if (keys == NULL && jwt_keyset_parse(jwks, sizeof jwks - 1, &keys) != LU_OK) {
        abort(); /* the driver's own key set must parse */
    }
    if (data[0] % 2 == 0) {
        jwt_keyset *ks = NULL;
        if (jwt_keyset_parse((const char *)data + 1, size - 1, &ks) == LU_OK) {
            assert(jwt_keyset_count(ks) > 0);
        }
        jwt_keyset_free(ks);
        return 0;
    }
    static const unsigned char secret[] = "fuzz-hs256-secret-0123456789abcdef";
    struct jwt_verifier v = {.hs256_secret = secret,
                             .hs256_secret_len = sizeof secret - 1,
                             .keys = keys,
                             .issuer = (data[0] & 2) ? "https://issuer.test" : NULL,
                             .now_s = 1763900000,
                             .leeway_s = 60};
    json_t *claims = NULL;
    const char *why = NULL;
    enum lu_rc rc = jwt_verify(&v, (const char *)data + 1, size - 1, &claims, &why);
    assert(why != NULL);
    assert((rc == LU_OK) == (claims != NULL));
    if (claims != NULL) {
        assert(json_is_object(claims));
    }
    json_decref(claims);
    return 0;
}
