# `make demo` sets everything up and plans the bundled example hub; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hubplan validate instances/north-east-hub-2026-27.yaml
	$(BIN)/hubplan solve instances/north-east-hub-2026-27.yaml --out out/north-east-hub-2026-27
	$(BIN)/hubplan check instances/north-east-hub-2026-27.yaml out/north-east-hub-2026-27/plan.json

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_solve.py

clean:
	rm -rf $(VENV) out .pytest_cache
