"""`make materialize` on PostgreSQL, the production engine (#13 finding 8): it failed (exit 2)
when a quality rule over many columns named them in more than quality_metrics.column_name's
120 characters, which SQLite does not enforce. The real target, a small simulation, a database
and folders of its own."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from healthai.models import IngestionRun, QualityMetric, RawFile
from tests.conftest import fresh_database

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.postgres


def test_make_materialize_on_postgresql(tmp_path: Path, pg_available: bool) -> None:
    with fresh_database("postgresql", tmp_path, pg_available) as url:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "VAR_DIR": str(tmp_path / "var"),
            "RAW_STORE_DIR": str(tmp_path / "raw_store"),
            "LANDING_DIR": str(tmp_path / "landing"),
            "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        }
        env.pop("HEALTHAI_FAULT", None)
        done = subprocess.run(
            ["make", "materialize", "SIMULATE=--users 10 --days 10 --seed 5"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=580,
        )
        assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
        engine = create_engine(url)
        try:
            with Session(engine) as s:
                assert s.scalar(select(func.count()).select_from(QualityMetric))
                long = s.scalars(
                    select(QualityMetric).where(func.length(QualityMetric.column_name) == 120)
                ).all()
                assert long and all(len(m.detail["columns"]) > 120 for m in long)
                running = select(IngestionRun).where(IngestionRun.status == "running")
                assert not s.scalars(running).all()
                assert s.scalar(select(func.count()).select_from(RawFile))
        finally:
            engine.dispose()
