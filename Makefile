# Set-up and checks, from a fresh clone: `make run` (embedded mode) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install runtime run test browser lint lock lock-upgrade smoke-install services bench bench-extract bench-dedupe bench-fetch clean

# Installs come from the locks (make lock writes them from pyproject.toml); the project itself
# goes in with --no-deps, so `pip check` catches a lock that lacks a newly declared dependency.
STALE_LOCK := echo "the locks miss a dependency of pyproject.toml: run make lock" >&2; exit 1

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Runtime (with Flower, as the image has it), for `make run`: no test, lint or bench packages.
$(BIN)/.runtime: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check >/dev/null || { $(BIN)/pip check; $(STALE_LOCK); }
	touch $@

# Runtime, dev and bench: the same versions as the runtime lock (it is resolved within this one).
$(BIN)/.installed: requirements-dev.lock requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check >/dev/null || { $(BIN)/pip check; $(STALE_LOCK); }
	touch $@ $(BIN)/.runtime

install: $(BIN)/.installed
runtime: $(BIN)/.runtime

# Rewrite both locks from pyproject.toml, keeping every pin that still fits (uv prefers the
# versions already in the output file); lock-upgrade takes the newest releases instead.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock"

$(BIN)/uv: | $(BIN)/python
	$(BIN)/pip install --quiet "$$(grep -m1 -o '^uv==[^ ]*' requirements-dev.lock || echo uv)"

lock: | $(BIN)/uv
	$(UV_COMPILE) $(UPGRADE) --extra monitor --extra dev --extra bench -o requirements-dev.lock
	$(UV_COMPILE) $(UPGRADE) --extra monitor -c requirements-dev.lock -o requirements.lock

lock-upgrade:
	$(MAKE) lock UPGRADE=--upgrade

# The main job on the embedded default: in-process, SQLite, no Redis.
run: runtime
	$(BIN)/copydesk run examples/

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy copydesk shared services

# Redis and PostgreSQL on loopback, started if they are not answering.
services:
	@scripts/ensure-services

# Debian's Chromium for the console's browser tests (Playwright drives it; it downloads none).
browser:
	@scripts/ensure-browser

test: install services browser lint
	$(BIN)/python -m pytest -q --durations=15

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
# `copydesk run FEED` against trafilatura's CLI on 200 real pages of both development corpora
# (fundus80's 80, then trafilatura-eval's first 120), a loopback host each.
bench-pipeline-real: install
	$(BIN)/python bench/pipeline/real.py --corpus ../shared/corpus/fundus80/html \
		--corpus ../shared/corpus/trafilatura-eval/pages --pages 200

clean:
	rm -rf $(VENV) build *.egg-info copydesk.db

.PHONY: bench-serve
# The console's pages and the API's reads of `copydesk serve` on a million articles (PostgreSQL).
bench-serve: install services
	$(BIN)/python bench/serve/run.py
