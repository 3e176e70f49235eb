"""Several engine processes on one truth (issue 4), on both backends, and
dependency outages on the real stack: PostgreSQL restarted mid-run answers
503 (never 500, never a half-write) and the same processes recover; Redis
stopped leaves truth working with /ready degraded."""
import threading
import time
import unittest

import harness
from harness import Lucia


def move(to):
    return {"to": to, "evidence": "confirmed by phone", "note": "n"}


class TwoProcessesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = Lucia().start()
        cls.b = Lucia(db=cls.a.db).start()
        r = cls.a.post("/api/properties", {"name": "Shared Villa"})
        assert r.status == 201, r
        cls.prop = r.json()["id"]

    @classmethod
    def tearDownClass(cls):
        cls.b.close()
        cls.a.close()

    def test_written_through_one_read_through_other(self):
        r = self.a.post("/api/items", {"property_id": self.prop, "kind": "task",
                                       "title": "Seen by both"})
        self.assertEqual(r.status, 201)
        item = r.json()
        self.assertEqual(self.b.get("/api/items/" + item["id"]).json(), item)
        r = self.b.patch("/api/items/" + item["id"], {"assignee": "Luca"})
        self.assertEqual(r.status, 200)
        self.assertEqual(self.a.get("/api/items/" + item["id"]).json()["assignee"], "Luca")

    def test_concurrent_transitions_across_processes_have_one_winner(self):
        for _ in range(3):
            it = self.a.post("/api/items", {"property_id": self.prop, "kind": "concierge",
                                            "title": "Boat trip"}).json()
            barrier = threading.Barrier(50, timeout=30)
            statuses = []
            lock = threading.Lock()

            def go(engine):
                barrier.wait()
                r = engine.post("/api/items/%s/transition" % it["id"], move("confirmed"))
                with lock:
                    statuses.append(r.status)

            threads = [threading.Thread(target=go, args=(self.a if i % 2 else self.b,))
                       for i in range(50)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            self.assertEqual(len(statuses), 50)
            self.assertEqual(statuses.count(200), 1, statuses)
            self.assertTrue(all(s in (200, 409, 412) for s in statuses), statuses)
            history = self.a.get("/api/items/%s/history" % it["id"]).json()["data"]
            self.assertEqual(len(history), 1)

    def test_idempotency_key_replayed_on_the_other_process(self):
        body = {"property_id": self.prop, "kind": "task", "title": "Linen, once"}
        key = {"Idempotency-Key": "linen-across-processes"}
        first = self.a.post("/api/items", body, headers=key)
        again = self.b.post("/api/items", body, headers=key)
        self.assertEqual((first.status, again.status), (201, 201))
        self.assertEqual(first.json(), again.json())
        other = self.b.post("/api/items", dict(body, title="Linen, twice"), headers=key)
        self.assertEqual(other.status, 409)
        self.assertEqual(other.json()["error"]["code"], "idempotency_mismatch")

    def test_audit_chain_stays_whole_with_two_writers(self):
        errors = []

        def write(engine, n):
            for i in range(15):
                r = engine.post("/api/items", {"property_id": self.prop, "kind": "task",
                                               "title": "chain %d-%d" % (n, i)})
                if r.status != 201:
                    errors.append(r)

        threads = [threading.Thread(target=write, args=(e, n))
                   for n, e in enumerate((self.a, self.b, self.a, self.b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        r = harness.run_cli(["audit", "verify"], db=self.a)
        self.assertEqual(r.returncode, 0, r.stderr)


@unittest.skipUnless(harness.ON_POSTGRES, "PostgreSQL and Redis outages need the real stack")
class OutageTest(unittest.TestCase):
    def setUp(self):
        self.lucia = Lucia().start()
        r = self.lucia.post("/api/properties", {"name": "Outage Villa"})
        self.assertEqual(r.status, 201)
        self.prop = r.json()["id"]
        self.backends = harness.backends()

    def tearDown(self):
        # Whatever happened, leave the shared servers running for later tests.
        if self.backends.postgres.pid() is None:
            self.backends.postgres.start()
        if self.backends.redis.pid() is None:
            self.backends.redis.start()
        self.lucia.close()

    def count_items(self, title):
        return len([x for x in self.lucia.get("/api/items?limit=500").json()["data"]
                    if x["title"] == title])

    def test_postgres_restart_gives_503_then_recovers(self):
        self.assertEqual(self.lucia.post("/api/items", {"property_id": self.prop, "kind": "task",
                                                        "title": "before"}).status, 201)
        self.backends.postgres.stop()
        for i in range(5):
            r = self.lucia.post("/api/items", {"property_id": self.prop, "kind": "task",
                                               "title": "during"},
                                headers={"Idempotency-Key": "outage-%d" % i})
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.json()["error"]["code"], "unavailable")
            self.assertEqual(self.lucia.get("/api/items").status, 503)
        r = self.lucia.get("/ready", token=None)
        self.assertEqual(r.status, 503)
        self.assertEqual(r.json()["checks"]["database"], "down")
        self.backends.postgres.start()
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline:
            status = self.lucia.get("/api/items").status
            if status == 200:
                break
            time.sleep(0.2)
        self.assertEqual(status, 200, "the process did not recover")
        self.assertEqual(self.count_items("during"), 0)  # nothing half-written
        # The retried request is applied, once.
        for _ in range(2):
            r = self.lucia.post("/api/items", {"property_id": self.prop, "kind": "task",
                                               "title": "during"},
                                headers={"Idempotency-Key": "outage-0"})
            self.assertEqual(r.status, 201)
        self.assertEqual(self.count_items("during"), 1)
        self.assertEqual(self.lucia.get("/ready", token=None).status, 200)
        self.assertNotIn('"status":500', self.lucia.log_text())

    def test_frozen_postgres_answers_503_within_bounds(self):
        self.assertEqual(self.lucia.get("/api/items").status, 200)  # a pooled connection
        with self.backends.postgres.paused():
            for path in ("/api/items", "/api/properties"):
                t0 = time.monotonic()
                r = self.lucia.get(path, timeout=60)
                self.assertEqual(r.status, 503, r)
                # Bounded by the client-side deadline, not by the freeze.
                self.assertLess(time.monotonic() - t0, 30)
            r = self.lucia.post("/api/items", {"property_id": self.prop, "kind": "task",
                                               "title": "frozen"}, timeout=60)
            self.assertEqual(r.status, 503)
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline:
            status = self.lucia.get("/api/items").status
            if status == 200:
                break
            time.sleep(0.2)
        self.assertEqual(status, 200)
        self.assertEqual(self.count_items("frozen"), 0)

    def test_redis_stopped_truth_keeps_working(self):
        self.backends.redis.stop()
        r = self.lucia.post("/api/items", {"property_id": self.prop, "kind": "maintenance",
                                           "title": "AC rattles"})
        self.assertEqual(r.status, 201)
        it = r.json()
        r = self.lucia.post("/api/items/%s/transition" % it["id"], move("confirmed"))
        self.assertEqual(r.status, 200)
        self.assertEqual(self.lucia.get("/api/items/" + it["id"]).json()["state"], "confirmed")
        r = self.lucia.get("/ready", token=None)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["checks"], {"database": "ok", "sessions": "degraded"})
        self.backends.redis.start()
        deadline = time.monotonic() + 30
        sessions = None
        while time.monotonic() < deadline:
            sessions = self.lucia.get("/ready", token=None).json()["checks"]["sessions"]
            if sessions == "ok":
                break
            time.sleep(0.2)
        self.assertEqual(sessions, "ok")


if __name__ == "__main__":
    unittest.main()
