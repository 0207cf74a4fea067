# Everything a newcomer needs: `make demo` and `make test`. Only Python 3.11 and make are assumed;
# uv is bootstrapped into .tools/ and every dependency comes from uv.lock into .venv/.
PYTHON ?= python3.11
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9

.PHONY: install demo up test test-fast chaos containers-test lint lint-deploy format bench asyncapi migrations messages translations clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml shared/pyproject.toml services/*/pyproject.toml cli/pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

install: $(VENV)/.synced

demo: install
	$(VENV)/bin/kaleidoscope demo

up: install
	$(VENV)/bin/kaleidoscope up

# pytest keeping its bytecode between runs (in .venv/pycache; the processes the tests start inherit it):
# where PYTHONDONTWRITEBYTECODE is set, every run would otherwise compile every module it imports (and
# pytest rewrite every test module) from source again, seconds of CPU before the first test.
PYTEST := env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/$(VENV)/pycache $(PY) -m pytest

# Everything, with coverage: the total is printed just before pytest's summary; below the floor in pyproject.toml
# ([tool.coverage.report] fail_under) the run fails. The table per file: .venv/bin/coverage report
# The 25 slowest tests are listed at the end, so a CI log shows where its minutes went.
test: install
	$(PYTEST) -q --cov --cov-report= --durations=25 $(PYTEST_ARGS)

# The inner loop: the unit tests only (in memory: no database, Redis, process or browser; tests/conftest.py
# decides the tier of each test from the fixtures it takes), under a minute.
test-fast: install
	$(PYTEST) -q -m unit $(PYTEST_ARGS)

# The fault suite: crashed workers, a crashed Redis, a database outage, a frozen worker, a crash while
# sending; one table of what was produced, applied, lost and sent twice (also test-output/chaos.md).
# CHAOS_SCALE=full (the default, about 1,000 entries a scenario) or ci (a quarter, shorter outage).
CHAOS_SCALE ?= full
chaos: install
	CHAOS_SCALE=$(CHAOS_SCALE) $(PY) -m pytest -q -m chaos tests/chaos $(PYTEST_ARGS)

# The containers built and run for real (tests/containers): the four images, docker-compose.yml up with
# deploy/README.md's secrets, the seed contest through the gateway, judging scaled to 4 workers and 2
# APIs, a worker killed holding events; figures in test-output/containers.md. Needs Docker with compose
# v2, or podman with docker-compose (on this kind of machine, ../shared/containers/build-base-images.sh
# first); skipped without an engine (a failure with CI=true).
containers-test: install
	KALEIDOSCOPE_CONTAINERS_TEST=1 $(PY) -m pytest -q -s --timeout 3600 tests/containers $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(MAKE) --no-print-directory lint-deploy

# The deployment files against their formats' own checkers (tests/deploy runs these too).
lint-deploy: install
	$(VENV)/bin/hadolint services/*/Dockerfile
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	$(VENV)/bin/kubernetes-validate --strict --quiet $(filter-out %/kustomization.yaml,$(wildcard deploy/kubernetes/*.yaml))

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) -m bench

# After changing a service's tables: a new Alembic revision per service whose models changed
# (`make migrations MESSAGE="add scores"`); services whose models match their newest revision get none.
MESSAGE ?= schema change
migrations: install
	for service in submissions judging notifications; do $(PY) -m kaleidoscope_shared.migrations $$service $(MESSAGE) || exit 1; done
	$(VENV)/bin/ruff check --fix --quiet services/*/*/migrations/versions
	$(VENV)/bin/ruff format --quiet services/*/*/migrations/versions

# The web front's gettext catalogs (services/web/web/locale): `make messages` extracts every UI string
# and updates the Russian and English catalogs (English is the source language: its entries are filled
# in); translate the new Russian entries, then `make translations` compiles them. tests/web fails on an
# untranslated string, or on a catalog behind the templates.
WEB_LOCALE := services/web/web/locale
messages: install
	cd services/web && ../../$(VENV)/bin/pybabel extract --no-location --sort-output -F babel.cfg -o web/locale/messages.pot web
	for lang in ru en; do \
	  if [ -f $(WEB_LOCALE)/$$lang/LC_MESSAGES/messages.po ]; then \
	    $(VENV)/bin/pybabel update --no-fuzzy-matching --ignore-obsolete -i $(WEB_LOCALE)/messages.pot -d $(WEB_LOCALE) -l $$lang; \
	  else $(VENV)/bin/pybabel init -i $(WEB_LOCALE)/messages.pot -d $(WEB_LOCALE) -l $$lang; fi; \
	done
	$(PY) -m web.catalogs fill-source-language $(WEB_LOCALE)/en/LC_MESSAGES/messages.po

translations: install
	$(VENV)/bin/pybabel compile --statistics -d $(WEB_LOCALE)

asyncapi: install
	$(PY) -m kaleidoscope_shared.contracts.asyncapi > docs/asyncapi.json

clean:
	rm -rf $(VENV) $(TOOLS) data .pytest_cache .mypy_cache .ruff_cache
