VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# compile simulate's yearly loop once after installing (numba caches it on disk), so the first
# command that simulates does not wait for the compiler
WARM := $(PY) -c "from burdenshift.engine.orders import warm; warm()"

.PHONY: run test lint bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	$(WARM)
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	$(WARM)
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/burdenshift assess

test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest

$(VENV)/.installed-bench: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/run.py
	$(PY) benchmarks/scale.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
