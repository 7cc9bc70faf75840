# Peerdesk: `make run` starts the whole site, `make test` runs the whole suite.
# Both install exactly what uv.lock says (uv, pinned below, is bootstrapped into .tools/ on
# first use) and refuse to run when pyproject.toml and uv.lock disagree: `make lock` updates it.

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PORT ?= 8000
# Never let uv fetch a Python of its own: the machine's python3 is the one we support.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test lock check-lock migrate demo venv clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Fails when pyproject.toml changed without `make lock`.
check-lock: $(UV)
	$(UV) lock --check --python $(PYTHON)

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) lock --check --python $(PYTHON)
	$(UV) sync --frozen --inexact --python $(PYTHON)
	touch $@

$(DEV_STAMP): $(STAMP) pyproject.toml uv.lock
	$(UV) sync --frozen --extra dev --python $(PYTHON)
	touch $@

venv: $(STAMP)

# Re-resolve every dependency to the newest release the ranges in pyproject.toml allow.
lock: $(UV)
	$(UV) lock --upgrade --python $(PYTHON)

# The whole site on http://127.0.0.1:$(PORT): web + Celery worker with embedded beat.
# Embedded defaults (SQLite, no Redis) unless DATABASE_URL / REDIS_URL are set.
# SITE_URL (links in mail) follows PORT unless it is set; honcho gives the web process PORT.
run: $(STAMP)
	export DEBUG=$${DEBUG:-true} SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}; \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py seed_demo && \
	exec $(VENV)/bin/honcho start -f Procfile -p $(PORT)

# The whole suite, in parallel (one database and one Redis database per worker): PostgreSQL
# and Redis when DATABASE_URL / REDIS_URL are set, else SQLite. PYTEST_ARGS adds options.
JOBS ?= auto
test: check-lock $(DEV_STAMP)
	$(PY) -m pytest -n $(JOBS) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) var staticfiles artifacts
