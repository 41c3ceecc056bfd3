"""The deployment files stay true: .env.example documents every setting, the compose file is
well formed (checked by `docker compose config` when the docker CLI can), the Dockerfile
installs the runtime lock with the Makefile's uv."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from healthai.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
SERVICES = {"postgres", "migrate", "dagster-webserver", "dagster-daemon", "api", "dashboard"}
LONG_RUNNING = SERVICES - {"migrate"}
EXTRA_VARIABLES = {
    "DAGSTER_PG_URL",
    "DAGSTER_HOME",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
    "DAGSTER_DB",
}


def documented_variables() -> dict[str, str]:
    """NAME -> value of every `NAME=value` or `# NAME=value` line of .env.example."""
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.fullmatch(r"#?\s*([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_env_example_documents_every_setting() -> None:
    documented = documented_variables()
    missing = [name.upper() for name in Settings.model_fields if name.upper() not in documented]
    assert not missing, f".env.example lacks {missing}"
    assert documented.keys() >= EXTRA_VARIABLES, EXTRA_VARIABLES - documented.keys()


def test_deployment_guide_names_every_variable() -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text()
    names = {name.upper() for name in Settings.model_fields} | EXTRA_VARIABLES
    missing = sorted(name for name in names if f"`{name}`" not in guide)
    assert not missing, f"docs/deployment.md lacks {missing}"


def test_env_example_holds_no_real_secret() -> None:
    active = {
        name: value
        for line in ENV_EXAMPLE.read_text().splitlines()
        if (match := re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line.strip()))
        for name, value in [match.groups()]
    }
    assert set(active) == {"POSTGRES_PASSWORD", "JWT_SECRET", "PSEUDONYM_SECRET"}
    # Placeholders too short for the production check of the settings: they cannot go live.
    assert all(value == "change-me" for value in active.values())


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_services_and_dependencies() -> None:
    spec = compose()
    services = spec["services"]
    assert set(services) == SERVICES
    assert services["postgres"]["image"] == "postgres:16"
    for name in LONG_RUNNING:
        assert "healthcheck" in services[name], name
    for name in SERVICES - {"postgres"}:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        if name != "migrate":
            assert depends["migrate"]["condition"] == "service_completed_successfully", name
    assert services["migrate"]["restart"] == "no"
    assert "healthai db upgrade" in services["migrate"]["command"]
    assert "healthai dagster-home" in services["migrate"]["command"]
    assert services["api"]["command"][:2] == ["uvicorn", "api.main:app"]
    # the client address is the peer's: X-Forwarded-For only from TRUSTED_PROXIES (the app's)
    assert "--no-proxy-headers" in services["api"]["command"]
    assert "dashboard.serve" in services["dashboard"]["command"]
    # Named volumes only (the init-script folder is the one bind mount, read-only).
    declared = set(spec["volumes"])
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert volume.endswith(":ro") and (ROOT / source).is_dir(), (name, volume)
            else:
                assert source in declared, (name, volume)


def test_compose_takes_secrets_from_the_environment() -> None:
    text = COMPOSE.read_text()
    for name in ("POSTGRES_PASSWORD", "JWT_SECRET", "PSEUDONYM_SECRET"):
        assert f"${{{name}:?" in text, name
    env = compose()["services"]["api"]["environment"]
    assert "@postgres:5432/${POSTGRES_DB:-healthai}" in env["DATABASE_URL"]
    assert "@postgres:5432/${DAGSTER_DB:-dagster}" in env["DAGSTER_PG_URL"]


def test_dockerfile_installs_from_the_lock_like_the_makefile() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    uv = re.search(r"^UV_VERSION := (\S+)", makefile, re.M).group(1)
    assert f"ARG UV_VERSION={uv}" in dockerfile
    # the runtime set only: the development lock (pytest, Playwright, JupyterLab) stays out
    sync = re.search(r"^RUN uv pip sync .*$", dockerfile, re.M)
    assert sync and sync.group(0).endswith(" requirements.lock"), sync
    instructions = "\n".join(x for x in dockerfile.splitlines() if not x.startswith("#"))
    assert "requirements-dev.lock" not in instructions and "--extra" not in instructions
    install = re.search(r"^\$\(VENV\)/\.installed:.*\n.*$", makefile, re.M)
    assert install and "uv pip sync" in install[0] and "requirements-dev.lock" in install[0]
    assert "--no-deps -e ." in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", "var/", ".git"} <= set(ignored)


# The Compose Specification's JSON schema (compose-spec/compose-spec, schema/compose-spec.json
# at commit 170098ba07d9f53c383a41bfd4c5166b0a4529a6, Apache-2.0): the offline stand-in for
# `docker compose config` where the docker CLI has no compose plugin.
COMPOSE_SCHEMA = ROOT / "tests" / "data" / "compose-spec.json"
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation of `${VAR}`, `${VAR:-default}` and `${VAR:?error}`."""

    def value(match: re.Match[str]) -> str:
        name, op, arg = match.groups()
        found = env.get(name, "")
        if op == "?" and not found:
            raise AssertionError(f"{name} is required: {arg}")
        return found or (arg if op == "-" else "")

    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    escaped = "\n".join(lines).replace("$$", "\0")
    return VARIABLE.sub(value, escaped).replace("\0", "$")


