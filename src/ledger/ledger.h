/*
 * ledger.h — payment truth from Stripe's events (SPEC §6), as pure
 * functions: no database, no HTTP, no clock of their own. The store
 * (store/payments.c) and `lucia ledger reconcile` (store/ledger_reconcile.c)
 * call the same functions, so a record rebuilt from the stored events is
 * byte for byte the record the webhook wrote.
 *
 * Events → snapshots. Each Stripe event carries full snapshots of Stripe
 * objects: data.object, plus the refunds a charge embeds. A snapshot is a
 * struct ledger_record of one object as that event saw it.
 *
 * Snapshots → records (ledger_record_merge), order-safe by construction:
 * snapshots of one object are totally ordered by the key
 *     (terminal state, event created, state precedence, event id)
 * and the record takes its state fields (status, amount, currency, failure,
 * metadata) from the greatest snapshot, amount_received and
 * amount_refunded as the largest value seen, links (payment_intent, charge)
 * as the greatest non-empty id seen, object_created as the smallest. Each
 * rule is a maximum, so the record does not depend on the order or the
 * number of deliveries: in order, reversed, shuffled or duplicated, the
 * same events give the same record. A terminal state is therefore never
 * overwritten by a non-terminal one, whatever the timestamps; otherwise the
 * newest event by created wins, ties broken by precedence, then event id.
 *
 *   terminal (SPEC §6): payment intent succeeded, canceled; charge
 *   succeeded, failed; refund succeeded, failed, canceled; dispute won,
 *   lost, warning_closed, prevented; checkout session complete, expired.
 *   precedence, weakest first:
 *   payment intent  requires_payment_method < requires_confirmation <
 *                   requires_action < processing < failed (requires_payment_
 *                   method with last_payment_error) < requires_capture <
 *                   canceled < succeeded
 *   charge          pending < failed < succeeded
 *   refund          pending < requires_action < canceled < succeeded < failed
 *   dispute         warning_needs_response < needs_response <
 *                   warning_under_review < under_review < warning_closed <
 *                   prevented < won < lost
 *   checkout        open < expired < complete (unpaid < no_payment_required
 *                   < paid)
 *
 * Booking link (ledger_bookings_resolve): a record's booking is its own
 * metadata.booking_id, else its payment's: the records sharing a payment
 * intent (or, without one, a charge) form a group, and the group's booking
 * is the first metadata.booking_id among them in the order payment intent,
 * checkout session, charge, refund, dispute (then by id). So a charge, a
 * refund or a dispute follows its payment intent, and a payment intent
 * created by Checkout follows its session. A booking id Lucia does not know
 * is kept as written: the record is stored and reported, never dropped.
 *
 * Money is integer minor units; currencies are lower-case ISO codes.
 */
#ifndef LU_LEDGER_H
#define LU_LEDGER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rc.h"
#include "core/zone.h"

/* Stripe documents its ids as up to 255 characters; a longer one is not
 * Stripe's, and the snapshot carrying it is skipped (the event is still
 * stored). Booking ids in metadata obey the same bound. */
#define LEDGER_ID_BYTES 256
/* Status words, failure codes, dispute reasons: Stripe's longest is
 * "requires_payment_method" (23); 48 leaves room for new ones. */
#define LEDGER_WORD_BYTES 48
/* A failure message is a sentence or two. Longer ones are cut at a UTF-8
 * boundary for display; the stored raw event keeps the whole text. */
#define LEDGER_TEXT_BYTES 512
#define LEDGER_CURRENCY_BYTES 8
/* Event types are "charge.dispute.funds_reinstated"-long. */
#define LEDGER_TYPE_BYTES 96
/* Snapshots one event yields: its object, plus the refunds a charge
 * embeds (Stripe embeds one page, at most 10 by default). */
#define LEDGER_SNAPSHOTS_MAX 32
/* Records one booking's payment truth is computed from. A stay has a
 * handful (a deposit, a balance, a refund); a thousand is a bug upstream. */
#define LEDGER_BOOKING_RECORDS_MAX 1000
/* Risks one booking can raise: one per reason. */
#define LEDGER_RISKS_PER_BOOKING_MAX 6
/* "Due soon" (SPEC §6): check-in or balance_due_on within this many days. */
#define LEDGER_DUE_SOON_DAYS 7
/* The risk detail line. */
#define LEDGER_DETAIL_BYTES 512

enum ledger_kind {
    LEDGER_PAYMENT_INTENT = 0,
    LEDGER_CHECKOUT_SESSION,
    LEDGER_CHARGE,
    LEDGER_REFUND,
    LEDGER_DISPUTE,
    LEDGER_KINDS
};

/* One Stripe object: a record, or one event's snapshot of it. Strings are
 * NUL-terminated; "" means absent. */
