# Everything a newcomer needs: `make demo` and `make test`. Only Python 3.11 and make are assumed;
# uv is bootstrapped into .tools/ and every dependency comes from uv.lock into .venv/.
PYTHON ?= python3.11
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9

.PHONY: install demo up test test-fast lint lint-deploy format bench asyncapi migrations messages translations clean

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

test: install
	$(PY) -m pytest -q $(PYTEST_ARGS)

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
