"""Crash safety (SPEC §3: "kill -9 right after the response loses
nothing") end to end, on whichever backend the harness runs.

Several writer processes (each its own Python interpreter, started with
subprocess: this file run as `test_crash.py writer ...`) create items,
cancel items they created and post signed Stripe events while the engine is
killed with SIGKILL at a seeded random moment. Each writer appends every
write that got a 2xx to its own file (one line per acknowledgement, written
after the response, unbuffered); the test reads those files. After each
restart every write that got a 2xx must exist exactly once, `lucia audit
verify` and `lucia ledger reconcile` must be clean. The kill moment counts
from when every writer process is up (its ack file open). The short form
(3 rounds, 4 writer processes) runs in the test command; more on demand:

    LUCIA_CRASH_ROUNDS=50 LUCIA_CRASH_SEED=7 python3 tests/e2e/run.py CrashSafetyTest

Each round prints one line "crash round N: ... acked ..., lost 0" and the
test ends with the totals (the figures in docs/RELIABILITY.md).
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import unittest

import harness
from harness import Lucia
from test_stripe import SECRET

ROUNDS = int(os.environ.get("LUCIA_CRASH_ROUNDS", "3"))
SEED = int(os.environ.get("LUCIA_CRASH_SEED", "1"))
WRITERS = int(os.environ.get("LUCIA_CRASH_WRITERS", "4"))
KILL_AFTER_S = (0.3, 1.5)  # the seeded kill moment, after the writers are up
WRITER_MAX_S = 60  # a writer process stops by itself after this long


class CrashSafetyTest(unittest.TestCase):
    def test_acknowledged_writes_survive_sigkill(self):
        rng = random.Random(SEED)
        lucia = Lucia(env={"STRIPE_WEBHOOK_SECRET": SECRET})
        try:
            lucia.start()
            prop = self.ok(lucia.post("/api/properties", {"name": "Villa Crash"}), 201)["id"]
            guest = self.ok(lucia.post("/api/guests", {"property_id": prop, "name": "Cris"}),
                            201)["id"]
            booking = self.ok(lucia.post("/api/bookings", {
                "property_id": prop, "guest_id": guest, "check_in": "2030-07-01",
                "check_out": "2030-07-05", "total_cents": 90000, "currency": "eur"}), 201)["id"]
            acked_items, acked_moves, acked_events = {}, set(), set()
            totals = {"attempts": 0, "errors": 0}
            work = tempfile.mkdtemp(prefix="lucia-crash-", dir=lucia.tmp)
            for rnd in range(ROUNDS):
                if rnd > 0:
                    lucia.start()
                stop_file = os.path.join(work, "stop-%d" % rnd)
                outs = [os.path.join(work, "acked-r%d-w%d" % (rnd, n)) for n in range(WRITERS)]
                procs = []
                for n in range(WRITERS):
                    err = open(outs[n] + ".err", "wb")
                    procs.append(subprocess.Popen(
                        [sys.executable, os.path.abspath(__file__), "writer", str(lucia.port),
                         prop, booking, str(rnd), str(n), outs[n], stop_file],
                        stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                        cwd=os.path.dirname(os.path.abspath(__file__))))
                    err.close()
                try:
                    # The kill moment counts from when every writer is ready
                    # (its interpreter up, its file open), bounded.
                    ready_by = time.monotonic() + 30
                    while (not all(os.path.exists(o) for o in outs) and
                           time.monotonic() < ready_by):
                        time.sleep(0.01)
                    time.sleep(rng.uniform(*KILL_AFTER_S))
                    lucia.kill9()
                finally:
                    open(stop_file, "w").close()
                    for p in procs:
                        try:
                            p.wait(30)
                        except subprocess.TimeoutExpired:
                            p.kill()
                            p.wait(10)
                for n, p in enumerate(procs):
                    self.assertEqual(p.returncode, 0,
                                     "writer %d: %s" % (n, _read(outs[n] + ".err")))
                    attempts, errors = read_acks(outs[n], acked_items, acked_moves, acked_events)
                    totals["attempts"] += attempts
                    totals["errors"] += errors
                lucia.start()
                lost = self.verify(lucia, acked_items, acked_moves, acked_events)
                print("crash round %d: %d items, %d transitions, %d stripe events acked; "
                      "lost %d" % (rnd + 1, len(acked_items), len(acked_moves),
                                   len(acked_events), lost), flush=True)
                self.assertEqual(lost, 0)
                lucia.stop()
                self.cli_clean(lucia)
            print("crash: %d rounds (seed %d, %d writer processes), %d acknowledged writes "
                  "(%d items, %d transitions, %d stripe events), %d attempts, "
                  "acknowledged-write loss 0" % (ROUNDS, SEED, WRITERS,
                                                 len(acked_items) + len(acked_moves) +
                                                 len(acked_events), len(acked_items),
                                                 len(acked_moves), len(acked_events),
                                                 totals["attempts"]),
                  flush=True)
        finally:
            lucia.close()

    # -- after each restart --------------------------------------------------
    def verify(self, lucia, items, moves, events):
        lost = 0
        db = lucia.db
        for iid, title in items.items():
            n = db.scalar("SELECT COUNT(*) FROM items WHERE title = ?", title)
            if n != 1:
                lost += 1
                print("crash: item %s (%s) present %s times" % (iid, title, n))
        for iid in moves:
            r = lucia.get("/api/items/" + iid)
            if r.status != 200 or r.json()["state"] != "cancelled":
                lost += 1
                print("crash: transition of %s lost: %r" % (iid, r))
        for evt in events:
            n = db.scalar("SELECT COUNT(*) FROM stripe_financial_events WHERE id = ?", evt)
            if n != 1:
                lost += 1
                print("crash: stripe event %s present %s times" % (evt, n))
        return lost

    def cli_clean(self, lucia):
        for args in (["audit", "verify"], ["ledger", "reconcile"]):
            p = harness.run_cli(args, db=lucia, env={"STRIPE_WEBHOOK_SECRET": SECRET})
            self.assertEqual(p.returncode, 0, "%s: %s %s" % (args, p.stdout, p.stderr))

    @staticmethod
    def ok(r, status):
        assert r.status == status, r
        return r.json()


# -- the writer processes ---------------------------------------------------
# A writer appends one line per acknowledged write to its file, each written
# with a single os.write on an O_APPEND descriptor right after the 2xx:
#   item <id> <title>  |  move <id>  |  event <id>
# and, when it stops, "done <attempts> <errors>". A line without its newline
# (the writer died mid-write) is ignored, like an acknowledgement the client
# never got.

def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-3000:]
    except OSError:
        return ""


def read_acks(path, items, moves, events):
    """Folds one writer's file into items/moves/events; (attempts, errors)."""
    attempts = errors = 0
    with open(path, "rb") as f:
        data = f.read().decode("utf-8")
    for line in data.split("\n")[:-1]:
        kind, _, rest = line.partition(" ")
        if kind == "item":
            iid, _, title = rest.partition(" ")
            items[iid] = title
        elif kind == "move":
            moves.add(rest)
        elif kind == "event":
            events.add(rest)
        elif kind == "done":
            a, e = rest.split()
            attempts, errors = int(a), int(e)
    return attempts, errors


