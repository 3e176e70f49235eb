"""/api/stream end to end: Server-Sent Events of every committed change.

The client below speaks HTTP/1.1 over a raw socket and decodes the chunked
body itself, so every read has a deadline and every loop a cap: a stream
never ends on its own, and a test must not hang when the server is wrong.
"""
import json
import re
import signal
import socket
import time
import unittest

import tokens
from harness import SERVICE_KEY, Lucia

JWT_SECRET = "stream-test-secret-0123456789abcdef"
HEARTBEAT_MS = 300
BLOCKS_MAX = 200  # SSE blocks any single wait may read before giving up


class SSE:
    """One open /api/stream connection."""

    def __init__(self, port, path="/api/stream", token=SERVICE_KEY, headers=None, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % port,
                 "Accept: text/event-stream"]
        if token is not None:
            lines.append("Authorization: Bearer " + token)
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.raw = b""
        self.body = b""
        self.ended = False  # the terminating chunk arrived
        self.eof = False    # the server closed the connection
        self.status, self.headers = self._read_head(time.monotonic() + timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # -- transport ---------------------------------------------------------
    def _recv(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no data from the stream in time")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no data from the stream in time")
        if not data:
            self.eof = True
            raise EOFError("the server closed the stream")
        self.raw += data

    def _read_head(self, deadline):
        for _ in range(1000):
            end = self.raw.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(self.raw) > 65536:
                raise AssertionError("response head too large")
            self._recv(deadline)
        else:
            raise AssertionError("no response head")
        head = self.raw[:end].decode("latin-1").split("\r\n")
        self.raw = self.raw[end + 4:]
        status = int(head[0].split(" ")[1])
        headers = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding", "").lower() != "chunked":
            # An ordinary reply (401, 400, 503): read the rest as the body.
            n = int(headers.get("content-length", "0"))
            for _ in range(1000):
                if len(self.raw) >= n:
                    break
                self._recv(deadline)
            self.body, self.raw = self.raw[:n], b""
            self.ended = True
        return status, headers

    def _decode(self):
        """Moves every complete chunk from raw to body."""
        while not self.ended:
            line_end = self.raw.find(b"\r\n")
            if line_end < 0:
                return
            size = int(self.raw[:line_end].split(b";")[0], 16)
            if size == 0:
                self.ended = True
                return
            if len(self.raw) < line_end + 2 + size + 2:
                return
            start = line_end + 2
            self.body += self.raw[start:start + size]
            assert self.raw[start + size:start + size + 2] == b"\r\n", "bad chunk"
            self.raw = self.raw[start + size + 2:]

    # -- SSE ---------------------------------------------------------------
    def next_block(self, timeout=5.0):
        """The next SSE block as a dict (id, event, data, retry, comments),
        None when the stream ended."""
        deadline = time.monotonic() + timeout
        for _ in range(10000):
            self._decode()
            sep = self.body.find(b"\n\n")
            if sep >= 0:
                text, self.body = self.body[:sep].decode("utf-8"), self.body[sep + 2:]
                return parse_block(text)
            if self.ended:
                return None
            self._recv(deadline)
        raise AssertionError("too many reads for one block")

    def next_event(self, timeout=5.0):
        """The next block that carries data (comments and retry skipped)."""
        deadline = time.monotonic() + timeout
        for _ in range(BLOCKS_MAX):
            block = self.next_block(max(0.01, deadline - time.monotonic()))
            if block is None or "data" in block:
                return block
        raise AssertionError("no event among %d blocks" % BLOCKS_MAX)

    def events(self, n, timeout=5.0):
        out = []
        deadline = time.monotonic() + timeout
        for _ in range(n):
            ev = self.next_event(max(0.01, deadline - time.monotonic()))
            if ev is None:
                break
            out.append(ev)
        return out

    def event_for(self, entity_id, action, timeout=5.0):
        """Reads until the event of entity_id with action; returns it."""
        deadline = time.monotonic() + timeout
        for _ in range(BLOCKS_MAX):
            ev = self.next_event(max(0.01, deadline - time.monotonic()))
            if ev is None:
                raise AssertionError("stream ended before %s %s" % (action, entity_id))
            if ev["json"]["entity_id"] == entity_id and ev["event"] == action:
                return ev
        raise AssertionError("no %s for %s" % (action, entity_id))

    def no_event_for(self, seconds):
        """Asserts that no data event arrives for this long (heartbeats may)."""
        deadline = time.monotonic() + seconds
        for _ in range(BLOCKS_MAX):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                block = self.next_block(left)
            except TimeoutError:
                return
            if block is None:
                return
            assert "data" not in block, "unexpected event: %r" % block
        raise AssertionError("too many blocks")


def parse_block(text):
    block = {"comments": []}
    for line in text.split("\n"):
        if line.startswith(":"):
            block["comments"].append(line[1:].strip())
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            block["data"] = block["data"] + "\n" + value if "data" in block else value
        else:
            block[field] = value
    if "data" in block:
        block["json"] = json.loads(block["data"])
    return block


def open_stream(lucia, **kw):
    """Opens a stream and reads its first block, `retry:`."""
    s = SSE(lucia.port, **kw)
    assert s.status == 200, (s.status, s.body)
    first = s.next_block()
    assert first is not None and first.get("retry") == "2000", first
    return s


class StreamTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lucia = Lucia(env={"LUCIA_JWT_SECRET": JWT_SECRET,
                               "LUCIA_STREAM_HEARTBEAT_MS": str(HEARTBEAT_MS),
                               "LUCIA_THREADS": "2"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()

    def setUp(self):
        self.streams = []

    def tearDown(self):
        for s in self.streams:
            s.close()

    def open(self, **kw):
        s = open_stream(self.lucia, **kw)
        self.streams.append(s)
        return s

    def create(self, name):
        r = self.lucia.post("/api/properties", {"name": name})
        self.assertEqual(r.status, 201, r)
        return r.json()

    def rename(self, pid, name):
        r = self.lucia.patch("/api/properties/" + pid, {"name": name})
        self.assertEqual(r.status, 200, r)
        return r.json()

    def test_live_event_of_a_new_property(self):
        s = self.open()
        self.assertEqual(s.headers.get("content-type"), "text/event-stream")
        self.assertEqual(s.headers.get("cache-control"), "no-store")
        self.assertTrue(s.headers.get("x-request-id"))
        p = self.create("Villa Stream")
        ev = s.event_for(p["id"], "property.created")
        body = ev["json"]
        self.assertEqual(ev["id"], str(body["seq"]))
        self.assertEqual(list(body), ["seq", "at", "action", "entity_type", "entity_id",
                                      "property_id", "data"])
        self.assertEqual(body["action"], "property.created")
        self.assertEqual(body["entity_type"], "property")
        self.assertEqual(body["property_id"], p["id"])
        self.assertRegex(body["at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(body["data"], p)
        # An update carries the record as it became.
        q = self.rename(p["id"], "Villa Stream II")
        ev = s.event_for(p["id"], "property.updated")
        self.assertEqual(ev["json"]["data"], q)
        self.assertGreater(int(ev["id"]), int(body["seq"]))

    def test_no_start_point_means_only_new_events(self):
        self.create("Before the stream")
        s = self.open()
        s.no_event_for(0.5)
        p = self.create("After the stream")
        ev = s.next_event()
        self.assertEqual(ev["json"]["entity_id"], p["id"])

    def changes_after_disconnect(self):
        """Opens, sees one event, disconnects, makes three changes; returns
        the last id seen and the changes as (action, entity_id)."""
        s = self.open()
        p = self.create("Reconnect")
        last = s.event_for(p["id"], "property.created")["id"]
        s.close()
        self.rename(p["id"], "Reconnect 2")
        q = self.create("Reconnect other")
        self.rename(p["id"], "Reconnect 3")
        return last, [("property.updated", p["id"]), ("property.created", q["id"]),
                      ("property.updated", p["id"])]

    def assert_replay(self, s, last, expected):
        got = s.events(3)
        self.assertEqual([(e["event"], e["json"]["entity_id"]) for e in got], expected)
        ids = [int(e["id"]) for e in got]
        self.assertTrue(all(a < b for a, b in zip([int(last)] + ids, ids)), ids)
        self.assertEqual(ids, [e["json"]["seq"] for e in got])
        s.no_event_for(0.8)  # nothing more: no duplicates

    def test_reconnect_with_last_event_id_misses_nothing(self):
        last, expected = self.changes_after_disconnect()
        s = self.open(headers={"Last-Event-ID": last})
        self.assert_replay(s, last, expected)

    def test_reconnect_with_since_misses_nothing(self):
        last, expected = self.changes_after_disconnect()
        s = self.open(path="/api/stream?since=" + last)
        self.assert_replay(s, last, expected)

    def test_last_event_id_wins_over_since(self):
        # EventSource reconnects to the same URL and adds Last-Event-ID.
        last, expected = self.changes_after_disconnect()
        s = self.open(path="/api/stream?since=0", headers={"Last-Event-ID": last})
        self.assert_replay(s, last, expected)

    def test_replay_from_zero_is_the_whole_log_in_order(self):
        p = self.create("Replay all")
        s = self.open(path="/api/stream?since=0")
        seqs = []
        for _ in range(BLOCKS_MAX):
            ev = s.next_event()
            seqs.append(ev["json"]["seq"])
            if ev["json"]["entity_id"] == p["id"]:
                break
        self.assertEqual(seqs[0], 1)
        self.assertEqual(seqs, sorted(set(seqs)))
        r = self.lucia.get("/api/audit?limit=500")
        if r.status == 200:  # the audit list, when present, agrees
            audit = [e["seq"] for e in r.json()["data"] if e["seq"] <= seqs[-1]]
            self.assertEqual(seqs, audit)

    def test_operator_sees_only_its_properties(self):
        mine = self.create("Operator's own")
        other = self.create("Someone else's")
        token = tokens.hs256(tokens.claims_for("operator", [mine["id"]], sub="op_stream"),
                             JWT_SECRET)
        s = self.open(token=token)
        self.rename(other["id"], "Someone else's, renamed")
        self.rename(mine["id"], "Operator's own, renamed")
        ev = s.next_event()
        self.assertEqual((ev["event"], ev["json"]["entity_id"]),
                         ("property.updated", mine["id"]))
        s.no_event_for(0.5)
        # Replaying the whole log shows only its property too.
        r = self.open(token=token, path="/api/stream?since=0")
        seen = []
        for _ in range(BLOCKS_MAX):
            ev = r.next_event()
            seen.append(ev["json"]["property_id"])
            if ev["event"] == "property.updated" and ev["json"]["entity_id"] == mine["id"]:
                break
        self.assertEqual(set(seen), {mine["id"]})
        # A viewer scoped to nothing sees nothing.
        none = tokens.hs256(tokens.claims_for("viewer", [], sub="nobody"), JWT_SECRET)
        n = self.open(token=none, path="/api/stream?since=0")
        n.no_event_for(0.5)

    def test_requires_a_token(self):
        for token in (None, "not-a-token",
                      tokens.hs256(tokens.claims_for("operator"), "wrong-secret")):
            r = self.lucia.get("/api/stream", token=token)
            self.assertEqual(r.status, 401, r)
            self.assertEqual(r.json()["error"]["code"], "unauthorized")
        s = SSE(self.lucia.port, token=None)
        self.streams.append(s)
        self.assertEqual(s.status, 401)

    def test_bad_start_points_are_400(self):
        cases = [("/api/stream?since=abc", None, "since"),
                 ("/api/stream?since=-1", None, "since"),
                 ("/api/stream?since=", None, "since"),
                 ("/api/stream?since=99999999999999999999", None, "since"),
                 ("/api/stream", {"Last-Event-ID": "x1"}, "Last-Event-ID")]
        for path, headers, field in cases:
            r = self.lucia.get(path, headers=headers)
            self.assertEqual(r.status, 400, (path, r))
            err = r.json()["error"]
            self.assertEqual((err["code"], err["field"]), ("invalid_field", field), path)

    def test_other_methods_are_405(self):
        r = self.lucia.post("/api/stream", {})
        self.assertEqual(r.status, 405, r)

    def test_heartbeat_during_silence(self):
        s = self.open()
        start = time.monotonic()
        pings = 0
        for _ in range(BLOCKS_MAX):
            block = s.next_block(timeout=3.0)
            self.assertNotIn("data", block)
            if "ping" in block["comments"]:
                pings += 1
                if pings == 3:
                    break
        elapsed = time.monotonic() - start
        self.assertEqual(pings, 3)
        # Three pings of a 300 ms heartbeat: about a second, surely under 3.
        self.assertGreater(elapsed, 0.5)
        self.assertLess(elapsed, 3.0)

    def test_other_requests_are_served_while_streams_wait(self):
        # LUCIA_THREADS=2: more open streams than workers must not stall
        # anyone, because a waiting stream holds no worker.
        streams = [self.open() for _ in range(8)]
        worst = 0.0
        for i in range(10):
            for path in ("/health", "/api/properties?limit=5"):
                t = time.monotonic()
                r = self.lucia.get(path, timeout=5)
                worst = max(worst, time.monotonic() - t)
                self.assertEqual(r.status, 200, r)
        self.assertLess(worst, 1.0, "a request waited %.2fs behind the streams" % worst)
        p = self.create("Seen by all eight")
        for s in streams:
            s.event_for(p["id"], "property.created")

    def test_commits_of_another_process_arrive(self):
        s = self.open()
        # A second process on the same database, with its own logs.
        other = Lucia(db=self.lucia).start()
        try:
            r = other.post("/api/properties", {"name": "Made next door"})
            self.assertEqual(r.status, 201, r)
            ev = s.event_for(r.json()["id"], "property.created", timeout=5.0)
            self.assertEqual(ev["json"]["data"]["name"], "Made next door")
        finally:
            other.close()


class StreamLimitsTest(unittest.TestCase):
    """The cap on open streams, on a server of its own."""

    def test_beyond_the_cap_is_503_and_a_slot_frees_on_close(self):
        cap = 256  # STREAM_CLIENTS_MAX
        with Lucia(env={"LUCIA_THREADS": "2"}) as lucia:
            streams = []
            try:
                for _ in range(cap):
                    streams.append(open_stream(lucia))
                extra = SSE(lucia.port)
                extra.close()
                self.assertEqual(extra.status, 503, extra.body)
                err = json.loads(extra.body)["error"]
                self.assertEqual(err["code"], "unavailable")
                self.assertIn("retry-after", extra.headers)
                self.assertEqual(lucia.get("/health").status, 200)
                # A closed stream is noticed at its next heartbeat or write;
                # a change wakes every stream, so the slot frees quickly.
                streams.pop().close()
                r = lucia.post("/api/properties", {"name": "Wake everyone"})
                self.assertEqual(r.status, 201)
                deadline = time.monotonic() + 10
                again = None
                while time.monotonic() < deadline:
                    again = SSE(lucia.port)
                    if again.status == 200:
                        break
                    again.close()
                    time.sleep(0.1)
                self.assertEqual(again.status, 200)
                again.close()
            finally:
                for s in streams:
                    s.close()


class StreamConfigTest(unittest.TestCase):
    def test_bad_heartbeat_is_a_clear_configuration_error(self):
        for value in ("0", "abc", "49", "60001", "-5"):
            lucia = Lucia(env={"LUCIA_STREAM_HEARTBEAT_MS": value})
            try:
                lucia.start(wait=False)
                code = lucia.proc.wait(timeout=30)
                self.assertEqual(code, 1, value)
                self.assertIn("LUCIA_STREAM_HEARTBEAT_MS", lucia.log_text(), value)
            finally:
                lucia.close()


class StreamShutdownTest(unittest.TestCase):
    def test_sigterm_with_open_streams_exits_0_promptly(self):
        with Lucia(env={"LUCIA_THREADS": "2"}) as lucia:
            streams = [open_stream(lucia) for _ in range(3)]
            try:
                start = time.monotonic()
                lucia.proc.send_signal(signal.SIGTERM)
                code = lucia.proc.wait(timeout=15)
                elapsed = time.monotonic() - start
                self.assertEqual(code, 0, lucia.log_text()[-2000:])
                self.assertLess(elapsed, 5.0, "SIGTERM took %.1fs with streams open" % elapsed)
                for s in streams:
                    # The stream ends cleanly: the terminating chunk, or at
                    # least the connection's close.
                    for _ in range(BLOCKS_MAX):
                        try:
                            if s.next_block(timeout=2.0) is None:
                                break
                        except EOFError:
                            break
                    self.assertTrue(s.ended or s.eof)
                self.assertTrue(re.search(r"ending 3 change streams", lucia.log_text()),
                                lucia.log_text()[-3000:])
            finally:
                for s in streams:
                    s.close()


if __name__ == "__main__":
    unittest.main()
