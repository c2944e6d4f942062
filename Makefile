# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# dbt and dagster must be on PATH for dagster-dbt's subprocesses.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test dev lint bench clean-data adopt-weights help

help:
	@echo "make run    materialise the whole asset graph on the demo data into data/"
	@echo "make test   run every test"
	@echo "make dev    Dagster UI on http://127.0.0.1:3000"
	@echo "make lint   ruff"
	@echo "make bench  time the job on generated profiles (PROFILES='small medium large'), see docs/benchmarks.md"
	@echo "make adopt-weights  copy marts.recommended_weights into seeds/scorecard_measures.csv"

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# The dbt manifest the Dagster code location loads; rebuilt when any dbt file or seed changes.
MANIFEST := dbt/target/manifest.json
DBT_FILES := $(shell find dbt/dbt_project.yml dbt/profiles.yml dbt/models dbt/macros dbt/tests seeds -type f 2>/dev/null)

$(MANIFEST): $(STAMP) $(DBT_FILES)
	cd dbt && ../$(BIN)/dbt parse --quiet --profiles-dir .
	touch $(MANIFEST)

run: $(MANIFEST)
	$(BIN)/python -m dagster_project.run

test: $(MANIFEST)
	$(BIN)/python -m pytest

dev: $(MANIFEST)
	DAGSTER_HOME=$(abspath data/dagster_home) $(BIN)/python -m dagster_project.instance
	DAGSTER_HOME=$(abspath data/dagster_home) $(BIN)/dagster dev -m dagster_project.definitions -h 127.0.0.1 -p 3000

lint: $(STAMP)
	$(BIN)/ruff check dagster_project tests

# Profiles to benchmark (dagster_project/benchmark/profiles.py); results go to docs/benchmarks.md.
PROFILES ?= small medium large
bench: $(MANIFEST)
	$(BIN)/python -m dagster_project.benchmark $(PROFILES)

adopt-weights: $(STAMP)
	$(BIN)/python -m dagster_project.effectiveness.adopt

clean-data:
	rm -rf data
