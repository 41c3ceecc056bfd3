# HealthAI Coach data platform. `make run` and `make test` are the two commands.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export DAGSTER_HOME ?= $(CURDIR)/var/dagster_home

# Demo of `make run`: the reference catalogues and our own simulated data publish by
# themselves (trusted sources); batches of the real-world user sources wait for a person in
# the web interface or the API.
DEMO_AUTO_APPROVE ?= free_exercise_db,exercisedb,ciqual,daily_food_nutrition,sim_users,sim_biometrics,sim_app_sessions,sim_subscriptions,sim_surveys
SIMULATE ?= --users 500 --days 90 --seed 42

API_PORT ?= 8000
DASHBOARD_PORT ?= 5006
DAGSTER_PORT ?= 3000

NOTEBOOK_PORT ?= 8888

.PHONY: help install install-test-deps migrate materialize run test lint lock sql openapi docs-gen docs bench notebook clean

# `make help` prints every target with the text after its `##` (a test checks none is missing).
help: ## list every target
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "make %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q uv==$(UV_VERSION)

# The lock files are the install: pinned, reproducible. requirements.lock is the runtime set
# (what the Dockerfile installs); requirements-dev.lock adds the development set (tests, lint,
# JupyterLab, docs, benchmarks) at the same versions (it is resolved under requirements.lock).
# Compiled to bytecode at install: every Dagster run is a new process importing Dagster and
# the pipeline, and without .pyc files (PYTHONDONTWRITEBYTECODE) it compiles them again each
# time (about 4 s of CPU a run here).
$(VENV)/.installed: requirements.lock requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/uv pip sync --compile-bytecode --python $(BIN)/python requirements-dev.lock
	$(BIN)/uv pip install --python $(BIN)/python --no-deps -e .
	touch $@

install: $(VENV)/.installed ## venv + the pinned development install (requirements-dev.lock)

lock: | $(BIN)/python ## re-resolve requirements.lock (runtime) and requirements-dev.lock from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
		-c requirements.lock -o requirements-dev.lock

install-test-deps: ## Debian Chromium, ChromeDriver and the npm tools the tests need
	bash scripts/install_test_deps.sh

# The secrets (JWT_SECRET, PSEUDONYM_SECRET) are generated once into var/secrets.env
# (git-ignored); the environment or .env override them.
migrate: install ## generate the secrets once (var/secrets.env), apply the Alembic migrations
	$(BIN)/healthai secrets
	$(BIN)/healthai db upgrade

# Files are partitions (one per file, one run each): `python -m assets.catch_up` fetches the API
# sources, then does what the landing sensor and the publication sensor would, in this process;
# the unpartitioned assets (publication, quality, export) follow by their selection string.
# The lab's assets (groups lab, analyses) are left to the Dagster daemon: they run by their
# automation conditions once the dataset_version sensor has seen the publications.
materialize: migrate ## simulate a population and materialise every asset (notebooks excepted)
	$(BIN)/healthai dagster-home
	$(BIN)/healthai simulate $(SIMULATE) --seed-organisations
	AUTO_APPROVE_SOURCES="$${AUTO_APPROVE_SOURCES-$(DEMO_AUTO_APPROVE)}" \
		$(BIN)/python -m assets.catch_up
	AUTO_APPROVE_SOURCES="$${AUTO_APPROVE_SOURCES-$(DEMO_AUTO_APPROVE)}" \
		$(BIN)/dagster asset materialize -m assets.definitions \
		--select 'not tag:profile=notebook and not group:lab and not group:analyses and not group:published and not tag:unit=file and not kind:api'

# The notebooks and profiling reports (about a minute per source) are not made here: the
# Dagster daemon that `make run` starts makes each one when it is missing or its source's data
# changed (the profiles_on_change sensor), and they appear in profiles_reports/.
run: materialize ## set up, migrate, materialise every asset, serve Dagster UI, API, web UI
	$(BIN)/healthai demo-accounts
	$(BIN)/healthai serve --api-port $(API_PORT) --dashboard-port $(DASHBOARD_PORT) --dagster-port $(DAGSTER_PORT)

# TEST_WORKERS pytest-xdist processes (default 2, one per core of the reference machine; 0 runs
# the suite in this process). A test file's tests stay on one worker: its module fixtures (a
# browser test's database and server) are made once. Tests take free ports and their own
# databases and folders, so workers never share state.
TEST_WORKERS ?= 2
test: install install-test-deps ## install what tests need and run the whole suite (SQLite and PostgreSQL; TEST_WORKERS=2)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# mypy checks healthai/, api/, assets/ and dashboard/ ([tool.mypy] in pyproject.toml: the
# modules of its baseline list are not reported yet; every other module stays clean).
lint: install ## ruff (lint and format check) and mypy (type check)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

sql: install ## regenerate migrations/sql/ from the Alembic revisions
	$(BIN)/healthai db sql

# The API's OpenAPI document, kept current by a test.
openapi: install ## regenerate docs/openapi.json
	$(BIN)/healthai openapi

# The documents generated from the code (docs/data-model.md), kept current by a test.
docs-gen: install ## regenerate the documents generated from the code
	$(BIN)/healthai docs

# The client's documents: the French technical report (PDF) and the deck (docs/report/, docs/deck/).
docs: install docs-gen ## the French technical report and the client deck, as PDF
	bash scripts/build_docs.sh

# Benchmarks (docs/performance.md): SCALE rows of biometrics, side by side with COPY and pandas.
SCALE ?= 1000000
bench: install ## the benchmarks of docs/performance.md (SCALE=1000000)
	$(BIN)/python -m benchmarks --scale $(SCALE)

# JupyterLab on notebooks/ with the project's environment (its kernel is .venv's Python),
# opening the getting-started notebook (healthai.lab, docs/data-scientists.md);
# root (a container, CI) needs --allow-root.
notebook: install ## JupyterLab on notebooks/ (NOTEBOOK_PORT=8888)
	$(BIN)/jupyter lab --notebook-dir=notebooks --no-browser --ip=127.0.0.1 \
		--port=$(NOTEBOOK_PORT) --ServerApp.port_retries=0 \
		--LabApp.default_url=/lab/tree/getting_started.ipynb \
		$$( [ "$$(id -u)" -eq 0 ] && echo --allow-root )

clean: ## remove var/ (database, landing zone, Dagster storage)
	rm -rf var/
