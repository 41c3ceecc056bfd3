"""The install: two pinned lock files (the runtime set the images carry, and the development set
on top of it), a production install that imports and serves without the development set,
`make help` listing every target and `make notebook` serving JupyterLab (as root too) on the
port asked for."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
# What a production image must not carry (issue #16): test runners, browsers, notebooks, linters.
DEVELOPMENT_ONLY = ("pytest", "playwright", "jupyterlab", "mypy", "ruff", "schemathesis")


def pins(lock: Path) -> dict[str, str]:
    return {
        canonicalize_name(m.group(1)): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)", lock.read_text(), re.M)
    }


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_runtime_lock_holds_no_development_package() -> None:
    runtime = pins(RUNTIME_LOCK)
    assert not [name for name in DEVELOPMENT_ONLY if name in runtime]
    assert not [name for name in runtime if name.startswith("pytest")]


def test_development_lock_adds_to_the_runtime_set_at_the_same_versions() -> None:
    runtime, dev = pins(RUNTIME_LOCK), pins(DEV_LOCK)
    differ = {n: (v, dev.get(n)) for n, v in runtime.items() if dev.get(n) != v}
    assert not differ, f"the dev lock differs from the runtime lock: run `make lock` {differ}"
    assert all(name in dev for name in DEVELOPMENT_ONLY)


@pytest.mark.parametrize(
    ("lock", "group"), [(RUNTIME_LOCK, "dependencies"), (DEV_LOCK, "dev")], ids=["runtime", "dev"]
)
def test_lock_pins_what_pyproject_asks(lock: Path, group: str) -> None:
    """Every requirement of pyproject.toml is pinned at a version it accepts (a dependency
    added to pyproject.toml without `make lock` fails here)."""
    meta = project()
    wanted = meta[group] if group == "dependencies" else meta["optional-dependencies"][group]
    pinned = pins(lock)
    for line in wanted:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} missing from {lock.name}: run `make lock`"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock.name} pins {name}=={pinned[name]}, pyproject.toml asks {requirement}"
        )


def test_make_help_lists_every_target() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):(?!=)", makefile, re.M))
    phony = set(re.search(r"^\.PHONY: (.*)$", makefile, re.M).group(1).split())
    shown = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    listed = dict(re.findall(r"^make (\S+) +(\S.*)$", shown, re.M))
    assert set(listed) == targets, targets ^ set(listed)
    assert phony == targets, phony ^ targets
    assert {"run", "test", "lint", "notebook", "help"} <= targets


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: float = 120) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{url} did not answer:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)


def _stop(proc: subprocess.Popen) -> None:
    """Stop a process started in its own session, with its children."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[subprocess.Popen]]:
    procs: list[subprocess.Popen] = []
    yield procs
    for proc in procs:
        _stop(proc)


def test_make_notebook_serves_jupyterlab_on_the_port_asked(
    tmp_path: Path, started: list[subprocess.Popen]
) -> None:
    """Issue #17: as root `make notebook` stopped at "Running as root is not recommended. Use
    --allow-root"; it had no port option. (CI runs as root, so this runs the root case.)"""
    port = _free_port()
    token = "test-token-0123456789"
    log = tmp_path / "jupyter.log"
    env = {
        **os.environ,
        # Jupyter's own state in the test's folder, not the user's
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_TOKEN": token,
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["make", "-s", "notebook", f"NOTEBOOK_PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started.append(proc)
    base = f"http://127.0.0.1:{port}"
    assert "version" in json.loads(_wait_for(f"{base}/api", proc, log))
    assert b"JupyterLab" in _wait_for(f"{base}/lab?token={token}", proc, log)
    # the notebooks folder, with the source notebooks
    listing = json.loads(_wait_for(f"{base}/api/contents?token={token}", proc, log))
    names = {item["name"] for item in listing["content"]}
    assert {"gym_members.ipynb", "getting_started.ipynb", "analyses"} <= names
    # it opens the getting-started notebook (healthai.lab, docs/data-scientists.md)
    with urllib.request.urlopen(f"{base}/?token={token}", timeout=10) as landing:
        assert urllib.parse.urlsplit(landing.geturl()).path == "/lab/tree/getting_started.ipynb"
    # its Python kernel is the project's environment (jupyter_client runs a `python`
    # kernelspec with the server's interpreter, .venv/bin/python)
    specs = json.loads(_wait_for(f"{base}/api/kernelspecs?token={token}", proc, log))
    argv = specs["kernelspecs"][specs["default"]]["spec"]["argv"]
    assert argv[0] in {"python", "python3", str(ROOT / ".venv" / "bin" / "python")}, argv
    assert (ROOT / ".venv" / "bin" / "jupyter").exists()


def test_notebook_checkpoints_are_ignored_by_git() -> None:
    for path in ("notebooks/.ipynb_checkpoints/gym_members-checkpoint.ipynb",
                 ".ipynb_checkpoints/x-checkpoint.ipynb"):  # fmt: skip
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
        assert ignored.returncode == 0, f"{path} is not git-ignored"


@pytest.fixture(scope="module")
def runtime_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding requirements.lock only (the production install), made
    with the uv of the development environment from its cache (no download when `make install`
    has run)."""
    venv = tmp_path_factory.mktemp("runtime") / "venv"
    uv = Path(sys.executable).parent / "uv"
    base = Path(sys.base_prefix) / "bin" / "python{}.{}".format(*sys.version_info[:2])
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run([uv, "venv", "-q", "--python", base, venv], check=True, env=env)
    subprocess.run(
        [uv, "pip", "sync", "-q", "--python", venv / "bin" / "python", RUNTIME_LOCK],
        check=True,
        env=env,
        timeout=600,
    )
    return venv


def test_production_install_imports_and_serves_without_the_development_set(
    runtime_venv: Path, tmp_path: Path, started: list[subprocess.Popen]
) -> None:
    python = runtime_venv / "bin" / "python"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")},
        "PATH": f"{runtime_venv / 'bin'}:/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),  # the project's code, as the image's `--no-deps -e .`
        "DATABASE_URL": f"sqlite:///{tmp_path / 'healthai.db'}",
        "VAR_DIR": str(tmp_path / "var"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    (tmp_path / "dagster_home").mkdir()
    check = subprocess.run(
        [python, "-c", IMPORTS, *DEVELOPMENT_ONLY],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert check.returncode == 0, check.stderr[-3000:]
    assert "assets: " in check.stdout

    port = _free_port()
    log = tmp_path / "api.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [runtime_venv / "bin" / "uvicorn", "api.main:app", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started.append(proc)
    base = f"http://127.0.0.1:{port}"
    assert json.loads(_wait_for(f"{base}/ready", proc, log))["database"] is True
    assert b"swagger-ui-bundle.js" in _wait_for(f"{base}/docs", proc, log)
    assert len(_wait_for(f"{base}/docs/static/swagger-ui-bundle.js", proc, log)) > 100_000


# Run by the runtime-only interpreter: no development package is importable; the API, the
# Dagster code location and the web interface's pages import; the database migrates.
IMPORTS = """
import importlib, importlib.util, os, sys
present = [name for name in sys.argv[1:] if importlib.util.find_spec(name) is not None]
assert not present, f"development packages in the runtime install: {present}"
from healthai import migrate
migrate.upgrade(os.environ["DATABASE_URL"])
import api.main
import assets.definitions as d
import data_profiling, papermill
import dashboard.serve
from dashboard.shell import PAGES
for module in PAGES.values():
    importlib.import_module(f"dashboard.pages.{module}")
d.defs.get_repository_def()
print("assets:", len(d.defs.resolve_all_asset_keys()))
"""
