# The README's two commands are `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: install run test lint format bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/dealerhub db upgrade
	$(BIN)/dealerhub demo
	$(BIN)/dealerhub staff demo
	$(BIN)/dealerhub serve

test: install lint
	$(PY) -m pytest -q

lint: install
	$(BIN)/ruff format --check dealerhub tests bench
	$(BIN)/ruff check dealerhub tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format dealerhub tests bench
	$(BIN)/ruff check --fix dealerhub tests bench

bench: install
	$(PY) bench/payments.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
