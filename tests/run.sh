#!/usr/bin/env bash
# run.sh — the whole test suite, as `make check` runs it: every cmocka unit
# test, then the end-to-end suite against the real binary, all built with
# AddressSanitizer and UBSan. Ends with one line "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LUCIA_BIN="${LUCIA_BIN:-$PWD/build/asan/lucia}"

passed=0
failed=0
failures=()

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

echo "== end-to-end tests (real binary: $LUCIA_BIN)"
e2e_summary=$(mktemp)
python3 tests/e2e/run.py --summary "$e2e_summary" "$@"
read -r ep ef < "$e2e_summary" || { ep=0; ef=1; }
rm -f "$e2e_summary"
passed=$((passed + ep)); failed=$((failed + ef))
[ "$ef" -gt 0 ] && failures+=("e2e")

echo
[ ${#failures[@]} -gt 0 ] && echo "failing: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
