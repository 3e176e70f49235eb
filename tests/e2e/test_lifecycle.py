"""The process: graceful SIGTERM with a request in flight, restarts that keep
the data, kill -9 after a 201, the CLI's commands, exit codes and config
errors."""
import json
import os
import shutil
import signal
import socket
import sqlite3
import tempfile
import time
import unittest

import harness
from harness import Lucia, SERVICE_KEY, run_cli


def pg_leftovers(db):
    """What a full `migrate down` left on PostgreSQL besides the
    schema_migrations table: views, functions, types, extra schemas (what
    an extension owns is the extension's)."""
    user_ns = ("n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
               "AND n.nspname NOT LIKE 'pg_temp_%' AND n.nspname NOT LIKE 'pg_toast_temp_%'")
    not_ext = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = %s AND d.deptype = 'e')"
    parts = [
        "SELECT 'view ' || c.relname AS what FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm', 'f') AND %s AND %s"
        % (user_ns, not_ext % "c.oid"),
        "SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n "
        "ON n.oid = p.pronamespace WHERE %s AND %s" % (user_ns, not_ext % "p.oid"),
        "SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n "
        "ON n.oid = t.typnamespace WHERE t.typtype IN ('e', 'd', 'r', 'm') AND %s AND %s"
        % (user_ns, not_ext % "t.oid"),
        "SELECT 'schema ' || n.nspname FROM pg_namespace n WHERE %s AND n.nspname <> 'public' "
        "AND %s" % (user_ns, not_ext % "n.oid"),
    ]
    return sorted(r["what"] for r in db.query(" UNION ALL ".join(parts)))


def read_reply(sock, timeout=20):
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v)
            if len(body) >= length:
                return int(head.split(b" ")[1]), body[:length]
    raise AssertionError("connection closed before a full reply: %r" % data[:200])


class SigtermTest(unittest.TestCase):
    def test_in_flight_request_completes_and_exit_is_0(self):
        lucia = Lucia().start()
        try:
            body = json.dumps({"name": "In Flight Villa"}).encode()
            s = socket.create_connection(("127.0.0.1", lucia.port), timeout=20)
            s.sendall(b"POST /api/properties HTTP/1.1\r\nHost: t\r\n"
                      b"Authorization: Bearer " + SERVICE_KEY.encode() + b"\r\n"
                      b"Content-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body) + body[:5])
            time.sleep(0.3)  # the server has the headers and part of the body
            lucia.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            # Stopped accepting: a new connection is refused (or never served).
            refused = False
            try:
                c = socket.create_connection(("127.0.0.1", lucia.port), timeout=2)
                c.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                c.settimeout(2)
                refused = c.recv(100) == b""
                c.close()
            except OSError:
                refused = True
            self.assertTrue(refused, "a new connection was served after SIGTERM")
            self.assertIsNone(lucia.proc.poll(), "exited before finishing the request")
            s.sendall(body[5:])
            status, reply = read_reply(s)
            s.close()
            self.assertEqual(status, 201, reply)
            created = json.loads(reply)
            lucia.proc.wait(timeout=15)
            self.assertEqual(lucia.stop(), 0)
            # It was committed: a restart has it.
            lucia.start()
            r = lucia.get("/api/properties/" + created["id"])
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json()["name"], "In Flight Villa")
        finally:
            lucia.close()

    def test_idle_server_exits_0_quickly(self):
        lucia = Lucia().start()
        try:
            t0 = time.monotonic()
            self.assertEqual(lucia.stop(), 0)
            self.assertLess(time.monotonic() - t0, 10)
            self.assertIn("stopped cleanly", lucia.log_text())
        finally:
            lucia.close()


