/*
 * limits.h — every limit Lucia enforces, in one place, each with its reason.
 *
 * Hitting a limit gives a clear 413, 422 or 503, never silent truncation.
 */
#ifndef LU_LIMITS_H
#define LU_LIMITS_H

/* SPEC §3: request bodies over 1 MiB are refused with 413. No operator or
 * webhook payload we accept comes near this. */
#define HTTP_BODY_BYTES_MAX (1024 * 1024)

/* SPEC §3: header blocks over 16 KiB are refused with 431. Counted as the
 * sum of names and values, which is what a proxy would count. */
#define HTTP_HEADER_BYTES_MAX (16 * 1024)

/* libmicrohttpd's per-connection buffer. It must exceed the header limit so
 * that our own JSON 431 answers before the library's HTML one does. No more
 * than that: libmicrohttpd 0.9.75 zeroes the whole buffer after every
 * request, so its size is paid per request (64 KiB cost 27% of a GET
 * /health's instructions) and every connection that answered once keeps it
 * resident (1,000 keep-alive connections: 75 MiB at 64 KiB, 52 at 40). */
#define HTTP_CONNECTION_MEMORY_BYTES (40 * 1024)
_Static_assert(HTTP_CONNECTION_MEMORY_BYTES > 2 * HTTP_HEADER_BYTES_MAX,
               "the connection buffer must hold more than the header limit");

/* An idle keep-alive connection is closed after this long; a slow client
 * cannot hold a worker forever. */
#define HTTP_CONNECTION_TIMEOUT_S 30

/* More simultaneous connections than this are refused at accept. */
#define HTTP_CONNECTIONS_MAX 4096

/* Graceful SIGTERM: in-flight requests get at most this long. SPEC §9. */
#define HTTP_DRAIN_TIMEOUT_MS 10000

/* Path parameters a route pattern may have, and routes in the table. */
#define ROUTE_PARAMS_MAX 4
#define ROUTES_MAX 128

/* X-Request-Id echoed from a client: longer or odd ones are replaced. */
#define REQUEST_ID_BYTES_MAX 128

/* Lists: SPEC §3. */
#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 500

/* Text fields: a property's or guest's name, an item title. Long enough for
 * any real name, short enough that a list of 500 stays small. */
#define NAME_BYTES_MAX 200
#define TEXT_BYTES_MAX 10000

/* Rows one query may materialise; lists ask for at most LIST_LIMIT_MAX + 1. */
#define DB_ROWS_MAX 100000

/* SQLite waits this long for a lock before the request answers 503. */
#define DB_BUSY_TIMEOUT_MS 5000

/* Connections kept per process (LUCIA_DB_POOL bounds it). */
#define DB_POOL_MAX 64

/* HTTP worker threads (LUCIA_THREADS): at most THREADS_MAX; by default 4
 * per core and at least THREADS_DEFAULT_MIN (core/config.c). */
#define THREADS_MAX 64
#define THREADS_DEFAULT_MIN 16

/* Prepared statements kept per SQLite connection (db_sqlite.c). Lucia's
 * store has a few dozen distinct statements; 64 holds every hot one, and a
 * statement evicted is only prepared again. */
#define DB_STATEMENTS_CACHED_MAX 64

/* SQLite group commit (db_sqlite.c): requests whose savepoints share one
 * COMMIT, and so one fsync. A batch commits as soon as no other request is
 * waiting to write; under a steady stream of writers it stops growing here,
 * which bounds the wait of its first member to this many requests' work. */
#define DB_GROUP_COMMIT_MAX 64

/* JSON nesting accepted in request bodies; jansson recurses per level. */
#define JSON_DEPTH_MAX 32

/* --- the key-value store (src/kv/): Redis and its embedded fallbacks ---- */

/* Redis answers a healthy command in well under a millisecond on a LAN; a
 * half-second means it is down or drowning, and a request should fall back
 * rather than wait. Connect and each command get this long. */
#define KV_REDIS_CONNECT_TIMEOUT_MS 500
#define KV_REDIS_COMMAND_TIMEOUT_MS 500

/* After a failure, Redis is retried by one caller after 100 ms, doubling to
 * 5 s: a dead Redis costs one failed attempt per period, not a timeout per
 * request, and a returning Redis is noticed within 5 s. */
#define KV_REDIS_BACKOFF_INITIAL_MS 100
#define KV_REDIS_BACKOFF_MAX_MS 5000
_Static_assert(KV_REDIS_BACKOFF_INITIAL_MS <= KV_REDIS_BACKOFF_MAX_MS, "backoff must grow");

