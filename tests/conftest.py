"""Shared fixtures: every database test runs on the embedded default (SQLite) and on PostgreSQL.

PostgreSQL is reached at HEALTHAI_TEST_POSTGRES_URL (default: the local server, trust auth);
each test gets a database of its own, created and dropped around it, so parallel sessions and
helpers never share state.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from healthai import migrate

# The tests' own secrets (the API and the web interface refuse to start without usable ones),
# and sign-in limits no test reaches by accident (the tests of the limits set their own);
# servers the tests start inherit them.
os.environ.setdefault("JWT_SECRET", "tests-only-jwt-secret-" + "j" * 32)
os.environ.setdefault("PSEUDONYM_SECRET", "tests-only-pseudonym-secret-" + "p" * 32)
os.environ.setdefault("LOGIN_ADDRESS_RATE_LIMIT", "100000")

PG_ADMIN_URL = os.environ.get(
    "HEALTHAI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _shared_datasets() -> Path:
    """The client's reference datasets (read-only, not shipped: tests/test_exercisedb.py and
    the quality notebooks read them): HEALTHAI_SHARED_DATASETS, else `shared/datasets` beside
    the repository, or beside the repository it was cloned from (a clone in another folder)."""
    if os.environ.get("HEALTHAI_SHARED_DATASETS"):
        return Path(os.environ["HEALTHAI_SHARED_DATASETS"])
    repo = Path(__file__).resolve().parents[1]
    beside = [repo.parent]
    origin = subprocess.run(
        ["git", "-C", str(repo), "config", "--get", "remote.origin.url"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if origin and Path(origin).is_dir():
        beside.append(Path(origin).resolve().parent)
    found = [d / "shared" / "datasets" for d in beside]
    return next((f for f in found if f.is_dir()), found[0])


SHARED_DATASETS = _shared_datasets()
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _pg_available() -> bool:
    try:
        with create_engine(PG_ADMIN_URL).connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(scope="session")
def pg_available() -> bool:
    ok = _pg_available()
    if not ok and os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI and does not answer at {PG_ADMIN_URL}")
    return ok


@pytest.fixture
def empty_db_url(
    request: pytest.FixtureRequest, tmp_path: Path, pg_available: bool
) -> Iterator[str]:
    """A URL to an empty database of the engine named by the test's `engine` parameter."""
    engine_name = getattr(request, "param", None) or request.node.callspec.params.get("engine")
    with fresh_database(engine_name, tmp_path, pg_available) as url:
        yield url


@contextmanager
def fresh_database(engine_name: str, tmp_path: Path, pg_available: bool) -> Iterator[str]:
    """An empty database of `engine_name` ("sqlite" or "postgresql"), dropped afterwards;
    also used by fixtures of a wider scope (the browser tests' module-wide database)."""
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'healthai.db'}"
        return
    if not pg_available:
        pytest.skip("PostgreSQL does not answer (outside CI)")
    name = f"healthai_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db_url(empty_db_url: str) -> str:
    """An empty database migrated to head through Alembic (the only way the schema is made)."""
    migrate.upgrade(empty_db_url)
    return empty_db_url


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    if not SHARED_DATASETS.is_dir():
        pytest.fail(f"reference datasets not found at {SHARED_DATASETS}")
    return SHARED_DATASETS


@pytest.fixture
def platform(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The platform's settings pointed at a migrated test database and private folders
    (the shipped raw/ files stay the inputs). Yields the database URL."""
    from healthai.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("RAW_STORE_DIR", str(tmp_path / "raw_store"))
    monkeypatch.setenv("LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("AUTO_APPROVE_SOURCES", "")
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()
