"""Duplicates by content, across files and runs (issue #13, finding 3): two byte-different files
with the same rows give ONE publication, whether they land in one run or in two, whether the
first is already published or still waiting; a fact already there with other values is
quarantined, never published over it; and the audit itself refuses a batch whose keys another
pending batch holds (before, the second batch passed the audit, failed to publish on
users.external_key and then blocked every publication)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from healthai.models import Batch, DailyActivity, IngestionRun, QuarantinedRow, User
from healthai.pipeline import batches, ingest
from healthai.settings import PROJECT_ROOT
from healthai.sources import SOURCES
from tests.conftest import ENGINES
from tests.pipeline_helpers import count, materialize_sources, session_for
from tests.sources.helpers import only_landing

GYM = PROJECT_ROOT / "raw" / "gym_members" / "gym_members_exercise_tracking.csv"
FITBIT = PROJECT_ROOT / "raw" / "fitbit_daily_activity" / "dailyActivity_merged.csv"


def _rows(path: Path, n: int) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    if path == GYM:  # valid rows only (average heart rate not above the maximum)
        return rows[0], [r for r in rows[1:] if float(r[5]) <= float(r[4])][:n]
    return rows[0], rows[1 : n + 1]


def _write(path: Path, header: list[str], rows: list[list[str]], crlf: bool = False) -> None:
    with path.open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n" if crlf else "\n").writerows([header, *rows])


def _publish_all(db: str) -> list[str]:
    """Approve and publish every audited batch; the statuses of all batches."""
    with session_for(db) as session:
        for batch_id in session.scalars(select(Batch.id).where(Batch.status == "audited")):
            batches.approve(session, batch_id, "steward@test")
            batches.publish(session, batch_id, "steward@test")
    with session_for(db) as session:
        return [b.status for b in session.scalars(select(Batch).order_by(Batch.id))]


def _accounts(db: str) -> list[tuple[int, int, int, int, int]]:
    with session_for(db) as session:
        runs = session.scalars(select(IngestionRun).where(IngestionRun.rows_in > 0))
        out = []
        for r in runs:
            assert r.rows_in == (
                r.rows_published + r.rows_quarantined + r.rows_duplicate + r.rows_pending
            )
            out.append(
                (r.rows_in, r.rows_published, r.rows_quarantined, r.rows_duplicate, r.rows_pending)
            )
        return out


@pytest.mark.parametrize("engine", ENGINES)
def test_two_byte_different_copies_in_one_run_are_published_once(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header, rows = _rows(GYM, 6)
    folder = only_landing(monkeypatch, tmp_path, "gym_members")
    _write(folder / "export-a.csv", header, rows)
    _write(folder / "export-b.csv", header, rows[::-1], crlf=True)  # other bytes, same rows
    assert materialize_sources(platform, "gym_members").success
    assert _publish_all(platform) == ["published"]
    assert count(platform, "users") == 6
    assert sorted(_accounts(platform)) == [(6, 0, 0, 6, 0), (6, 6, 0, 0, 0)]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("first_published", [True, False])
def test_the_same_facts_in_a_later_run_are_duplicates_whether_published_or_pending(
    engine: str,
    platform: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    first_published: bool,
) -> None:
    """Fitbit days (a source of facts: before, nothing compared them with what was already
    published or waiting, and the second batch failed its audit or its publication)."""
    header, rows = _rows(FITBIT, 6)
    folder = only_landing(monkeypatch, tmp_path, "fitbit_daily_activity")
    _write(folder / "april.csv", header, rows[:5])
    assert materialize_sources(platform, "fitbit_daily_activity").success
    if first_published:
        _publish_all(platform)
    _write(folder / "april-again.csv", header, [*rows[:5][::-1], rows[5]], crlf=True)  # +1 day
    # the new day's user waits in the first batch: its audit passes once that one is published
    result = materialize_sources(platform, "fitbit_daily_activity")
    assert result.success  # a failed audit is a failed check of the batch, not a failed run
    audit = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert audit["references_resolve"] == first_published
    _publish_all(platform)
    with session_for(platform) as session:
        batches.settle(session)  # audits again what failed for a reference now published
    assert _publish_all(platform) == ["published", "published"]
    assert count(platform, "daily_activity") == 6
    assert count(platform, "users") == 1
    assert sorted(_accounts(platform)) == [(5, 5, 0, 0, 0), (6, 1, 0, 5, 0)]


@pytest.mark.parametrize("engine", ENGINES)
def test_facts_again_are_duplicates_and_a_fact_with_other_values_is_quarantined(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fitbit days (a source of facts, no natural key of its own): the same days in another
    file are duplicates; the same user and day with another step count is a conflict."""
    header, rows = _rows(FITBIT, 4)
    folder = only_landing(monkeypatch, tmp_path, "fitbit_daily_activity")
    _write(folder / "april.csv", header, rows)
    assert materialize_sources(platform, "fitbit_daily_activity").success
    _publish_all(platform)
    changed = list(rows[2])
    changed[2] = str(int(changed[2]) + 100)  # TotalSteps
    _write(folder / "april-again.csv", header, [rows[0], rows[1], changed, rows[3]], crlf=True)
    assert materialize_sources(platform, "fitbit_daily_activity").success
    assert _publish_all(platform) == ["published"]
    assert sorted(_accounts(platform)) == [(4, 0, 1, 3, 0), (4, 4, 0, 0, 0)]
    assert count(platform, "daily_activity") == 4
    with session_for(platform) as session:
        conflict = session.scalar(select(QuarantinedRow))
        assert conflict.source_record == "3"
        assert conflict.raw["TotalSteps"] == changed[2]  # the untouched row
        reason = conflict.reasons[0]
        assert reason["rule"] == "conflicts_with_existing"
        assert reason["message"] == (
            "a row with the same user_id, activity_date is already published or waiting for "
            "approval with other values (daily_activity)."
        )
        steps = session.scalar(
            select(DailyActivity.steps).where(DailyActivity.source_record == "3")
        )
        assert steps == int(rows[2][2])  # the first value stays


