# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# dbt and dagster must be on PATH for dagster-dbt's subprocesses.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run run-api test test-engines dev lint bench bench-history clean-data adopt-weights help

help:
	@echo "make run    materialise the whole asset graph on the demo data into data/"
	@echo "make run-api  the same on the api source, against a local Stripe/Intercom sandbox (data/api-sandbox/)"
	@echo "make test   run every test but those of the other engines"
	@echo "make test-engines  install PostgreSQL's and Spark's drivers, test both, and the whole job on each"
	@echo "make dev    Dagster UI on http://127.0.0.1:3000"
	@echo "make lint   ruff"
	@echo "make bench  time the job on generated profiles (PROFILES='small medium large'), see docs/benchmarks.md"
	@echo "make bench-history  the next day's run after 90, 180 and 365 days of history (HISTORY_PROFILES=medium)"
	@echo "make adopt-weights  copy marts.recommended_weights into seeds/scorecard_measures.csv"

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# PostgreSQL's and Spark's drivers (pyspark alone is 0.5 GB): only for the other engines.
ENGINES_STAMP := $(VENV)/.engines-installed
$(ENGINES_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,postgres,spark]"
	touch $(ENGINES_STAMP)

# The dbt manifest the Dagster code location loads; rebuilt when any dbt file or seed changes.
MANIFEST := dbt/target/manifest.json
DBT_FILES := $(shell find dbt/dbt_project.yml dbt/profiles.yml dbt/models dbt/macros dbt/tests seeds -type f 2>/dev/null)

# Parsed with the warehouse path the job will use, so the job's dbt runs start from this parse; two
# makes started together parse one after the other (flock), never into the same files at once.
FLOCK := $(if $(shell command -v flock),flock $(abspath $(VENV))/.dbt-parse.lock,)
$(MANIFEST): $(STAMP) $(DBT_FILES)
	cd dbt && HEALTH_WAREHOUSE=$(abspath $(or $(HEALTH_WAREHOUSE),data/warehouse.duckdb)) \
		$(FLOCK) ../$(BIN)/dbt parse --quiet --profiles-dir .
	touch $(MANIFEST)

run: $(MANIFEST)
	@$(BIN)/python -m dagster_project.run

# The api source end to end without a vendor account: a Stripe- and Intercom-compatible server on
# 127.0.0.1 holding the demo book in today's API shapes, then the job against it.
run-api: $(MANIFEST)
	$(BIN)/python tests/sources/api_sandbox.py

# Tests run in TEST_WORKERS processes side by side (pytest-xdist); TEST_WORKERS=0 runs them in this one.
TEST_WORKERS ?= 2
test: $(MANIFEST)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not engine_job and not engines"

# PostgreSQL and Spark: their warehouse interface, lake and mirror, then the whole job on each against
# DuckDB's; .ci/run runs it after `test`. Two processes side by side, each with a group of tests of about
# the same length (tests/conftest.py): each Spark job keeps a core busy, so the gain is small (docs/benchmarks.md).
test-engines: $(ENGINES_STAMP) $(MANIFEST)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -m "engine_job or engines"

# The code location is pyproject.toml's [tool.dagster] (customer_health). `dagster dev` still works as
# it always has; its notice that `dg dev` supersedes it is not for this project's users.
dev: $(MANIFEST)
	DAGSTER_HOME=$(abspath data/dagster_home) PYTHONWARNINGS="ignore:Function \`dev_command\` is superseded" \
		$(BIN)/python -m dagster_project.instance $(BIN)/dagster dev -h 127.0.0.1 -p 3000

lint: $(STAMP)
	$(BIN)/ruff check dagster_project tests

# Profiles to benchmark (dagster_project/benchmark/profiles.py); results go to docs/benchmarks.md.
PROFILES ?= small medium large
bench: $(MANIFEST)
	$(BIN)/python -m dagster_project.benchmark $(PROFILES)

# The next day's run after each history length: does the daily run grow with history?
HISTORY_PROFILES ?= medium
HISTORY ?= 90 180 365
bench-history: $(MANIFEST)
	$(BIN)/python -m dagster_project.benchmark $(HISTORY_PROFILES) --history $(HISTORY)

adopt-weights: $(STAMP)
	$(BIN)/python -m dagster_project.effectiveness.adopt

clean-data:
	rm -rf data