def one_write(lucia, prop, booking, tag, i, items, moves, ack):
    """One write of each kind, in turn; ack(line) records a 2xx."""
    from test_stripe import event, header
    kind = i % 3
    if kind == 0 or not items:
        title = "crash " + tag
        r = lucia.post("/api/items", {"property_id": prop, "kind": "task", "title": title},
                       timeout=5)
        if r.status == 201:
            iid = r.json()["id"]
            ack("item %s %s" % (iid, title))
            items.append(iid)
    elif kind == 1:
        todo = [k for k in items if k not in moves]
        if not todo:
            return
        iid = todo[i % len(todo)]
        r = lucia.post("/api/items/%s/transition" % iid,
                       {"to": "cancelled", "note": "crash test"}, timeout=5)
        if r.status == 200:
            ack("move " + iid)
            moves.add(iid)
    else:
        sfx = "_" + tag.replace("-", "_")
        body = event("payment_intent.succeeded", sfx, int(time.time()), booking=booking)
        r = lucia.post("/webhooks/stripe", body, token=None, timeout=5,
                       headers={"Stripe-Signature": header(body),
                                "Content-Type": "application/json"})
        if 200 <= r.status < 300:
            ack("event " + json.loads(body)["id"])


def writer_main(port, prop, booking, rnd, n, out, stop_file):
    """One writer process: writes until stop_file exists (bounded by count
    and by WRITER_MAX_S), then appends "done <attempts> <errors>"."""
    import test_stripe  # noqa: F401 (loaded before the file says "ready")
    lucia = Lucia.__new__(Lucia)  # only its HTTP client: the server is the test's
    lucia.port = port
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def ack(line):
        os.write(fd, (line + "\n").encode("utf-8"))

    items, moves = [], set()
    attempts = errors = 0
    deadline = time.monotonic() + WRITER_MAX_S
    i = 0
    while i < 10000 and time.monotonic() < deadline and not os.path.exists(stop_file):
        i += 1
        tag = "r%d-w%d-%d" % (rnd, n, i)
        try:
            one_write(lucia, prop, booking, tag, i, items, moves, ack)
        except OSError:
            errors += 1
            time.sleep(0.01)
        attempts += 1
    ack("done %d %d" % (attempts, errors))
    os.close(fd)
    return 0


