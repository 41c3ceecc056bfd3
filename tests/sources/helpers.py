"""Helpers for the per-source tests: run one source through the real Dagster assets, approve
and publish what it staged, and read back its run accounting and quarantine reasons."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from healthai.models import Batch, IngestionRun, QuarantinedRow, Source
from healthai.pipeline import batches
from healthai.settings import PROJECT_ROOT, get_settings
from tests.pipeline_helpers import landing, materialize_sources, session_for

RAW = PROJECT_ROOT / "raw"


@dataclass
class Outcome:
    rows_in: int
    published: int
    quarantined: int
    duplicates: int
    reasons: Counter  # rule -> number of quarantined rows citing it
    statuses: list[str]
    errors: list[str]


def run_source(platform: str, name: str, approve: bool = True) -> Outcome:
    result = materialize_sources(platform, name)
    assert result.success
    with session_for(platform) as session:
        if approve:
            for batch_id in session.scalars(select(Batch.id).where(Batch.status == "audited")):
                batches.approve(session, batch_id, "steward@test")
                batches.publish(session, batch_id, "steward@test")
    with session_for(platform) as session:
        runs = list(session.scalars(select(IngestionRun).join(Source).where(Source.name == name)))
        rows = session.scalars(select(QuarantinedRow).join(Source).where(Source.name == name)).all()
        reasons: Counter = Counter()
        for q in rows:
            reasons.update({r["rule"] for r in q.reasons})
        out = Outcome(
            rows_in=sum(r.rows_in for r in runs),
            published=sum(r.rows_published for r in runs),
            quarantined=sum(r.rows_quarantined for r in runs),
            duplicates=sum(r.rows_duplicate for r in runs),
            reasons=reasons,
            statuses=[b.status for b in session.scalars(select(Batch))],
            errors=[r.error for r in runs if r.error],
        )
        assert len(rows) == out.quarantined
        assert out.rows_in == out.published + out.quarantined + out.duplicates
    return out


def only_landing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, source: str) -> Path:
    """Point RAW_DIR at an empty folder: only files dropped in the landing zone are read.
    Returns the source's landing folder."""
    empty = tmp_path / "no_raw"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("RAW_DIR", str(empty))
    get_settings.cache_clear()
    return landing(tmp_path, source)
