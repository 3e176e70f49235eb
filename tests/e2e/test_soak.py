"""Soak (issue 10 §6): a bounded mixed load of reads and writes against one
engine while the engine's resident memory is sampled, end to end.

Load: WORKERS client threads, each in turn: list items (limit 50), GET
/api/today, create an item, advance one of its own items one step
(requested -> confirmed -> in_progress -> done), GET one of its items.
Every request must answer 2xx (no 5xx, no 4xx, no refused connection).

Before the clock starts the database gets LUCIA_SOAK_PREFILL items (3000
by default): a running engine's database is larger than SQLite's page
caches (2 MiB per pooled connection), and filling those caches from an
empty file is growth by design, not a leak.

Memory: VmRSS of the lucia process, read from /proc/<pid>/status ten times
a second. RSS second to second swings by +-2 MiB under this load: every
write makes SQLite drop the reading connections' page caches, whose pages go
back to malloc, and malloc gives the top of its heaps back to the kernel. A
rule on a few samples would judge that noise, so each window is 10 s of
samples (~100). The rule (exactly):
  - warm-up is the first 20% of the run; samples are taken every 100 ms
    after the load starts;
  - baseline = median of the samples in the 10 s starting at 20% of the run;
  - final    = median of the samples in the last 10 s of the run;
  - growth   = (final - baseline) / baseline, and must be < 5%.

Binary: the release build (no sanitizer, so its RSS is the program's own):
LUCIA_RELEASE_BIN, else build/release/lucia (`make check` builds it). When
neither exists the ASan binary (LUCIA_BIN) runs with a small quarantine
(quarantine_size_mb=16), since ASan's quarantine grows by design up to its
cap and would otherwise dominate the figure.

    python3 tests/e2e/run.py SoakTest                          # 60 s
    LUCIA_SOAK_SECONDS=600 python3 tests/e2e/run.py SoakTest   # 10 minutes

SQLite only in the default run; LUCIA_SOAK_ALL=1 runs it on PostgreSQL too.
The test prints one line "soak: ..." with the figures in docs/RELIABILITY.md.
"""
import os
import statistics
import threading
import time
import unittest

import harness
from harness import Lucia

SECONDS = max(30, min(int(os.environ.get("LUCIA_SOAK_SECONDS", "60")), 3600))
WORKERS = max(1, min(int(os.environ.get("LUCIA_SOAK_WORKERS", "4")), 32))
PREFILL = max(0, min(int(os.environ.get("LUCIA_SOAK_PREFILL", "3000")), 100000))
PREFILL_MAX_S = 120
WARMUP = 0.2
WINDOW = 10          # seconds of samples in the baseline and final windows
SAMPLE_S = 0.1       # VmRSS is read ten times a second
GROWTH_MAX = 0.05
REQUESTS_MAX = 5_000_000  # per worker: the load is bounded by count and time

HERE = os.path.dirname(os.path.abspath(__file__))
NEXT = {"requested": "confirmed", "confirmed": "in_progress", "in_progress": "done"}


def soak_binary():
    """(path, kind, extra env) of the binary the soak runs."""
    rel = os.environ.get("LUCIA_RELEASE_BIN") or os.path.join(HERE, "..", "..", "build",
                                                              "release", "lucia")
    if os.path.isfile(rel) and os.access(rel, os.X_OK):
        return os.path.abspath(rel), "release", {}
    asan = os.environ.get("ASAN_OPTIONS", "")
    opts = ":".join(o for o in (asan, "quarantine_size_mb=16") if o)
    return harness.LUCIA_BIN, "asan (quarantine_size_mb=16)", {"ASAN_OPTIONS": opts}


def vmrss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


class SoakLucia(Lucia):
    """A Lucia started from another binary (the harness starts LUCIA_BIN)."""

    def __init__(self, binary, **kw):
        super().__init__(**kw)
        self.binary = binary

    def start(self, wait=True):
        saved = harness.LUCIA_BIN
        harness.LUCIA_BIN = self.binary
        try:
            return super().start(wait)
        finally:
            harness.LUCIA_BIN = saved


@unittest.skipIf(harness.ON_POSTGRES and os.environ.get("LUCIA_SOAK_ALL") != "1",
                 "soak runs on SQLite by default (LUCIA_SOAK_ALL=1 for postgres)")
class SoakTest(unittest.TestCase):
    def test_mixed_load_rss_bounded(self):
        binary, kind, env = soak_binary()
        lucia = SoakLucia(binary, env=env)
        try:
            lucia.start()
            prop = lucia.post("/api/properties", {"name": "Villa Soak"})
            self.assertEqual(prop.status, 201, prop)
            prop = prop.json()["id"]
            pid = lucia.proc.pid
            self.prefill(lucia, prop)
            stop = threading.Event()
            lock = threading.Lock()
            counts = {"requests": 0, "non2xx": 0, "5xx": 0, "errors": 0}
            bad = []

            def record(what, r):
                with lock:
                    counts["requests"] += 1
                    if r is None:
                        counts["errors"] += 1
                    elif not 200 <= r.status < 300:
                        counts["non2xx"] += 1
                        if r.status >= 500:
                            counts["5xx"] += 1
                    if (r is None or not 200 <= r.status < 300) and len(bad) < 10:
                        bad.append((what, r))

            def call(what, method, path, body=None):
                try:
                    r = lucia.request(method, path, body=body, timeout=10)
                except OSError:
                    r = None
                record(what, r)
                return r

            def worker(n):
                mine = []  # [id, state] of this worker's items
                for i in range(REQUESTS_MAX):
                    if stop.is_set():
                        return
                    step = i % 5
                    if step == 0:
                        call("list", "GET", "/api/items?limit=50")
                    elif step == 1:
                        call("today", "GET", "/api/today")
                    elif step == 2:
                        r = call("create", "POST", "/api/items",
                                 {"property_id": prop, "kind": "task",
                                  "title": "soak w%d-%d" % (n, i), "details": "x" * 200})
                        if r is not None and r.status == 201:
                            mine.append([r.json()["id"], "requested"])
                    elif step == 3:
                        todo = [m for m in mine if m[1] in NEXT]
                        if todo:
                            m = todo[0]
                            r = call("transition", "POST", "/api/items/%s/transition" % m[0],
                                     {"to": NEXT[m[1]], "evidence": "soak #%d" % i,
                                      "note": "soak"})
                            if r is not None and r.status == 200:
                                m[1] = NEXT[m[1]]
                        mine[:] = [m for m in mine if m[1] in NEXT][-50:]
                    else:
                        if mine:
                            call("get", "GET", "/api/items/" + mine[-1][0])

            samples = []  # (t, kB)
            threads = [threading.Thread(target=worker, args=(n,), daemon=True)
                       for n in range(WORKERS)]
            t0 = time.monotonic()
            for t in threads:
                t.start()
            for k in range(1, int(SECONDS / SAMPLE_S) + 1):
                time.sleep(max(0.0, t0 + k * SAMPLE_S - time.monotonic()))
                self.assertIsNone(lucia.proc.poll(), "lucia exited during the soak")
                samples.append((k * SAMPLE_S, vmrss_kb(pid)))
            stop.set()
            for t in threads:
                t.join(30)
            elapsed = time.monotonic() - t0
            self.assertFalse(any(t.is_alive() for t in threads), "a worker did not stop")

            start = WARMUP * SECONDS
            base_win = [kb for t, kb in samples if start <= t < start + WINDOW]
            final_win = [kb for t, kb in samples if t > SECONDS - WINDOW]
            self.assertGreaterEqual(len(base_win), WINDOW, samples)
            self.assertGreaterEqual(len(final_win), WINDOW, samples)
            baseline = statistics.median(base_win)
            final = statistics.median(final_win)
            growth = (final - baseline) / baseline
            peak = max(kb for _, kb in samples)
            print("soak: %s binary, %d s, %d workers, %d requests (%.0f/s), %d non-2xx, "
                  "%d 5xx, %d refused; VmRSS kB: first %d, baseline %d (median of %d samples, "
                  "t=%g..%g s), final %d (median of %d samples, last %d s), peak %d; "
                  "growth %+.2f%%"
                  % (kind, SECONDS, WORKERS, counts["requests"], counts["requests"] / elapsed,
                     counts["non2xx"], counts["5xx"], counts["errors"], samples[0][1], baseline,
                     len(base_win), start, start + WINDOW, final, len(final_win), WINDOW, peak,
                     growth * 100), flush=True)
            self.assertEqual(counts["5xx"], 0, bad)
            self.assertEqual(counts["errors"], 0, bad)
            self.assertEqual(counts["non2xx"], 0, bad)
            self.assertGreater(counts["requests"], 0)
            self.assertLess(growth, GROWTH_MAX,
                            "RSS grew %.2f%% after warm-up; one sample a second: %r"
                            % (growth * 100, samples[9::10]))
        finally:
            lucia.close()

    def prefill(self, lucia, prop):
        """PREFILL items before the clock starts (the database a running
        engine has, larger than SQLite's page caches), by WORKERS threads,
        bounded by PREFILL_MAX_S."""
        deadline = time.monotonic() + PREFILL_MAX_S
        done = []

        def fill(n):
            for i in range(n, PREFILL, WORKERS):
                if time.monotonic() > deadline:
                    return
                r = lucia.post("/api/items", {"property_id": prop, "kind": "task",
                                              "title": "prefill %d" % i, "details": "x" * 200},
                               timeout=10)
                self.assertEqual(r.status, 201, r)
                done.append(i)

        threads = [threading.Thread(target=fill, args=(n,), daemon=True) for n in range(WORKERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(PREFILL_MAX_S + 30)
        self.assertEqual(len(done), PREFILL, "prefill did not finish in %d s" % PREFILL_MAX_S)


if __name__ == "__main__":
    unittest.main()
