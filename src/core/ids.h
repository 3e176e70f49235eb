/*
 * ids.h — opaque record ids with a type prefix (SPEC §3: prop_, gst_, ...).
 *
 * An id is the prefix followed by 26 lower-case Crockford base32 characters:
 * 48 bits of milliseconds since the epoch, then 80 random bits from the
 * system CSPRNG. Ids therefore sort by creation time, which keeps `?after=`
 * cursors in the order records were made, and cannot be guessed.
 */
#ifndef LU_IDS_H
#define LU_IDS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/rc.h"

#define ID_BODY_CHARS 26
#define ID_BYTES_MAX 40 /* longest prefix ("prop_", 5) + body + NUL, with room */

/* Writes "<prefix><body>" into out (cap >= ID_BYTES_MAX). LU_IO if the random
 * source fails. */
enum lu_rc id_new(const char *prefix, char *out, size_t cap);

/* True when s is prefix followed by a well-formed body. */
bool id_valid(const char *prefix, const char *s);

/* Fills buf with n random bytes from the CSPRNG. */
enum lu_rc random_bytes(unsigned char *buf, size_t n);

#endif
