#!/usr/bin/env bash
# run.sh — the whole test suite, as `make check` runs it: every cmocka unit
# test, then the end-to-end suite against the real binary on SQLite, then the
# same end-to-end suite on a throwaway PostgreSQL + Redis that this script
# starts on free loopback ports (tests/e2e/backends.py) and stops by PID —
# also when a test fails or the run is interrupted (the EXIT trap). All built
# with AddressSanitizer and UBSan. Ends with one line "N passed, M failed".
#
#   tests/run.sh [PATTERN...]    PATTERN: a unittest -k pattern for the e2e suite
#                                (and a substring of browser test names)
#   LUCIA_TEST_BACKENDS="sqlite" tests/run.sh    only one backend's e2e run
#   LUCIA_TEST_BROWSER=0 tests/run.sh            without the headless-Chromium stage
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LUCIA_BIN="${LUCIA_BIN:-$PWD/build/asan/lucia}"
backends="${LUCIA_TEST_BACKENDS:-sqlite postgres}"

passed=0
failed=0
failures=()
summaries=()

# --- cleanup: the e2e runner and the servers, each by its own PID ----------
# The e2e runner leads a process group of its own (setsid), which holds it and
# the `lucia serve` processes it started: signalling that group by the
# runner's PID reaches exactly those, even when the runner itself crashed.
backend_dir=""
e2e_tmp=""
child=""
stop_runner() {
  [ -n "$child" ] || return 0
  if kill -0 -- "-$child" 2>/dev/null; then
    kill -TERM -- "-$child" 2>/dev/null
    for _ in $(seq 1 150); do kill -0 -- "-$child" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$child" 2>/dev/null
  fi
  wait "$child" 2>/dev/null
  child=""
  [ -n "$e2e_tmp" ] && rm -rf "$e2e_tmp"
  e2e_tmp=""
}
cleanup() {
  stop_runner
  if [ -n "$backend_dir" ]; then
    python3 tests/e2e/backends.py stop "$backend_dir" ||
      echo "run.sh: could not stop the servers in $backend_dir" >&2
    rm -rf "$backend_dir"
    backend_dir=""
  fi
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT
trap 'echo "run.sh: terminated" >&2; exit 143' TERM

echo "== unit tests (cmocka, ASan+UBSan)"
for t in build/asan/tests/test_*; do
  [ -x "$t" ] || continue
  out=$("$t" 2>&1)
  code=$?
  echo "$out" | grep -E '^\[(==========|  PASSED  |  FAILED  )\]|^\[  ERROR   \]|^\[  FAILED  \] ' || true
  p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
  f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
  p=${p:-0}; f=${f:-0}
  if [ $code -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1  # crashed or sanitizer report: count the binary as one failure
    echo "$out" | tail -n 30
  fi
  passed=$((passed + p)); failed=$((failed + f))
  [ "$f" -gt 0 ] && failures+=("$(basename "$t")")
done
summaries+=("unit: $passed passed, $failed failed")

# run_e2e BACKEND [PATTERN...]: the e2e suite on one backend. The runner
# goes in the background so that a signal reaches the trap at once.
run_e2e() {
  local backend=$1; shift
  local ep ef es
  # Every temp dir of the run (servers' logs, SQLite files) goes in here,
  # so nothing is left in /tmp even when the runner dies.
  e2e_tmp=$(mktemp -d "${TMPDIR:-/tmp}/lucia-e2e-run-XXXXXX")
  TMPDIR=$e2e_tmp LUCIA_TEST_BACKEND=$backend \
    setsid python3 tests/e2e/run.py --summary "$e2e_tmp/summary" "$@" &
  child=$!
  wait "$child"
  read -r ep ef es < "$e2e_tmp/summary" 2>/dev/null || { ep=0; ef=1; es=0; }
  stop_runner  # and whatever it left behind, had it crashed
  passed=$((passed + ep)); failed=$((failed + ef))
  [ "$ef" -gt 0 ] && failures+=("e2e-$backend")
  summaries+=("e2e $backend: $ep passed, $ef failed, ${es:-0} skipped")
}

for backend in $backends; do
  case $backend in
    sqlite)
      echo "== end-to-end tests on SQLite (real binary: $LUCIA_BIN)"
      run_e2e sqlite "$@"
      ;;
    postgres)
      echo "== end-to-end tests on PostgreSQL + Redis (real binary: $LUCIA_BIN)"
      # In /tmp, not $TMPDIR: the postgres user must be able to reach it.
      backend_dir=$(mktemp -d /tmp/lucia-backends-XXXXXX)
      if python3 tests/e2e/backends.py start "$backend_dir" > "$backend_dir/env.sh"; then
        export LUCIA_TEST_BACKEND_DIR="$backend_dir"
        run_e2e postgres "$@"
        unset LUCIA_TEST_BACKEND_DIR
      else
        echo "run.sh: could not start PostgreSQL and Redis (see above); run scripts/deps.sh" >&2
        failed=$((failed + 1)); failures+=("e2e-postgres-start")
        summaries+=("e2e postgres: servers did not start")
      fi
      cleanup
      ;;
    *)
      echo "run.sh: unknown backend '$backend' in LUCIA_TEST_BACKENDS" >&2
      failed=$((failed + 1)); failures+=("backend-$backend")
      ;;
  esac
done

# --- fuzz drivers over their seed corpora (tests/fuzz/) --------------------
# The short form of `make fuzz`: each libFuzzer driver replays its committed
# corpus (plus FUZZ_RUNS new inputs, 0 by default), one pass or failure per
# driver. Skipped with PATTERNs (a targeted run) or LUCIA_TEST_FUZZ=0.
run_fuzz() {
  local fp=0 ff=0 b t out
  if ! command -v clang >/dev/null; then
    echo "run.sh: clang is missing; run scripts/deps.sh" >&2
    failed=$((failed + 1)); failures+=("fuzz-setup"); summaries+=("fuzz: not run (no clang)")
    return
  fi
  if ! make --no-print-directory -s -j"$(nproc 2>/dev/null || echo 2)" fuzz-build >/dev/null; then
    failed=$((failed + 1)); failures+=("fuzz-build"); summaries+=("fuzz: build failed")
    return
  fi
  for b in build/fuzz/fuzz_*; do
    [ -x "$b" ] || continue
    t=${b#build/fuzz/fuzz_}
    out=$(timeout 120 "$b" -runs="${FUZZ_RUNS:-0}" -timeout=10 -rss_limit_mb=2048 \
          -artifact_prefix="${TMPDIR:-/tmp}/lucia-fuzz-$t-" "tests/fuzz/corpus/$t" 2>&1)
    if [ $? -eq 0 ]; then
      fp=$((fp + 1))
    else
      ff=$((ff + 1)); failures+=("fuzz-$t")
      echo "$out" | tail -n 30
    fi
  done
  passed=$((passed + fp)); failed=$((failed + ff))
  summaries+=("fuzz (corpus replay): $fp passed, $ff failed")
}
if [ $# -eq 0 ] && [ "${LUCIA_TEST_FUZZ:-1}" != 0 ]; then
  echo "== fuzz drivers over their seed corpora (tests/fuzz/)"
  run_fuzz
fi

# --- the operator admin in headless Chromium (tests/browser/) --------------
# Debian's chromium driven by playwright-core, against the real binary on
# SQLite with the demo data. Once, not per backend: it checks the page; the
# API behind it is proved on both backends above. LUCIA_TEST_BROWSER=0
# skips it. Like the e2e runner, it leads its own process group (setsid), so
# stop_runner reaches it, the engine and Chromium by its PID.
run_browser() {
  local bp bf bs
  if ! command -v node >/dev/null || [ ! -x "${LUCIA_CHROMIUM:-/usr/bin/chromium}" ] ||
     [ ! -d node_modules/playwright-core ]; then
    echo "run.sh: node, chromium or node_modules/playwright-core is missing; run scripts/deps.sh" >&2
    failed=$((failed + 1)); failures+=("browser-setup")
    summaries+=("browser: not run (missing node, chromium or playwright-core)")
    return
  fi
  e2e_tmp=$(mktemp -d "${TMPDIR:-/tmp}/lucia-browser-run-XXXXXX")
  TMPDIR=$e2e_tmp setsid node tests/browser/run.mjs --summary "$e2e_tmp/summary" "$@" &
  child=$!
  wait "$child"
  read -r bp bf bs < "$e2e_tmp/summary" 2>/dev/null || { bp=0; bf=1; bs=0; }
  stop_runner
  passed=$((passed + bp)); failed=$((failed + bf))
  [ "$bf" -gt 0 ] && failures+=("browser")
  summaries+=("browser: $bp passed, $bf failed, ${bs:-0} skipped")
}
case " $backends " in
  *" sqlite "*)
    if [ "${LUCIA_TEST_BROWSER:-1}" != 0 ]; then
      echo "== the admin in headless Chromium (real binary: $LUCIA_BIN, SQLite)"
      run_browser "$@"
    fi
    ;;
esac

echo
for s in "${summaries[@]}"; do echo "  $s"; done
[ ${#failures[@]} -gt 0 ] && echo "failing: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
