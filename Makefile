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

.PHONY: help install install-test-deps migrate materialize run serve test lint lock sql openapi docs-gen docs bench notebook clean

help:
	@echo "make run      set up, migrate, materialise every asset, serve Dagster UI, API, web UI"
	@echo "make test     install what tests need and run the whole suite (SQLite and PostgreSQL)"
	@echo "make lint     ruff"
	@echo "make lock     re-resolve requirements.lock from pyproject.toml"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q uv==$(UV_VERSION)

# The lock file is the install: pinned, reproducible.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/uv pip sync --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --no-deps -e .
	touch $@

install: $(VENV)/.installed

lock: | $(BIN)/python
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

install-test-deps:
	bash scripts/install_test_deps.sh

migrate: install
	$(BIN)/healthai db upgrade

materialize: migrate
	$(BIN)/healthai dagster-home
	$(BIN)/healthai simulate $(SIMULATE) --seed-organisations
	AUTO_APPROVE_SOURCES="$${AUTO_APPROVE_SOURCES-$(DEMO_AUTO_APPROVE)}" \
		$(BIN)/dagster asset materialize -m assets.definitions --select 'not tag:profile=notebook'

# The notebooks and profiling reports take about a minute per source: they are queued for
# the Dagster daemon, which `make run` starts, and appear in profiles_reports/.
profiles: materialize
	$(BIN)/dagster job launch -w workspace.yaml -j profile_reports

run: profiles
	$(BIN)/healthai demo-accounts
	$(BIN)/healthai serve --api-port $(API_PORT) --dashboard-port $(DASHBOARD_PORT) --dagster-port $(DAGSTER_PORT)

test: install install-test-deps
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

sql: install
	$(BIN)/healthai db sql

# The API's OpenAPI document, kept current by a test.
openapi: install
	$(BIN)/healthai openapi

# The documents generated from the code (docs/data-model.md), kept current by a test.
docs-gen: install
	$(BIN)/healthai docs

# The client's documents: the French technical report (PDF) and the deck (docs/report/, docs/deck/).
docs: install docs-gen
	bash scripts/build_docs.sh

# Benchmarks (docs/performance.md): SCALE rows of biometrics, side by side with COPY and pandas.
SCALE ?= 1000000
bench: install
	$(BIN)/python -m benchmarks --scale $(SCALE)

notebook: install
	$(BIN)/jupyter lab --notebook-dir=notebooks

clean:
	rm -rf var/
