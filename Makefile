# The two commands a newcomer needs: `make dev` and `make test`. Each installs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install dev test lint bench schema soak clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

dev: install
	$(BIN)/fcio dev

test: install
	$(BIN)/pytest

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