def _can_mount():
    return (hasattr(os, "geteuid") and os.geteuid() == 0 and not harness.ON_POSTGRES and
            os.path.exists("/bin/mount"))


@unittest.skipUnless(_can_mount(), "needs root and the sqlite backend (mounts a small tmpfs)")
class DiskFullTest(unittest.TestCase):
    """SQLite on a full disk: the database lives on a 6 MiB tmpfs. Writes
    fill it; each write is then refused with 503 (nothing half-written),
    reads keep working, nothing crashes; when the tmpfs grows again, writes
    succeed without a restart, every acknowledged item is there once and the
    audit chain verifies."""

    SIZE_SMALL, SIZE_LARGE = "6m", "64m"
    WRITES_MAX = 3000  # 10 KB each: far more than 6 MiB holds

    def test_disk_full_is_503_and_recovers(self):
        import subprocess
        import tempfile
        mnt = tempfile.mkdtemp(prefix="lucia-diskfull-")
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + self.SIZE_SMALL, "tmpfs",
                           mnt], capture_output=True).returncode != 0:
            os.rmdir(mnt)
            self.skipTest("cannot mount a tmpfs here")
        lucia = None
        try:
            lucia = Lucia(db_path=os.path.join(mnt, "lucia.db")).start()
            prop = lucia.post("/api/properties", {"name": "Villa Full"}).json()["id"]
            acked, statuses = {}, {}
            for i in range(self.WRITES_MAX):
                title = "full %d" % i
                r = lucia.post("/api/items", {"property_id": prop, "kind": "task",
                                              "title": title, "details": "x" * 9000},
                               timeout=10)
                statuses[r.status] = statuses.get(r.status, 0) + 1
                if r.status == 201:
                    acked[r.json()["id"]] = title
                else:
                    self.assertEqual(r.status, 503, r)
                    self.assertEqual(r.json()["error"]["code"], "unavailable")
                    if statuses[503] >= 20:
                        break
            self.assertIn(503, statuses, "the 6 MiB disk never filled: %r" % statuses)
            # Reads still answer while full.
            self.assertEqual(lucia.get("/api/items?limit=5").status, 200)
            self.assertEqual(lucia.get("/health", token=None).status, 200)
            # Room again: writes succeed without a restart.
            subprocess.run(["mount", "-o", "remount,size=" + self.SIZE_LARGE, mnt], check=True)
            r = None
            for _ in range(50):
                r = lucia.post("/api/items", {"property_id": prop, "kind": "task",
                                              "title": "after full"})
                if r.status == 201:
                    break
                time.sleep(0.1)
            self.assertEqual(r.status, 201, r)
            lucia.stop()
            for iid, title in acked.items():
                self.assertEqual(lucia.db.scalar("SELECT COUNT(*) FROM items WHERE title = ?",
                                                 title), 1, iid)
            p = harness.run_cli(["audit", "verify"], db=lucia)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            print("disk full: %d items acked before the disk filled, answers %r, "
                  "recovered without restart" % (len(acked), statuses), flush=True)
        finally:
            if lucia is not None:
                lucia.close()
            subprocess.run(["umount", mnt], check=False)
            os.rmdir(mnt)


if __name__ == "__main__":
    if len(sys.argv) == 9 and sys.argv[1] == "writer":
        a = sys.argv[2:]
        sys.exit(writer_main(int(a[0]), a[1], a[2], int(a[3]), int(a[4]), a[5], a[6]))
    unittest.main()
