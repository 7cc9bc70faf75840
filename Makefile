# Peerdesk: `make run` starts the whole site, `make test` runs the whole suite.
# Both create the virtual environment on first use.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test migrate demo venv clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(DEV_STAMP): $(STAMP) pyproject.toml
	$(PIP) install --quiet -e ".[dev]"
	touch $@

venv: $(STAMP)

# The whole site on http://127.0.0.1:8000: web + Celery worker with embedded beat.
# Embedded defaults (SQLite, no Redis) unless DATABASE_URL / REDIS_URL are set.
run: $(STAMP)
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo
	DEBUG=$${DEBUG:-true} $(VENV)/bin/honcho start -f Procfile

# The whole suite: PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set, else SQLite.
test: $(DEV_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var staticfiles artifacts
