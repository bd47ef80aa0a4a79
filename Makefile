# ClaimBoard: `make run` (ETL on the bundled corpus, then the dashboard), `make test`.
# Both create .venv and install the project into it on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STORE  ?= data/store
PORT   ?= 8050
HOST   ?= 127.0.0.1

.PHONY: setup run etl serve test test-fast test-browser screenshot browser bench bench-quick fuzz load clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

## the main job: ETL on the bundled corpus, then serve the dashboard
run: etl serve

etl: setup
	$(BIN)/claimboard etl --store $(STORE)

## the dashboard on waitress (a production WSGI server): PORT=8051 make serve, HOST=0.0.0.0 to listen beyond loopback
serve: setup
	$(BIN)/claimboard serve --store $(STORE) --host $(HOST) --port $(PORT)

## headless Chromium + chromedriver for the browser tests and static exports (Debian packages)
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium and chromium-driver (Debian packages)…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else \
		echo "browser tests need Chromium: sudo apt-get install chromium chromium-driver"; exit 1; \
	fi

## the whole test suite, browser tests included
test: setup browser
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q -rfE

## only the end-to-end tests in headless Chromium
test-browser: setup browser
	$(BIN)/python -m pytest -q -rfE -m browser

## retake docs/screenshot-landscape.png (the README's picture) from a real browser
screenshot: setup browser
	$(BIN)/python -m pytest -q -m browser -k screenshot

## everything but the browser tests
test-fast: setup
	$(BIN)/python -m pytest -n 2 -q -m "not browser"

## benchmarks (they print figures; see bench/ and the README's Performance section): the extractor
## alone with an identity check, the ETL scaling table (10k, 100k, 1M abstracts, refreshes),
## `claimboard extract` on 50k, ClaimBoard against quantulum3, the dashboard over HTTP at 1M
## claims, ingest of 1 GB files. Each prints its issue 16 target as reached or not; the code of
## BASELINE (main before issue 16's second round) runs beside the new code where a bench can.
BASELINE ?= 3ae8245
BASELINE_TREE = $(shell $(BIN)/python -c 'import sys; sys.path.insert(0, "."); from bench.baseline import baseline_tree; print(baseline_tree("$(BASELINE)"))')
$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e ".[test,bench]"
	touch $@

bench: $(VENV)/.bench-installed
	$(BIN)/python bench/extract_bench.py --baseline $(BASELINE)
	$(BIN)/python bench/etl_bench.py --sizes 10k 100k 1M --baseline $(BASELINE)
	$(BIN)/python bench/contract_bench.py --workers 1 2 --compare $(BASELINE_TREE)
	$(BIN)/python bench/peer_bench.py --baseline $(BASELINE)
	$(BIN)/python bench/dashboard_bench.py
	$(BIN)/python bench/ingest_bench.py

## the same benchmarks at small sizes
bench-quick: $(VENV)/.bench-installed
	$(BIN)/python bench/extract_bench.py --synthetic 20k --baseline $(BASELINE)
	$(BIN)/python bench/etl_bench.py --quick
	$(BIN)/python bench/peer_bench.py --quick
	$(BIN)/python bench/dashboard_bench.py --quick
	$(BIN)/python bench/ingest_bench.py --size 50MB
	$(BIN)/python bench/contract_bench.py --quick

## fuzz the readers and the extractor: 100k generated cases (CASES=... to change)
fuzz: setup
	$(BIN)/python scripts/fuzz.py --total $(or $(CASES),100000)

## bounded load test on loopback: gunicorn -w 2, 50 clients for 60 s, a snapshot published mid-way
load: setup
	$(BIN)/python scripts/load.py --clients $(or $(CLIENTS),50) --seconds $(or $(LOAD_SECONDS),60)

clean:
	rm -rf $(VENV) $(STORE) .pytest_cache .hypothesis
