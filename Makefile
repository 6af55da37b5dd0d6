# The few commands a developer needs. `make run` and `make test` work on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint fmt bench clean system-deps bench-deps extract compile

# The editable install compiles nothing, and under PYTHONDONTWRITEBYTECODE (set on some
# machines) Python caches nothing either: every donation-drive command would compile the
# whole package again, so it is compiled once here.
$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/python -m compileall -q donation_drive config.py
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS)
	touch $(STAMP)

# The translation catalogs (docs/languages.md). `extract` collects every
# _()/gettext string of the donor- and reader-facing code (babel.cfg) into the
# template and merges it into each language's messages.po; `compile` makes the .mo
# files the app reads (not in git: the wheel's build compiles its own, setup.py).
TRANSLATIONS := donation_drive/translations

extract: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ --no-location --sort-output \
		--project donation-drive -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel -q update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
		--ignore-obsolete

compile: $(STAMP)
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS)

# Debian packages the browser and PostgreSQL tests need, installed only when absent.
system-deps:
	@scripts/install-system-deps

# wrk, the load generator the benchmarks use, the same way.
bench-deps:
	@scripts/install-system-deps bench

run: $(STAMP) compile
	$(BIN)/donation-drive dev

# The whole suite on SQLite, then again on a throwaway PostgreSQL cluster (the
# browser tests drive the same views, so they run once).
test: $(STAMP) compile system-deps
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)
	DD_TEST_DATABASE=postgresql $(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP) bench-deps
	$(BIN)/python bench/widget.py

clean:
	rm -rf $(VENV) instance .pytest_cache
