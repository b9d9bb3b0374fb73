# Two commands for a new user: `make run` and `make test`. Everything else is plumbing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
STORE  ?= data/store
DEMO   := $(STORE)/E08999999/manifest.json

.PHONY: setup run demo test lint format clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ingest assets
	@touch $(STAMP)

setup: $(STAMP)

$(DEMO): $(STAMP) $(wildcard ingest/*.py ingest/sources/*.py)
	$(BIN)/python -m ingest demo --store $(STORE)

demo: $(DEMO)

run: $(DEMO)
	$(BIN)/streamlit run app.py

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(STORE) data/demo_sources static/leaflet .pytest_cache
