#!/usr/bin/env python3
"""load.py — fills a running Lucia with a benchmark dataset through its API.

bench/run calls it after `lucia demo` (×1) or after `lucia demo --force`
ran N times (×N): it adds guests, bookings and items spread over the demo's
properties, and — when POST /webhooks/stripe exists — signed Stripe events
for those bookings. Everything goes through the real HTTP write path, so
every record has its audit event, the audit chain stays valid (bench/run
checks it with `lucia audit verify`) and every 2xx was committed.

It also writes what the wrk scripts need into OUT:
  items.ids        requested items (transition targets), one id a line
  item.id          one item id, for GET /api/items/{id}
  property.id      one property id, for POST /api/items bodies

and, with `stripe-pool`, a pool of freshly signed unique events for the
webhook scenario (signatures are only valid for the tolerance window, so
bench/run makes the pool right before it is used).

Bounded: a worker count, a request cap per phase and a deadline; it stops at
the deadline and says how far it got. Loopback only (the URL is checked).
Standard library only, like the end-to-end tests.
"""
import argparse
import hashlib
import hmac
import http.client
import json
import multiprocessing
import os
import random
import sys
import time
import urllib.parse

REQUESTS_MAX = 2_000_000  # a cap on any one phase, whatever the arguments say
WORKERS_MAX = 64
STRIPE_POOL_MAX = 2_000_000
EVENTS_PER_BOOKING = 10


def log(msg):
    sys.stderr.write("load: %s\n" % msg)
    sys.stderr.flush()


def loopback(url):
    u = urllib.parse.urlparse(url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("load: refusing a non-loopback URL: %s" % url)
    return u.hostname, u.port or 80


class Client:
    """One keep-alive connection; reconnects once on a dropped socket."""

    def __init__(self, url, key):
        self.host, self.port = loopback(url)
        self.key = key
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        data = None if body is None else (body if isinstance(body, bytes)
                                          else json.dumps(body).encode())
        h = {"Content-Type": "application/json"}
        if self.key:
            h["Authorization"] = "Bearer " + self.key
        h.update(headers or {})
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                raw = r.read()
                return r.status, raw
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def json(self, method, path, body=None):
        status, raw = self.request(method, path, body)
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None


# --- parallel phases -------------------------------------------------------
# Each worker process gets a slice of the jobs and its own connection; a job
# is (method, path, body); the result is the created record's id or None.
_client = None
_deadline = 0.0


def _init(url, key, deadline):
    global _client, _deadline
    _client = Client(url, key)
    _deadline = deadline


def _run_slice(jobs):
    out = []
    errors = {}
    for method, path, body, headers in jobs:
        if time.monotonic() > _deadline:
            out.append(None)
            continue
        status, raw = _client.request(method, path, body, headers)
        if 200 <= status < 300:
            try:
                out.append(json.loads(raw).get("id"))
            except (ValueError, AttributeError):
                out.append("")
        else:
            errors[status] = errors.get(status, 0) + 1
            out.append(None)
    return out, errors


def run_phase(name, jobs, url, key, workers, deadline):
    """Runs jobs in parallel; returns the ids in job order (None = failed)."""
    jobs = jobs[:REQUESTS_MAX]
    if not jobs:
        return []
    t0 = time.monotonic()
    chunk = 200
    slices = [jobs[i:i + chunk] for i in range(0, len(jobs), chunk)]
    ids = []
    errors = {}
    with multiprocessing.Pool(workers, initializer=_init, initargs=(url, key, deadline)) as pool:
        for out, errs in pool.imap(_run_slice, slices):
            ids.extend(out)
            for k, v in errs.items():
                errors[k] = errors.get(k, 0) + v
    ok = sum(1 for i in ids if i is not None)
    dt = time.monotonic() - t0
    log("%-8s %6d of %6d in %5.1fs (%.0f/s)%s" % (
        name, ok, len(jobs), dt, ok / dt if dt > 0 else 0,
        "; errors by status %s" % errors if errors else ""))
    if time.monotonic() > deadline:
        log("deadline reached: the dataset is smaller than asked")
    return ids


# --- the dataset -------------------------------------------------------------
def properties(client):
    ids = []
    after = None
    for _ in range(10_000):  # pages of 500: far more than any dataset here
        path = "/api/properties?limit=500" + ("&after=" + after if after else "")
        status, page = client.json("GET", path)
        if status != 200:
            raise SystemExit("load: GET /api/properties answered %d" % status)
        ids += [(p["id"], p.get("time_zone")) for p in page["data"]]
        if not page.get("has_more"):
            break
        after = page["next"]
    return ids


def day(offset):
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + offset * 86400))


