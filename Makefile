# alpha-gnn: `make demo`, `make test`, `make ui` each set up .venv from scratch when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export ALPHA_HOME ?= $(CURDIR)/.alpha_home
# Always under the data root: one data root, one run history (the same rule as .env below).
export DAGSTER_HOME := $(ALPHA_HOME)/dagster
# .env: the same defaults for commands typed in a shell at the root (Dagster's CLI, dg, dagster dev and
# python -m alpha_dagster.* read it; alpha_dagster/lib/project_env.py). A value exported in the shell wins.
ENV_FILE := .env
PIP    := $(BIN)/pip --disable-pip-version-check -q

.PHONY: install lint test test-fast demo ui bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip 2>&1 | grep -v "is ignored" || true
	# torch first: the CPU wheel on disk; anything else would pull a multi-GB CUDA build.
	$(PIP) install torch==2.13.0 2>&1 | grep -v "is ignored" || true
	$(PIP) install -e '.[test]' 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import torch, torch_geometric, dagster, duckdb, cvxpy, xgboost, pandera, statsmodels"
	touch $(STAMP)

install: $(STAMP) $(ENV_FILE) $(DAGSTER_HOME)/dagster.yaml

$(ENV_FILE):
	printf '%s\n' '# Written by make (alpha_dagster/lib/project_env.py). Edit freely; a value exported in the shell wins.' \
	  'ALPHA_HOME=$${ALPHA_HOME:-$(CURDIR)/.alpha_home}' 'DAGSTER_HOME=$${ALPHA_HOME}/dagster' > $@

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

# Lint and format check (pyproject.toml [tool.ruff]); `ruff format .` rewrites in place.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Whole suite on 2 cores (pytest-xdist), one torch thread per worker.
test: install
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/pytest -n 2 --dist loadgroup -q

test-fast: install
	OMP_NUM_THREADS=1 $(BIN)/pytest -q -m "not slow"

demo: install
	$(BIN)/python -m alpha_dagster.demo

ui: install
	$(BIN)/python -m alpha_dagster.lib.dev_server

# Speed benchmarks only (each prints a ratio against a baseline measured in the same run); the research
# scripts in experiments/ (training runs of minutes to hours) are started one by one.
bench: install
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(ALPHA_HOME)
