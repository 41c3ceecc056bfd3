"""Fault injection on PostgreSQL: a template database holding the published users of a small
simulation, copied for each trial (CREATE DATABASE ... TEMPLATE: a second, not a migration),
and the ingestion of its biometrics file in a process of its own that the tests kill."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from healthai import migrate
from healthai.models import Batch, BiometricReading, IngestionRun, QuarantinedRow, RawFile
from healthai.simulate import SimConfig, seed_organisations, simulate
from tests.conftest import PG_ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "sim_biometrics"


@dataclass(frozen=True)
class Lab:
    template: str  # database name
    folder: Path  # var, raw store, landing of the trials' copies
    file: Path  # the biometrics file to ingest
    users_file: Path


def env_for(url: str, folder: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "VAR_DIR": str(folder / "var"),
            "RAW_STORE_DIR": str(folder / "raw_store"),
            "LANDING_DIR": str(folder / "landing"),
            "AUTO_APPROVE_SOURCES": f"sim_users,{SOURCE}",
            "INGEST_CHUNK_ROWS": "500",  # several chunks, several staged parts
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("HEALTHAI_FAULT", None)
    env.pop("HEALTHAI_FAULT_ACTION", None)
    env.update(extra)
    return env


def run_worker(url: str, folder: Path, source: str, path: Path, **extra: str) -> int:
    """The worker's exit code (-9 when a fault point killed it)."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.faults.worker", source, str(path)],
        cwd=ROOT,
        env=env_for(url, folder, **extra),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode not in (0, -9) and not extra:
        raise AssertionError(proc.stderr[-3000:])
    return proc.returncode


def url_of(name: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory, pg_available: bool) -> Iterator[Lab]:
    if not pg_available:
        pytest.skip("PostgreSQL does not answer (outside CI)")
    folder = tmp_path_factory.mktemp("faults")
    data = folder / "data"
    result = simulate(SimConfig(users=20, days=60, seed=11), data)
    name = f"healthai_faults_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        migrate.upgrade(url_of(name))
        engine = create_engine(url_of(name))
        with Session(engine) as session:
            seed_organisations(session)
            session.commit()
        engine.dispose()
        users = result.files["sim_users"][0]
        run_worker(url_of(name), folder / "template", "sim_users", users)
        yield Lab(name, folder, result.files[SOURCE][0], users)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def trial(lab: Lab, tmp_path: Path) -> Iterator[str]:
    """A copy of the template database for one trial (its own folders under tmp_path)."""
    name = f"healthai_trial_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{lab.template}"'))
    try:
        yield url_of(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True)
class Outcome:
    readings: int  # published biometric readings
    published_batches: int
    quarantined: int  # open quarantined rows of the source
    runs_running: int
    rows_in: int
    accounted: int  # published + quarantined + duplicates + pending of the file's last run
    duplicates: int
    file_state: str
    dead_runs: int  # runs closed because their process died


def outcome(url: str) -> Outcome:
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            rf = s.scalars(select(RawFile).where(RawFile.original_name.like("%biometrics%"))).one()
            last = s.scalars(
                select(IngestionRun)
                .where(IngestionRun.raw_file_id == rf.id, IngestionRun.status != "skipped")
                .order_by(IngestionRun.id.desc())
            ).first()
            assert last is not None
            return Outcome(
                readings=s.scalar(select(func.count()).select_from(BiometricReading)) or 0,
                published_batches=s.scalar(
                    select(func.count())
                    .select_from(Batch)
                    .where(Batch.raw_file_id == rf.id, Batch.status == "published")
                )
                or 0,
                quarantined=s.scalar(
                    select(func.count())
                    .select_from(QuarantinedRow)
                    .where(QuarantinedRow.source_sha256 == rf.sha256)
                )
                or 0,
                runs_running=s.scalar(
                    select(func.count())
                    .select_from(IngestionRun)
                    .where(IngestionRun.status == "running")
                )
                or 0,
                rows_in=last.rows_in,
                accounted=last.rows_published
                + last.rows_quarantined
                + last.rows_duplicate
                + last.rows_pending,
                duplicates=last.rows_duplicate,
                file_state=rf.state,
                dead_runs=s.scalar(
                    select(func.count())
                    .select_from(IngestionRun)
                    .where(IngestionRun.error.like("%died%"))
                )
                or 0,
            )
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def reference(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """What one uninterrupted ingestion of the file gives."""
    folder = tmp_path_factory.mktemp("reference")
    name = f"healthai_ref_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{lab.template}"'))
    try:
        assert run_worker(url_of(name), folder, SOURCE, lab.file) == 0
        return outcome(url_of(name))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
