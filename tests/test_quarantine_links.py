"""A bad row identical to one already in quarantine is linked to it, not quarantined twice
(issue #13, finding 6): re-exporting the same rows, in another file or twice in one, leaves one
row for a steward to fix, and the file's run counts the repeats as duplicates."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from healthai.models import IngestionRun, QuarantinedRow, QuarantineRepeat
from healthai.pipeline import quarantine
from healthai.settings import PROJECT_ROOT
from tests.conftest import ENGINES
from tests.pipeline_helpers import materialize_sources, session_for
from tests.sources.helpers import only_landing

GYM = PROJECT_ROOT / "raw" / "gym_members" / "gym_members_exercise_tracking.csv"


def _gym() -> tuple[list[str], list[list[str]], list[list[str]]]:
    """The header, some valid rows and the rows whose average heart rate is above the
    maximum (quarantined)."""
    with GYM.open(newline="") as fh:
        rows = list(csv.reader(fh))
    good = [r for r in rows[1:] if float(r[5]) <= float(r[4])]
    bad = [r for r in rows[1:] if float(r[5]) > float(r[4])]
    return rows[0], good[:5], bad[:3]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])


def _runs(db: str) -> list[tuple[int, int, int, int]]:
    with session_for(db) as session:
        return [
            (r.rows_in, r.rows_quarantined, r.rows_duplicate, r.rows_pending)
            for r in session.scalars(select(IngestionRun).order_by(IngestionRun.id))
            if r.rows_in  # not the run of a file recognised as already ingested
        ]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_same_bad_rows_in_another_file_are_linked_not_quarantined_again(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header, good, bad = _gym()
    folder = only_landing(monkeypatch, tmp_path, "gym_members")
    _write(folder / "may.csv", header, [good[0], *bad, good[1]])
    assert materialize_sources(platform, "gym_members").success
    # June's export: the same bad rows in another order, a new member, one bad row twice
    _write(folder / "june.csv", header, [bad[2], good[2], bad[0], bad[1], bad[0]])
    assert materialize_sources(platform, "gym_members").success
    assert _runs(platform) == [(5, 3, 0, 2), (5, 0, 4, 1)]
    with session_for(platform) as session:
        rows = session.scalars(select(QuarantinedRow).order_by(QuarantinedRow.id)).all()
        assert len(rows) == 3  # one row per defect to fix
        repeats = session.scalars(select(QuarantineRepeat).order_by(QuarantineRepeat.id)).all()
        june = session.scalar(select(func.max(IngestionRun.id)).where(IngestionRun.rows_in > 0))
        linked = {(q.quarantined_row_id, q.source_record) for q in repeats}
        assert linked == {
            (rows[2].id, "1"),
            (rows[0].id, "3"),
            (rows[1].id, "4"),
            (rows[0].id, "5"),
        }
        assert {q.run_id for q in repeats} == {june}


@pytest.mark.parametrize("engine", ["sqlite"])
def test_a_bad_row_twice_in_one_file_is_quarantined_once_and_fixed_once(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header, good, bad = _gym()
    folder = only_landing(monkeypatch, tmp_path, "gym_members")
    _write(folder / "export.csv", header, [bad[0], good[0], bad[0]])
    assert materialize_sources(platform, "gym_members").success
    assert _runs(platform) == [(3, 1, 1, 1)]
    with session_for(platform) as session:
        row = session.scalar(select(QuarantinedRow))
        max_bpm = header[4]
        result = quarantine.correct_rows(
            session, [row.id], {max_bpm: "199", header[5]: "150"}, "steward@test", "typo"
        )
        assert result.valid and result.requeued_batch_id is not None
    with session_for(platform) as session:
        assert session.scalar(select(QuarantinedRow.status)) == "requeued"
        assert session.scalar(select(func.count()).select_from(QuarantineRepeat)) == 1
        run = session.scalar(select(IngestionRun))
        assert run.rows_in == run.rows_quarantined + run.rows_duplicate + run.rows_pending
