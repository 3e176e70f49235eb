"""Redis behind the real binary (issue 4, item 3): /ready's sessions check,
the idempotency cache, and an outage — truth keeps working, /ready says
degraded, replays stay correct through the database, and Redis is picked up
again when it returns on the same port.

Each test class starts its own redis-server on a free loopback port in a
temp dir and stops it by PID, so it never touches the Redis that the
PostgreSQL backend run shares (its REDIS_URL and prefix are overridden).
Without redis-server the tests fail, naming the package to install.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import Lucia, free_port

REDIS_START_S = 10.0
RECOVERY_S = 20.0  # the backoff tops out at 5 s; this leaves room for a slow machine


# --- a minimal RESP client, enough to look at what Lucia stored -------------
def _encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode("utf-8")
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class _Reader:
    def __init__(self, sock):
        self.f = sock.makefile("rb")

    def line(self):
        return self.f.readline()[:-2]

    def reply(self):
        head = self.line()
        kind, rest = head[:1], head[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError("redis error: " + rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError("unexpected reply %r" % head)


def redis_call(port, *args, timeout=2.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(_encode(args))
        return _Reader(s).reply()


class RedisServer:
    """A throwaway redis-server, stopped by its own PID."""

    def __init__(self):
        if shutil.which("redis-server") is None:
            raise AssertionError("redis-server is not installed; these tests need a real "
                                 "Redis: apt-get install -y redis-server (scripts/deps.sh)")
        self.dir = tempfile.mkdtemp(prefix="lucia-e2e-redis-")
        self.port = free_port()
        self.proc = None
        self.starts = 0

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def start(self):
        self.starts += 1
        log = open(os.path.join(self.dir, "redis-%d.log" % self.starts), "wb")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--daemonize", "no"],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + REDIS_START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("redis-server exited with %s during start"
                                     % self.proc.returncode)
            try:
                if redis_call(self.port, "PING", timeout=0.5) == "PONG":
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("redis-server did not answer PING in %.0fs" % REDIS_START_S)

    def stop(self, sig=signal.SIGKILL):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_for(fn, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError("%s not reached in %.0fs (last: %r)" % (what, timeout, last))


class KvRedisTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer()
        try:
            cls.redis.start()
            cls.prefix = "e2e-kv-%d:" % os.getpid()
            cls.lucia = Lucia(env={"REDIS_URL": cls.redis.url,
                                   "LUCIA_REDIS_PREFIX": cls.prefix}).start()
        except BaseException:
            cls.redis.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.lucia.close()
        finally:
            cls.redis.close()

    def setUp(self):
        # An outage test that failed half-way must not leave Redis down.
        if not self.redis.running():
            self.redis.start()
        self.assertEqual(self.sessions_check(wait_for_ok=True), "ok")

    # -- helpers -----------------------------------------------------------
    def ready(self):
        r = self.lucia.get("/ready", token=None)
        return r.status, r.json()

    def sessions_check(self, wait_for_ok=False):
        if wait_for_ok:
            wait_for(lambda: self.ready()[1]["checks"]["sessions"] == "ok", RECOVERY_S,
                     "/ready sessions ok")
        return self.ready()[1]["checks"]["sessions"]

    def ok(self, r, status):
        self.assertEqual(r.status, status, r)
        return r.json()

    def idem_key(self, key):
        return "%sidem:7:service:%s" % (self.prefix, key)

    def make_property(self, name):
        return self.ok(self.lucia.post("/api/properties", {"name": name}), 201)["id"]

    # -- tests -------------------------------------------------------------
    def test_ready_reports_sessions_ok(self):
        status, body = self.ready()
        self.assertEqual(status, 200)
        self.assertEqual(body["checks"], {"database": "ok", "sessions": "ok"})

    def test_idempotent_replay_through_redis(self):
        prop = self.make_property("Villa Cache")
        body = {"property_id": prop, "kind": "task", "title": "Fresh towels"}
        key = {"Idempotency-Key": "kv-towels-%d" % os.getpid()}
        first = self.lucia.post("/api/items", body, headers=key)
        self.assertEqual(first.status, 201, first)
        # The committed response was copied to Redis under the prefix.
        cached = redis_call(self.redis.port, "GET", self.idem_key(key["Idempotency-Key"]))
        self.assertIsNotNone(cached)
        self.assertIn(first.json()["id"].encode(), cached)
        ttl = redis_call(self.redis.port, "TTL", self.idem_key(key["Idempotency-Key"]))
        self.assertTrue(86000 < ttl <= 86400, ttl)

        again = self.lucia.post("/api/items", body, headers=key)
        self.assertEqual(again.status, 201)
        self.assertEqual(again.json(), first.json())
        self.assertEqual(again.header("Idempotent-Replayed"), "true")
        r = self.lucia.post("/api/items", dict(body, title="Other"), headers=key)
        self.assertEqual((r.status, r.json()["error"]["code"]), (409, "idempotency_mismatch"))
        items = self.ok(self.lucia.get("/api/items?limit=500"), 200)["data"]
        self.assertEqual(sum(1 for i in items if i["title"] == "Fresh towels"), 1)

        # Redis is asked first: a replay answers what Redis holds, without
        # the database (here a doctored copy proves which one answered).
        doctored = cached.replace(b"Fresh towels", b"Doctored copy")
        redis_call(self.redis.port, "SET", self.idem_key(key["Idempotency-Key"]), doctored)
        r = self.lucia.post("/api/items", body, headers=key)
        self.assertEqual(r.status, 201)
        self.assertEqual(r.json()["title"], "Doctored copy")
        redis_call(self.redis.port, "SET", self.idem_key(key["Idempotency-Key"]), cached)

    def test_redis_outage_keeps_truth_and_recovers(self):
        prop = self.make_property("Villa Outage")
        body = {"property_id": prop, "kind": "maintenance", "title": "Leak under sink"}
        before_key = {"Idempotency-Key": "kv-before-%d" % os.getpid()}
        first = self.ok(self.lucia.post("/api/items", body, headers=before_key), 201)

        self.redis.stop()

        # /ready stays 200 (the database decides) and says degraded.
        wait_for(lambda: self.ready()[1]["checks"]["sessions"] == "degraded", 10,
                 "/ready sessions degraded")
        status, ready = self.ready()
        self.assertEqual(status, 200)
        self.assertEqual(ready["checks"]["database"], "ok")

        # Truth endpoints keep working: create, list, transition.
        item = self.ok(self.lucia.post("/api/items", dict(body, title="Broken AC")), 201)
        listed = self.ok(self.lucia.get("/api/items?property_id=%s" % prop), 200)["data"]
        self.assertEqual({i["id"] for i in listed}, {first["id"], item["id"]})
        moved = self.ok(self.lucia.post("/api/items/%s/transition" % item["id"],
                                        {"to": "confirmed", "evidence": "Marco is on it"}), 200)
        self.assertEqual(moved["state"], "confirmed")

        # Replays stay correct through the database path.
        again = self.lucia.post("/api/items", body, headers=before_key)
        self.assertEqual((again.status, again.json()), (201, first))
        self.assertEqual(again.header("Idempotent-Replayed"), "true")
        r = self.lucia.post("/api/items", dict(body, title="Different"), headers=before_key)
        self.assertEqual((r.status, r.json()["error"]["code"]), (409, "idempotency_mismatch"))
        during_key = {"Idempotency-Key": "kv-during-%d" % os.getpid()}
        during = self.ok(self.lucia.post("/api/items", dict(body, title="Flood"),
                                         headers=during_key), 201)
        replay = self.lucia.post("/api/items", dict(body, title="Flood"), headers=during_key)
        self.assertEqual((replay.status, replay.json()), (201, during))

        # Outage calls fail fast: a burst of requests is not a burst of timeouts.
        start = time.monotonic()
        for _ in range(20):
            self.assertEqual(self.ready()[0], 200)
        self.assertLess(time.monotonic() - start, 10.0)

        # Redis returns on the same port: picked up again without a restart.
        self.redis.start()
        self.assertEqual(self.sessions_check(wait_for_ok=True), "ok")
        after_key = {"Idempotency-Key": "kv-after-%d" % os.getpid()}
        after = self.ok(self.lucia.post("/api/items", dict(body, title="After"),
                                        headers=after_key), 201)
        cached = wait_for(lambda: redis_call(self.redis.port, "GET",
                                             self.idem_key(after_key["Idempotency-Key"])),
                          5, "the response cached in Redis again")
        self.assertIn(after["id"].encode(), cached)
        # The key written during the outage is answered by the database.
        replay = self.lucia.post("/api/items", dict(body, title="Flood"), headers=during_key)
        self.assertEqual((replay.status, replay.json()), (201, during))


class KvStartTest(unittest.TestCase):
    """Start-up with Redis absent or misconfigured."""

    def test_unreachable_redis_starts_degraded(self):
        port = free_port()  # nothing listens here
        with Lucia(env={"REDIS_URL": "redis://127.0.0.1:%d/0" % port,
                        "LUCIA_REDIS_PREFIX": "e2e-kv-absent:"}) as lucia:
            r = lucia.get("/ready", token=None)
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json()["checks"], {"database": "ok", "sessions": "degraded"})
            prop = lucia.post("/api/properties", {"name": "Villa Offline"})
            self.assertEqual(prop.status, 201)
            text = lucia.log_text()
        self.assertIn("unreachable", text)

    def test_password_never_logged(self):
        port = free_port()
        with Lucia(env={"REDIS_URL": "redis://:pw-hunter2-secret@127.0.0.1:%d" % port,
                        "LUCIA_REDIS_PREFIX": "e2e-kv-pw:"}) as lucia:
            lucia.get("/ready", token=None)
            text = lucia.log_text()
        self.assertNotIn("hunter2", text)
        self.assertIn("redis://127.0.0.1:%d/0" % port, text)

    def test_rediss_is_a_clear_startup_error(self):
        lucia = Lucia(env={"REDIS_URL": "rediss://:tls-secret-pw@127.0.0.1:6380"})
        try:
            lucia.start(wait=False)
            lucia.proc.wait(timeout=30)
            code = lucia.stop()
            text = lucia.log_text()
        finally:
            lucia.close()
        self.assertEqual(code, 1)
        self.assertIn("rediss://", text)
        self.assertIn("TLS", text)
        self.assertNotIn("tls-secret-pw", text)


if __name__ == "__main__":
    unittest.main()
