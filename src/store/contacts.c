/*
 * contacts.c — which guest a phone number or email belongs to, and that
 * guest's current or next booking (see messages.h). Called by intake for
 * every inbound message, inside its write transaction.
 *
 * Guests are stored with E.164 phones and lower-case emails
 * (store/guests.c), so a contact matches by plain equality.
 *
 * The stay, judged on the property's own calendar day ("today"):
 *  - current: status checked_in (whatever the dates: an overstay is still
 *    in the house), or requested/confirmed with check_in <= today <=
 *    check_out (the departure day still counts: guests write on their way
 *    out). Among several, checked_in first, then the earliest check_in.
 *  - next: requested/confirmed with check_in after today; the earliest.
 *  Cancelled and checked-out bookings never link.
 *
 * Several guests with one contact (the same person booked in two
 * properties, or a shared family phone): the guest with a current stay
 * wins, else the one whose next stay begins soonest, else — nobody has a
 * stay — the most recently created guest record (ids sort by creation
 * time). Ties keep the most recently created guest. Only the newest
 * INTAKE_LINK_GUESTS_MAX guests with the contact are ranked.
 */
#include <stdio.h>
#include <string.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/limits.h"
#include "core/zone.h"
#include "store/messages.h"

/* How a guest ranks: lower is better. */
enum stay_rank { STAY_CURRENT = 0, STAY_NEXT = 1, STAY_NONE = 2 };

struct candidate {
    enum stay_rank rank;
    char key[ZONE_DATE_BYTES + 2]; /* orders candidates of one rank */
    char booking_id[ID_BYTES_MAX];
};

/* Today's date in the property's zone; UTC's when the zone cannot be read
 * (a property's zone was validated when it was set, so this is rare). */
static void today_in(const char *zone_name, int64_t now_s, char out[ZONE_DATE_BYTES])
{
    struct zone *z = NULL;
    if (zone_name != NULL && zone_open(zone_name, &z) == LU_OK) {
        zone_date_of(z, now_s, out);
        zone_close(z);
        return;
    }
    char stamp[RFC3339_BYTES];
    clock_format_utc(now_s, stamp);
    snprintf(out, ZONE_DATE_BYTES, "%.10s", stamp);
}

/* The guest's best stay: fills c from the bookings that can still link. */
static enum lu_rc stay_of(struct db_conn *conn, const char *guest_id, const char *today,
                          struct candidate *c)
{
    struct db_param p[] = {P_TEXT(guest_id), P_TEXT(today), P_INT(INTAKE_LINK_BOOKINGS_MAX)};
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn,
                            "SELECT id, check_in, check_out, status FROM bookings "
                            "WHERE guest_id = ? AND (status = 'checked_in' OR "
                            "(status IN ('requested', 'confirmed') AND check_out >= ?)) "
                            "ORDER BY check_in, id LIMIT ?",
                            p, 3, &rows, NULL);
    if (rc != LU_OK) {
        db_rows_free(rows);
        return rc;
    }
    c->rank = STAY_NONE;
    c->key[0] = '\0';
    c->booking_id[0] = '\0';
    /* Rows come earliest check_in first, so the first of a rank is its best. */
    for (size_t r = 0; r < rows->nrows; r++) {
        const char *check_in = db_rows_text(rows, r, 1);
        const char *status = db_rows_text(rows, r, 3);
        bool in_house = strcmp(status, "checked_in") == 0;
        enum stay_rank rank = in_house || strcmp(check_in, today) <= 0 ? STAY_CURRENT : STAY_NEXT;
        /* Within current stays a checked-in one sorts first ("0…"). */
        char key[sizeof c->key];
        snprintf(key, sizeof key, "%c%s", rank == STAY_CURRENT && in_house ? '0' : '1',
                 check_in);
        if (c->booking_id[0] == '\0' || rank < c->rank ||
            (rank == c->rank && strcmp(key, c->key) < 0)) {
            c->rank = rank;
            snprintf(c->key, sizeof c->key, "%s", key);
            snprintf(c->booking_id, sizeof c->booking_id, "%s", db_rows_text(rows, r, 0));
        }
    }
    db_rows_free(rows);
    return LU_OK;
}

static bool better(const struct candidate *a, const struct candidate *b)
{
    if (a->rank != b->rank) {
        return a->rank < b->rank;
    }
    return strcmp(a->key, b->key) < 0; /* strict: a tie keeps b, the newer guest */
}

enum lu_rc store_contact_link(struct db_conn *conn, const char *phone, const char *email,
                              int64_t now_s, struct contact_link *out)
{
    LU_ASSERT((phone == NULL) != (email == NULL));
    memset(out, 0, sizeof *out);
    struct db_param p[] = {P_TEXT(phone ? phone : email), P_INT(INTAKE_LINK_GUESTS_MAX)};
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT g.id, g.property_id, p.time_zone FROM guests g "
             "JOIN properties p ON p.id = g.property_id WHERE g.%s = ? "
             "ORDER BY g.id DESC LIMIT ?",
             phone ? "phone" : "email");
    struct db_rows *rows = NULL;
    enum lu_rc rc = db_exec(conn, sql, p, 2, &rows, NULL);
    if (rc != LU_OK) {
        db_rows_free(rows);
        return rc;
    }
    struct candidate best = {.rank = STAY_NONE};
    bool found = false;
    for (size_t r = 0; rc == LU_OK && r < rows->nrows; r++) {
        char today[ZONE_DATE_BYTES];
        today_in(db_rows_text(rows, r, 2), now_s, today);
        struct candidate c;
        rc = stay_of(conn, db_rows_text(rows, r, 0), today, &c);
        if (rc == LU_OK && (!found || better(&c, &best))) {
            found = true;
            best = c;
            snprintf(out->guest_id, sizeof out->guest_id, "%s", db_rows_text(rows, r, 0));
            snprintf(out->property_id, sizeof out->property_id, "%s", db_rows_text(rows, r, 1));
            snprintf(out->booking_id, sizeof out->booking_id, "%s", c.booking_id);
        }
    }
    db_rows_free(rows);
    if (rc == LU_OK && !found) {
        rc = LU_NOT_FOUND;
    }
    return rc;
}
