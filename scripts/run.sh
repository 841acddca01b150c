#!/usr/bin/env bash
# The development server and one background worker side by side; Ctrl-C stops both.
# Usage: scripts/run.sh .venv/bin ADDRESS:PORT
set -u
BIN=${1:-.venv/bin}
ADDRESS=${2:-127.0.0.1:8000}

"$BIN/python" manage.py db_worker --no-reload &
worker=$!
"$BIN/python" manage.py runserver "$ADDRESS" &
server=$!

stop() {
    trap - INT TERM EXIT
    kill -TERM "$server" "$worker" 2>/dev/null
    wait "$server" "$worker" 2>/dev/null
}
trap 'stop; exit 130' INT TERM
trap stop EXIT
# Whichever stops first (a crash, or Ctrl-C) stops the other as well.
wait -n "$server" "$worker"
