"""backends.py — throwaway PostgreSQL and Redis servers for the end-to-end tests.

tests/run.sh starts both once (`backends.py start DIR`), runs the suite with
LUCIA_TEST_BACKEND=postgres and LUCIA_TEST_BACKEND_DIR=DIR, and stops both
(`backends.py stop DIR`, also from its EXIT/INT/TERM trap). Run without
run.sh, the harness starts its own pair on first use and stops it at exit
or on SIGTERM/SIGHUP.

Everything lives under DIR: the PostgreSQL cluster (initdb'd as the
`postgres` OS user when we are root, since root cannot run postgres), its
unix socket and log, Redis's dir, log and pid file. Both listen on free
loopback ports only. Each is stopped by its own PID — the postmaster's from
postmaster.pid, Redis's from the pid file we write — never by name: SIGINT
(PostgreSQL's fast shutdown) or SIGTERM first, then SIGQUIT/SIGKILL after a
bounded wait. Every wait here is bounded in count and time.

Tests reach the servers through harness.backends(): create_database, psql,
and stop/start/restart/pause/resume for outage tests (the `stopped()` and
`paused()` context managers put things back even when the test fails).
"""
import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PG_SUPERUSER = "postgres"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
PSQL_TIMEOUT_S = 120.0


def log(msg):
    sys.stderr.write("backends: %s\n" % msg)
    sys.stderr.flush()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    # The state follows the ")" that closes the command name.
    return stat[stat.rfind(")") + 2:][:1] not in ("Z", "X", "")


def pid_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def wait_gone(pid, timeout, child=None):
    """Waits until pid has exited (reaping it when it is our child)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None and child.poll() is not None:
            return True
        if not pid_alive(pid):
            if child is not None:
                child.poll()
            return True
        time.sleep(0.05)
    return False


def children_of(pid):
    """PIDs whose parent is pid (PostgreSQL's backends and helpers: each
    calls setsid(), so the postmaster's process group does not hold them)."""
    kids = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return kids
    for entry in entries[:1_000_000]:
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and fields[1] == str(pid):
            kids.append(int(entry))
    return kids


def signal_group(pid, sig):
    """Signals pid, its process group when it leads one (we start both
    servers in a session of their own), and its direct children."""
    targets = [pid] + children_of(pid)
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    for p in targets:
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


def stop_pid(pid, first, then, timeout, child=None, name="server"):
    """SIGCONT (a paused server cannot shut down), `first`, bounded wait,
    then `then` and SIGKILL to the group. Returns True when it is gone."""
    if pid is None or not pid_alive(pid):
        if child is not None:
            child.poll()
        return True
    signal_group(pid, signal.SIGCONT)
    try:
        os.kill(pid, first)
    except ProcessLookupError:
        return True
    if wait_gone(pid, timeout, child):
        return True
    log("%s %d ignored %s for %.0fs; sending %s" % (name, pid, first.name, timeout, then.name))
    signal_group(pid, then)
    if wait_gone(pid, 5.0, child):
        return True
    signal_group(pid, signal.SIGKILL)
    return wait_gone(pid, 5.0, child)


def drop_privileges_kwargs():
    """Popen arguments that run a command as the postgres OS user when we
    are root (initdb and postgres refuse to run as root)."""
    if os.geteuid() != 0:
        return {}
    import pwd
    pw = pwd.getpwnam(PG_SUPERUSER)
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


def pg_bindir():
    """The directory with initdb, postgres and psql of the newest installed
    PostgreSQL (LUCIA_TEST_PG_BINDIR overrides)."""
    candidates = []
    if os.environ.get("LUCIA_TEST_PG_BINDIR"):
        candidates.append(os.environ["LUCIA_TEST_PG_BINDIR"])
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                             timeout=10, stdin=subprocess.DEVNULL)
        if out.returncode == 0:
            candidates.append(out.stdout.strip())
    except (OSError, subprocess.TimeoutExpired):
        pass

    def version(path):
        try:
            return int(path.rstrip("/").split("/")[-2])
        except ValueError:
            return 0
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    for d in candidates:
        if all(os.access(os.path.join(d, b), os.X_OK) for b in ("initdb", "postgres", "psql")):
            return d
    raise RuntimeError("PostgreSQL server binaries not found (initdb, postgres, psql); "
                       "run scripts/deps.sh or set LUCIA_TEST_PG_BINDIR")


