# Set-up and checks, from a fresh clone: `make run` (embedded mode) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test lint services bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	touch $@

install: $(BIN)/.installed

# The main job on the embedded default: in-process, SQLite, no Redis.
run: install
	$(BIN)/copydesk run examples/

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy copydesk shared services

# Redis and PostgreSQL on loopback, started if they are not answering.
services:
	@scripts/ensure-services

test: install services lint
	$(BIN)/python -m pytest -q

bench: install services
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info copydesk.db
