# Atrium: `make run` starts the portal with demo data; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test test-services test-browser lint format bench clean

$(STAMP): requirements/base.txt requirements/test.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/test.txt
	touch $(STAMP)

run: $(STAMP)
	PORT=$(PORT) $(PY) -m portal.run

test: $(STAMP)
	$(PY) -m pytest -m "not browser and not services"

test-services: $(STAMP)
	REQUIRE_SERVICES=1 $(PY) -m pytest -m "not browser"

test-browser: $(STAMP)
	$(PY) -m pytest -m browser

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) var
