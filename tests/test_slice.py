"""The first slice end to end on both engines: gym members (CSV) and free-exercise-db (JSON)
go raw -> validated -> cleaned -> staged through the real Dagster assets, wait for approval,
publish in one transaction, and the figures are the ones the files hold, counted here
independently of the pipeline."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from healthai.models import Batch, IngestionRun, QuarantinedRow
from healthai.pipeline import batches
from healthai.settings import PROJECT_ROOT
from healthai.sources.vocabulary import muscle_name
from tests.conftest import ENGINES
from tests.pipeline_helpers import count, landing, materialize_sources, session_for

GYM = PROJECT_ROOT / "raw" / "gym_members" / "gym_members_exercise_tracking.csv"
EXERCISES = PROJECT_ROOT / "raw" / "free_exercise_db" / "exercises.json"
# The slice's two sources (other shipped sources have tests of their own in tests/sources/).
SLICE = ("gym_members", "free_exercise_db")


def gym_expectations() -> dict[str, int]:
    """Count by hand what the gym file should give: rows, rows whose average heart rate is
    above the maximum (the one hard rule this file breaks), and exact duplicate rows."""
    with GYM.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    bad = sum(1 for r in rows if float(r["Avg_BPM"]) > float(r["Max_BPM"]))
    distinct = len({tuple(r.values()) for r in rows})
    return {"rows": len(rows), "quarantined": bad, "duplicates": len(rows) - distinct}


def exercise_expectations() -> dict[str, int]:
    """Exercises, and their distinct (exercise, muscle) links in the canonical vocabulary:
    a muscle listed as primary and as secondary counts once, as primary."""
    records = json.loads(EXERCISES.read_text())
    links: dict[tuple[str, str], str] = {}
    for r in records:
        for role, key in (("primary", "primaryMuscles"), ("secondary", "secondaryMuscles")):
            for m in r[key]:
                links.setdefault((r["id"], muscle_name(m)), role)
    return {"rows": len(records), "links": len(links)}


def approve_all(db_url: str, actor: str = "steward@test") -> list[int]:
    with session_for(db_url) as session:
        ids = list(session.scalars(select(Batch.id).where(Batch.status == "audited")))
        for batch_id in ids:
            batches.approve(session, batch_id, actor)
            batches.publish(session, batch_id, actor)
    return ids


@pytest.mark.parametrize("engine", ENGINES)
def test_slice_publishes_what_the_files_hold(engine: str, platform: str) -> None:
    result = materialize_sources(platform, *SLICE)
    assert result.success

    gym, ex = gym_expectations(), exercise_expectations()
    # staged and audited, but nothing visible before a person approves
    assert count(platform, "users") == 0
    assert count(platform, "exercises") == 0
    with session_for(platform) as session:
        statuses = {b.source.name: b.status for b in session.scalars(select(Batch))}
        assert statuses == {"gym_members": "audited", "free_exercise_db": "audited"}

    approve_all(platform)

    published_gym = gym["rows"] - gym["quarantined"] - gym["duplicates"]
    assert count(platform, "users") == published_gym
    assert count(platform, "workout_sessions") == published_gym
    assert count(platform, "biometric_measurements") == published_gym * 5
    assert count(platform, "exercises") == ex["rows"]
    assert count(platform, "exercise_muscles") == ex["links"]
    with session_for(platform) as session:
        runs = {r.source.name: r for r in session.scalars(select(IngestionRun))}
        gym_run = runs["gym_members"]
        assert gym_run.rows_in == gym["rows"]
        assert gym_run.rows_quarantined == gym["quarantined"]
        assert gym_run.rows_duplicate == gym["duplicates"]
        assert gym_run.rows_published == published_gym
        assert gym_run.rows_pending == 0
        reasons = {r["rule"] for q in session.scalars(select(QuarantinedRow)) for r in q.reasons}
        assert reasons == {"avg_bpm_not_above_max_bpm"}
        assert runs["free_exercise_db"].rows_published == ex["rows"]


@pytest.mark.parametrize("engine", ENGINES)
def test_rerun_adds_nothing(engine: str, platform: str) -> None:
    assert materialize_sources(platform, *SLICE).success
    approve_all(platform)
    users, exercises = count(platform, "users"), count(platform, "exercises")

    assert materialize_sources(platform, *SLICE).success
    assert approve_all(platform) == []  # no new batch to approve
    assert (count(platform, "users"), count(platform, "exercises")) == (users, exercises)
    with session_for(platform) as session:
        skipped = session.scalars(select(IngestionRun).where(IngestionRun.status == "skipped"))
        assert len(list(skipped)) == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_rollback_restores_previous_state(engine: str, platform: str) -> None:
    assert materialize_sources(platform, "gym_members").success
    [batch_id] = approve_all(platform)
    assert count(platform, "users") > 0
    with session_for(platform) as session:
        batches.rollback(session, batch_id, "admin@test", "wrong file")
    for table in ("users", "workout_sessions", "biometric_measurements"):
        assert count(platform, table) == 0
    with session_for(platform) as session:
        assert session.get(Batch, batch_id).status == "rolled_back"


@pytest.mark.parametrize("engine", ENGINES)
def test_rejected_batch_goes_to_quarantine(engine: str, platform: str) -> None:
    assert materialize_sources(platform, "free_exercise_db").success
    with session_for(platform) as session:
        batch_id = session.scalar(select(Batch.id))
        batches.reject(session, batch_id, "steward@test", "catalogue not validated by coaches")
    assert count(platform, "exercises") == 0
    with session_for(platform) as session:
        rows = list(session.scalars(select(QuarantinedRow)))
        run = session.scalar(select(IngestionRun))
        assert len(rows) == exercise_expectations()["rows"]
        assert all(r.reasons[-1]["rule"] == "batch_rejected" for r in rows)
        assert rows[0].raw["id"]  # the untouched source record is kept
        assert run.rows_in == run.rows_quarantined + run.rows_duplicate + run.rows_published


@pytest.mark.parametrize("engine", ENGINES)
def test_rejected_batch_keeps_every_source_row_when_read_in_chunks(
    engine: str, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from healthai.settings import get_settings

    monkeypatch.setenv("INGEST_CHUNK_ROWS", "100")
    get_settings.cache_clear()
    assert materialize_sources(platform, "free_exercise_db").success
    with session_for(platform) as session:
        batches.reject(session, session.scalar(select(Batch.id)), "steward@test", "not now")
    with session_for(platform) as session:
        rows = list(session.scalars(select(QuarantinedRow)))
    assert len(rows) == exercise_expectations()["rows"]
    assert all(r.raw.get("id") for r in rows)  # found in whichever chunk holds it


@pytest.mark.parametrize("engine", ENGINES)
def test_broken_file_is_refused_and_other_sources_go_on(
    engine: str, platform: str, tmp_path: Path
) -> None:
    (landing(tmp_path, "gym_members") / "export.csv").write_text("name;age\nBob;40\n")
    result = materialize_sources(platform, *SLICE)
    checks = {
        (e.asset_key.to_user_string(), e.check_name): e.passed
        for e in result.get_asset_check_evaluations()
    }
    assert checks[("gym_members_batch", "contract_accepted")] is False  # visible failure
    with session_for(platform) as session:
        runs = list(session.scalars(select(IngestionRun)))
        failed = [r for r in runs if r.status == "failed"]
        assert len(failed) == 1
        assert failed[0].error.startswith("export.csv: required column(s) missing: Age, Gender")
        # the source's good file and the other source still reach staging
        staged = sorted(b.source.name for b in session.scalars(select(Batch)))
        assert staged == ["free_exercise_db", "gym_members"]
