"""Error reporting (SPEC §9) end to end against a stand-in Sentry collector
on 127.0.0.1 that parses envelopes: a forced 5xx arrives with its request id
and without any configured secret; a hanging collector slows no request and
the queue stays bounded; a deliberate crash is written to disk and reported
at the next start.

The 5xx and the crash come from the development-only test routes
(/debug/500, /debug/crash; LUCIA_ENV=development and LUCIA_TEST_CRASH_ROUTE=1,
refused in any other environment)."""
import concurrent.futures
import http.server
import json
import os
import re
import shutil
import signal
import tempfile
import threading
import time
import unittest

from harness import Lucia, SERVICE_KEY, run_cli

PUBLIC_KEY = "0123456789abcdef0123456789abcdef"
SECRETS = {
    "LUCIA_JWT_SECRET": "jwt-secret-for-sentry-test-0123456789abcdef",
    "STRIPE_WEBHOOK_SECRET": "whsec_sentrytestsecret0123456789",
    "TWILIO_AUTH_TOKEN": "twilio-auth-token-sentry-0123456789",
    "TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
    "LUCIA_POSTMARK_USER": "postmark-user-sentry",
    "LUCIA_POSTMARK_PASSWORD": "postmark-password-sentry-0123456789",
    "RESEND_API_KEY": "re_sentry_test_key_0123456789",
    "OPENAI_API_KEY": "sk-sentry-test-0123456789abcdef",
}
GUEST_EMAIL = "maria.rossi@example.com"
GUEST_PHONE = "+393331234567"


class Collector:
    """A Sentry stand-in: records (path, headers, raw body) of each POST.
    With hang=True it never answers (until closed)."""

    def __init__(self, hang=False):
        self.envelopes = []
        self.hang = hang
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                outer.envelopes.append((self.path, dict(self.headers), body))
                if outer.hang:
                    outer.release.wait(60)
                    return
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.dsn = "http://%s@127.0.0.1:%d/42" % (PUBLIC_KEY, self.port)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def events(self):
        out = []
        for path, headers, body in list(self.envelopes):
            lines = body.decode().strip().split("\n")
            out.append((path, headers, body, json.loads(lines[0]), json.loads(lines[1]),
                        json.loads(lines[2])))
        return out

    def wait(self, pred, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in self.events():
                if pred(e[5]):
                    return e
            time.sleep(0.05)
        raise AssertionError("no matching envelope; got %r" % self.envelopes)

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def version():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "VERSION")) as f:
        return f.read().strip()


