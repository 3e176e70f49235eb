/*
 * ids.c — time-ordered random ids (see ids.h).
 */
#include "core/ids.h"

#include <openssl/rand.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core/assert.h"

static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

enum lu_rc random_bytes(unsigned char *buf, size_t n)
{
    return RAND_bytes(buf, (int)n) == 1 ? LU_OK : LU_IO;
}

enum lu_rc id_new(const char *prefix, char *out, size_t cap)
{
    size_t plen = strlen(prefix);
    LU_ASSERT(plen + ID_BODY_CHARS + 1 <= cap);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;

    unsigned char rnd[10];
    if (random_bytes(rnd, sizeof rnd) != LU_OK) {
        return LU_IO;
    }
    memcpy(out, prefix, plen);
    char *body = out + plen;
    /* 10 characters of time, most significant first: 50 bits hold 48. */
    for (int i = 9; i >= 0; i--) {
        body[i] = alphabet[ms & 31u];
        ms >>= 5;
    }
    /* 16 characters from the 80 random bits, five at a time. */
    uint64_t acc = 0;
    int bits = 0;
    size_t next = 0;
    for (int i = 10; i < ID_BODY_CHARS; i++) {
        if (bits < 5) {
            acc = (acc << 8) | rnd[next++];
            bits += 8;
        }
        body[i] = alphabet[(acc >> (bits - 5)) & 31u];
        bits -= 5;
    }
    body[ID_BODY_CHARS] = '\0';
    return LU_OK;
}

bool id_valid(const char *prefix, const char *s)
{
    size_t plen = strlen(prefix);
    if (s == NULL || strncmp(s, prefix, plen) != 0 || strlen(s) != plen + ID_BODY_CHARS) {
        return false;
    }
    for (const char *p = s + plen; *p; p++) {
        if (strchr(alphabet, *p) == NULL) {
            return false;
        }
    }
    return true;
}
