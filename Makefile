# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-browser audit-graphql graphiql-assets lint format migrations schema bench bench-cpu bench-flat bench-stats bench-writes bench-import wrk clean compare-helpdesk test-import fuzz bench-abuse

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

run: $(STAMP)
	$(BIN)/ticketgate migrate
	$(BIN)/ticketgate seed --demo --if-empty
	$(BIN)/ticketgate serve --host $(HOST) --port $(PORT)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The suite in TEST_WORKERS processes (pytest-xdist, each with its own database; 0: one
# process), on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set. Timings:
# docs/architecture.md "Running the suite".
TEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal
test: lint
	$(PYTEST)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
		TICKETGATE_TEST_DATABASE=postgres $(PYTEST); \
	fi

# Headless Chromium against a live server (tests marked `browser`; skipped without chromium).
test-browser: $(DEV_STAMP)
	@command -v chromium >/dev/null || { export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; }
	$(BIN)/pip install --quiet -e '.[dev,browser]'
	$(BIN)/pytest -q -p no:cacheprovider -m browser

# graphql-http's GraphQL-over-HTTP audit against a live server (docs/graphql.md).
audit-graphql: $(STAMP)
	scripts/audit_graphql.sh

# Fetch GraphiQL's pinned assets again from the npm registry (schema/static/README.md).
graphiql-assets:
	scripts/graphiql_assets.sh

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Write a new migration after changing models/ (commit the file it creates).
migrations: $(DEV_STAMP)
	$(BIN)/tortoise -c models.db.MIGRATIONS_CONFIG makemigrations

# Hostile inputs against a fresh server: schemathesis on every OpenAPI document and on the
# GraphQL schema, FUZZ_SECONDS per target; fails on any 5xx, masked internal error or logged
# traceback (docs/security.md). `make test` runs a short seeded version in process
# (tests/security/test_fuzz.py). Reports in fuzz-report/.
FUZZ_SECONDS ?= 60
FUZZ_PORT ?= 8765
fuzz: $(DEV_STAMP)
	$(BIN)/python -m fuzz.run --seconds $(FUZZ_SECONDS) --port $(FUZZ_PORT)

# The longest stall of a cheap signed-in request while attacks run, beside the probe alone
# (docs/reliability.md). About three minutes.
ABUSE_ARGS ?= --baseline 20 --each 15 --seconds 30
bench-abuse: $(STAMP)
	$(BIN)/python -m bench.abuse $(ABUSE_ARGS)

# Differential test against the real django-helpdesk (own virtualenv, not in `make test`).
compare-helpdesk: $(DEV_STAMP)
	$(BIN)/python bench/peers/compare_helpdesk.py

# import-helpdesk from data made through the real django-helpdesk 2.6.1 (own virtualenv,
# installed on first use; about a minute). Not in `make test`.
test-import: $(DEV_STAMP)
	TICKETGATE_IMPORT_PEER=1 $(BIN)/pytest -q -p no:cacheprovider tests/test_import_helpdesk_peer.py

schema: $(STAMP)
	$(BIN)/ticketgate export-schema > schema.graphql

# Every door against the floor, the raw path and django-helpdesk, one table (docs/benchmarks.md).
# Data sets in /tmp/tg-bench-<N>, seeded on first use and reused. `make bench BENCH_TICKETS=1000000`
# for a bigger one; `make bench-flat` for the helpdesk page and stats at 10k, 100k and 1M tickets.
BENCH_TICKETS ?= 10000
BENCH_ARGS ?=
bench: $(STAMP) wrk
	$(BIN)/python -m bench.run --tickets $(BENCH_TICKETS) $(BENCH_ARGS)
	$(MAKE) bench-import

# import-helpdesk of 10k and 100k tickets (3 followups each) from SQLite: time and peak RSS.
bench-import: $(STAMP)
	$(BIN)/python -m bench.import_helpdesk --tickets 10000,100000

# CPU per request in process (no HTTP server): ratios that hold on a busy machine.
bench-cpu: $(STAMP)
	$(BIN)/python -m bench.cpu --tickets $(BENCH_TICKETS) $(BENCH_ARGS)

bench-flat: $(STAMP) wrk
	$(BIN)/python -m bench.run --tickets 10000,100000,1000000 --no-peer --no-repeat \
		--only helpdesk-token,helpdesk-basic,graphql-100,stats-v2 \
		--label "flatness: 10k, 100k and 1M tickets" $(BENCH_ARGS)

wrk:
	@command -v wrk >/dev/null || { export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }; }

# 50 clients creating tickets on SQLite beside the bare commit ceiling (docs/benchmarks.md).
bench-writes: $(STAMP) wrk
	$(BIN)/python -m bench.writes $(BENCH_ARGS)

# Stats statements one by one on a million tickets, in-process (docs/benchmarks.md).
bench-stats: $(STAMP)
	$(BIN)/python -m bench.data --tickets 1000000
	TICKETGATE_DATA_DIR=/tmp/tg-bench-1000000 $(BIN)/python -m bench.stats --runs 21

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
