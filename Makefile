# Peerhaven: `make run` serves the app on its embedded defaults, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck unit bench vectors clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/peerhaven migrate
	$(BIN)/peerhaven demo --if-empty
	$(BIN)/peerhaven serve

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench

vectors: $(STAMP)
	$(BIN)/python -m crypto.vectors > crypto/vectors.json
	$(BIN)/python -m crypto.report_vectors > crypto/report_vectors.json

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
