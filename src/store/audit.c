/*
 * audit.c — appending to the audit chain (see audit.h).
 */
#include "store/audit.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/ids.h"
#include "http/json_out.h"

static void field(EVP_MD_CTX *ctx, const char *s)
{
    if (s == NULL) {
        EVP_DigestUpdate(ctx, "-", 1);
        return;
    }
    /* "<length in decimal>:" then the bytes; written by hand, as snprintf
     * was a fifth of the hash's cost. */
    size_t n = strlen(s);
    char len[24];
    size_t k = sizeof len;
    len[--k] = ':';
    size_t v = n;
    do {
        len[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    EVP_DigestUpdate(ctx, len + k, sizeof len - k);
    EVP_DigestUpdate(ctx, s, n);
}

void audit_hash(const char *prev_hash, const char *id, const char *at, const char *actor,
                const char *action, const char *entity_type, const char *entity_id,
                const char *property_id, const char *before_json, const char *after_json,
                char out[AUDIT_HASH_HEX])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    LU_ASSERT(ctx != NULL);
    LU_ASSERT(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1);
    const char *fields[] = {prev_hash,  id,        at,          actor,      action,
                            entity_type, entity_id, property_id, before_json, after_json};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        field(ctx, fields[i]);
    }
    unsigned char digest[32];
    unsigned int n = 0;
    LU_ASSERT(EVP_DigestFinal_ex(ctx, digest, &n) == 1 && n == 32);
    EVP_MD_CTX_free(ctx);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0x0F];
    }
    out[64] = '\0';
}

static char *dump(const json_t *v)
{
    /* Sorted keys make the stored text, and so the hash, one function of
     * the record's content. */
    size_t len;
    return v ? json_out_dump_sorted(v, &len) : NULL; /* json_dumps(COMPACT|SORT_KEYS|ENCODE_ANY) */
}

static enum lu_rc head_read(struct db_conn *conn, char prev[AUDIT_HASH_HEX])
{
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn, "SELECT hash FROM audit_head WHERE one = 1", NULL, 0, &rows,
                            NULL);
    if (rc == LU_OK) {
        snprintf(prev, AUDIT_HASH_HEX, "%s",
                 rows->nrows ? db_rows_text(rows, 0, 0) : AUDIT_GENESIS);
    }
    db_rows_free(rows);
    return rc;
}

enum lu_rc audit_append(struct db_conn *conn, const struct audit_entry *e, int64_t *seq_out)
{
    LU_ASSERT(e->actor && e->action && e->entity_type && e->entity_id);
    char id[ID_BYTES_MAX];
    if (id_new("aud_", id, sizeof id) != LU_OK) {
        return LU_IO;
    }
    char at[RFC3339_BYTES];
    clock_format_utc(clock_now_s(), at);
    char prev[AUDIT_HASH_HEX];
    enum lu_rc rc = head_read(conn, prev);
    if (rc != LU_OK) {
        return rc;
    }
    char *before = dump(e->before);
    char *after = dump(e->after);
    if ((e->before && !before) || (e->after && !after)) {
        free(before);
        free(after);
        return LU_NOMEM;
    }
    char hash[AUDIT_HASH_HEX];
    audit_hash(prev, id, at, e->actor, e->action, e->entity_type, e->entity_id, e->property_id,
               before, after, hash);
    struct db_param p[] = {P_TEXT(id),        P_TEXT(at),          P_TEXT(e->actor),
                           P_TEXT(e->action), P_TEXT(e->entity_type), P_TEXT(e->entity_id),
                           P_TEXT(e->property_id), P_TEXT(before), P_TEXT(after),
                           P_TEXT(prev),      P_TEXT(hash)};
    struct db_rows *rows = NULL;
    rc = db_exec(conn,
                 "INSERT INTO audit_events (id, at, actor, action, entity_type, entity_id, "
                 "property_id, before_json, after_json, prev_hash, hash) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                 p, 11, &rows, NULL);
    free(before);
    free(after);
    int64_t seq = 0;
    if (rc == LU_OK) {
        seq = db_rows_int(rows, 0, 0);
        struct db_param h[] = {P_INT(seq), P_TEXT(hash)};
        rc = db_exec(conn,
                     "INSERT INTO audit_head (one, seq, hash) VALUES (1, ?, ?) "
                     "ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                     h, 2, NULL, NULL);
    }
    db_rows_free(rows);
    if (rc == LU_OK && seq_out != NULL) {
        *seq_out = seq;
    }
    return rc;
}
