# ClaimTracker: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.12 || command -v python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
DEV_ENV := DJANGO_DEBUG=true

.PHONY: install run test lint bench security load clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py load_demo
	$(DEV_ENV) $(BIN)/python manage.py create_demo_users
	@echo "Serving http://127.0.0.1:8000  (log in with an account printed above; Ctrl-C stops)"
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

# scripts/test.sh picks PostgreSQL (required when CI=true) or SQLite, and installs Chromium.
test: install
	$(DEV_ENV) scripts/test.sh $(BIN)

# Benchmark on PostgreSQL (issue 6): generates or reuses ct_bench (1M claims) and ct_bench_small
# (10k), then writes bench/RESULTS.md. Smaller: make bench BENCH_CLAIMS=100000 BENCH_ACTORS=1000
bench: install
	$(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var staticfiles test-artifacts