class SentryTest(unittest.TestCase):
    def start(self, collector, **extra):
        env = {"SENTRY_DSN": collector.dsn, "LUCIA_ENV": "development",
               "LUCIA_TEST_CRASH_ROUTE": "1"}
        env.update(extra)
        return Lucia(env=env).start()

    def test_5xx_reported_with_request_id_and_no_secret(self):
        collector = Collector()
        env = dict(SECRETS)
        lucia = self.start(collector, **env)
        try:
            body = json.dumps({"email": GUEST_EMAIL, "phone": GUEST_PHONE})
            r = lucia.post("/debug/500?token=" + SECRETS["OPENAI_API_KEY"], body,
                           headers={"X-Request-Id": "req-sentry-5xx-1",
                                    "Cookie": "session=" + SECRETS["RESEND_API_KEY"]})
            self.assertEqual(r.status, 500, r)
            self.assertEqual(r.header("X-Request-Id"), "req-sentry-5xx-1")
            path, headers, raw, head, item, event = collector.wait(
                lambda e: e.get("tags", {}).get("request_id") == "req-sentry-5xx-1")
            self.assertEqual(path, "/api/42/envelope/")
            auth = headers.get("X-Sentry-Auth", "")
            self.assertIn("sentry_version=7", auth)
            self.assertIn("sentry_key=" + PUBLIC_KEY, auth)
            self.assertIn("sentry_client=lucia/" + version(), auth)
            self.assertEqual(item["type"], "event")
            self.assertRegex(head["event_id"], r"^[0-9a-f]{32}$")
            self.assertEqual(event["event_id"], head["event_id"])
            self.assertEqual(event["level"], "error")
            self.assertEqual(event["platform"], "c")
            self.assertEqual(event["environment"], "development")
            self.assertEqual(event["release"], "lucia@" + version())
            self.assertIn("timestamp", event)
            self.assertIn("500", event["message"])
            self.assertTrue(event["transaction"])
            frames = event["exception"]["values"][0]["stacktrace"]["frames"]
            self.assertGreater(len(frames), 0)
            # Nothing secret, nothing of the guest, nothing of the request.
            for name, value in list(SECRETS.items()) + [("service key", SERVICE_KEY),
                                                        ("dsn key", PUBLIC_KEY),
                                                        ("email", GUEST_EMAIL),
                                                        ("phone", GUEST_PHONE)]:
                self.assertNotIn(value.encode(), raw, name)
            # A 4xx is not reported.
            n = len(collector.envelopes)
            self.assertEqual(lucia.get("/api/nothing-here").status, 404)
            time.sleep(0.3)
            self.assertEqual(len(collector.envelopes), n)
            status = lucia.get("/admin/status").json()
            rows = {row["name"]: row for row in status["integrations"]}
            self.assertEqual(rows["error_reporting"]["state"], "tested", rows)
        finally:
            lucia.close()
            collector.close()

    def test_hanging_collector_does_not_slow_requests(self):
        collector = Collector(hang=True)
        lucia = self.start(collector)
        try:
            def one(i):
                return lucia.get("/debug/500", timeout=10).status

            started = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                statuses = list(pool.map(one, range(300)))
            elapsed = time.monotonic() - started
            self.assertEqual(statuses, [500] * 300)
            # Generous: 300 tiny requests; a blocking report would take 300 × 5 s.
            self.assertLess(elapsed, 60.0)
            self.assertEqual(lucia.get("/health", token=None).status, 200)
            status = lucia.get("/admin/status").json()
            row = {r["name"]: r for r in status["integrations"]}["error_reporting"]
            dropped = int(re.search(r"(\d+) dropped", row["detail"]).group(1))
            # At most one in flight plus a full queue (64) were kept.
            self.assertGreaterEqual(dropped, 300 - 64 - 2, row)
            t0 = time.monotonic()
            code = lucia.stop()
            self.assertEqual(code, 0)
            self.assertLess(time.monotonic() - t0, 15.0)
        finally:
            lucia.close()
            collector.close()

    def test_crash_reported_at_next_start(self):
        collector = Collector()
        tmp = tempfile.mkdtemp(prefix="lucia-crash-")
        crash_dir = os.path.join(tmp, "crash")
        lucia = Lucia(env={"SENTRY_DSN": collector.dsn, "LUCIA_ENV": "development",
                           "LUCIA_TEST_CRASH_ROUTE": "1", "LUCIA_CRASH_DIR": crash_dir,
                           # Our handler chains to the previous one; under ASan
                           # that would print a (deliberate) SEGV report.
                           "ASAN_OPTIONS": (os.environ.get("ASAN_OPTIONS", "") +
                                            ":handle_segv=0").lstrip(":")})
        try:
            lucia.start()
            try:
                lucia.get("/debug/crash", timeout=10)
            except OSError:
                pass  # the connection dies with the process
            lucia.proc.wait(timeout=20)
            self.assertEqual(lucia.proc.returncode, -signal.SIGSEGV)
            files = os.listdir(crash_dir)
            self.assertEqual(len(files), 1, files)
            with open(os.path.join(crash_dir, files[0])) as f:
                text = f.read()
            self.assertIn("signal %d" % signal.SIGSEGV, text)
            self.assertIn("version " + version(), text)
            lucia.stop()
            # Next start: the report is sent (level fatal) and then removed.
            lucia.start()
            _, _, raw, _, _, event = collector.wait(lambda e: e.get("level") == "fatal")
            self.assertIn("signal 11", event["message"])
            self.assertEqual(event["release"], "lucia@" + version())
            frames = event["exception"]["values"][0]["stacktrace"]["frames"]
            self.assertGreater(len(frames), 0)
            deadline = time.monotonic() + 10
            while os.listdir(crash_dir) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(os.listdir(crash_dir), [])
        finally:
            lucia.close()
            collector.close()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_crash_without_sentry_is_kept_and_announced(self):
        """No SENTRY_DSN: the report stays on disk and the next start says
        so in its log (one warning with the count and the directory)."""
        tmp = tempfile.mkdtemp(prefix="lucia-crash-")
        crash_dir = os.path.join(tmp, "crash")
        lucia = Lucia(env={"LUCIA_ENV": "development", "LUCIA_TEST_CRASH_ROUTE": "1",
                           "LUCIA_CRASH_DIR": crash_dir,
                           "ASAN_OPTIONS": (os.environ.get("ASAN_OPTIONS", "") +
                                            ":handle_segv=0").lstrip(":")})
        try:
            lucia.start()
            self.assertNotIn("crash report", lucia.log_text())
            try:
                lucia.get("/debug/crash", timeout=10)
            except OSError:
                pass
            lucia.proc.wait(timeout=20)
            self.assertEqual(lucia.proc.returncode, -signal.SIGSEGV)
            self.assertEqual(len(os.listdir(crash_dir)), 1)
            lucia.stop()
            lucia.start()
            warnings = [l for l in lucia.log_lines()
                        if "crash report from earlier runs" in l.get("message", "")]
            self.assertEqual(len(warnings), 1, lucia.log_text())
            self.assertEqual(warnings[0]["level"], "warn")
            self.assertIn("1 crash report from earlier runs wait in " + crash_dir,
                          warnings[0]["message"])
            self.assertIn("SENTRY_DSN", warnings[0]["message"])
            self.assertEqual(len(os.listdir(crash_dir)), 1)  # kept for a DSN to come
        finally:
            lucia.close()
            shutil.rmtree(tmp, ignore_errors=True)

    def test_debug_routes_off_by_default(self):
        collector = Collector()
        lucia = Lucia(env={"SENTRY_DSN": collector.dsn}).start()
        try:
            self.assertEqual(lucia.get("/debug/crash").status, 404)
            self.assertEqual(lucia.get("/debug/500").status, 404)
        finally:
            lucia.close()
            collector.close()

    def test_crash_route_refused_outside_development(self):
        tmp = tempfile.mkdtemp(prefix="lucia-crash-cfg-")
        try:
            for env_name in ("staging", "production"):
                p = run_cli(["serve"], env={"LUCIA_ENV": env_name, "LUCIA_TEST_CRASH_ROUTE": "1",
                                            "LUCIA_SERVICE_KEY": SERVICE_KEY,
                                            "LUCIA_DB_PATH": os.path.join(tmp, "l.db")},
                            cwd=tmp, timeout=30)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn("LUCIA_TEST_CRASH_ROUTE", p.stderr)
            p = run_cli(["serve"], env={"SENTRY_DSN": "https://no-project-here",
                                        "LUCIA_SERVICE_KEY": SERVICE_KEY,
                                        "LUCIA_DB_PATH": os.path.join(tmp, "l.db")},
                        cwd=tmp, timeout=30)
            self.assertNotEqual(p.returncode, 0)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
