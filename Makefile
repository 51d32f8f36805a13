# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
MO := locales/en/LC_MESSAGES/messages.mo locales/cy/LC_MESSAGES/messages.mo

.PHONY: screenshots run test install lint typecheck locales locales-update check-locales clean audit

run: install locales
	$(PY) -m bot db upgrade
	$(PY) -m bot seed
	$(PY) -m bot serve

test: install locales lint typecheck check-locales
	$(PY) -m pytest

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# Catalogs are compiled from the .po files every time they change.
locales: install $(MO)

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po
	$(VENV)/bin/pybabel compile -D messages -i $< -o $@ -l $*

# For developers after changing user-facing text: refresh the template and both catalogs.
locales-update: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location --sort-output \
	    --project elc-bot -o locales/messages.pot .
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete

# Fails when the catalogs lag the source; tests/unit/test_locales.py fails on any missing Welsh.
check-locales: install
	$(VENV)/bin/pybabel update --check -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete

# Known vulnerabilities in the installed dependencies (pip-audit; see docs/operations.md).
audit: install
	$(PY) .ci/audit.py

lint: install
	$(VENV)/bin/ruff check --no-cache .

typecheck: install
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Refresh the pictures in docs/screenshots from the browser tests (needs chromium).
screenshots: install locales
	SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest -q tests/e2e/test_dashboard_browser.py
