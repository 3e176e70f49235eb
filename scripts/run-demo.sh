#!/usr/bin/env bash
# run-demo.sh — `make run`: serve Lucia on the embedded default (SQLite in
# ./var/lucia.db) on http://127.0.0.1:${PORT:-8080}. In development, when no
# service key is configured, a local one is made and printed so the API and
# the admin can be used at once; it is stored in ./var/dev-service-key.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
if [ -z "${LUCIA_SERVICE_KEY:-}" ]; then
  if [ ! -s var/dev-service-key ]; then
    (umask 077; openssl rand -hex 24 > var/dev-service-key)
  fi
  LUCIA_SERVICE_KEY=$(cat var/dev-service-key)
  export LUCIA_SERVICE_KEY
  echo "development service key (also in var/dev-service-key): $LUCIA_SERVICE_KEY"
fi
export LUCIA_DB_PATH="${LUCIA_DB_PATH:-var/lucia.db}"
# Demo data on the first run: `lucia demo` fills an empty database and
# refuses (exit 1, saying so) one that already has properties, which keeps
# what earlier runs wrote. Never --force here: that would add a second copy.
build/release/lucia demo || true
echo "Lucia on http://127.0.0.1:${PORT:-8080}  (try: curl http://127.0.0.1:${PORT:-8080}/health)"
exec build/release/lucia serve