def clean_env(extra=None):
    """A minimal environment for the servers and psql: no PG* or REDIS*
    settings of the developer's leak in."""
    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR")}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update(extra or {})
    return env


def sql_literal(value):
    """A PostgreSQL literal for a test's parameter (standard_conforming_strings
    is on, so doubling quotes is the whole escaping)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, bytes):
        return "'\\x%s'::bytea" % value.hex()
    if isinstance(value, (dict, list)):
        value = json.dumps(value)  # a json/jsonb column read back by query()
    text = str(value)
    if "\0" in text:
        raise ValueError("NUL in a PostgreSQL literal")
    return "'" + text.replace("'", "''") + "'"


def bind_params(sql, params):
    """Replaces each `?` outside quotes with the next parameter's literal, so
    a test can write one statement for SQLite and PostgreSQL."""
    out = []
    it = iter(params)
    quote = None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
            out.append(ch)
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            try:
                out.append(sql_literal(next(it)))
            except StopIteration:
                raise ValueError("more ? than parameters in %r" % sql)
        else:
            out.append(ch)
    if next(it, StopIteration) is not StopIteration:
        raise ValueError("more parameters than ? in %r" % sql)
    return "".join(out)


class Postgres:
    """One throwaway cluster in DIR/pg: data/, the unix socket, server.log."""

    def __init__(self, base):
        self.dir = os.path.join(base, "pg")
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "server.log")
        self.port_file = os.path.join(self.dir, "port")
        self.bindir = None
        self.child = None  # the Popen when this process started the postmaster
        self.port = None
        if os.path.exists(self.port_file):
            with open(self.port_file) as f:
                self.port = int(f.read().strip())

    # -- life cycle --------------------------------------------------------
    def init(self):
        """initdb into DIR/pg/data with our settings in postgresql.conf."""
        self.bindir = self.bindir or pg_bindir()
        os.makedirs(self.dir, exist_ok=True)
        if os.geteuid() == 0:
            import pwd
            pw = pwd.getpwnam(PG_SUPERUSER)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        r = subprocess.run([os.path.join(self.bindir, "initdb"), "-D", self.data,
                            "-U", PG_SUPERUSER, "--auth=trust", "--locale=C",
                            "--encoding=UTF8", "--no-sync"],
                           env=clean_env(), cwd=self.dir, capture_output=True, text=True,
                           timeout=120, stdin=subprocess.DEVNULL, **drop_privileges_kwargs())
        if r.returncode != 0:
            raise RuntimeError("initdb failed (%d):\n%s%s" % (r.returncode, r.stdout, r.stderr))
        self.port = free_port()
        self.write_conf()

    def write_conf(self):
        # Everything here talks TCP; the socket only keeps the server from
        # using the system's /var/run/postgresql. Its path must fit in
        # sun_path (108 bytes) with ".s.PGSQL.NNNNN.lock" after it.
        sockets = self.dir if len(self.dir) < 80 else ""
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": "'%s'" % sockets,
            # Durability tests (kill -9 after a 201, restarts) rely on it.
            "fsync": "on",
            "synchronous_commit": "on",
            "full_page_writes": "on",
            "shared_buffers": "32MB",
            "max_connections": "200",
            "logging_collector": "off",
            "log_min_messages": "warning",
            "log_connections": "off",
            "log_timezone": "'UTC'",
            "timezone": "'UTC'",
            "max_wal_size": "256MB",
        }
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n# lucia e2e harness\n")
            for k, v in settings.items():
                f.write("%s = %s\n" % (k, v))
        with open(self.port_file, "w") as f:
            f.write("%d\n" % self.port)

    def start(self, timeout=START_TIMEOUT_S):
        """Starts the postmaster (in a session of its own) and waits until
        it answers a query. Starting a running cluster is an error."""
        if self.pid() is not None:
            raise RuntimeError("PostgreSQL is already running (pid %d)" % self.pid())
        self.bindir = self.bindir or pg_bindir()
        logf = open(self.log_path, "ab")
        try:
            self.child = subprocess.Popen(
                [os.path.join(self.bindir, "postgres"), "-D", self.data],
                env=clean_env(), cwd=self.dir, stdin=subprocess.DEVNULL, stdout=logf,
                stderr=logf, start_new_session=True, **drop_privileges_kwargs())
        finally:
            logf.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.child.poll() is not None:
                raise RuntimeError("postgres exited with %d during start:\n%s"
                                   % (self.child.returncode, self.log_tail()))
            r = self.run_psql("SELECT 1", timeout=10, check=False)
            if r.returncode == 0 and r.stdout.strip() == "1":
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("PostgreSQL did not accept connections in %.0fs:\n%s"
                           % (timeout, self.log_tail()))

    def pid(self):
        """The running postmaster's PID from postmaster.pid, or None (also
        when the file is stale or names some other process)."""
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                lines = f.read().splitlines()
            pid = int(lines[0])
        except (OSError, ValueError, IndexError):
            return None
        if not pid_alive(pid):
            return None
        if self.data not in pid_cmdline(pid):
            return None  # a recycled PID: not ours
        return pid

    def stop(self, timeout=STOP_TIMEOUT_S):
        """Fast shutdown (SIGINT) by PID; SIGQUIT, then SIGKILL to the
        postmaster's group after the bounded wait."""
        pid = self.pid()
        if pid is None and self.child is not None and self.child.poll() is None:
            pid = self.child.pid
        child = self.child if (self.child and self.child.pid == pid) else None
        ok = stop_pid(pid, signal.SIGINT, signal.SIGQUIT, timeout, child, "postgres")
        if self.child is not None:
            self.child.poll()
            self.child = None
        if not ok:
            raise RuntimeError("postgres %s did not stop" % pid)

    def kill9(self):
        """A crash: SIGKILL to the postmaster and its backends."""
        pid = self.pid()
        if pid is not None:
            signal_group(pid, signal.SIGCONT)
            signal_group(pid, signal.SIGKILL)
            wait_gone(pid, 10.0, self.child if self.child and self.child.pid == pid else None)

    def restart(self):
        self.stop()
        return self.start()

    def pause(self):
        """SIGSTOP to the postmaster and every backend: connections hang."""
        pid = self.pid()
        if pid is None:
            raise RuntimeError("PostgreSQL is not running")
        signal_group(pid, signal.SIGSTOP)

    def resume(self):
        pid = self.pid()
        if pid is not None:
            signal_group(pid, signal.SIGCONT)

    @contextlib.contextmanager
    def stopped(self):
        """`with pg.stopped():` — down inside, running again afterwards."""
        self.stop()
        try:
            yield self
        finally:
            if self.pid() is None:
                self.start()

    @contextlib.contextmanager
    def paused(self):
        self.pause()
        try:
            yield self
        finally:
            self.resume()

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    # -- SQL ---------------------------------------------------------------
    def url(self, dbname, user=PG_SUPERUSER):
        return "postgres://%s@127.0.0.1:%d/%s" % (user, self.port, dbname)

    def run_psql(self, sql, db="postgres", timeout=PSQL_TIMEOUT_S, check=True, single=False,
                 user=PG_SUPERUSER):
        """Runs SQL (from stdin) with psql over TCP; returns CompletedProcess.
        `single` wraps it in one transaction."""
        self.bindir = self.bindir or pg_bindir()
        args = [os.path.join(self.bindir, "psql"), "-X", "-q", "-A", "-t",
                "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
                "-U", user, "-d", db, "-f", "-"]
        if single:
            args.insert(1, "-1")
        r = subprocess.run(args, input=sql, env=clean_env({"PGCONNECT_TIMEOUT": "5",
                                                           "PGTZ": "UTC"}),
                           capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError("psql on %s failed (%d): %s\nSQL: %s"
                               % (db, r.returncode, r.stderr.strip(), sql[:2000]))
        return r

    def query(self, sql, params=(), db="postgres"):
        """Rows of one SELECT as a list of dicts, with JSON types (numbers,
        strings, null; json/jsonb columns as objects unless cast to text)."""
        sql = bind_params(sql.strip().rstrip(";"), params)
        wrapped = "SELECT coalesce(json_agg(q), '[]'::json) FROM (%s) q;" % sql
        out = self.run_psql(wrapped, db=db).stdout
        return json.loads(out)

    def execute(self, statements, db="postgres"):
        """Runs [(sql, params), ...] in one transaction."""
        script = "".join(bind_params(s.strip().rstrip(";"), p) + ";\n" for s, p in statements)
        self.run_psql(script, db=db, single=True)

    def create_database(self, name, template=None):
        tpl = " TEMPLATE %s" % quote_ident(template) if template else ""
        self.run_psql("CREATE DATABASE %s%s;" % (quote_ident(name), tpl))

    def drop_database(self, name):
        self.run_psql("DROP DATABASE IF EXISTS %s WITH (FORCE);" % quote_ident(name))


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


class Redis:
    """One redis-server in DIR/redis: no persistence, loopback only."""

    def __init__(self, base):
        self.dir = os.path.join(base, "redis")
        self.log_path = os.path.join(self.dir, "server.log")
        self.pid_file = os.path.join(self.dir, "redis.pid")
        self.port_file = os.path.join(self.dir, "port")
        self.child = None
        self.port = None
        if os.path.exists(self.port_file):
            with open(self.port_file) as f:
                self.port = int(f.read().strip())

    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def start(self, timeout=START_TIMEOUT_S):
        if self.pid() is not None:
            raise RuntimeError("Redis is already running (pid %d)" % self.pid())
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.access(binary, os.X_OK):
            raise RuntimeError("redis-server not found; run scripts/deps.sh")
        os.makedirs(self.dir, exist_ok=True)
        if self.port is None:
            self.port = free_port()
            with open(self.port_file, "w") as f:
                f.write("%d\n" % self.port)
        logf = open(self.log_path, "ab")
        try:
            self.child = subprocess.Popen(
                [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                 "--appendonly", "no", "--dir", self.dir, "--daemonize", "no",
                 "--protected-mode", "yes", "--loglevel", "warning"],
                env=clean_env(), cwd=self.dir, stdin=subprocess.DEVNULL, stdout=logf,
                stderr=logf, start_new_session=True)
        finally:
            logf.close()
        with open(self.pid_file, "w") as f:
            f.write("%d\n" % self.child.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.child.poll() is not None:
                raise RuntimeError("redis-server exited with %d during start:\n%s"
                                   % (self.child.returncode, self.log_tail()))
            if self.ping():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("Redis did not answer PING in %.0fs:\n%s" % (timeout, self.log_tail()))

    def ping(self, timeout=1.0):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *args, timeout=5.0):
        """One command over RESP; returns the raw reply bytes (for tests
        that look at keys: KEYS, TTL, GET...)."""
        req = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            req += b"$%d\r\n%s\r\n" % (len(a), a)
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(req)
            return read_resp(s.makefile("rb"))

    def pid(self):
        try:
            with open(self.pid_file) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        if not pid_alive(pid):
            return None
        if "redis-server" not in pid_cmdline(pid):
            return None  # a recycled PID: not ours
        return pid

    def stop(self, timeout=STOP_TIMEOUT_S):
        pid = self.pid()
        child = self.child if (self.child and self.child.pid == pid) else None
        ok = stop_pid(pid, signal.SIGTERM, signal.SIGKILL, timeout, child, "redis-server")
        if self.child is not None:
            self.child.poll()
            self.child = None
        if not ok:
            raise RuntimeError("redis-server %s did not stop" % pid)

    def restart(self):
        self.stop()
        return self.start()

    def pause(self):
        pid = self.pid()
        if pid is None:
            raise RuntimeError("Redis is not running")
        os.kill(pid, signal.SIGSTOP)

    def resume(self):
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGCONT)

    @contextlib.contextmanager
    def stopped(self):
        self.stop()
        try:
            yield self
        finally:
            if self.pid() is None:
                self.start()

    @contextlib.contextmanager
    def paused(self):
        self.pause()
        try:
            yield self
        finally:
            self.resume()

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""


