# ClaimTracker: `make run` serves the demo, `make test` runs the whole suite.
# The first Python 3.11+ that actually runs (a pyenv shim may exist without its version).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null && { echo $$p; break; }; \
	done)
VENV := .venv
BIN := $(VENV)/bin
DEV_ENV := DJANGO_DEBUG=true
# `make run PORT=8001` serves on another port.
PORT ?= 8000
ADDRESS := 127.0.0.1:$(PORT)

.PHONY: install manage run test lint bench bench-datasette security load restart-test clean

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# This checkout's development settings, read by settings.py, so that `.venv/bin/python
# manage.py ...` typed by hand runs as `make run` does. Never overwritten once written.
var/local.env:
	@mkdir -p var
	@printf '%s\n' \
	  '# Development settings for this checkout only (read by claimtracker/settings.py).' \
	  '# Environment variables win over these lines. Delete this file to start over.' \
	  'DJANGO_DEBUG=true' > $@
	@echo "Wrote $@ (DJANGO_DEBUG=true for manage.py commands in this checkout)."

install: $(VENV)/.installed var/local.env

# Any manage.py command with the development settings: make manage ARGS="changepassword analyst"
manage: install
	$(DEV_ENV) $(BIN)/python manage.py $(ARGS)

run: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py load_demo
	$(DEV_ENV) $(BIN)/python manage.py create_demo_users
	@echo "Serving http://$(ADDRESS) — log in as admin, analyst or reader (passwords printed on the first run; reset: .venv/bin/python manage.py changepassword NAME). Ctrl-C stops."
	@echo "One background worker (page captures) runs beside it; Ctrl-C stops both."
	$(DEV_ENV) scripts/run.sh $(BIN) $(ADDRESS)

# scripts/test.sh picks PostgreSQL (required when CI=true) or SQLite, and installs Chromium.
# Two pytest-xdist workers (each with its own test database): 1.7x faster on two idle cores
# (bench/TEST_SUITE.md). On a busy machine, serial can be faster: make test PYTEST_ARGS=
PYTEST_ARGS ?= -n 2
test: install
	$(DEV_ENV) scripts/test.sh $(BIN) $(PYTEST_ARGS)

# Benchmark on PostgreSQL (pages and API at a million claims): generates or reuses ct_bench (1M claims) and ct_bench_small
# (10k), then writes bench/RESULTS.md. Smaller: make bench BENCH_CLAIMS=100000 BENCH_ACTORS=1000
bench: install
	$(BIN)/python bench/run.py

# ClaimTracker on SQLite against Datasette 0.65 (its own venv, var/datasette-venv) on one
# generated file; writes bench/DATASETTE.md. Quick: make bench-datasette BENCH_CLAIMS=100000 BENCH_ACTORS=1000
bench-datasette: install
	$(BIN)/python bench/datasette.py

# Long runs, never part of `make test`; each writes its latest figures to docs/RELIABILITY.md.
# 60 s of reads and writes by 8 users against gunicorn + PostgreSQL (database ct_load).
load: install
	$(BIN)/python scripts/load.py $(LOAD_ARGS)

# The same with PostgreSQL stopped for 5 s midway. A throwaway server under var/ by default;
# LOAD_ARGS="--pg shared" restarts the machine's cluster (disrupts its other users).
restart-test: install
	$(BIN)/python scripts/load.py --restart $(LOAD_ARGS)

# Security scanners (wapiti, sqlmap; pinned, in .venv-security) against a local server with
# the demo data: they probe every page for injection, XSS and CSRF faults.
security: install
	scripts/security.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .venv-security var staticfiles test-artifacts
