# One image for every HealthAI Coach service (migrations, Dagster webserver and daemon, API,
# web interface); docker-compose.yml picks the command. Installed from requirements.lock, the
# runtime set only (no pytest, Playwright, JupyterLab or linters: those are requirements-dev.lock,
# the Makefile's `install`), with uv as the Makefile does.
FROM python:3.11-slim

ARG UV_VERSION=0.13.9
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DAGSTER_HOME=/opt/dagster/dagster_home

RUN useradd --create-home --uid 10001 healthai \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir -q uv==${UV_VERSION}

WORKDIR /app

# Dependencies first (cached while only the code changes): the pinned runtime lock is the install.
COPY requirements.lock pyproject.toml ./
# Compiled to bytecode here: PYTHONDONTWRITEBYTECODE keeps the running containers from writing
# .pyc files, and each Dagster run (a new process) would compile Dagster again (~4 s of CPU).
RUN uv pip sync --no-cache --compile-bytecode --python /opt/venv/bin/python requirements.lock

# Then the project itself, without touching the pinned dependencies.
COPY . .
RUN uv pip install --no-cache --python /opt/venv/bin/python --no-deps -e . \
    && python -m compileall -q healthai assets api dashboard \
    && mkdir -p /app/var /app/profiles_reports "$DAGSTER_HOME" \
    && chown -R healthai:healthai /app/var /app/profiles_reports /opt/dagster

USER healthai
CMD ["healthai", "--help"]
