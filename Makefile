# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo check test test-fast bench bench-load bench-bare bench-faults bench-phone bench-login catalogs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Migrates ./data/phuhop.db, loads a real province with demo accounts and submissions, serves on :8000.
demo: install
	$(BIN)/phuhop demo --host 127.0.0.1 --port 8000

# Lint (ruff, the whole tree) and types (mypy, strict on scoring/ and forms/), as pyproject.toml sets them.
# TYPED: the packages held to mypy so far; `make check TYPED="scoring forms server"` shows server/'s debt.
TYPED ?= scoring forms
check: install
	$(BIN)/ruff check scoring forms server bench tests locales
	$(BIN)/mypy $(TYPED)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The quick loop while working: leaves out Chromium, schemathesis and slow tests; property tests draw 20 examples.
test-fast: install
	$(BIN)/python -m pytest -m "not browser and not fuzz and not slow" --hypothesis-profile=fast $(PYTEST_ARGS)

# Every benchmark; the figures and their commands are recorded in bench/RESULTS.md.
bench: install bench-load bench-bare bench-phone bench-login
	$(BIN)/python bench/score_batch.py
	$(BIN)/python bench/review_country.py
	$(BIN)/python bench/review_page_stalls.py
	$(BIN)/python bench/maps.py
	$(BIN)/python bench/history_country.py
	$(BIN)/python bench/documents.py
	$(BIN)/python bench/rules_whatif.py

# What a collaborator's phone downloads and keeps to work offline (real Chromium, a fresh demo).
bench-phone: install
	$(BIN)/python bench/phone_cache.py

# A real `phuhop serve --workers 2` on 127.0.0.1: phones submitting, reviewers and the public browsing.
# SQLite by default; BENCH_PG=postgresql://… also runs it on that (dropped and rebuilt!) database.
bench-load: install
	$(BIN)/python bench/submit_load.py --phones 32 --reviewers 0 --public 0 --seconds 20 --rate 500
	$(BIN)/python bench/submit_load.py --phones 32 --reviewers 0 --public 0 --seconds 20
	$(BIN)/python bench/submit_load.py --phones 32 --reviewers 4 --public 4 --seconds 20
	test -z "$(BENCH_PG)" || PHUHOP_DATABASE_URL=$(BENCH_PG) $(BIN)/python bench/submit_load.py --phones 32 --seconds 20

# phuhop and bench/bare_stack.py (Litestar + uvicorn + SQLite, one INSERT) in turns with the same phones:
# ratios of server CPU per submission, throughput and p99 (min / median / max of interleaved runs), and
# phuhop under the mixed load of issue 11 (phones at 300/s + 4 reviewers + 2 logins/s). SQLite.
bench-bare: install
	$(BIN)/python bench/versus_bare.py --runs 5 --seconds 15

# SIGKILL x20 under load and dropped connections (SQLite); diskfull needs root (tmpfs mount).
bench-faults: install
	$(BIN)/python bench/faults.py kill --kills 20
	$(BIN)/python bench/faults.py drop --drops 200

# 100 parallel wrong logins for one name while a phone reads /api/forms; wrong password vs unknown user.
bench-login: install
	$(BIN)/python bench/login_flood.py

# Re-extract every message and merge it into the vi and en catalogs (then translate the new ones).
catalogs: install
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ --no-location --sort-output -o locales/messages.pot server forms scoring
	for lang in vi en; do \
	  test -f locales/$$lang/LC_MESSAGES/messages.po || $(BIN)/pybabel -q init -D messages -i locales/messages.pot -d locales -l $$lang; \
	  $(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete -w 100 -i locales/messages.pot -d locales -l $$lang; \
	done
	$(BIN)/python locales/fill_english.py

clean:
	rm -rf $(VENV) build *.egg-info
