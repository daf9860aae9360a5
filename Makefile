# foiatrace: the two commands of the README, and the pieces they are made of.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
# The machine's pip config adds local index folders that may be absent; silence that noise.
PIP    := $(BIN)/pip --disable-pip-version-check
QUIET_PIP := 2>&1 | grep -v -e "is ignored: it is neither" -e "does not provide the extra" || true

.PHONY: demo test setup lint clean

$(BIN)/foiatrace: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned to the local CPU build: anything else pulls several GB of CUDA wheels
	$(PIP) install -q torch==2.13.0 $(QUIET_PIP)
	$(PIP) install -q -e '.[dev]' $(QUIET_PIP)
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

clean:
	rm -rf $(VENV) .airflow demo.duckdb exports .pytest_cache