/* Pooled Redis connections per process: one per HTTP worker is enough,
 * because a handler uses at most one at a time; LUCIA_THREADS is at most 64,
 * plus two spare for other threads. A caller finding them all busy waits
 * this long, then falls back. */
#define KV_REDIS_POOL_MAX 66
#define KV_REDIS_ACQUIRE_WAIT_MS 500

/* LUCIA_REDIS_PREFIX: long enough for "tenant-name:env:", short enough that
 * every key fits KV_KEY_BYTES_MAX with room for its parts. */
#define KV_PREFIX_BYTES_MAX 64
#define KV_KEY_BYTES_MAX 1024

/* A value read back from Redis larger than this is not ours (ours are a
 * session state or one write response); it is ignored as a miss. */
#define KV_VALUE_BYTES_MAX (HTTP_BODY_BYTES_MAX + 4096)

/* Session continuity (SPEC §8): ids are ses_… strings; the state is a small
 * object (distress flag, last route, offered item), so 64 KiB is generous
 * and a bug that grows it unbounded fails loudly with LU_TOO_LARGE. */
#define KV_SESSION_ID_BYTES_MAX 128
#define KV_SESSION_STATE_BYTES_MAX (64 * 1024)

/* Expired session rows are deleted at most this often per process, in the
 * same call as a save, so the table stays the size of live sessions. */
#define KV_SESSION_PURGE_INTERVAL_S 60

/* Session writes that could not reach Redis are remembered so their stale
 * Redis copies are deleted when Redis returns. Past this many, the whole
 * session key space under the prefix is scanned and cleared instead, in at
 * most KV_SCAN_ROUNDS_MAX SCAN calls. */
#define KV_STALE_KEYS_MAX 1024
#define KV_SCAN_ROUNDS_MAX 10000

/* The in-process rate-limit table used without Redis: 10,000 buckets of a
 * client address each is far more distinct clients per minute than a small
 * property sees; past it, the least recently hit bucket is evicted. A bucket
 * name holds a purpose and an IPv6 address with room to spare. */
#define KV_RATE_BUCKETS_MAX 10000
#define KV_RATE_BUCKET_BYTES_MAX 128

/* --- the outbox (src/outbox/): durable outbound email, SMS and WhatsApp -- */

/* SPEC §7: at most 8 attempts; the first retry waits LUCIA_OUTBOX_BACKOFF_MS
 * (default 1 s), each later one twice as long plus up to a quarter more of
 * jitter, never more than 10 minutes. Eight attempts at the default span
 * about two minutes, long enough to ride out a provider's blip, short
 * enough that an operator learns of a real failure the same hour. */
#define OUTBOX_ATTEMPTS_MAX 8
#define OUTBOX_BACKOFF_MS_DEFAULT 1000
#define OUTBOX_BACKOFF_MAX_MS (10 * 60 * 1000)

/* A provider's Retry-After is honoured up to an hour: longer than any rate
 * limit Resend or Twilio documents, short enough that a bogus value cannot
 * park a row for days. */
#define OUTBOX_RETRY_AFTER_MAX_S 3600

/* One provider call: a TCP/TLS connect gets 5 s, the whole call
 * LUCIA_OUTBOX_TIMEOUT_MS (default 15 s: both providers answer in well
 * under a second when healthy, and the call is made from the worker, never
 * from a request). */
#define OUTBOX_CONNECT_TIMEOUT_MS 5000
#define OUTBOX_TIMEOUT_MS_DEFAULT 15000
#define OUTBOX_TIMEOUT_MS_MIN 100
#define OUTBOX_TIMEOUT_MS_MAX 120000

/* A claimed row is leased for the call's timeout plus this margin, which
 * covers recording the result (a PostgreSQL call may take 7 s before the
 * driver gives up). A row still `sending` past its lease belonged to a
 * process that died mid-send, and is sent again (see src/outbox/outbox.c). */
#define OUTBOX_LEASE_MARGIN_MS 10000

/* An idle worker looks for due rows (another process's, or retries coming
 * due) at least this often; a row queued in this process wakes it at once.
 * It never waits less than the floor, so a clock step cannot make it spin. */
#define OUTBOX_POLL_MS 1000
#define OUTBOX_IDLE_MIN_MS 10

/* After a database error the worker waits this long before trying again. */
#define OUTBOX_DB_RETRY_MS 1000

