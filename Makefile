# foiatrace: the two commands of the README, and the pieces they are made of.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip --disable-pip-version-check
# pip's output goes to a log (the machine's pip config warns about absent local index folders);
# a failed install prints the log and stops.
LOGGED := > $(VENV)/pip.log 2>&1 || (cat $(VENV)/pip.log; exit 1)

.PHONY: demo test setup lint clean distributed lake-setup lake-demo

$(BIN)/foiatrace: pyproject.toml scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned to the local CPU build: anything else pulls several GB of CUDA wheels
	$(PIP) install torch==2.13.0 $(LOGGED)
	$(PIP) install -e '.[dev]' $(LOGGED)
	$(PIP) check
	@test -x $@ && touch $@

setup: $(BIN)/foiatrace

## 1. set up, then run the nightly DAG once through Airflow on the bundled demo
demo: setup
	$(BIN)/foiatrace --db demo.duckdb demo

## 2. set up, then run the tests
test: setup
	$(BIN)/python -m pytest -ra

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## the nightly DAG on the CeleryExecutor (PostgreSQL metadata, Redis broker, two workers),
## compared with `airflow dags test`; everything it starts is torn down (docs/scale.md)
distributed: setup
	$(BIN)/python scripts/distributed_run.py

## DuckLake needs duckdb 1.5.5, which cannot read the main venv's duckdb 2.x warehouses:
## its own environment, .venv-lake (docs/scale.md)
LAKE_VENV := .venv-lake
$(LAKE_VENV)/bin/foiatrace: pyproject.toml
	$(PYTHON) -m venv $(LAKE_VENV)
	$(LAKE_VENV)/bin/pip --disable-pip-version-check install torch==2.13.0 > $(LAKE_VENV)/pip.log 2>&1 \
		|| (cat $(LAKE_VENV)/pip.log; exit 1)
	$(LAKE_VENV)/bin/pip --disable-pip-version-check install -e '.[dev,lake]' > $(LAKE_VENV)/pip.log 2>&1 \
		|| (cat $(LAKE_VENV)/pip.log; exit 1)
	$(LAKE_VENV)/bin/pip check
	@test -x $@ && touch $@

lake-setup: $(LAKE_VENV)/bin/foiatrace

## concurrent crawl writers on a DuckLake warehouse, then the match, against one writer
lake-demo: lake-setup
	$(LAKE_VENV)/bin/python scripts/lake_two_writers.py

clean:
	rm -rf $(VENV) .airflow demo.duckdb exports .pytest_cache
