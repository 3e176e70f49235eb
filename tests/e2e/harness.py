"""harness.py — start the real `lucia` binary for end-to-end tests.

Each Lucia() gets its own temp dir, SQLite file and free loopback port, and is
stopped by its own PID (SIGTERM, then SIGKILL after a bounded wait). Sanitizer
reports in the server's stderr fail the test that owned the server.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

LUCIA_BIN = os.environ.get("LUCIA_BIN") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", "build", "asan", "lucia"))

SERVICE_KEY = "svc_test_key_0123456789abcdef0123456789"

# Environment passed through to the server; everything else is dropped so a
# developer's own LUCIA_* settings cannot leak into a test.
PASSTHROUGH = ("PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "LANG", "TZ")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:300])


def run_cli(args, env=None, cwd=None, timeout=60):
    """Runs `lucia ARGS` to completion; returns CompletedProcess (text)."""
    full = {k: os.environ[k] for k in PASSTHROUGH if k in os.environ}
    full.update(env or {})
    return subprocess.run([LUCIA_BIN] + list(args), env=full, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


class Lucia:
    def __init__(self, env=None, tmp=None, db_path=None):
        self.own_tmp = tmp is None
        self.tmp = tmp or tempfile.mkdtemp(prefix="lucia-e2e-")
        self.db_path = db_path or os.path.join(self.tmp, "lucia.db")
        self.port = None
        self.proc = None
        self.extra_env = dict(env or {})
        self.log_path = None
        self.runs = 0

    # -- life cycle --------------------------------------------------------
    def env(self):
        e = {k: os.environ[k] for k in PASSTHROUGH if k in os.environ}
        e.update({
            "PORT": str(self.port),
            "LUCIA_DB_PATH": self.db_path,
            "LUCIA_SERVICE_KEY": SERVICE_KEY,
            "LUCIA_LOG_LEVEL": "info",
        })
        e.update(self.extra_env)
        return {k: v for k, v in e.items() if v is not None}

    def start(self, wait=True):
        self.port = free_port()
        self.runs += 1
        self.log_path = os.path.join(self.tmp, "server-%d.log" % self.runs)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([LUCIA_BIN, "serve"], env=self.env(), cwd=self.tmp,
                                     stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("lucia exited with %s during start:\n%s"
                                     % (self.proc.returncode, self.log_text()[-3000:]))
            try:
                if self.request("GET", "/health", token=None).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("lucia did not answer /health in %.0fs" % timeout)

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Signals the server by its PID and waits; returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        code = self.proc.returncode
        self.proc = None
        self.log.close()
        self.check_sanitizers()
        return code

    def kill9(self):
        return self.stop(sig=signal.SIGKILL)

    def close(self):
        self.stop()
        if self.own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_lines(self):
        """Every JSON log line written so far (non-JSON lines are skipped)."""
        lines = []
        for raw in self.log_text().splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                pass
        return lines

    def check_sanitizers(self):
        text = self.log_text()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in text:
                raise AssertionError("sanitizer report in server log:\n" + text[-5000:])

    # -- HTTP --------------------------------------------------------------
    def request(self, method, path, body=None, token=SERVICE_KEY, headers=None, timeout=30):
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        data = body
        if body is not None and not isinstance(body, (bytes, str)):
            data = json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        if isinstance(data, str):
            data = data.encode("utf-8")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)
