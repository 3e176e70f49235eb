"""harness.py — start the real `lucia` binary for end-to-end tests.

Each Lucia() gets its own temp dir, its own database and a free loopback
port, and is stopped by its own PID (SIGTERM, then SIGKILL after a bounded
wait). Sanitizer reports in the server's stderr fail the test that owned the
server.

The backend comes from LUCIA_TEST_BACKEND (tests/run.sh runs the suite once
with each):
  sqlite    (default) the database is a SQLite file in the temp dir
            (LUCIA_DB_PATH).
  postgres  the database is a fresh PostgreSQL database, created on the
            instance's first start and kept across its restarts
            (DATABASE_URL), plus REDIS_URL and a LUCIA_REDIS_PREFIX of its
            own. The servers are the ones tests/run.sh started
            (LUCIA_TEST_BACKEND_DIR), or a pair this process starts on first
            use and stops at exit (see backends.py).

A database is named by a Database (harness.database(key)); the same key
gives the same database, so Lucia(db=other.db) or Lucia(db_path=other.db_path)
is a second engine process on the same truth, and run_cli(..., db=lucia)
(or an env LUCIA_DB_PATH=key) runs a CLI command on it. Tests that look at
the stored rows use Database.query/execute/tables/copy, which speak to
SQLite through the sqlite3 module and to PostgreSQL through psql.

Skip what has no meaning on one backend with
@unittest.skipIf(harness.ON_POSTGRES, "why"). Outage tests take the servers
from harness.backends() (None on sqlite): `with backends().postgres.stopped():`
and the like. A Lucia without Redis on the postgres backend:
Lucia(env={"REDIS_URL": None}).
"""
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time

import backends as backends_mod

LUCIA_BIN = os.environ.get("LUCIA_BIN") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", "build", "asan", "lucia"))

SERVICE_KEY = "svc_test_key_0123456789abcdef0123456789"

