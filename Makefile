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
# runs the cluster tests too, at the same time as the single-node suite (each starts servers of its
# own; one pytest keeps one core busy, so the two together take about the time of the longer one);
# their output follows the single-node run's, and either failing fails `make test`. Without Citus
# tests/citus skips and says what to install. The soak (tests/soak) runs last and alone: it asserts
# its latency's second half against its first, which a burst of the cluster run skewed (p99 1,121
# and 1,575 against 277 and 321 ms beside it; 201 against 187 alone).
CITUS_LOG := .fcio/test-citus.log
test: install
	@mkdir -p .fcio; citus=; \
	if $(BIN)/python -c 'from app.db.embedded import citus_bin_dir; raise SystemExit(citus_bin_dir() is None)'; then \
	  echo "make test: the cluster tests (make test-citus) run alongside; their output follows, and is in $(CITUS_LOG)"; \
	  $(MAKE) --no-print-directory test-citus > $(CITUS_LOG) 2>&1 & citus=$$!; \
	else echo "make test: no Citus installed, the cluster tests (make test-citus) did not run"; fi; \
	$(BIN)/pytest --ignore=tests/soak; single=$$?; cluster=0; \
	if [ -n "$$citus" ]; then wait $$citus; cluster=$$?; echo "== make test-citus"; cat $(CITUS_LOG); fi; \
	echo "== tests/soak, alone (its latency halves must not meet a neighbour's burst)"; \
	$(BIN)/pytest tests/soak; soak=$$?; \
	[ $$single = 0 ] && [ $$cluster = 0 ] && [ $$soak = 0 ]

# The suites that run on a Citus cluster (a coordinator and two workers the run starts on loopback):
# the catalog, isolation (pooled connections among them), counters and tickets; the whole attack
# suite (tests/security: the generated cross-tenant suite, hostile requests, the role matrix,
# audit, schemathesis, login and reset timing, the report's paths, dumps, offboarding) and every
# PSA integration; the contract and statement counts; the compiled reads' equality with the
# executor; the scoring jobs, a worker SIGKILLed mid-batch among them; the budgets and their
# forecast. What else is not proven there, and why, is in infra/README.md ("Not working on a cluster yet").
CITUS_SUITES := tests/api/test_answer_cache.py tests/api/test_compiled_generated.py tests/api/test_compiled_reads.py tests/citus tests/db/test_catalog.py tests/db/test_driver.py tests/db/test_isolation.py tests/db/test_practice_scope.py tests/db/test_versions.py \
  tests/tickets tests/seed/test_synthetic.py::test_benchmark_cio_is_granted_the_first_tenants_and_can_log_in \
  tests/security tests/integrations tests/api/test_contract.py tests/api/test_statement_counts.py \
  tests/workers/test_health_jobs.py tests/budgets
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