def read_resp(f, depth=0):
    """A minimal RESP2 reader: simple strings and errors as str, integers as
    int, bulk strings as bytes (None for nil), arrays as lists."""
    if depth > 32:
        raise ValueError("RESP nesting too deep")
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise OSError("short RESP reply")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError("redis: " + rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if kind == b"*":
        n = int(rest)
        if n < 0:
            return None
        return [read_resp(f, depth + 1) for _ in range(min(n, 1_000_000))]
    raise ValueError("unknown RESP type %r" % kind)


class Backends:
    """PostgreSQL + Redis under one directory."""

    def __init__(self, base):
        self.base = base
        self.postgres = Postgres(base)
        self.redis = Redis(base)

    @classmethod
    def create(cls, base=None):
        """Makes the directory, initdb's and starts both servers. On any
        failure whatever was started is stopped again."""
        if base is None:
            # /tmp, not $TMPDIR: the postgres user must be able to reach it
            # (tests/run.sh gives the runner a private TMPDIR).
            base = tempfile.mkdtemp(prefix="lucia-backends-",
                                    dir="/tmp" if os.path.isdir("/tmp") else None)
        os.makedirs(base, exist_ok=True)
        os.chmod(base, 0o711)  # the postgres user must reach DIR/pg
        b = cls(base)
        try:
            t0 = time.monotonic()
            b.postgres.init()
            b.postgres.start()
            b.redis.start()
            log("PostgreSQL (pid %d, 127.0.0.1:%d) and Redis (pid %d, 127.0.0.1:%d) "
                "ready in %.1fs under %s" % (b.postgres.pid(), b.postgres.port, b.redis.pid(),
                                             b.redis.port, time.monotonic() - t0, base))
        except BaseException:
            b.stop()
            raise
        return b

    def stop(self):
        """Stops both by PID; safe to call twice or when neither runs."""
        errors = []
        for server in (self.redis, self.postgres):
            try:
                server.stop()
            except Exception as e:  # keep going: the other must stop too
                errors.append(str(e))
        if errors:
            raise RuntimeError("; ".join(errors))

    def remove(self):
        shutil.rmtree(self.base, ignore_errors=True)


# --- owned servers: stopped at exit and on SIGTERM/SIGHUP ------------------
_owned = []
_handlers_installed = False


def stop_owned():
    while _owned:
        b = _owned.pop()
        try:
            b.stop()
        except Exception as e:
            log("stopping: %s" % e)
        b.remove()


def _on_signal(signum, frame):
    stop_owned()
    for hook in list(cleanup_hooks):
        try:
            hook()
        except Exception:
            pass
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


cleanup_hooks = []


def install_cleanup():
    """atexit + SIGTERM/SIGHUP handlers that stop owned servers (and run
    cleanup_hooks, where the harness stops its Lucia processes). SIGINT
    raises KeyboardInterrupt, after which atexit runs."""
    global _handlers_installed
    if _handlers_installed:
        return
    import atexit
    import threading
    atexit.register(stop_owned)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _on_signal)
    _handlers_installed = True


def start_owned():
    """Starts a pair that this process stops at exit."""
    install_cleanup()
    b = Backends.create()
    _owned.append(b)
    return b


def main(argv):
    usage = "usage: backends.py start DIR | stop DIR | status DIR"
    if len(argv) != 3 or argv[1] not in ("start", "stop", "status"):
        print(usage, file=sys.stderr)
        return 2
    cmd, base = argv[1], os.path.abspath(argv[2])
    if cmd == "start":
        # Left running for tests/run.sh, which stops them with `stop DIR`.
        b = Backends.create(base)
        print("export LUCIA_TEST_BACKEND_DIR=%s" % base)
        print("# postgres %s pid %d; redis %s pid %d"
              % (b.postgres.url("postgres"), b.postgres.pid(), b.redis.url(), b.redis.pid()))
        return 0
    b = Backends(base)
    if cmd == "status":
        print("postgres pid %s, redis pid %s" % (b.postgres.pid(), b.redis.pid()))
        return 0
    if not os.path.isdir(base):
        return 0
    try:
        b.stop()
    except RuntimeError as e:
        log(str(e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