/* A provider's answer is JSON of a few hundred bytes; past 64 KiB it is not
 * an answer we understand, and the call is treated as failed (retryable). */
#define OUTBOX_RESPONSE_BYTES_MAX (64 * 1024)

/* The error kept on a row: the status and the provider's message, cut
 * here, with every configured secret removed first. */
#define OUTBOX_ERROR_BYTES_MAX 400

/* A payload (subject and text of an email, or an SMS body) is built by
 * Lucia from bounded parts; this only catches our own bugs. */
#define OUTBOX_PAYLOAD_BYTES_MAX (64 * 1024)

/* An outbound SMS or WhatsApp body: Twilio refuses more than 1600
 * characters, so Lucia refuses it first with a 400 that names the field. */
#define MESSAGE_BODY_BYTES_MAX 1600

/* WhatsApp's customer-service window (SPEC §7): a free-form message may be
 * sent within 24 hours of the guest's last inbound WhatsApp message. */
#define WHATSAPP_WINDOW_S (24 * 3600)

/* POST /api/waitlist: 10 a minute per client address (SPEC §4). A name
 * and a source are short labels. */
#define WAITLIST_RATE_LIMIT 10
#define WAITLIST_RATE_WINDOW_S 60
#define WAITLIST_SOURCE_BYTES_MAX 100

/* Email verification links live 24 hours and work once; the token is 32
 * random bytes (256 bits), and only its SHA-256 is stored. */
#define VERIFY_TOKEN_TTL_S (24 * 3600)
#define VERIFY_TOKEN_BYTES 32

/* --- the guest agent (src/guest/, SPEC §8b) ------------------------------ */

/* A sign-in code is six digits that live 10 minutes (LUCIA_GUEST_CODE_TTL_
 * SECONDS may shorten it for tests) and lock after 5 wrong tries: 5 guesses
 * in 10^6 per code is a 1-in-200,000 chance. */
#define GUEST_CODE_TTL_S_DEFAULT 600
#define GUEST_CODE_WRONG_TRIES_MAX 5
/* Sign-in requests: per client address GUEST_SIGNIN_RATE_LIMIT_DEFAULT a
 * minute (LUCIA_GUEST_SIGNIN_RATE_LIMIT), the same for verifications; per
 * email 5 codes in 15 minutes, so nobody floods a guest's inbox. */
#define GUEST_SIGNIN_RATE_LIMIT_DEFAULT 10
#define GUEST_SIGNIN_RATE_WINDOW_S 60
#define GUEST_EMAIL_RATE_LIMIT 5
#define GUEST_EMAIL_RATE_WINDOW_S (15 * 60)
/* A guest token is "gtk_" and 32 random bytes as 43 base64url characters;
 * it lives 7 days, and only its SHA-256 is stored. Its last use is written
 * at most every GUEST_TOKEN_TOUCH_S, so reads do not each cost a write. */
#define GUEST_TOKEN_BYTES 32
#define GUEST_TOKEN_TTL_S (7 * 86400)
#define GUEST_TOKEN_TOUCH_S 300
/* Bookings and items one guest's answers read: a guest has a few stays and
 * a few dozen requests; past this the lists say they were cut. */
#define GUEST_BOOKINGS_MAX 50
#define GUEST_ITEMS_MAX 200
/* Items a my_requests reply lists, newest first. */
#define GUEST_REPLY_ITEMS_MAX 10
/* Guest check-in and check-out times when the property records none
 * (the schema keeps dates only): 16:00 and 10:00 local. */
#define GUEST_CHECK_IN_TIME "4:00 PM"
#define GUEST_CHECK_OUT_TIME "10:00 AM"

/* --- intake (src/intake/): inbound Twilio and Postmark webhooks ---------- */

/* A Twilio message webhook carries about 25 parameters plus two per media
 * item; 128 leaves room for WhatsApp's extras and fields Twilio adds later.
 * A form with more is not Twilio's and is refused (413) before anything is
 * hashed or stored. */
#define INTAKE_FORM_PARAMS_MAX 128

/* Twilio sends at most 10 media items with one MMS (one on WhatsApp). */
#define INTAKE_MEDIA_MAX 10

/* Postmark posts attachments inline as base64: a photo or two of a leak is
 * several MiB, and a 413 would lose the guest's email once Postmark stops
 * retrying. 15 MiB stays below server.c's 16 MiB discard ceiling, so a
 * larger body still gets a clean 413. */
#define INTAKE_POSTMARK_BODY_BYTES_MAX (15 * 1024 * 1024)

