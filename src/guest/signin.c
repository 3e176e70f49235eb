/*
 * signin.c — guest sign-in by emailed code, and guest tokens (SPEC §8b).
 *
 * A request always writes one guest_sign_in_codes row in one write
 * transaction, whether or not the address belongs to a guest with a stay:
 * the unknown path hashes and stores a code nobody is sent, so the two
 * answers cost the same work (the known one adds its outbox row, the
 * unknown one the same round trip as a probe). The code
 * is six digits drawn uniformly from the CSPRNG by rejection sampling; its
 * row keeps SHA-256(row id ":" code), and a new request supersedes the
 * address's earlier codes, used or not, so an address has at most one live
 * row and verification never has to choose between rows. A code works once, for
 * cfg->guest_code_ttl_s, and GUEST_CODE_WRONG_TRIES_MAX wrong tries lock it.
 *
 * A verified code buys a token: "gtk_" and 32 random bytes in base64url,
 * kept as the SHA-256 of its text, valid GUEST_TOKEN_TTL_S unless revoked
 * (sign-out, or the operator's DELETE /api/guests/{id}/tokens). Called by
 * src/api/guest.c and src/api/guest_auth.c; nothing here logs a code, a
 * token or an address.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/base64.h"
#include "core/clock.h"
#include "core/limits.h"
#include "core/log.h"
#include "guest/guest.h"
#include "store/audit.h"
#include "store/outbox.h"

#define CODE_DIGITS 6
#define CODE_SPACE 1000000u
/* The largest multiple of CODE_SPACE below 2^32: draws at or above it are
 * redrawn, so every code is equally likely. */
#define CODE_DRAW_LIMIT 4294000000u
/* Each draw is rejected with probability < 0.0002; 16 in a row never
 * happens with a working generator. */
#define CODE_DRAWS_MAX 16

#define TOKEN_PREFIX "gtk_"
#define TOKEN_CHARS 43

_Static_assert(TOKEN_CHARS == (GUEST_TOKEN_BYTES * 4 + 2) / 3, "43 base64url characters");
_Static_assert(sizeof TOKEN_PREFIX - 1 + TOKEN_CHARS < GUEST_TOKEN_TEXT_BYTES, "token fits");

static void sha256_hex(const char *a, const char *b, char out[65])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char digest[32];
    unsigned int n = 0;
    LU_ASSERT(ctx != NULL);
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, a, strlen(a));
    if (b != NULL) {
        EVP_DigestUpdate(ctx, ":", 1);
        EVP_DigestUpdate(ctx, b, strlen(b));
    }
    EVP_DigestFinal_ex(ctx, digest, &n);
    EVP_MD_CTX_free(ctx);
    for (int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
    }
}

static enum lu_rc code_new(char out[CODE_DIGITS + 1])
{
    for (int i = 0; i < CODE_DRAWS_MAX; i++) {
        unsigned char raw[4];
        enum lu_rc rc = random_bytes(raw, sizeof raw);
        if (rc != LU_OK) {
            return rc;
        }
        uint32_t v = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 |
                     (uint32_t)raw[3];
        if (v < CODE_DRAW_LIMIT) {
            snprintf(out, CODE_DIGITS + 1, "%06u", v % CODE_SPACE);
            return LU_OK;
        }
    }
    return LU_IO;
}

/* The guest with a current or upcoming stay whose email this is: the one
 * arriving soonest when several (in several properties) share it. */
static enum lu_rc stay_guest_find(struct db_conn *conn, const char *email, int64_t now_s,
                                  struct db_rows **rows)
{
    char since[RFC3339_BYTES];
    clock_format_utc(now_s - 86400, since);
    since[10] = '\0'; /* YYYY-MM-DD: yesterday in UTC, lenient across zones */
    struct db_param p[] = {P_TEXT(email), P_TEXT(since)};
    return db_exec(conn,
                   "SELECT g.id, g.property_id, g.name FROM guests g "
                   "JOIN bookings b ON b.guest_id = g.id "
                   "WHERE g.email = ? AND b.status NOT IN ('cancelled', 'checked_out') "
                   "AND b.check_out >= ? ORDER BY b.check_in, g.id LIMIT 1",
                   p, 2, rows, NULL);
}