def test_compose_file_matches_the_compose_specification() -> None:
    import jsonschema

    env = {
        name: value
        for line in ENV_EXAMPLE.read_text().splitlines()
        if (match := re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line.strip()))
        for name, value in [match.groups()]
    }
    spec = yaml.safe_load(interpolate(COMPOSE.read_text(), env))
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(spec)
    ]
    assert not errors, errors
    assert spec["services"]["api"]["environment"]["DATABASE_URL"] == (
        "postgresql+psycopg://healthai:change-me@postgres:5432/healthai"
    )
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD is required"):
        interpolate(COMPOSE.read_text(), {k: v for k, v in env.items() if k != "POSTGRES_PASSWORD"})


def _docker_compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, timeout=60
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _docker_compose_available(), reason="no docker CLI with compose")
def test_docker_compose_config() -> None:
    result = subprocess.run(
        ["docker", "compose", "-f", "docker-compose.yml", "--env-file", ".env.example", "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert set(services) == SERVICES


def test_dagster_postgres_storage_is_installable() -> None:
    """deploy/dagster/dagster.postgres.yaml needs dagster-postgres of dagster's own release
    (library 0.X.P goes with dagster 1.Y.P) and a psycopg2 that loads on Python 3.11."""
    import dagster
    import dagster_postgres
    import psycopg2  # noqa: F401

    assert dagster_postgres.__version__.rsplit(".", 1)[1] == dagster.__version__.rsplit(".", 1)[1]
    config = yaml.safe_load((ROOT / "deploy" / "dagster" / "dagster.postgres.yaml").read_text())
    assert config["storage"]["postgres"]["postgres_url"] == {"env": "DAGSTER_PG_URL"}
    assert dagster_postgres.DagsterPostgresStorage is not None


def test_dagster_storage_of_the_embedded_default_lives_under_dagster_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`healthai dagster-home` (make run) writes a dagster.yaml whose SQLite storage is under
    $DAGSTER_HOME (var/dagster_home, removed by `make clean`), whatever the working directory:
    it used to be `./storage` of the folder Dagster was started from."""
    import dagster as dg

    from healthai import cli

    home, elsewhere = tmp_path / "dagster_home", tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("DAGSTER_PG_URL", raising=False)
    monkeypatch.chdir(elsewhere)
    assert cli.write_dagster_home() == home
    instance = dg.DagsterInstance.get()
    try:
        instance.add_run(dg.DagsterRun(job_name="probe", run_id="0" * 36))  # a write
        assert (home / "history" / "runs.db").exists()
        assert list(elsewhere.iterdir()) == []
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    finally:
        instance.dispose()