struct ledger_record {
    enum ledger_kind kind;
    char id[LEDGER_ID_BYTES];
    char metadata_booking_id[LEDGER_ID_BYTES]; /* the object's own */
    char booking_id[LEDGER_ID_BYTES];          /* resolved (see above) */
    char payment_intent[LEDGER_ID_BYTES];      /* pi_…; a payment intent's is "" */
    char charge[LEDGER_ID_BYTES];              /* refunds and disputes */
    int64_t amount;                            /* amount_total for a session */
    int64_t amount_received;                   /* money in: see ledger.c */
    int64_t amount_refunded;                   /* charges */
    char currency[LEDGER_CURRENCY_BYTES];
    char status[LEDGER_WORD_BYTES];
    char payment_status[LEDGER_WORD_BYTES]; /* checkout sessions */
    char failure_code[LEDGER_WORD_BYTES];
    char failure_message[LEDGER_TEXT_BYTES];
    char reason[LEDGER_WORD_BYTES]; /* disputes */
    int64_t object_created;         /* the object's own created, 0 if unknown */
    int64_t status_created;         /* created of the event whose snapshot won */
    char status_event_id[LEDGER_ID_BYTES];
};

/* A parsed event. root is owned (ledger_event_free); object borrows it. */
struct ledger_event {
    char id[LEDGER_ID_BYTES];
    char type[LEDGER_TYPE_BYTES];
    int64_t created;
    bool livemode;
    char api_version[LEDGER_WORD_BYTES];
    char object_id[LEDGER_ID_BYTES];     /* data.object.id, "" when none */
    char object_type[LEDGER_WORD_BYTES]; /* data.object.object */
    json_t *root;
    const json_t *object;
};

/*
 * Parses an event body (borrowed; need not be NUL-terminated). Needs id (a
 * string), type (a string), created (an integer) and data.object (an
 * object). LU_INVALID with *why set to a static sentence otherwise; on
 * LU_OK *out owns root: ledger_event_free.
 */
enum lu_rc ledger_event_parse(const char *body, size_t len, struct ledger_event *out,
                              const char **why);
void ledger_event_free(struct ledger_event *ev);

/* True for the event types that change records (the rest are stored and
 * acknowledged only): SPEC §6's list plus the other snapshots of the same
 * objects (payment_intent.created, charge.failed, refund.*, …). */
bool ledger_event_type_folds(const char *type);

/*
 * The snapshots ev carries, at most cap, written to out in a fixed order
 * (the object, then embedded refunds in list order). Objects of another
 * kind, or with an over-long id, are skipped. Returns the count.
 */
size_t ledger_event_snapshots(const struct ledger_event *ev, struct ledger_record *out, size_t cap);

/* Folds snap into rec (same id). fresh: rec is empty and becomes snap.
 * Returns true when rec changed. A snapshot of another kind is ignored. */
bool ledger_record_merge(struct ledger_record *rec, bool fresh, const struct ledger_record *snap);

/* True when the record's status is terminal for its kind. */
bool ledger_record_terminal(const struct ledger_record *rec);

/* Sets booking_id on each of the n records from its own metadata or its
 * group's (see above). Looks only within recs, which must hold whole
 * groups. *changed (may be NULL) gets how many booking_id values changed.
 * LU_NOMEM when its index cannot be allocated (recs untouched). */
enum lu_rc ledger_bookings_resolve(struct ledger_record *recs, size_t n, size_t *changed);

/* The key of recs[i]'s group: its payment intent's id, else (through the
 * charge record in recs, when there is one) its charge's payment intent,
 * else its charge's id, else its own id. Borrowed from recs. */
const char *ledger_group_key(const struct ledger_record *recs, size_t n, size_t i);

/* Compares every field. On a difference writes the first differing
 * field's name and both values into out (cap bytes) and returns false. */
bool ledger_record_same(const struct ledger_record *a, const struct ledger_record *b, char *out,
                        size_t cap);

const char *ledger_kind_name(enum ledger_kind kind); /* "payment_intent", … */
bool ledger_kind_parse(const char *name, enum ledger_kind *out);

/* --- a booking's payment truth ------------------------------------------ */

/*
 * Per payment (a payment intent with its charges, refunds and checkout
 * session; or a lone charge), in the booking's currency only:
 *   received = max(intent amount_received, sum of succeeded charges'
 *              captured amount, sum of paid sessions' amount_total)
 *   refunded = max(sum of charges' amount_refunded, sum of refunds
 *              pending, requiring action or succeeded)
 * so a payment seen through several objects is counted once. Then
 *   paid = received - refunded, open = max(total - paid, 0), and status:
 *   disputed        a dispute is open (it wins over the rest);
 *   unpaid          nothing received;
 *   refunded        everything received was refunded;
 *   overpaid        paid > total;
 *   paid            paid == total;
 *   partially_paid  otherwise (a partial refund lands here).
 */
