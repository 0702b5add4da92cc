# Set-up and checks, from a fresh clone: `make run` (embedded mode) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test lint services bench bench-extract bench-dedupe bench-fetch clean

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

# Each benchmark rewrites its bench/*/RESULTS.md; `make bench` runs them all.
bench: bench-extract bench-dedupe bench-fetch

# Needs the team folder beside the checkout (../shared: corpus and extract_eval.py).
bench-extract: install
	$(BIN)/python bench/extract/run.py

# Title, authors and date against hand-made truths, beside trafilatura and newspaper4k.
.PHONY: bench-metadata
bench-metadata: install
	$(BIN)/python bench/extract/metadata.py

bench-dedupe: install
	$(BIN)/python bench/dedupe/run.py

bench-fetch: install services
	$(BIN)/python bench/fetch/run.py

.PHONY: bench-pipeline
# Workers against in-process and trafilatura, CPU, message sizes, profile, 10k-page memory soak.
bench-pipeline: install services
	$(BIN)/python bench/pipeline/run.py

.PHONY: bench-pipeline-real
# `copydesk run FEED` against trafilatura's CLI on the corpus's real pages, a loopback host each.
bench-pipeline-real: install
	$(BIN)/python bench/pipeline/real.py --corpus $(CORPUS)

clean:
	rm -rf $(VENV) build *.egg-info copydesk.db

.PHONY: bench-serve
# The console's pages and the API's reads of `copydesk serve` on a million articles (PostgreSQL).
bench-serve: install services
	$(BIN)/python bench/serve/run.py
