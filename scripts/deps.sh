#!/usr/bin/env bash
# deps.sh — install what Lucia needs to build and test, from Debian's
# packages. Quick on a second run: it asks dpkg first and calls apt-get only
# for what is missing. Needs root (or sudo) the first time.
#
# postgresql and redis-server are the servers the end-to-end tests start for
# themselves (a throwaway cluster and Redis on free loopback ports, see
# tests/e2e/backends.py). Nothing here relies on the services Debian may
# start at install time (a cluster on 5432, Redis on 6379): CI chroots have
# no init system, and the tests never use them.
set -euo pipefail

packages=(
  build-essential pkg-config ca-certificates curl tzdata python3 openssl
  libmicrohttpd-dev libjansson-dev libsqlite3-dev sqlite3 libssl-dev
  libcurl4-openssl-dev libcmocka-dev
  libpq-dev libhiredis-dev postgresql redis-server
  # Stripe's own SDK, to check that tests/e2e/test_stripe.py signs webhooks
  # exactly as Stripe's libraries verify them (the test skips without it).
  python3-stripe
  # libFuzzer drivers (tests/fuzz/, `make fuzz`): clang and its runtime.
  clang libclang-rt-14-dev
  # The admin's browser tests (tests/browser/): Debian's Chromium, driven by
  # playwright-core from npm (package.json pins it; it never downloads a
  # browser of its own).
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# Node.js and npm by command, not by package: a machine may have them from
# elsewhere (NodeSource's nodejs bundles npm and conflicts with Debian's
# npm). Debian 12's own nodejs is 18, which the pinned playwright-core
# supports.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps: run as root or install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# playwright-core for tests/browser/, exactly as package-lock.json pins it.
# npm ci writes node_modules/.package-lock.json; newer than the lock means
# done, so a second run costs nothing.
cd "$(dirname "$0")/.."
if [ ! node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "deps: npm ci (playwright-core for the browser tests)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
