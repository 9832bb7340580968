# Atrium: `make run` starts the portal with demo data; `make test` runs the suite.
# Both create .venv and install the pinned requirements the first time, and again only
# when a requirements file changes (the stamp file records the last install).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed-requirements
REQUIREMENTS := $(wildcard requirements/*.txt)
PYTEST := $(PY) -m pytest
# Test processes for the suite (pytest-xdist; `auto` = one per core). PYTEST_WORKERS=0 runs it in
# this one process, e.g. to debug with --pdb. Each process gets its own var dir, test database and
# Redis database (tests/xdist_isolation.py).
PYTEST_WORKERS ?= auto
PARALLEL := -n $(PYTEST_WORKERS) --dist loadscope

export PORT

.PHONY: run install test test-services test-browser test-all lint format check-deploy bench mlflow2-venv clean

run: $(STAMP)
	$(PY) -m portal.run

install: $(STAMP)

$(STAMP): $(REQUIREMENTS)
	@test -x $(PY) || { echo "Creating $(VENV) with $$($(PYTHON) --version)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/test.txt
	@touch $(STAMP)

# The whole suite on the embedded default: SQLite and the filesystem broker, with real
# worker processes for the tests marked `worker`. Needs nothing but Python.
test: $(STAMP)
	$(PYTEST) $(PARALLEL) -m "not browser and not services"

# The same suite plus the `services` tests, against PostgreSQL and Redis given by
# DATABASE_URL and CELERY_BROKER_URL; a missing service is a failure, not a skip.
test-services: $(STAMP)
	REQUIRE_SERVICES=1 $(PYTEST) $(PARALLEL) -m "not browser"

# Pages in headless Chromium (Debian's chromium package); screenshots land in var/screenshots/.
test-browser: $(STAMP)
	$(PYTEST) -m browser

test-all: test test-browser

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check-deploy: $(STAMP)
	DJANGO_SETTINGS_MODULE=portal.settings.production $(PY) manage.py check --deploy --fail-level WARNING

bench: $(STAMP)
	$(PY) -m benchmarks

# MLflow 2's client in var/mlflow2-venv, for the MLflow 2 compatibility test (which also builds it
# on first use); layered over .venv, so it needs the project installed first.
mlflow2-venv: $(STAMP)
	$(PY) -m apps.mlflow_api.tests.mlflow2

clean:
	rm -rf $(VENV) var
