# The two commands a newcomer needs: `make dev` and `make test`. Each installs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install dev test lint bench schema clean

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

lint: install
	$(BIN)/ruff check app workers tests migrations

schema: install
	$(BIN)/fcio schema export

clean:
	rm -rf $(VENV) .fcio
