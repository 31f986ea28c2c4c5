# Everything a fresh clone needs: `make demo` runs the main job, `make test` every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck docs browser pytest bench bench-full bench-http clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

lint: $(STAMP)
	$(BIN)/ruff check src tests examples bench
	$(BIN)/ruff format --check src tests examples bench

typecheck: $(STAMP)
	$(BIN)/mypy src

docs: $(STAMP)
	$(BIN)/mkdocs build --strict

# The HTML report is tested in a real headless browser: Debian's chromium.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the HTML report's browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

pytest: $(STAMP) browser
	$(BIN)/python -m pytest

test: lint typecheck docs pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py --size 20000 --store sqlite

# The HTTP API against a trivial FastAPI endpoint (SQLite and PostgreSQL; see docs/performance.md).
bench-http: $(STAMP)
	$(BIN)/python bench/http_api.py --requests 2000

# The full suite behind docs/performance.md (45 minutes to 3 hours on 2 cores; PostgreSQL must run).
BENCH_OUT := bench/results
bench-full: $(STAMP)
	mkdir -p $(BENCH_OUT)
	$(BIN)/python bench/run.py --size 100000 --repeat 3 --json $(BENCH_OUT)/sqlite-100k.json
	$(BIN)/python bench/run.py --size 100000 --repeat 3 --store postgres --writers 4 \
	    --json $(BENCH_OUT)/postgres-100k.json
	$(BIN)/python bench/run.py --size 1000000 --repeat 1 --json $(BENCH_OUT)/sqlite-1m.json
	$(BIN)/python bench/partitions.py --size 50000 --repeat 3 \
	    --json $(BENCH_OUT)/partitions-sqlite-50k.json
	$(BIN)/python bench/partitions.py --size 50000 --repeat 3 --store postgres \
	    --json $(BENCH_OUT)/partitions-postgres-50k.json
	$(BIN)/python bench/parallel_parts.py --size 50000 --repeat 3 \
	    --json $(BENCH_OUT)/parallel-parts-sqlite-50k.json
	$(BIN)/python bench/parallel_parts.py --size 50000 --repeat 3 --store postgres \
	    --json $(BENCH_OUT)/parallel-parts-postgres-50k.json
	$(BIN)/python bench/rebuild_parts.py --size 100000 --repeat 3 \
	    --json $(BENCH_OUT)/rebuild-parts-sqlite-100k.json
	$(BIN)/python bench/rebuild_parts.py --size 100000 --repeat 3 --store postgres \
	    --json $(BENCH_OUT)/rebuild-parts-postgres-100k.json
	$(BIN)/python bench/report.py $(BENCH_OUT)/sqlite-100k.json $(BENCH_OUT)/sqlite-1m.json \
	    $(BENCH_OUT)/postgres-100k.json $(BENCH_OUT)/partitions-sqlite-50k.json \
	    $(BENCH_OUT)/partitions-postgres-50k.json $(BENCH_OUT)/rebuild-parts-sqlite-100k.json \
	    $(BENCH_OUT)/rebuild-parts-postgres-100k.json > $(BENCH_OUT)/results.md

clean:
	rm -rf $(VENV) site .pytest_cache .mypy_cache .ruff_cache .hypothesis
