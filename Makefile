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

.PHONY: install run test lint test-sqlite test-postgres test-e2e bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: install
	@mkdir -p $(INSTANCE)
	$(FLASK) db upgrade
	@if [ ! -s $(DEMO_PASSWORD_FILE) ]; then \
		$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(12))" > $(DEMO_PASSWORD_FILE); \
		chmod 600 $(DEMO_PASSWORD_FILE); \
	fi
	@$(FLASK) seed-demo --password "$$(cat $(DEMO_PASSWORD_FILE))"
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C stops)"
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-sqlite: install
	@echo "=== test suite on SQLite ==="
	$(PYTEST) --db=sqlite --ignore=tests/e2e -n $(WORKERS)

test-postgres: install
	@echo "=== test suite on PostgreSQL ==="
	$(PYTEST) --db=postgres --ignore=tests/e2e -n $(WORKERS)

test-e2e: install
	@echo "=== browser tests (Playwright, Chromium) ==="
	$(PYTEST) tests/e2e -n $(WORKERS)

test: lint test-sqlite test-postgres test-e2e
	@echo "make test: lint, SQLite, PostgreSQL and browser passes all green."

bench: install
	$(BIN)/python benchmarks/run.py --output benchmarks/results/latest.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
