# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format migrations schema bench clean compare-helpdesk

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

test: lint
	$(BIN)/pytest -q -p no:cacheprovider
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
		TICKETGATE_TEST_DATABASE=postgres $(BIN)/pytest -q -p no:cacheprovider; \
	fi

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Write a new migration after changing models/ (commit the file it creates).
migrations: $(DEV_STAMP)
	$(BIN)/tortoise -c models.db.MIGRATIONS_CONFIG makemigrations

# Differential test against the real django-helpdesk (own virtualenv, not in `make test`).
compare-helpdesk: $(DEV_STAMP)
	$(BIN)/python bench/peers/compare_helpdesk.py

schema: $(STAMP)
	$(BIN)/ticketgate export-schema > schema.graphql

# Stats benchmark on a million tickets in its own data dir (docs/benchmarks.md).
BENCH_DIR ?= /tmp/tg-bench
bench: $(STAMP)
	@if [ ! -f $(BENCH_DIR)/ticketgate.sqlite3 ]; then \
		TICKETGATE_DATA_DIR=$(BENCH_DIR) $(BIN)/ticketgate migrate && \
		TICKETGATE_DATA_DIR=$(BENCH_DIR) SQLITE_SYNCHRONOUS=OFF $(BIN)/ticketgate seed --tickets 1000000; \
	fi
	TICKETGATE_DATA_DIR=$(BENCH_DIR) $(BIN)/python -m bench.stats --runs 21

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