@pytest.mark.parametrize("engine", ENGINES)
def test_the_audit_refuses_keys_another_pending_batch_holds(
    engine: str, platform: str, tmp_path: Path
) -> None:
    """The pipeline's steps run by hand with the duplicate check left out (as two processes
    racing could): the second batch's audit fails instead of its publication."""
    spec = SOURCES["gym_members"]
    header, rows = _rows(GYM, 3)
    cleaned_files = []
    for name, body in (("a.csv", rows), ("b.csv", rows[::-1])):  # both cleaned, none staged
        path = tmp_path / name
        _write(path, header, body)
        with session_for(platform) as session:
            run = ingest.start_run(session, spec, None)
            landed = ingest.land(session, spec, run, path)
        with session_for(platform) as session:
            checked = ingest.check(session, spec, landed)
            cleaned_files.append(ingest.clean(session, spec, checked))
    ids = []
    for cleaned in cleaned_files:
        with session_for(platform) as session:
            run = session.get(IngestionRun, cleaned.landed.run_id)
            batch = Batch(
                source_id=run.source_id,
                run_id=run.id,
                status="staged",
                source_sha256=cleaned.landed.sha256,
                rows_staged=cleaned.records,
                rows_by_table=cleaned.rows_by_table,
            )
            session.add(batch)
            session.flush()
            for table, parts in cleaned.tables.items():
                for part in parts.read():
                    ingest.write_staging(session, table, part, batch.id)
            run.rows_in, run.rows_pending = cleaned.rows_in, cleaned.records
            ingest.finish_run(run, "succeeded")
            batches.audit(session, batch)
            ids.append(batch.id)
        ingest.discard_work(cleaned.landed)
    with session_for(platform) as session:
        first, second = (session.get(Batch, i) for i in ids)
        assert first.status == "audited"
        assert second.status == "audit_failed"
        check = next(c for c in second.checks if c.name == "publishable")
        assert (
            check.observed["violations"]["users(external_key) already pending in another batch"]
            == 3
        )
        assert session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_biometric_readings_are_compared_measurement_by_measurement(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reading (one user at one time, a column per metric) brought again: known whole, it is
    a duplicate; with a new metric for a known time, only the new measurement is published;
    with another value for a known measurement, it is quarantined."""
    from healthai.models import BiometricMeasurement

    users = only_landing(monkeypatch, tmp_path, "sim_users")
    (users / "users.csv").write_text(
        "external_key,birth_year,sex,height_cm,goal,activity_level,experience_level,"
        "workouts_per_week,plan_tier,organisation\n"
        "sim:u1,1980,female,165,maintain,light,1,2,free,\n"
        "sim:u2,1975,male,180,maintain,light,1,2,free,\n"
    )
    assert materialize_sources(platform, "sim_users").success
    _publish_all(platform)
    folder = only_landing(monkeypatch, tmp_path, "sim_biometrics")
    head = "user_key,date,weight_kg,body_fat_pct,bmi,sleep_hours,resting_hr_bpm,steps\n"
    (folder / "may.csv").write_text(
        head + "sim:u1,2025-05-01,70,,,,,\nsim:u2,2025-05-01,80,,,7,,\nsim:u1,2025-05-03,,,,6,,\n"
    )
    assert materialize_sources(platform, "sim_biometrics").success
    _publish_all(platform)
    (folder / "may-again.csv").write_text(
        head
        + "sim:u2,2025-05-01,80.0,,,7.0,,\r\n"  # known whole (other bytes)
        + "sim:u1,2025-05-01,70,,,,,5000\r\n"  # known weight, new steps
        + "sim:u1,2025-05-02,71,,,,,\r\n"  # new
        + "sim:u1,2025-05-03,,,,8,,\r\n"  # another sleep time for a known measurement
    )
    assert materialize_sources(platform, "sim_biometrics").success
    assert _publish_all(platform) == ["published", "published", "published"]
    with session_for(platform) as session:
        run = session.scalars(
            select(IngestionRun).where(IngestionRun.rows_in > 0).order_by(IngestionRun.id.desc())
        ).first()
        assert (run.rows_in, run.rows_published, run.rows_quarantined, run.rows_duplicate) == (
            4,
            2,
            1,
            1,
        )
        m = BiometricMeasurement
        rows = session.execute(select(m.metric, m.value).order_by(m.metric, m.value)).all()
        assert sorted(rows) == sorted(
            [
                ("weight_kg", 70.0),
                ("weight_kg", 80.0),
                ("sleep_hours", 7.0),
                ("sleep_hours", 6.0),
                ("steps", 5000.0),
                ("weight_kg", 71.0),
            ]
        )
        conflict = session.scalar(select(QuarantinedRow))
        assert conflict.reasons[0]["rule"] == "conflicts_with_existing"
        assert conflict.raw["sleep_hours"] == "8"


@pytest.mark.parametrize("engine", ENGINES)
def test_readings_are_compared_with_those_another_pending_batch_holds(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The readings of a batch still waiting for approval count like published ones: brought
    again by another file, known whole they are duplicates, with another value they are
    quarantined, and only what is new waits in the second batch."""
    users = only_landing(monkeypatch, tmp_path, "sim_users")
    (users / "users.csv").write_text(
        "external_key,birth_year,sex,height_cm,goal,activity_level,experience_level,"
        "workouts_per_week,plan_tier,organisation\n"
        "sim:u1,1980,female,165,maintain,light,1,2,free,\n"
    )
    assert materialize_sources(platform, "sim_users").success
    _publish_all(platform)
    folder = only_landing(monkeypatch, tmp_path, "sim_biometrics")
    head = "user_key,date,weight_kg,body_fat_pct,bmi,sleep_hours,resting_hr_bpm,steps\n"
    (folder / "may.csv").write_text(head + "sim:u1,2025-05-01,70,,,,,\nsim:u1,2025-05-03,,,,6,,\n")
    assert materialize_sources(platform, "sim_biometrics").success  # audited, not approved
    (folder / "may-again.csv").write_text(
        head
        + "sim:u1,2025-05-01,70.0,,,,,\r\n"  # known whole (other bytes), pending
        + "sim:u1,2025-05-02,71,,,,,\r\n"  # new
        + "sim:u1,2025-05-03,,,,8,,\r\n"  # another sleep time for a pending measurement
    )
    assert materialize_sources(platform, "sim_biometrics").success
    assert sorted(_accounts(platform))[-2:] == [(2, 0, 0, 0, 2), (3, 0, 1, 1, 1)]
    assert _publish_all(platform)[-2:] == ["published", "published"]
