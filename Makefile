# The two commands a newcomer needs: `make dev` and `make test`. Each installs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install dev test test-citus lint bench schema soak clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

dev: install
	$(BIN)/fcio dev

# Where Citus is installed (citus.so in `pg_config --pkglibdir`, or FCIO_CITUS_PG_BIN), `make test`
# runs the cluster tests too; elsewhere tests/citus skips and says what to install.
test: install
	$(BIN)/pytest
	@if $(BIN)/python -c 'from app.db.embedded import citus_bin_dir; raise SystemExit(citus_bin_dir() is None)'; \
	  then $(MAKE) --no-print-directory test-citus; \
	  else echo "make test: no Citus installed, the cluster tests (make test-citus) did not run"; fi

# The suites that run on a Citus cluster (a coordinator and two workers the run starts on loopback).
CITUS_SUITES := tests/citus tests/db/test_catalog.py tests/db/test_isolation.py tests/db/test_practice_scope.py tests/db/test_versions.py \
  tests/tickets tests/seed/test_synthetic.py
test-citus: install
	FCIO_TEST_CITUS=1 $(BIN)/pytest $(CITUS_SUITES)

# The performance of every path a user waits on (BENCHMARKS.md, bench-latency.png); QUICK=1: a small run.
# Installs the `bench` extra (matplotlib, pyinstrument); PostGraphile and Node 22 go to .bench/peer.
bench: install
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python -m app.bench $(if $(QUICK),--quick,)

lint: install
	$(BIN)/ruff check app workers tests migrations

# The 5-minute soak (the suite runs the same for 25 s): mixed load at concurrency 32, figures printed.
soak: install
	FCIO_SOAK_SECONDS=300 $(BIN)/pytest tests/soak -s -p no:logging

schema: install
	$(BIN)/fcio schema export

clean:
	rm -rf $(VENV) .fcio
