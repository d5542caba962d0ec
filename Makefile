# Concurrency Lab — every target sets up .venv on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
export PYTHONFAULTHANDLER := 1

.PHONY: run test bench lint bundle deb clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m conclab

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen timeout 2400 $(PY) -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m benchmarks

lint: $(STAMP)
	$(PY) -m ruff check desktop tests benchmarks
	$(PY) -m mypy

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
