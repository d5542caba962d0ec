# Concurrency Lab — every target sets up .venv on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
export PYTHONFAULTHANDLER := 1

.PHONY: run test test-packaging bench lint bundle deb screenshot clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m conclab

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen timeout 2400 $(PY) -m pytest -q -p no:cacheprovider

test-packaging: $(STAMP)
	QT_QPA_PLATFORM=offscreen timeout 1800 $(PY) -m pytest -q -p no:cacheprovider -m packaging tests/packaging

bundle: $(STAMP)
	PY=$(PY) bash packaging/build_bundle.sh

deb: bundle
	bash packaging/build_deb.sh

screenshot: $(STAMP)
	QT_QPA_PLATFORM=xcb XDG_CONFIG_HOME=$$(mktemp -d) xvfb-run -a -s "-screen 0 1280x800x24" \
		$(PY) -m conclab --run --models asyncio,threads,processes \
		--screenshot docs/screenshots/main-window.png --quit-after-run

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m benchmarks

lint: $(STAMP)
	$(PY) -m ruff check desktop tests benchmarks
	$(PY) -m mypy

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
