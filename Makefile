# Shouwang: `make run` and `make test` are the two set-up commands (README).
# GNU make 4.3. Every part of `make test` is also a target of its own.
SHELL := /bin/bash
PYTHON ?= python3
VENV = .venv
BIN = $(VENV)/bin
PIP = $(BIN)/python -m pip --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium
APT_PACKAGES := postgresql chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0
# The suite without the browser tests, in file order; tests for one database only are run on
# that database's part (deselected, never skipped, on the other).
# --durations: the slowest tests named in every run's log, so a slow CI says where its time went.
PYTEST_SUITE = $(BIN)/pytest -m "not e2e and not $(1)" -p no:randomly -q --durations=15
# The parts of `make test`, run in this order by scripts/test.sh.
TEST_PARTS := lint typecheck migrations-check test-sqlite test-postgres test-browser

.PHONY: run test venv install install-dev messages system-deps constraints \
	$(TEST_PARTS) test-clock format clean

# ---- running --------------------------------------------------------------------------------

run: install messages
	$(BIN)/shouwang migrate --noinput
	$(BIN)/shouwang collectstatic --noinput -v0
	$(BIN)/shouwang demo --if-empty
	@# The background worker (deadlines passing) runs beside the server and stops with it.
	$(BIN)/shouwang qcluster & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/shouwang serve --host $(HOST) --port $(PORT)

# ---- installing -----------------------------------------------------------------------------

# bin/pip only exists once `python -m venv` got as far as ensurepip, so a half-made venv is
# rebuilt. Debian's python3 needs python3-venv for that; as root it is installed here.
$(BIN)/pip:
	@rm -rf $(VENV)
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  rm -rf $(VENV); \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "'$(PYTHON) -m venv' failed: install python3-venv (apt-get install python3-venv)" >&2; \
	    exit 1; fi; \
	  echo "installing python3-venv" >&2; \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && \
	  $(PYTHON) -m venv $(VENV); }
	@$(PIP) install -q --upgrade pip

venv: $(BIN)/pip

# Reinstall only when the dependency list or the pins change (the stamp lives in the venv, so a
# new venv reinstalls too).
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/pip
	$(PIP) install -q -c constraints.txt -e ".[dev]"
	@touch $@

install: $(VENV)/.installed
install-dev: install

# Re-resolve every dependency afresh (newest allowed by pyproject.toml) in a scratch venv and pin
# what it got. The next `make install` then brings .venv in line.
constraints:
	rm -rf var/constraints-venv
	$(PYTHON) -m venv var/constraints-venv
	var/constraints-venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
	var/constraints-venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
	{ echo "# Exact versions every install uses: pip install -c constraints.txt -e \".[dev]\"."; \
	  echo "# Generated, do not edit: 'make constraints' reinstalls from pyproject.toml unpinned"; \
	  echo "# (in a scratch venv) and freezes the result."; \
	  var/constraints-venv/bin/python -m pip freeze --exclude-editable \
	    | grep -v -i -E '^(-e |shouwang[=@ ])'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf var/constraints-venv

# Compiles every src/shouwang/locale/*/LC_MESSAGES/django.po with polib (no GNU gettext).
messages: install
	@$(BIN)/python scripts/compile_messages.py

# Debian packages the tests need: PostgreSQL server, Chromium, CJK fonts, Pango (PDFs).
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "system-deps: all present ($(APT_PACKAGES))"; exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "system-deps: missing Debian packages:$$missing" >&2; \
	  echo "  run 'make system-deps' as root, or: apt-get install$$missing" >&2; exit 1; fi; \
	echo "system-deps: installing$$missing" >&2; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq && apt-get install -y -qq $$missing >/dev/null

# ---- checking -------------------------------------------------------------------------------

# The clock at the start: with each part's own start (scripts/test.sh) a log shows what the
# installs took.
test: test-clock system-deps install messages
	@bash scripts/test.sh $(TEST_PARTS)

test-clock:
	@echo "make test: started $$(date -u +%H:%M:%S) UTC"

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

typecheck: install
	$(BIN)/mypy

migrations-check: install
	env -u DATABASE_URL $(BIN)/shouwang makemigrations --check --dry-run

test-sqlite: install messages
	env -u DATABASE_URL $(call PYTEST_SUITE,postgresql)

# DATABASE_URL when it names a reachable PostgreSQL; otherwise a throw-away cluster of its own.
test-postgres: install messages
	@bash scripts/test_postgres.sh $(call PYTEST_SUITE,sqlite)

test-browser: install messages
	@test -x $(CHROMIUM) || { \
	  echo "test-browser: $(CHROMIUM) is missing: run 'make system-deps' as root" >&2; exit 1; }
	env -u DATABASE_URL SHOUWANG_CHROMIUM=$(CHROMIUM) DJANGO_ALLOW_ASYNC_UNSAFE=true \
	  $(BIN)/pytest -m e2e -p no:randomly -q

# ---- load -----------------------------------------------------------------------------------

# The demo county under a bounded load on the loopback (tests/load/run.py): builds a county of
# LOAD_CHILDREN children (SQLite under var/load, or DATABASE_URL), serves it, runs LOAD_USERS
# locust users for LOAD_SECONDS while a 台账 is imported, counts the posted care records in the
# database and writes the p50/p95/p99/errors table to var/load/report.md. LOAD_FLAGS=--reuse
# keeps the county the last run built.
LOAD_CHILDREN ?= 20000
LOAD_USERS ?= 50
LOAD_SECONDS ?= 90
LOAD_PORT ?= 8097
LOAD_FLAGS ?=

.PHONY: load
load: install messages
	$(BIN)/python tests/load/run.py --children $(LOAD_CHILDREN) --users $(LOAD_USERS) \
	  --seconds $(LOAD_SECONDS) --port $(LOAD_PORT) $(LOAD_FLAGS)

# Test and build artefacts; keeps .venv and the development database/secret key in var/.
clean:
	-@bash scripts/pg_test_cluster.sh stop 2>/dev/null
	rm -rf var/test-results var/static var/constraints-venv constraints.txt.new test-results \
	  .pytest_cache .mypy_cache .ruff_cache .hypothesis
