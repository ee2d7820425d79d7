# alpha-gnn: `make demo`, `make test`, `make ui` each set up .venv from scratch when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export ALPHA_HOME ?= $(CURDIR)/.alpha_home
export DAGSTER_HOME ?= $(ALPHA_HOME)/dagster
PIP    := $(BIN)/pip --disable-pip-version-check -q

.PHONY: install test test-fast demo ui bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip 2>&1 | grep -v "is ignored" || true
	# torch first: the CPU wheel on disk; anything else would pull a multi-GB CUDA build.
	$(PIP) install torch==2.13.0 2>&1 | grep -v "is ignored" || true
	$(PIP) install -e '.[test]' 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import torch, torch_geometric, dagster, duckdb, cvxpy, xgboost, pandera, statsmodels"
	touch $(STAMP)

install: $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

# Whole suite on 2 cores (pytest-xdist), one torch thread per worker.
test: install
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/pytest -n 2 --dist loadgroup -q

test-fast: install
	OMP_NUM_THREADS=1 $(BIN)/pytest -q -m "not slow"

demo: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m alpha_dagster.demo

ui: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml

bench: install
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(ALPHA_HOME)
