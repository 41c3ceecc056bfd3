"""The scratch database and folders a benchmark run works in, the machine it runs on, and a
runner measuring each worker process's time and peak memory."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def scratch_database(admin_url: str, name: str, keep: bool = False) -> Iterator[str]:
    """A new, empty database `name` on the server of `admin_url` (dropped first if a previous
    run left it, dropped again at the end unless `keep`). Yields its URL."""
    if not name.startswith("bench_"):
        raise ValueError("the benchmark only creates and drops databases named bench_*")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def point_settings(db_url: str, work: Path, trusted: str) -> dict[str, str]:
    """Environment variables pointing the platform (this process and its children) at the
    scratch database and folders; returns what was set."""
    values = {
        "DATABASE_URL": db_url,
        "VAR_DIR": str(work / "var"),
        "LANDING_DIR": str(work / "landing"),
        "RAW_STORE_DIR": str(work / "raw_store"),
        "RAW_DIR": str(work / "raw"),  # nothing shipped: only the benchmark's own files
        "DAGSTER_HOME": str(work / "dagster_home"),
        "AUTO_APPROVE_SOURCES": trusted,
        "ENVIRONMENT": "development",
        "LOG_LEVEL": "WARNING",
    }
    for key in ("raw", "var", "landing", "raw_store", "dagster_home"):
        (work / key).mkdir(parents=True, exist_ok=True)
    os.environ.update(values)
    from healthai.access import ensure_secrets
    from healthai.settings import get_settings

    # the API and the web interface refuse to start without secrets (healthai.access):
    # generated for the run in its own var/ (a server started by the harness reads them there)
    ensure_secrets(work / "var" / "secrets.env")
    get_settings.cache_clear()
    return values


@dataclass
class Measured:
    result: dict[str, Any]
    wall_s: float
    peak_rss_mb: float


def run_worker(variant: str, *args: object, log: Path) -> Measured:
    """Run one worker variant in its own process; its own peak RSS comes from wait4."""
    out = log.with_suffix(".json")
    cmd = [sys.executable, "-m", "benchmarks.workers", variant, str(out), *map(str, args)]
    began = time.perf_counter()
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"worker {variant} failed ({proc.returncode}):\n{tail}")
    # ru_maxrss is in kilobytes on Linux
    return Measured(json.loads(out.read_text()), wall, usage.ru_maxrss / 1024)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine(db_url: str) -> dict[str, Any]:
    with create_engine(db_url).connect() as conn:
        pg = conn.execute(text("SHOW server_version")).scalar_one()
        settings = {
            name: conn.execute(text(f"SHOW {name}")).scalar_one()
            for name in ("shared_buffers", "work_mem", "max_wal_size", "synchronous_commit")
        }
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": pg,
        "postgresql_settings": settings,
        # from a `git archive` export (no .git), the commit is given by BENCH_GIT_COMMIT
        "git_commit": _git("rev-parse", "--short", "HEAD")
        or os.environ.get("BENCH_GIT_COMMIT", ""),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "max_rss_limit": resource.getrlimit(resource.RLIMIT_AS)[0],
    }


def load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]