# Environment passed through to the server; everything else is dropped so a
# developer's own LUCIA_* settings cannot leak into a test.
PASSTHROUGH = ("PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "LANG", "TZ")

BACKEND = os.environ.get("LUCIA_TEST_BACKEND", "sqlite") or "sqlite"
if BACKEND not in ("sqlite", "postgres"):
    raise SystemExit("LUCIA_TEST_BACKEND must be sqlite or postgres, not %r" % BACKEND)
ON_POSTGRES = BACKEND == "postgres"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the servers behind the postgres backend --------------------------------
_backends = None
_backends_lock = threading.Lock()


def backends():
    """The running PostgreSQL + Redis pair (backends.Backends), or None on
    the sqlite backend. Outage tests use .postgres and .redis: stop(),
    start(), restart(), pause(), resume(), stopped(), paused()."""
    global _backends
    if not ON_POSTGRES:
        return None
    with _backends_lock:
        if _backends is None:
            base = os.environ.get("LUCIA_TEST_BACKEND_DIR")
            if base:
                _backends = backends_mod.Backends(base)
                if _backends.postgres.port is None or _backends.redis.port is None:
                    raise AssertionError("LUCIA_TEST_BACKEND_DIR=%s has no servers" % base)
            else:
                _backends = backends_mod.start_owned()
        return _backends


_db_ids = itertools.count(1)
_databases = {}


class Database:
    """One database the tests can point Lucia and the CLI at, by key (for
    SQLite the key is the file's path)."""

    def __init__(self, key):
        self.key = key
        self.path = key  # the SQLite file; on PostgreSQL only the key
        self.name = None
        self.redis_prefix = None
        self.created = False
        if ON_POSTGRES:
            n = next(_db_ids)
            self.name = "lucia_t%d_%d" % (os.getpid(), n)
            # One namespace per database: engines sharing a database share
            # their Redis keys too, like processes of one deployment.
            self.redis_prefix = "lucia-t%d-%d:" % (os.getpid(), n)

    def __repr__(self):
        return "<Database %s>" % (self.name or self.path)

    def ensure(self):
        """Creates the (empty) PostgreSQL database on first use."""
        if ON_POSTGRES and not self.created:
            backends().postgres.create_database(self.name)
            self.created = True
        return self

    def env(self):
        """What points lucia at this database (and its Redis namespace)."""
        if not ON_POSTGRES:
            return {"LUCIA_DB_PATH": self.path}
        self.ensure()
        b = backends()
        return {"DATABASE_URL": b.postgres.url(self.name), "REDIS_URL": b.redis.url(),
                "LUCIA_REDIS_PREFIX": self.redis_prefix}

    @property
    def url(self):
        return self.env().get("DATABASE_URL")

    # -- looking at the stored rows ----------------------------------------
    def query(self, sql, *params):
        """The rows of one SELECT as dicts. Write `?` for parameters."""
        if ON_POSTGRES:
            self.ensure()
            return backends().postgres.query(sql, params, db=self.name)
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in db.execute(sql, params)]
        finally:
            db.close()

    def scalar(self, sql, *params):
        rows = self.query(sql, *params)
        return next(iter(rows[0].values())) if rows else None

    def execute(self, *statements):
        """Runs (sql, params) pairs in one transaction."""
        if ON_POSTGRES:
            self.ensure()
            backends().postgres.execute(statements, db=self.name)
            return
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                for sql, args in statements:
                    db.execute(sql, args)
        finally:
            db.close()

    def tables(self):
        """Names of the tables Lucia made (SQLite's internal ones left out)."""
        if ON_POSTGRES:
            rows = self.query("SELECT tablename AS name FROM pg_tables WHERE schemaname NOT IN "
                              "('pg_catalog', 'information_schema')")
        else:
            rows = self.query("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                              "name NOT LIKE 'sqlite_%'")
        return {r["name"] for r in rows}

    def untouched(self):
        """True when Lucia never made anything here: no SQLite file, or a
        PostgreSQL database without a table."""
        if ON_POSTGRES:
            return not self.created or not self.tables()
        return not os.path.exists(self.path)

    def copy(self, key=None):
        """A consistent copy, as a new Database (the engine must be stopped
        on PostgreSQL, which copies through CREATE DATABASE ... TEMPLATE)."""
        dst = database(key or tempfile.mktemp(prefix="lucia-copy-", suffix=".db"))
        if ON_POSTGRES:
            self.ensure()
            backends().postgres.create_database(dst.name, template=self.name)
            dst.created = True
            return dst
        src_db = sqlite3.connect(self.path)
        dst_db = sqlite3.connect(dst.path)
        try:
            src_db.backup(dst_db)
        finally:
            src_db.close()
            dst_db.close()
        return dst

    def drop(self):
        """Removes the PostgreSQL database (SQLite files go with temp dirs)."""
        if ON_POSTGRES and self.created:
            try:
                backends().postgres.drop_database(self.name)
            except Exception:
                pass  # best effort: the cluster is thrown away anyway
            self.created = False
        _databases.pop(self.key, None)


def database(key):
    """The Database for key (a SQLite path): the same key, the same one."""
    if isinstance(key, Database):
        return key
    key = os.path.abspath(key) if not ON_POSTGRES or os.sep in key else key
    if key not in _databases:
        _databases[key] = Database(key)
    return _databases[key]


def db_of(x):
    """A Database from a Lucia, a Database or a key."""
    if x is None:
        return None
    if isinstance(x, Lucia):
        return x.db
    return database(x)


# --- Lucia processes still running when the runner is interrupted -----------
_live = set()


def _stop_live():
    for lucia in list(_live):
        try:
            if lucia.proc is not None and lucia.proc.poll() is None:
                lucia.proc.kill()
                lucia.proc.wait(timeout=10)
            if lucia.own_tmp:
                shutil.rmtree(lucia.tmp, ignore_errors=True)
        except Exception:
            pass
    _live.clear()


backends_mod.cleanup_hooks.append(_stop_live)


def install_cleanup():
    """Stops leftover Lucia processes (and servers this process started)
    at exit and on SIGTERM/SIGHUP. run.py calls it; Lucia.start does too."""
    import atexit
    if not getattr(install_cleanup, "done", False):
        # Registered after backends' own, so (atexit runs in reverse) the
        # engines are gone before their database server stops.
        backends_mod.install_cleanup()
        atexit.register(_stop_live)
        install_cleanup.done = True


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


def run_cli(args, env=None, cwd=None, timeout=60, db=None):
    """Runs `lucia ARGS` to completion; returns CompletedProcess (text).

    db (a Lucia, a Database or a key) points the command at that database
    on either backend. Without it, an env LUCIA_DB_PATH is mapped the same
    way on PostgreSQL (the same path, the same database)."""
    full = {k: os.environ[k] for k in PASSTHROUGH if k in os.environ}
    extra = dict(env or {})
    if db is None and ON_POSTGRES and extra.get("LUCIA_DB_PATH"):
        db = extra.get("LUCIA_DB_PATH")
    if db is not None:
        full.update(db_of(db).env())
    full.update(extra)
    full = {k: v for k, v in full.items() if v is not None}
    return subprocess.run([LUCIA_BIN] + list(args), env=full, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


class Lucia:
    """One `lucia serve`. db (a Database, a key such as a SQLite path, or
    another Lucia) shares that database; db_path is the older spelling of
    the same. Without either it gets a fresh database of its own, which
    close() drops on PostgreSQL."""

    def __init__(self, env=None, tmp=None, db_path=None, db=None):
        self.own_tmp = tmp is None
        self.tmp = tmp or tempfile.mkdtemp(prefix="lucia-e2e-")
        self.own_db = db is None and db_path is None
        self.db = db_of(db if db is not None else
                        db_path or os.path.join(self.tmp, "lucia.db"))
        self.db_path = self.db.path
        self.port = None
        self.proc = None
        self.extra_env = dict(env or {})
        self.log_path = None
        self.runs = 0

    # -- life cycle --------------------------------------------------------
    def env(self):
        e = {k: os.environ[k] for k in PASSTHROUGH if k in os.environ}
        e.update(self.db.env())
        e.update({
            "PORT": str(self.port),
            "LUCIA_SERVICE_KEY": SERVICE_KEY,
            "LUCIA_LOG_LEVEL": "info",
        })
        e.update(self.extra_env)
        return {k: v for k, v in e.items() if v is not None}

    def start(self, wait=True):
        install_cleanup()
        self.port = free_port()
        self.runs += 1
        self.log_path = os.path.join(self.tmp, "server-%d.log" % self.runs)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([LUCIA_BIN, "serve"], env=self.env(), cwd=self.tmp,
                                     stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        _live.add(self)
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
        _live.discard(self)
        self.log.close()
        self.check_sanitizers()
        return code

    def kill9(self):
        return self.stop(sig=signal.SIGKILL)

    def close(self):
        try:
            self.stop()
        finally:
            if self.own_db:
                self.db.drop()
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