def stamp(offset_s):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset_s))


def guest_jobs(props, n, rnd):
    jobs = []
    for i in range(n):
        pid = props[i % len(props)][0]
        body = {"property_id": pid, "name": "Bench Guest %d" % i,
                "email": "guest%d@bench.example" % i, "phone": "+1415555%04d" % (i % 10000)}
        jobs.append(("POST", "/api/guests", body, None))
    return jobs


def booking_jobs(props, guests, rnd):
    jobs = []
    for i, (gid, pid) in enumerate(guests):
        start = rnd.randint(-30, 60)
        nights = rnd.randint(2, 10)
        body = {"property_id": pid, "guest_id": gid, "check_in": day(start),
                "check_out": day(start + nights), "total_cents": rnd.randint(50, 900) * 1000,
                "currency": "eur" if i % 2 else "usd",
                "balance_due_on": day(start - 14) if i % 3 else None}
        jobs.append(("POST", "/api/bookings", body, None))
    return jobs


KINDS = ("concierge", "maintenance", "task")
PRIORITIES = ("low", "normal", "normal", "high", "urgent")


def item_jobs(props, bookings, n, rnd):
    jobs = []
    for i in range(n):
        body = {"kind": KINDS[i % 3], "title": "Bench item %d" % i,
                "priority": PRIORITIES[i % len(PRIORITIES)],
                "guest_impacting": i % 4 == 0,
                "due_at": stamp(rnd.randint(-3 * 86400, 14 * 86400))}
        if bookings and i % 2 == 0:
            body["booking_id"] = bookings[i % len(bookings)]
        else:
            body["property_id"] = props[i % len(props)][0]
        jobs.append(("POST", "/api/items", body, None))
    return jobs


# --- Stripe ----------------------------------------------------------------
STRIPE_FLOW = ("payment_intent.processing", "payment_intent.requires_action",
               "payment_intent.payment_failed", "payment_intent.processing",
               "payment_intent.succeeded", "charge.succeeded")


def stripe_event(n, booking_id, kind, run, amount, currency):
    """A Stripe event body (bytes) of the shapes SPEC §6 handles."""
    created = int(time.time()) - 3600 + n % 3000
    pi = "pi_bench%s_%d" % (run, n // len(STRIPE_FLOW))
    if kind.startswith("payment_intent."):
        status = {"processing": "processing", "requires_action": "requires_action",
                  "payment_failed": "requires_payment_method",
                  "succeeded": "succeeded"}[kind.split(".", 1)[1]]
        obj = {"id": pi, "object": "payment_intent", "amount": amount,
               "amount_received": amount if status == "succeeded" else 0,
               "currency": currency, "status": status, "metadata": {"booking_id": booking_id}}
        if status == "requires_payment_method":
            obj["last_payment_error"] = {"code": "card_declined",
                                         "message": "Your card was declined."}
    else:
        obj = {"id": "ch_bench%s_%d" % (run, n), "object": "charge", "amount": amount,
               "amount_captured": amount, "amount_refunded": 0, "currency": currency,
               "status": "succeeded", "paid": True, "payment_intent": pi,
               "metadata": {"booking_id": booking_id}}
    event = {"id": "evt_bench%s_%d" % (run, n), "object": "event", "type": kind,
             "created": created, "livemode": False, "api_version": "2024-06-20",
             "data": {"object": obj}}
    return json.dumps(event, separators=(",", ":")).encode()


def stripe_signature(secret, body, t=None):
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), b"%d." % t + body, hashlib.sha256).hexdigest()
    return "t=%d,v1=%s" % (t, mac)


