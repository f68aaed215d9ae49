# The two commands of README.md: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test venv dev-venv lint typecheck pytest

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

venv: $(BIN)/python
	./scripts/system-packages.sh run
	$(BIN)/pip install -q -e .

dev-venv: $(BIN)/python
	./scripts/system-packages.sh test
	$(BIN)/pip install -q -e '.[dev]'

demo: venv
	$(BIN)/dozvon demo

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

pytest:
	$(BIN)/pytest -q

test: dev-venv lint pytest