/* Attachments described per email (names, types and sizes only). A
 * Postmark email within the body cap never comes near it; more is 413. */
#define INTAKE_ATTACHMENTS_MAX 100

/* Stored message text. An email's TextBody may carry a long quoted
 * history; past 256 KiB the text is cut at a character boundary and ends
 * with a visible "[truncated by Lucia]" marker (the provider keeps the
 * original). An SMS is at most 1600 characters. */
#define INTAKE_BODY_BYTES_MAX (256 * 1024)

/* Addresses (a To header may list several) and subjects are cut, with
 * "…", past these; no real address or subject comes near. */
#define INTAKE_ADDRESS_BYTES_MAX 1000
#define INTAKE_SUBJECT_BYTES_MAX 1000

/* A provider's message id: Twilio's MessageSid is 34 characters, Postmark's
 * MessageID a 36-character UUID. Longer is not theirs (400). */
#define INTAKE_PROVIDER_ID_BYTES_MAX 128

/* An email's Message-ID, In-Reply-To and each id in References: RFC 5322
 * caps a line at 998 characters. Longer ids are ignored for threading. */
#define INTAKE_EMAIL_ID_BYTES_MAX 998

/* Ids followed from one References header, newest first: a reply chain
 * longer than 50 messages still names its recent ancestors first. */
#define INTAKE_REFERENCES_MAX 50

/* Guests one phone or email may match across properties. The newest 20
 * are ranked (link.c); a contact shared by more guests than that is a
 * data-entry problem, not a guest. */
#define INTAKE_LINK_GUESTS_MAX 20

/* Bookings of one guest looked at to find the current or next stay. */
#define INTAKE_LINK_BOOKINGS_MAX 50

/* An email with no In-Reply-To/References match joins the sender's most
 * recent email thread if it moved in the last 14 days: about the span of
 * a stay and its run-up; after a longer silence a new email is a new
 * conversation. */
#define INTAKE_EMAIL_THREAD_OPEN_DAYS 14

/* A triaged item's title: the start of the guest's words, cut at a word
 * boundary with "…"; short enough for a list row, long enough to say what
 * is wrong. The whole message goes into details (up to TEXT_BYTES_MAX). */
#define INTAKE_TITLE_BYTES_MAX 80
_Static_assert(INTAKE_TITLE_BYTES_MAX < NAME_BYTES_MAX, "a title must fit an item title");

/* Triage reads the subject and the first 8 KiB of the text: the guest's
 * request is at the top, and an old request in quoted history below must
 * not raise a second item. */
#define INTAKE_TRIAGE_SCAN_BYTES 8192

/* Headers of one email looked through for Message-ID, In-Reply-To and
 * References; Postmark lists a few dozen. */
#define INTAKE_EMAIL_HEADERS_MAX 500

/* --- operator focus (src/focus/, SPEC §8) ------------------------------- */

/* SPEC §8: a message is 1 to 2000 characters (code points, not bytes). */
#define FOCUS_MESSAGE_CHARS_MAX 2000

/* Routing reads at most this many words: the features of a real operator
 * message are in its first sentences, and the cost stays fixed. */
#define FOCUS_TOKENS_MAX 256
#define FOCUS_TOKEN_BYTES 40

/* Items a triage answer lists: a person acts on a handful at a time, and
 * "what else" pages through the rest. A distressed session gets one. */
#define FOCUS_TRIAGE_ITEMS_MAX 5

/* Items a concierge or maintenance answer lists before saying how many
 * more there are; payment risks are always listed whole (SPEC §8). */
#define FOCUS_LIST_ITEMS_MAX 20

/* Open items, stays and risks read for one answer. A boutique operation has
 * dozens; past this the answer says the list was cut. */
#define FOCUS_FACT_ROWS_MAX 2000

/* SPEC §8: the model may reword within 3 s, else the rule reply goes out. */
#define FOCUS_MODEL_TIMEOUT_MS 3000
/* A model answer larger than this is not a short reply: discarded. */
#define FOCUS_MODEL_REPLY_BYTES_MAX (64 * 1024)

/* Turns one session keeps; a longer conversation starts a new session
 * (422), so a transcript read stays bounded. */
#define FOCUS_SESSION_TURNS_MAX 1000

/* malloc arenas of a serving process: one per core, at least this many
 * (src/main.c memory_tune). */
#define MALLOC_ARENAS_MIN 2

/* Ids remembered as already given in one offer chain ("next" skips them). */
#define FOCUS_OFFER_GIVEN_MAX 64

#endif