def stripe_jobs(secret, bookings, n, run):
    jobs = []
    for i in range(n):
        bk = bookings[(i // len(STRIPE_FLOW)) % len(bookings)]
        body = stripe_event(i, bk, STRIPE_FLOW[i % len(STRIPE_FLOW)], run, 50000,
                            "eur" if i % 2 else "usd")
        jobs.append(("POST", "/webhooks/stripe", body,
                     {"Stripe-Signature": stripe_signature(secret, body)}))
    return jobs


def endpoint_exists(client, method, path, body=b"{}"):
    status, _ = client.request(method, path, body if method == "POST" else None)
    return status != 404


# --- commands --------------------------------------------------------------
def cmd_dataset(a):
    client = Client(a.url, a.key)
    rnd = random.Random(a.seed)
    deadline = time.monotonic() + a.deadline_s
    props = properties(client)
    if not props:
        raise SystemExit("load: no properties; run `lucia demo` first")
    os.makedirs(a.out, exist_ok=True)
    t0 = time.monotonic()
    gids = run_phase("guests", guest_jobs(props, a.bookings, rnd), a.url, a.key, a.workers,
                     deadline)
    guests = [(g, props[i % len(props)][0]) for i, g in enumerate(gids) if g]
    bids = run_phase("bookings", booking_jobs(props, guests, rnd), a.url, a.key, a.workers,
                     deadline)
    bookings = [b for b in bids if b]
    iids = run_phase("items", item_jobs(props, bookings, a.items, rnd), a.url, a.key,
                     a.workers, deadline)
    items = [i for i in iids if i]
    events = 0
    if a.stripe_events > 0 and bookings:
        if a.stripe_secret and endpoint_exists(client, "POST", "/webhooks/stripe"):
            got = run_phase("stripe", stripe_jobs(a.stripe_secret, bookings, a.stripe_events,
                                                  "L%d" % a.seed), a.url, a.key, a.workers,
                            deadline)
            events = sum(1 for e in got if e is not None)
        else:
            log("POST /webhooks/stripe: not available (404); no Stripe events loaded")
    with open(os.path.join(a.out, "items.ids"), "w") as f:
        f.write("".join(i + "\n" for i in items))
    with open(os.path.join(a.out, "counts"), "w") as f:
        f.write("guests %d bookings %d items %d stripe_events %d seconds %.1f\n"
                % (len(guests), len(bookings), len(items), events, time.monotonic() - t0))
    write_ids(client, a.out, props)
    return 0


def write_ids(client, out, props):
    status, page = client.json("GET", "/api/items?limit=1")
    item = page["data"][0]["id"] if status == 200 and page["data"] else ""
    with open(os.path.join(out, "item.id"), "w") as f:
        f.write(item + "\n")
    with open(os.path.join(out, "property.id"), "w") as f:
        f.write(props[0][0] + "\n")


def cmd_ids(a):
    client = Client(a.url, a.key)
    props = properties(client)
    if not props:
        raise SystemExit("load: no properties")
    os.makedirs(a.out, exist_ok=True)
    write_ids(client, a.out, props)
    return 0


def cmd_stripe_pool(a):
    """Writes N signed unique events, one "signature<TAB>body" a line, with
    booking ids from the running Lucia (any will do: unknown ones are stored
    and acknowledged too)."""
    client = Client(a.url, a.key)
    status, page = client.json("GET", "/api/bookings?limit=500")
    bookings = [b["id"] for b in page["data"]] if status == 200 else []
    bookings = bookings or ["bk_unknown"]
    n = min(a.n, STRIPE_POOL_MAX)
    t = int(time.time())
    with open(a.file, "wb") as f:
        for i in range(n):
            body = stripe_event(i, bookings[(i // len(STRIPE_FLOW)) % len(bookings)],
                                STRIPE_FLOW[i % len(STRIPE_FLOW)], a.run, 50000, "eur")
            f.write(stripe_signature(a.secret, body, t).encode() + b"\t" + body + b"\n")
    return 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dataset")
    d.add_argument("--url", required=True)
    d.add_argument("--key", required=True)
    d.add_argument("--out", required=True)
    d.add_argument("--bookings", type=int, default=0)
    d.add_argument("--items", type=int, default=0)
    d.add_argument("--stripe-events", type=int, default=0)
    d.add_argument("--stripe-secret", default="")
    d.add_argument("--workers", type=int, default=8)
    d.add_argument("--deadline-s", type=float, default=240)
    d.add_argument("--seed", type=int, default=9)
    i = sub.add_parser("ids")
    i.add_argument("--url", required=True)
    i.add_argument("--key", required=True)
    i.add_argument("--out", required=True)
    s = sub.add_parser("stripe-pool")
    s.add_argument("--url", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--secret", required=True)
    s.add_argument("--file", required=True)
    s.add_argument("--n", type=int, required=True)
    s.add_argument("--run", default="W")
    a = p.parse_args(argv[1:])
    if getattr(a, "workers", 1) < 1 or getattr(a, "workers", 1) > WORKERS_MAX:
        raise SystemExit("load: --workers must be 1 to %d" % WORKERS_MAX)
    return {"dataset": cmd_dataset, "ids": cmd_ids, "stripe-pool": cmd_stripe_pool}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