struct ledger_summary {
    int64_t total_cents;
    int64_t received_cents;
    int64_t refunded_cents;
    int64_t paid_cents;
    int64_t open_cents;
    const char *status; /* static */
    /* What the risks read selects candidates by (store/payments.c keeps
     * them per booking): disputes not yet closed, refunds pending or
     * requiring action, and whether the newest attempt failed (see
     * ledger_risks_of), whatever the currency. */
    int64_t disputes_open;
    int64_t refunds_pending;
    bool attempt_failed;
};
void ledger_summary_compute(int64_t total_cents, const char *currency,
                            const struct ledger_record *recs, size_t n, struct ledger_summary *out);

/* --- risks ----------------------------------------------------------------- */

/* Most severe first; the order of this enum is the order of the list. */
enum ledger_risk_reason {
    RISK_DISPUTE_OPEN = 0, /* money is being clawed back; evidence is due */
    RISK_PAYMENT_FAILED,   /* the last attempt failed and the balance is open */
    RISK_BALANCE_OVERDUE,  /* the balance was due before today */
    RISK_BALANCE_DUE_SOON, /* due within LEDGER_DUE_SOON_DAYS */
    RISK_OVERPAID,         /* the guest's money must go back */
    RISK_REFUND_PENDING,   /* money on its way back; watch it land */
    RISK_REASONS
};
const char *ledger_risk_reason_name(enum ledger_risk_reason r);

/* The booking fields risks are judged on (all borrowed). */
struct ledger_booking {
    const char *id;
    const char *guest_name;
    const char *status;         /* requested, confirmed, …, cancelled */
    const char *check_in;       /* YYYY-MM-DD, the property's calendar */
    const char *balance_due_on; /* YYYY-MM-DD or NULL */
    const char *currency;
    int64_t total_cents;
};

struct ledger_risk {
    enum ledger_risk_reason reason;
    char booking_id[LEDGER_ID_BYTES];
    char guest_name[256];
    int64_t amount_cents;
    char currency[LEDGER_CURRENCY_BYTES];
    int64_t since; /* Unix seconds */
    char detail[LEDGER_DETAIL_BYTES];
};

/*
 * The current risks of one booking at instant now_s, judged in zone z (the
 * property's), written to out (room for LEDGER_RISKS_PER_BOOKING_MAX).
 * The rules, with today = the date of now_s in z and the deadline =
 * balance_due_on, else check_in, and "open" = the summary's open_cents > 0:
 *   dispute_open      disputes not yet closed; amount: theirs (summed);
 *                     since: the oldest one's creation.
 *   payment_failed    open, and the newest attempt (payment intent, or a
 *                     charge without one, by the time of its winning event)
 *                     failed; amount: that attempt's; since: its failure.
 *   balance_overdue   open and deadline < today; amount: open; since: the
 *                     start of the day after the deadline.
 *   balance_due_soon  open, not overdue, and check_in or balance_due_on in
 *                     [today, today + 7 days]; amount: open; since: the
 *                     start of that date minus 7 days.
 *   overpaid          paid > total; amount: the excess; since: the newest
 *                     money record's winning event.
 *   refund_pending    refunds pending or requiring action; amount: theirs
 *                     (summed); since: the oldest one's creation.
 * One risk per reason and booking; reasons are independent (a failed
 * attempt on a balance due in three days is both payment_failed and
 * balance_due_soon: every current risk is listed). A cancelled booking owes
 * nothing: only dispute_open and refund_pending apply to it. Returns the
 * count.
 */
size_t ledger_risks_of(const struct ledger_booking *b, const struct ledger_record *recs, size_t n,
                       const struct zone *z, int64_t now_s, struct ledger_risk *out);

/*
 * ledger_risks_of for a booking whose records raise no dispute_open,
 * refund_pending, payment_failed or overpaid risk — its summary has no
 * open dispute, no pending refund, no failed last attempt and paid_cents
 * <= total — judged from paid_cents alone (the summary's, in the booking's
 * currency): balance_overdue or balance_due_soon, or nothing. The same
 * rules and words as ledger_risks_of, which it equals for such a booking.
 */
size_t ledger_balance_risks_of(const struct ledger_booking *b, int64_t paid_cents,
                               const struct zone *z, int64_t now_s, struct ledger_risk *out);

/* Sorts most severe first: reason (the enum's order), then since (oldest
 * first), then amount (largest first), then booking id, then detail. */
void ledger_risks_sort(struct ledger_risk *risks, size_t n);

/* "EUR 1,234.56" (or "JPY 1,234" for zero-decimal currencies) into out. */
void ledger_money_format(int64_t minor, const char *currency, char *out, size_t cap);

#endif
