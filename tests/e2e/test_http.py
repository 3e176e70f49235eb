"""HTTP conventions (SPEC §3, §9): health, readiness, metrics, request ids,
error shape, 404/405/413/431, invalid JSON, logs."""
import json
import socket
import unittest

from harness import Lucia, SERVICE_KEY


class HttpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lucia = Lucia().start()

    @classmethod
    def tearDownClass(cls):
        cls.lucia.close()

    def assertError(self, r, status, code, field=None):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.header("Content-Type"), "application/json")
        err = r.json()["error"]
        self.assertEqual(err["code"], code)
        self.assertIsInstance(err["message"], str)
        self.assertTrue(err["message"])
        if field is not None:
            self.assertEqual(err.get("field"), field)

    def test_health_is_public_and_shaped(self):
        r = self.lucia.get("/health", token=None)
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual(body["status"], "ok")
        self.assertRegex(body["version"], r"^\d+\.\d+\.\d+")
        self.assertIsInstance(body["uptime_s"], int)
        self.assertGreaterEqual(body["uptime_s"], 0)

    def test_ready_checks_database(self):
        r = self.lucia.get("/ready", token=None)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["checks"], {"database": "ok", "sessions": "ok"})

    def test_request_id_generated_and_echoed(self):
        r = self.lucia.get("/health", token=None)
        generated = r.header("X-Request-Id")
        self.assertTrue(generated)
        self.assertNotEqual(generated, self.lucia.get("/health", token=None).header("X-Request-Id"))
        r = self.lucia.get("/health", token=None, headers={"X-Request-Id": "abc-123.x"})
        self.assertEqual(r.header("X-Request-Id"), "abc-123.x")
        # An id a log injection could ride on is replaced, not echoed.
        r = self.lucia.get("/health", token=None, headers={"X-Request-Id": "bad id\"}"})
        self.assertNotEqual(r.header("X-Request-Id"), "bad id\"}")
        self.assertTrue(r.header("X-Request-Id"))

    def test_request_id_on_errors_too(self):
        r = self.lucia.get("/nope", token=None)
        self.assertError(r, 404, "not_found")
        self.assertTrue(r.header("X-Request-Id"))

    def test_metrics_needs_service_key(self):
        self.assertError(self.lucia.get("/metrics", token=None), 401, "unauthorized")
        self.assertError(self.lucia.get("/metrics", token="wrong"), 401, "unauthorized")
        self.lucia.get("/api/properties")
        r = self.lucia.get("/metrics")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/plain"))
        text = r.body.decode()
        self.assertIn('lucia_http_requests_total{route="/api/properties",method="GET",'
                      'status="200"}', text)
        self.assertIn('lucia_http_request_duration_seconds_bucket{route="/api/properties",'
                      'le="+Inf"}', text)
        self.assertIn("lucia_db_query_duration_seconds_count", text)
        self.assertNotIn(SERVICE_KEY, text)

    def test_405_lists_allowed_methods(self):
        r = self.lucia.request("DELETE", "/api/properties")
        self.assertError(r, 405, "method_not_allowed")
        self.assertEqual(r.header("Allow"), "GET, POST")
        r = self.lucia.request("PUT", "/api/properties/prop_x")
        self.assertError(r, 405, "method_not_allowed")
        self.assertEqual(r.header("Allow"), "GET, PATCH")

    def test_unknown_path_404(self):
        self.assertError(self.lucia.get("/api/nothing-here"), 404, "not_found")

    def test_body_over_1mib_is_413(self):
        body = b'{"name":"' + b"x" * (1024 * 1024 + 10) + b'"}'
        r = self.lucia.post("/api/properties", body=body,
                            headers={"Content-Type": "application/json"})
        self.assertError(r, 413, "payload_too_large")
        # Exactly at the limit is read (and then judged on its content).
        body = b'{"name":"' + b"x" * (1024 * 1024 - 11) + b'"}'
        self.assertEqual(len(body), 1024 * 1024)
        r = self.lucia.post("/api/properties", body=body)
        self.assertError(r, 400, "invalid_field", "name")

    def test_chunked_body_over_1mib_is_413(self):
        s = socket.create_connection(("127.0.0.1", self.lucia.port), timeout=20)
        s.sendall(b"POST /api/properties HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                  SERVICE_KEY.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"y" * 65536
        for _ in range(20):
            s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        s.sendall(b"0\r\n\r\n")
        reply = b""
        while b"\r\n\r\n" not in reply:
            data = s.recv(4096)
            if not data:
                break
            reply += data
        s.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply[:200])

    def test_headers_over_16kib_is_431(self):
        r = self.lucia.get("/health", token=None, headers={"X-Pad": "a" * (17 * 1024)})
        self.assertError(r, 431, "headers_too_large")
        r = self.lucia.get("/health", token=None, headers={"X-Pad": "a" * (15 * 1024)})
        self.assertEqual(r.status, 200)

    def test_invalid_json_is_400(self):
        for body in (b"{", b"not json", b'{"name": "a", "name": "b"}', b"\xff\xfe{}"):
            r = self.lucia.post("/api/properties", body=body)
            self.assertError(r, 400, "invalid_json")
        r = self.lucia.post("/api/properties", body=b"[1,2]")
        self.assertError(r, 400, "invalid_json")
        r = self.lucia.post("/api/properties", body=b"")
        self.assertError(r, 400, "invalid_json")
        deep = b'{"a":' * 40 + b"1" + b"}" * 40
        self.assertError(self.lucia.post("/api/properties", body=deep), 400, "invalid_json")

    def test_keep_alive_is_kept(self):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.lucia.port, timeout=10)
        conn.request("GET", "/health")
        r = conn.getresponse()
        r.read()
        self.assertNotEqual((r.getheader("Connection") or "").lower(), "close")
        conn.request("GET", "/health")  # same socket
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()

    def test_head_is_get_without_body(self):
        r = self.lucia.request("HEAD", "/health", token=None)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")

    def test_log_lines_are_json_with_request_fields(self):
        self.lucia.get("/health", token=None, headers={"X-Request-Id": "log-probe-1"})
        lines = [l for l in self.lucia.log_lines() if l.get("request_id") == "log-probe-1"]
        self.assertEqual(len(lines), 1)
        line = lines[0]
        for key in ("time", "level", "message", "route", "status", "duration_ms", "method"):
            self.assertIn(key, line)
        self.assertEqual(line["route"], "/health")
        self.assertEqual(line["status"], 200)
        self.assertNotIn(SERVICE_KEY, self.lucia.log_text())


class MetricsPublicTest(unittest.TestCase):
    def test_metrics_public_when_configured(self):
        with Lucia(env={"LUCIA_METRICS_PUBLIC": "1"}) as lucia:
            r = lucia.get("/metrics", token=None)
            self.assertEqual(r.status, 200)
            self.assertIn("lucia_http_requests_total", r.body.decode())


if __name__ == "__main__":
    unittest.main()
