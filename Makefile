# bizext — the two set-up commands of the README are `make run` and `make test`.
# Everything is installed into .venv from pyproject.toml, pinned by requirements.lock.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: run test test-postgres bench openapi openapi-check lock web-vendor clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## serve on http://127.0.0.1:8000 with demo data (embedded SQLite, ./bizext.db)
	$(BIN)/bizext demo
	$(BIN)/bizext serve

test: $(STAMP)  ## the whole test suite (SQLite by default; BIZEXT_TEST_DATABASE_URL for PostgreSQL)
	$(BIN)/python -m pytest

test-postgres: $(STAMP)  ## the whole test suite on the local PostgreSQL (a fresh database per run)
	BIZEXT_TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest

bench: $(STAMP)  ## benchmark on the local PostgreSQL: table printed, JSON in bench/results/latest.json
	$(BIN)/python -m bench $(BENCH_ARGS)

openapi: $(STAMP)  ## regenerate openapi.yaml from the app
	$(BIN)/bizext openapi

openapi-check: $(STAMP)  ## fail if openapi.yaml differs from what the app serves
	$(BIN)/bizext openapi --check

lock: $(STAMP)  ## re-pin requirements.lock from the current environment
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^bizext' > requirements.lock

web-vendor:  ## re-copy the console's front-end libraries (web/package-lock.json) into src/bizext/web/static/vendor/
	web/vendor.sh

clean:  ## remove the virtualenv and the demo database
	rm -rf $(VENV) bizext.db bizext.db-wal bizext.db-shm
