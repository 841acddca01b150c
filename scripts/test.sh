#!/usr/bin/env bash
# Runs the whole suite on PostgreSQL when it is reachable (starting a stopped local server),
# otherwise on SQLite, naming what it skipped. Under CI=true PostgreSQL is required.
set -euo pipefail
BIN=${1:-.venv/bin}
PG_HOST=127.0.0.1
PG_PORT=5432

pg_up() { "$BIN/python" - <<'PY' 2>/dev/null
import psycopg2
psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3).close()
PY
}

if [ -z "${DATABASE_URL:-}" ]; then
  if ! pg_up && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is installed but not answering; starting it."
    service postgresql start >/dev/null 2>&1 \
      || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -n 1)" main start \
      || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  if pg_up; then
    export DATABASE_URL="postgres://postgres@${PG_HOST}:${PG_PORT}/claimtracker"
  elif [ "${CI:-}" = "true" ]; then
    echo "CI=true but PostgreSQL is not reachable on ${PG_HOST}:${PG_PORT}: failing, not falling back." >&2
    exit 1
  else
    echo "=== PostgreSQL not found: running on SQLite. Tests marked 'postgres' are SKIPPED (listed at the end). ==="
  fi
fi
[ -n "${DATABASE_URL:-}" ] && echo "=== Database: ${DATABASE_URL} ==="

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Debian Chromium for the browser tests."
    apt-get install -y -q chromium >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; } \
      || echo "Could not install chromium; browser tests will be skipped."
  else
    echo "=== /usr/bin/chromium missing: browser tests will be SKIPPED. ==="
  fi
fi

mkdir -p test-artifacts
exec "$BIN/pytest" "${@:2}"
