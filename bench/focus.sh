#!/usr/bin/env bash
# focus.sh — operator-focus latency (SPEC §8, issue 7) with the demo data
# scaled ×SCALE (default 100: 200 properties, 1,300 bookings, 1,600 items),
# on the embedded default (SQLite). Run on purpose, not in `make check`.
#
#   bench/focus.sh [SCALE] [REQUESTS]
#   LUCIA_BIN=build/asan/lucia bench/focus.sh 10 200     (any build)
#
# It loads `lucia demo` once and `lucia demo --force` SCALE-1 times into a
# temp database, serves it on a free loopback port, sends REQUESTS focus
# turns (the eight validation prompts in turn, each run of eight in one
# session, one client at a time) and prints p50/p95/p99 per route and in
# all, with the /health round trip on the same server as the reference.
# Everything lives in a temp dir that is removed at exit; the server is
# stopped by its own PID.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-100}
requests=${2:-400}
bin=${LUCIA_BIN:-build/release/lucia}
[ -x "$bin" ] || { echo "focus.sh: $bin is not built (make, or set LUCIA_BIN)" >&2; exit 1; }
case $scale in ''|*[!0-9]*) echo "focus.sh: SCALE must be a number" >&2; exit 2;; esac
[ "$scale" -ge 1 ] && [ "$scale" -le 1000 ] || { echo "focus.sh: SCALE is 1..1000" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lucia-bench-focus-XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

export LUCIA_DB_PATH="$tmp/lucia.db" LUCIA_LOG_LEVEL=warn
echo "loading the demo data x$scale into $LUCIA_DB_PATH ..."
"$bin" demo > /dev/null
for _ in $(seq 2 "$scale"); do "$bin" demo --force > /dev/null; done

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
key="bench-focus-key-0123456789abcdef"
PORT=$port LUCIA_SERVICE_KEY=$key "$bin" serve 2> "$tmp/serve.log" &
pid=$!

python3 - "$port" "$key" "$requests" "$scale" <<'EOF'
import http.client, json, statistics, sys, time
port, key, n, scale = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
prompts = ["Good morning", "How are you?", "I'm overwhelmed", "What matters most right now?",
           "Show payment risks I need to handle now.",
           "Show open concierge requests needing confirmation.",
           "Any urgent maintenance issues today?", "What's the capital of France?"]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
deadline = time.monotonic() + 30
while True:
    try:
        conn.request("GET", "/health"); conn.getresponse().read(); break
    except OSError:
        if time.monotonic() > deadline: raise
        time.sleep(0.1); conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
health = []
for _ in range(200):
    t = time.perf_counter(); conn.request("GET", "/health"); conn.getresponse().read()
    health.append((time.perf_counter() - t) * 1000)
by_route, every, session, items = {}, [], None, 0
for i in range(n):
    body = {"message": prompts[i % 8]}
    if i % 8 and session: body["session_id"] = session
    t = time.perf_counter()
    conn.request("POST", "/admin/operator-focus", json.dumps(body),
                 {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    r = conn.getresponse(); data = r.read(); ms = (time.perf_counter() - t) * 1000
    if r.status != 200: sys.exit("focus answered %d: %s" % (r.status, data[:200]))
    a = json.loads(data); session = a["session_id"]; items += len(a["items"])
    by_route.setdefault(a["route"], []).append(ms); every.append(ms)
print("focus latency, demo x%d, %d sequential requests (ms):" % (scale, n))
print("  %-20s %6s %8s %8s %8s" % ("route", "n", "p50", "p95", "p99"))
for route, xs in sorted(by_route.items()):
    print("  %-20s %6d %8.2f %8.2f %8.2f" % (route, len(xs), pct(xs, 50), pct(xs, 95), pct(xs, 99)))
print("  %-20s %6d %8.2f %8.2f %8.2f" % ("all", len(every), pct(every, 50), pct(every, 95),
                                          pct(every, 99)))
print("  %-20s %6d %8.2f %8.2f %8.2f   (reference: the same server's /health)"
      % ("GET /health", len(health), pct(health, 50), pct(health, 95), pct(health, 99)))
print("  focus p50 is %.1fx the /health round trip; %d items cited in all"
      % (pct(every, 50) / max(pct(health, 50), 1e-6), items))
EOF
