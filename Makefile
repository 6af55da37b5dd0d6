# The few commands a developer needs. `make run` and `make test` work on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint fmt bench clean system-deps

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# Debian packages the browser and PostgreSQL tests need, installed only when absent.
system-deps:
	@scripts/install-system-deps

run: $(STAMP)
	$(BIN)/donation-drive dev

# The whole suite on SQLite, then again on a throwaway PostgreSQL cluster (the
# browser tests drive the same views, so they run once).
test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)
	DD_TEST_DATABASE=postgresql $(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/widget.py

clean:
	rm -rf $(VENV) instance .pytest_cache
