# Shouwang: `make run` and `make test` are the two set-up commands (README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
APT_PACKAGES := postgresql chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0
CHROMIUM ?= /usr/bin/chromium
PYTEST_SUITE := env -u DATABASE_URL $(BIN)/pytest -m "not e2e" -q

.PHONY: run test install install-dev venv messages migrate system-deps lint typecheck \
	migrations-check test-sqlite test-postgres test-browser constraints format clean

# ---- running --------------------------------------------------------------------------------

run: install messages
	$(BIN)/shouwang migrate --noinput -v0
	$(BIN)/shouwang collectstatic --noinput -v0
	$(BIN)/shouwang demo --if-empty
	$(BIN)/shouwang serve --host $(HOST) --port $(PORT)

# ---- installing -----------------------------------------------------------------------------

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing python3-venv" >&2; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && \
	    rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); \
	  else echo "$(PYTHON) -m venv failed: install python3-venv" >&2; exit 1; fi; }
	@$(BIN)/pip install -q --upgrade pip

venv: $(BIN)/python

# Reinstall only when the dependency list or the pins change.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]"
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

constraints: venv
	rm -f $(VENV)/.installed $(VENV)/.installed-dev
	$(BIN)/pip install -q -e ".[dev]"
	{ echo "# Exact versions every machine installs (pip install -c constraints.txt …)."; \
	  echo "# Regenerate with 'make constraints' after changing dependencies in pyproject.toml."; \
	  $(BIN)/pip freeze --exclude-editable | grep -v -i '^shouwang'; } > constraints.txt

PO_FILES := $(wildcard src/shouwang/locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

%.mo: %.po $(VENV)/.installed
	$(BIN)/python scripts/compile_messages.py

messages: $(MO_FILES)

# Debian packages the tests need (PostgreSQL server, Chromium, CJK fonts, Pango for PDFs).
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "missing Debian packages:$$missing (run as root, or apt-get install them)" >&2; exit 1; fi; \
	echo "installing$$missing" >&2; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null

# ---- checking -------------------------------------------------------------------------------

test: system-deps install-dev messages
	@bash scripts/test.sh lint typecheck migrations-check test-sqlite test-postgres test-browser

lint: install-dev
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

format: install-dev
	$(BIN)/ruff format src tests scripts
	$(BIN)/ruff check --fix src tests scripts

typecheck: install-dev
	$(BIN)/mypy

migrations-check: install
	env -u DATABASE_URL $(BIN)/shouwang makemigrations --check --dry-run

test-sqlite: install-dev messages
	$(PYTEST_SUITE)

# Uses DATABASE_URL when it points at PostgreSQL; otherwise a throw-away cluster of its own.
test-postgres: install-dev messages
	@if [[ "$${DATABASE_URL:-}" == postgres* ]]; then \
	  $(BIN)/pytest -m "not e2e" -q; \
	else \
	  url=$$(scripts/pg_test_cluster.sh start) || exit 1; \
	  DATABASE_URL=$$url $(BIN)/pytest -m "not e2e" -q; status=$$?; \
	  scripts/pg_test_cluster.sh stop; exit $$status; \
	fi

test-browser: install-dev messages
	@test -x $(CHROMIUM) || { echo "$(CHROMIUM) is missing: run 'make system-deps' as root" >&2; exit 1; }
	env -u DATABASE_URL SHOUWANG_CHROMIUM=$(CHROMIUM) $(BIN)/pytest -m e2e -q

clean:
	rm -rf var/test-results var/static .pytest_cache .mypy_cache .ruff_cache