static json_t *code_email(const char *name, const char *code, int ttl_s)
{
    char text[600];
    char life[32];
    if (ttl_s % 60 == 0) {
        snprintf(life, sizeof life, "%d minute%s", ttl_s / 60, ttl_s == 60 ? "" : "s");
    } else {
        snprintf(life, sizeof life, "%d seconds", ttl_s);
    }
    snprintf(text, sizeof text,
             "Hello %s,\n\nYour Lucia sign-in code is %s.\n\nIt works once, for the next %s. "
             "If you did not ask for it, you can ignore this email.\n\nLucia\n",
             name != NULL && name[0] != '\0' ? name : "there", code, life);
    return json_pack("{s:s, s:s, s:b}", "subject", "Your Lucia sign-in code", "text", text,
                     "redact", 1);
}

enum lu_rc guest_signin_request(struct db_conn *conn, const struct lu_config *cfg,
                                const char *email, int64_t now_s, bool *queued)
{
    LU_ASSERT(conn != NULL && email != NULL && queued != NULL);
    *queued = false;
    struct db_rows *rows = NULL;
    enum lu_rc rc = stay_guest_find(conn, email, now_s, &rows);
    if (rc != LU_OK) {
        db_rows_free(rows);
        return rc;
    }
    bool known = rows->nrows > 0;
    char id[ID_BYTES_MAX], code[CODE_DIGITS + 1], hash[65];
    char now[RFC3339_BYTES], expires[RFC3339_BYTES];
    clock_format_utc(now_s, now);
    clock_format_utc(now_s + cfg->guest_code_ttl_s, expires);
    rc = id_new("gsc_", id, sizeof id);
    if (rc == LU_OK) {
        rc = code_new(code);
    }
    if (rc == LU_OK) {
        sha256_hex(id, code, hash);
        struct db_param sp[] = {P_TEXT(now), P_TEXT(email)};
        rc = db_exec(conn,
                     "UPDATE guest_sign_in_codes SET superseded_at = ? WHERE email = ? "
                     "AND superseded_at IS NULL",
                     sp, 2, NULL, NULL);
    }
    const char *guest_id = known ? db_rows_text(rows, 0, 0) : NULL;
    const char *property_id = known ? db_rows_text(rows, 0, 1) : NULL;
    if (rc == LU_OK) {
        struct db_param ip[] = {P_TEXT(id),          P_TEXT(email), P_TEXT(guest_id),
                                P_TEXT(property_id), P_TEXT(hash),  P_TEXT(expires),
                                P_TEXT(now)};
        rc = db_exec(conn,
                     "INSERT INTO guest_sign_in_codes (id, email, guest_id, property_id, "
                     "code_hash, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     ip, 7, NULL, NULL);
    }
    if (rc == LU_OK && !known) {
        /* The known path's outbox INSERT is one more statement; the unknown
         * path makes the same round trip (a probe of the outbox's unique
         * key, which finds nothing), so both cost the same number of trips
         * to the database. */
        char key[ID_BYTES_MAX + 16];
        snprintf(key, sizeof key, "guest_sign_in:%s", id);
        struct db_param kp[] = {P_TEXT(key)};
        struct db_rows *probe = NULL;
        rc = db_exec(conn, "SELECT id FROM outbox WHERE idempotency_key = ?", kp, 1, &probe, NULL);
        db_rows_free(probe);
    }
    if (rc == LU_OK && known) {
        json_t *payload = code_email(db_rows_text(rows, 0, 2), code, cfg->guest_code_ttl_s);
        char key[ID_BYTES_MAX + 16];
        snprintf(key, sizeof key, "guest_sign_in:%s", id);
        struct outbox_new n = {
            .kind = "guest_sign_in_code",
            .channel = "email",
            .recipient = email,
            .payload = payload,
            .idempotency_key = key,
            .property_id = property_id,
        };
        char outbox_id[ID_BYTES_MAX];
        rc = payload ? store_outbox_enqueue(conn, &n, outbox_id) : LU_NOMEM;
        json_decref(payload);
        *queued = rc == LU_OK;
    }
    OPENSSL_cleanse(code, sizeof code);
    db_rows_free(rows);
    return rc;
}

void guest_grant_clear(struct guest_grant *grant)
{
    json_decref(grant->guest);
    OPENSSL_cleanse(grant, sizeof *grant);
}

/* Writes a new token for guest_id into grant, with its audit event. */
static enum lu_rc token_create(struct db_conn *conn, const char *guest_id, const char *property_id,
                               int64_t now_s, struct guest_grant *grant)
{
    unsigned char raw[GUEST_TOKEN_BYTES];
    enum lu_rc rc = random_bytes(raw, sizeof raw);
    char *body = rc == LU_OK ? b64url_encode(raw, sizeof raw) : NULL;
    OPENSSL_cleanse(raw, sizeof raw);
    if (body == NULL) {
        return rc == LU_OK ? LU_NOMEM : rc;
    }
    LU_ASSERT(strlen(body) == TOKEN_CHARS);
    snprintf(grant->token, sizeof grant->token, "%s%s", TOKEN_PREFIX, body);
    OPENSSL_cleanse(body, strlen(body));
    free(body);
    char id[ID_BYTES_MAX], hash[65], now[RFC3339_BYTES];
    sha256_hex(grant->token, NULL, hash);
    clock_format_utc(now_s, now);
    clock_format_utc(now_s + GUEST_TOKEN_TTL_S, grant->expires_at);
    rc = id_new("gtok_", id, sizeof id);
    if (rc == LU_OK) {
        struct db_param p[] = {P_TEXT(id),
                               P_TEXT(hash),
                               P_TEXT(guest_id),
                               P_TEXT(property_id),
                               P_TEXT(grant->expires_at),
                               P_TEXT(now)};
        rc = db_exec(conn,
                     "INSERT INTO guest_tokens (id, token_hash, guest_id, property_id, "
                     "expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                     p, 6, NULL, NULL);
    }
    char actor[ID_BYTES_MAX + 8];
    snprintf(actor, sizeof actor, "guest:%s", guest_id);
    json_t *after = rc == LU_OK ? json_pack("{s:s, s:s, s:s, s:s}", "id", id, "guest_id", guest_id,
                                            "expires_at", grant->expires_at, "created_at", now)
                                : NULL;
    if (rc == LU_OK && after == NULL) {
        rc = LU_NOMEM;
    }
    if (rc == LU_OK) {
        struct audit_entry e = {.actor = actor,
                                .action = "guest_token.created",
                                .entity_type = "guest_token",
                                .entity_id = id,
                                .property_id = property_id,
                                .after = after};
        rc = audit_append(conn, &e, NULL);
    }
    json_decref(after);
    return rc;
}

/* The verdict on a live row (columns of verify_sql) for code at now_s. */
static enum guest_verify_result judge(const struct db_rows *rows, const char *code, int64_t now_s,
                                      bool *wrong)
{
    *wrong = false;
    if (db_rows_text(rows, 0, 1) == NULL || db_rows_text(rows, 0, 6) != NULL) {
        return GUEST_VERIFY_REFUSED; /* an unknown address's row, or used */
    }
    if (db_rows_int(rows, 0, 5) >= GUEST_CODE_WRONG_TRIES_MAX) {
        return GUEST_VERIFY_LOCKED;
    }
    int64_t expires = 0;
    if (!clock_parse_rfc3339(db_rows_text(rows, 0, 4), &expires) || now_s >= expires) {
        return GUEST_VERIFY_REFUSED;
    }
    char hash[65];
    sha256_hex(db_rows_text(rows, 0, 0), code, hash);
    const char *stored = db_rows_text(rows, 0, 3);
    if (stored == NULL || strlen(stored) != 64 || CRYPTO_memcmp(hash, stored, 64) != 0) {
        *wrong = true;
        return GUEST_VERIFY_REFUSED;
    }
    return GUEST_VERIFY_OK;
}

enum lu_rc guest_signin_verify(struct db_conn *conn, const char *email, const char *code,
                               int64_t now_s, enum guest_verify_result *result,
                               struct guest_grant *grant)
{
    memset(grant, 0, sizeof *grant);
    *result = GUEST_VERIFY_REFUSED;
    struct db_param p[] = {P_TEXT(email)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT id, guest_id, property_id, code_hash, expires_at, wrong_tries, "
                            "used_at FROM guest_sign_in_codes WHERE email = ? AND "
                            "superseded_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1",
                            p, 1, &rows, NULL);
    if (rc != LU_OK || rows->nrows == 0) {
        db_rows_free(rows);
        return rc;
    }
    bool wrong = false;
    *result = judge(rows, code, now_s, &wrong);
    char now[RFC3339_BYTES];
    clock_format_utc(now_s, now);
    struct db_param u[] = {P_TEXT(now), P_TEXT(db_rows_text(rows, 0, 0))};
    int64_t changed = 0;
    if (wrong) {
        rc = db_exec(conn,
                     "UPDATE guest_sign_in_codes SET wrong_tries = wrong_tries + 1 WHERE id = ?",
                     u + 1, 1, NULL, NULL);
    } else if (*result == GUEST_VERIFY_OK) {
        rc = db_exec(conn,
                     "UPDATE guest_sign_in_codes SET used_at = ? WHERE id = ? AND used_at IS NULL",
                     u, 2, NULL, &changed);
        if (rc == LU_OK && changed != 1) {
            *result = GUEST_VERIFY_REFUSED; /* a concurrent use won */
        }
    }
    if (rc == LU_OK && *result == GUEST_VERIFY_OK) {
        const char *guest_id = db_rows_text(rows, 0, 1);
        rc = token_create(conn, guest_id, db_rows_text(rows, 0, 2), now_s, grant);
        struct db_param g[] = {P_TEXT(guest_id)};
        struct db_rows *guest = NULL;
        if (rc == LU_OK) {
            rc = db_exec(conn, "SELECT id, name FROM guests WHERE id = ?", g, 1, &guest, NULL);
        }
        if (rc == LU_OK && guest->nrows == 1) {
            grant->guest = json_pack("{s:s, s:s}", "id", db_rows_text(guest, 0, 0), "name",
                                     db_rows_text(guest, 0, 1) ? db_rows_text(guest, 0, 1) : "");
            rc = grant->guest ? LU_OK : LU_NOMEM;
        } else if (rc == LU_OK) {
            rc = LU_NOT_FOUND;
        }
        db_rows_free(guest);
    }
    db_rows_free(rows);
    return rc;
}

bool guest_token_shaped(const char *t)
{
    size_t plen = sizeof TOKEN_PREFIX - 1;
    if (t == NULL || strncmp(t, TOKEN_PREFIX, plen) != 0 || strlen(t) != plen + TOKEN_CHARS) {
        return false;
    }
    for (const char *p = t + plen; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '-' || *p == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* Writes last_used_at in its own short transaction; best effort. */
static void token_touch(struct db_conn *conn, const char *id, int64_t now_s)
{
    char now[RFC3339_BYTES];
    clock_format_utc(now_s, now);
    struct db_param p[] = {P_TEXT(now), P_TEXT(id)};
    enum lu_rc rc = db_begin(conn, true);
    if (rc == LU_OK) {
        rc = db_exec(conn, "UPDATE guest_tokens SET last_used_at = ? WHERE id = ?", p, 2, NULL,
                     NULL);
        rc = rc == LU_OK ? db_commit(conn) : rc;
    }
    if (rc != LU_OK) {
        db_rollback(conn); /* only a timestamp for the operator: the request goes on */
    }
}

enum lu_rc guest_token_resolve(struct db *db, const char *token, int64_t now_s,
                               struct guest_identity *out)
{
    memset(out, 0, sizeof *out);
    if (!guest_token_shaped(token)) {
        return LU_UNAUTHORIZED;
    }
    char hash[65];
    sha256_hex(token, NULL, hash);
    struct db_conn *conn = db_acquire(db);
    if (conn == NULL) {
        return LU_UNAVAILABLE;
    }
    struct db_param p[] = {P_TEXT(hash)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT id, token_hash, guest_id, property_id, expires_at, "
                            "revoked_at, last_used_at FROM guest_tokens WHERE token_hash = ?",
                            p, 1, &rows, NULL);
    if (rc == LU_OK) {
        int64_t expires = 0, used = 0;
        const char *stored = rows->nrows == 1 ? db_rows_text(rows, 0, 1) : NULL;
        bool live = stored != NULL && strlen(stored) == 64 &&
                    CRYPTO_memcmp(stored, hash, 64) == 0 && db_rows_text(rows, 0, 5) == NULL &&
                    clock_parse_rfc3339(db_rows_text(rows, 0, 4), &expires) && now_s < expires;
        if (!live) {
            rc = LU_UNAUTHORIZED;
        } else {
            snprintf(out->token_id, sizeof out->token_id, "%s", db_rows_text(rows, 0, 0));
            snprintf(out->guest_id, sizeof out->guest_id, "%s", db_rows_text(rows, 0, 2));
            snprintf(out->property_id, sizeof out->property_id, "%s", db_rows_text(rows, 0, 3));
            snprintf(out->actor, sizeof out->actor, "guest:%s", out->guest_id);
            const char *last = db_rows_text(rows, 0, 6);
            if (last == NULL || !clock_parse_rfc3339(last, &used) ||
                now_s - used >= GUEST_TOKEN_TOUCH_S) {
                token_touch(conn, out->token_id, now_s);
            }
        }
    }
    db_rows_free(rows);
    db_release(conn);
    return rc;
}

static enum lu_rc revoked_audit(struct db_conn *conn, const char *actor, const char *entity_type,
                                const char *entity_id, const char *property_id, int64_t count,
                                const char *now)
{
    json_t *after = json_pack("{s:s, s:I, s:s}", "id", entity_id, "revoked", (json_int_t)count,
                              "revoked_at", now);
    if (after == NULL) {
        return LU_NOMEM;
    }
    struct audit_entry e = {.actor = actor,
                            .action = "guest_token.revoked",
                            .entity_type = entity_type,
                            .entity_id = entity_id,
                            .property_id = property_id,
                            .after = after};
    enum lu_rc rc = audit_append(conn, &e, NULL);
    json_decref(after);
    return rc;
}

enum lu_rc guest_token_revoke(struct db_conn *conn, const char *actor, const char *token_id,
                              int64_t now_s)
{
    char now[RFC3339_BYTES];
    clock_format_utc(now_s, now);
    struct db_param p[] = {P_TEXT(now), P_TEXT(token_id)};
    int64_t changed = 0;
    enum lu_rc rc = db_exec(conn,
                            "UPDATE guest_tokens SET revoked_at = ? WHERE id = ? AND "
                            "revoked_at IS NULL",
                            p, 2, NULL, &changed);
    if (rc != LU_OK) {
        return rc;
    }
    if (changed != 1) {
        return LU_NOT_FOUND;
    }
    struct db_param q[] = {P_TEXT(token_id)};
    struct db_rows *rows = NULL;
    rc = db_exec(conn, "SELECT property_id FROM guest_tokens WHERE id = ?", q, 1, &rows, NULL);
    if (rc == LU_OK) {
        rc = revoked_audit(conn, actor, "guest_token", token_id,
                           rows->nrows ? db_rows_text(rows, 0, 0) : NULL, 1, now);
    }
    db_rows_free(rows);
    return rc;
}

enum lu_rc guest_tokens_revoke_all(struct db_conn *conn, const char *actor, const char *guest_id,
                                   const char *property_id, int64_t now_s, int64_t *count)
{
    char now[RFC3339_BYTES];
    clock_format_utc(now_s, now);
    struct db_param p[] = {P_TEXT(now), P_TEXT(guest_id)};
    *count = 0;
    enum lu_rc rc = db_exec(conn,
                            "UPDATE guest_tokens SET revoked_at = ? WHERE guest_id = ? AND "
                            "revoked_at IS NULL",
                            p, 2, NULL, count);
    if (rc == LU_OK) {
        rc = revoked_audit(conn, actor, "guest", guest_id, property_id, *count, now);
    }
    return rc;
}
