# The two commands: `make run` (the platform with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SOURCES := constraints.txt requirements-dev.txt $(wildcard */pyproject.toml */*/pyproject.toml)

.PHONY: run test install lint typecheck unit integration e2e browser schemas docs bench clean

$(STAMP): $(SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m alumni_local run --data-dir .data

test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -m "not integration and not e2e"

e2e: $(STAMP)
	$(BIN)/python -m pytest -m e2e

browser: $(STAMP)
	$(BIN)/python -m pytest -m browser

schemas: $(STAMP)
	$(BIN)/python -m alumni_contracts.schemas write contracts/schemas

docs: $(STAMP)
	$(BIN)/python -m alumni_local.docs .

bench: $(STAMP)
	$(BIN)/python bench/outbox_pipeline.py

clean:
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache
