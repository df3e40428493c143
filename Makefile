# Set-up and the main jobs. `make run` and `make test` each create the virtual
# environment in .venv on first use (and again when pyproject.toml changes).
VENV ?= .venv
PY := $(VENV)/bin/python
DB ?= storyline.db

.PHONY: setup run test lint bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(VENV)/bin/storyline run --sample --db $(DB)

lint: setup
	$(VENV)/bin/ruff check
	$(VENV)/bin/ruff format --check
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest

bench: setup
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) $(DB) $(DB)-wal $(DB)-shm $(DB)-journal $(DB)-lock reports
