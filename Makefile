# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench catalogs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Migrates ./data/phuhop.db, loads a real province with demo accounts and submissions, serves on :8000.
demo: install
	$(BIN)/phuhop demo --host 127.0.0.1 --port 8000

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/score_batch.py

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
