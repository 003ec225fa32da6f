# Two commands on a fresh machine: `make run` (the demo on http://127.0.0.1:5000) and
# `make test` (lint, the suite on SQLite, again on PostgreSQL, then the browser tests).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PYTEST := $(BIN)/pytest
# Both cores: each xdist worker gets its own database (SQLite file or PostgreSQL server).
WORKERS ?= 2
INSTANCE := instance
DEMO_PASSWORD_FILE := $(INSTANCE)/demo-password
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install machine-run machine-test demo-data run dev test lint test-sqlite test-postgres \
	test-e2e bench clean

install: $(VENV)/.installed

# What the operating system must provide (python3-venv; for tests Chromium and PostgreSQL's
# server binaries): installed with apt-get as root or through sudo, or named if neither.
machine-run:
	@bash .ci/setup-machine run

machine-test:
	@bash .ci/setup-machine test

$(VENV)/.installed: pyproject.toml
	@bash .ci/setup-machine run
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo-data: install
	@mkdir -p $(INSTANCE)
	$(FLASK) db upgrade
	@if [ ! -s $(DEMO_PASSWORD_FILE) ]; then \
		$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(12))" > $(DEMO_PASSWORD_FILE); \
		chmod 600 $(DEMO_PASSWORD_FILE); \
	fi
	@$(FLASK) seed-demo --password "$$(cat $(DEMO_PASSWORD_FILE))"

# The demo served as the product is: gunicorn with two workers and gunicorn.conf.py.
run: demo-data
	@echo "Serving on http://$(HOST):$(PORT)/ with gunicorn, 2 workers (Ctrl-C stops)"
	$(BIN)/gunicorn -w 2 -b $(HOST):$(PORT) wsgi:app

# For development: Flask's server with the reloader and debugger (never in production).
dev: demo-data
	$(FLASK) run --debug --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-sqlite: install
	@echo "=== test suite on SQLite ==="
	$(PYTEST) --db=sqlite --ignore=tests/e2e -n $(WORKERS)

test-postgres: install machine-test
	@echo "=== test suite on PostgreSQL ==="
	$(PYTEST) --db=postgres --ignore=tests/e2e -n $(WORKERS)

test-e2e: install machine-test
	@echo "=== browser tests (Playwright, Chromium) ==="
	$(PYTEST) tests/e2e -n $(WORKERS)

test: machine-test lint test-sqlite test-postgres test-e2e
	@echo "make test: lint, SQLite, PostgreSQL and browser passes all green."

bench: install
	$(BIN)/python benchmarks/run.py --output benchmarks/results/latest.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