class DurabilityTest(unittest.TestCase):
    def test_restart_keeps_data(self):
        lucia = Lucia().start()
        try:
            ids = [lucia.post("/api/properties", {"name": "Keep %d" % i}).json()["id"]
                   for i in range(3)]
            self.assertEqual(lucia.stop(), 0)
            lucia.start()
            listed = [p["id"] for p in lucia.get("/api/properties").json()["data"]]
            self.assertEqual(listed, ids)
        finally:
            lucia.close()

    def test_kill9_after_201_loses_nothing(self):
        lucia = Lucia().start()
        try:
            made = []
            for i in range(20):
                r = lucia.post("/api/properties", {"name": "Acked %d" % i})
                self.assertEqual(r.status, 201)
                made.append(r.json()["id"])
            lucia.kill9()
            lucia.start()
            for pid in made:
                self.assertEqual(lucia.get("/api/properties/" + pid).status, 200, pid)
        finally:
            lucia.close()

    def test_migrations_are_tracked(self):
        lucia = Lucia().start()
        try:
            lucia.stop()
            rows = lucia.db.query("SELECT version FROM schema_migrations")
            self.assertIn(1, [r["version"] for r in rows])
        finally:
            lucia.close()

    @unittest.skipIf(harness.ON_POSTGRES, "journal_mode=WAL is a SQLite file setting; "
                     "PostgreSQL always writes ahead")
    def test_sqlite_file_is_wal_with_migrations_tracked(self):
        lucia = Lucia().start()
        try:
            lucia.stop()
            db = sqlite3.connect(lucia.db_path)
            self.assertEqual(db.execute("PRAGMA journal_mode").fetchone()[0], "wal")
            versions = [r[0] for r in db.execute("SELECT version FROM schema_migrations")]
            self.assertIn(1, versions)
            db.close()
        finally:
            lucia.close()


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lucia-cli-")
        self.db = harness.database(os.path.join(self.tmp, "cli.db"))

    def tearDown(self):
        self.db.drop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_version_and_help(self):
        r = run_cli(["--version"])
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^lucia \d+\.\d+\.\d+")
        r = run_cli(["--help"])
        self.assertEqual(r.returncode, 0)
        for word in ("serve", "migrate up", "migrate down", "migrate status"):
            self.assertIn(word, r.stdout)

    def test_unknown_command_and_flags_exit_2_with_usage(self):
        for args in (["frobnicate"], ["--frob"], ["migrate"], ["migrate", "sideways"],
                     ["migrate", "down", "zero"], ["serve", "--port=1"], []):
            r = run_cli(args, db=self.db)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn("usage: lucia", r.stderr, args)

    def test_migrate_up_status_down(self):
        r = run_cli(["migrate", "status"], db=self.db)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("pending", r.stdout)
        r = run_cli(["migrate", "up"], db=self.db)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"applied [1-9]\d* migration")
        r = run_cli(["migrate", "up"], db=self.db)
        self.assertIn("applied 0 migrations", r.stdout)
        r = run_cli(["migrate", "status"], db=self.db)
        self.assertIn("0 pending", r.stdout)
        r = run_cli(["migrate", "down", "1"], db=self.db)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("reverted 1 migration", r.stdout)
        r = run_cli(["migrate", "status"], db=self.db)
        self.assertIn("1 pending", r.stdout)
        r = run_cli(["migrate", "down", "1000"], db=self.db)
        self.assertEqual(r.returncode, 0, r.stderr)
        if harness.ON_POSTGRES:
            self.assertEqual(self.db.tables(), {"schema_migrations"})
            self.assertEqual(pg_leftovers(self.db), [])
        else:
            db = sqlite3.connect(self.db.path)
            tables = {t[0] for t in db.execute("SELECT name FROM sqlite_master "
                                               "WHERE type='table'")}
            db.close()
            self.assertEqual(tables - {"sqlite_sequence"}, {"schema_migrations"})
        r = run_cli(["migrate", "up"], db=self.db)
        self.assertEqual(r.returncode, 0)

    def test_config_errors_name_the_variable(self):
        cases = [
            ({"PORT": "abc"}, "PORT"),
            ({"PORT": "70000"}, "PORT"),
            ({"LUCIA_ENV": "prod"}, "LUCIA_ENV"),
            ({"OPERATOR_TIME_ZONE": "Moon/Base"}, "OPERATOR_TIME_ZONE"),
            ({"LUCIA_DB_POOL": "0"}, "LUCIA_DB_POOL"),
            ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
            ({"LUCIA_ENV": "production"}, "LUCIA_SERVICE_KEY"),
            ({"LUCIA_ENV": "production", "LUCIA_SERVICE_KEY": "k" * 40,
              "TWILIO_ACCOUNT_SID": "AC123"}, "TWILIO_AUTH_TOKEN"),
            ({"LUCIA_JWKS_FILE": "/nonexistent/jwks.json"}, "LUCIA_JWKS_FILE"),
        ]
        for extra, name in cases:
            r = run_cli(["serve"], env=extra, db=self.db, timeout=30)
            self.assertEqual(r.returncode, 1, (extra, r.stderr))
            self.assertIn(name, r.stderr, extra)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            for secret in extra.values():
                if secret.startswith("kkkk"):
                    self.assertNotIn(secret, r.stderr)

    def test_port_in_use_is_a_clear_error(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        try:
            r = run_cli(["serve"], env={"PORT": str(port)}, db=self.db, timeout=30)
            self.assertEqual(r.returncode, 1)
            self.assertIn("cannot listen", r.stderr)
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
