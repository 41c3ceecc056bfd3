"""The pipeline's changes of the published data keep the analytics' aggregates in step, by the
calls made where the data change (no ORM event hook): publication (`aggregates.apply_batch` in
batches.publish), rollback (`aggregates.refresh_users` in batches.rollback) and a correction
re-queued from quarantine and published. After each, the maintained aggregates and rollups
equal ones rebuilt from the facts, and the figure the change moves has moved; each test fails
with its call removed. The API's writes: tests/api/test_aggregates_api.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from healthai.models import (
    STAGING,
    Batch,
    IngestionRun,
    QuarantinedRow,
    Source,
    User,
    UserMetricSpan,
    UserWorkouts,
)
from healthai.pipeline import aggregates, batches, quarantine, versions
from healthai.queries import analytics
from tests.conftest import ENGINES
from tests.pipeline_helpers import materialize_sources, session_for
from tests.sources.helpers import only_landing
from tests.test_aggregates import aggregate_rows
from tests.write_helpers import publish_readings, published_user

T0 = datetime(2025, 3, 1, 7, tzinfo=UTC)


def follows(s: Session) -> None:
    maintained = aggregate_rows(s)
    aggregates.rebuild(s)
    assert aggregate_rows(s) == maintained


def spans(s: Session) -> list[tuple]:
    t = UserMetricSpan
    stmt = select(t.metric, t.measurements, t.first_value, t.last_value).order_by(t.metric)
    rows = s.execute(stmt)
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("engine", ENGINES)
def test_publication_and_rollback_keep_the_aggregates(engine: str, db_url: str) -> None:
    with session_for(db_url) as s:
        source, _user = published_user(s)
        week = T0 + timedelta(days=7)
        readings = [("w:1", T0, {"weight_kg": 80.0}), ("w:1", week, {"weight_kg": 79.0})]
        first = publish_readings(s, source, readings)
    with session_for(db_url) as s:
        assert spans(s) == [("weight_kg", 2, 80.0, 79.0)]
        assert analytics.progression(s, "weight_kg")["mean_change"] == -1.0
        follows(s)
    with session_for(db_url) as s:
        publish_readings(s, source, [("w:1", T0 + timedelta(days=14), {"weight_kg": 77.5})])
    with session_for(db_url) as s:
        assert spans(s) == [("weight_kg", 3, 80.0, 77.5)]
        assert analytics.progression(s, "weight_kg")["mean_change"] == -2.5
        follows(s)
    with session_for(db_url) as s:
        batches.rollback(s, first.id, "steward", "wrong scale")
    with session_for(db_url) as s:
        assert spans(s) == [("weight_kg", 1, 77.5, 77.5)]
        assert analytics.progression(s, "weight_kg")["users_with_progression"] == 0
        follows(s)


def publish_workouts(s: Session, source_id: int, rows: list[tuple]) -> Batch:
    """A batch of workout sessions (user key, type, day or None, minutes, intensity or None)
    staged by hand, audited, approved and published."""
    run = IngestionRun(
        source_id=source_id, status="succeeded", rows_in=len(rows), rows_pending=len(rows)
    )
    s.add(run)
    s.flush()
    batch = Batch(
        source_id=source_id, run_id=run.id, status="staged", rows_by_table={},
        source_sha256="b" * 64, rows_staged=len(rows),
    )  # fmt: skip
    s.add(batch)
    s.flush()
    s.execute(
        insert(STAGING["workout_sessions"]),
        [
            {
                "batch_id": batch.id,
                "source_record": str(i),
                "user_key": user,
                "workout_type": kind,
                "performed_on": day,
                "duration_min": minutes,
                "intensity": intensity,
            }  # fmt: skip
            for i, (user, kind, day, minutes, intensity) in enumerate(rows, 1)
        ],
    )
    checks = batches.audit(s, batch, {})
    assert batch.status == "audited", {c.name: c.observed for c in checks}
    batches.approve(s, batch.id, "steward")
    return batches.publish(s, batch.id, "steward")


def user_workouts(s: Session) -> list[tuple]:
    t = UserWorkouts
    return [tuple(r) for r in s.execute(select(t.workout_type, t.intensity, t.sessions, t.minutes))]


@pytest.mark.parametrize("engine", ENGINES)
def test_published_and_rolled_back_workouts_keep_user_workouts(engine: str, db_url: str) -> None:
    """`user_workouts` (every session, with or without a day) follows a publication and a
    rollback; the whole history's fitness figures read it."""
    day = date(2025, 3, 1)
    with session_for(db_url) as s:
        source, _user = published_user(s)
        first = publish_workouts(
            s, source, [("w:1", "yoga", day, 30.0, "low"), ("w:1", "yoga", None, 20.0, "low")]
        )
    with session_for(db_url) as s:
        assert user_workouts(s) == [("yoga", "low", 2, 50.0)]
        assert analytics.top_workouts(s)[0] == {
            "workout_type": "yoga", "sessions": 2, "users": 1, "minutes": 50.0,
        }  # fmt: skip
        follows(s)
    with session_for(db_url) as s:
        publish_workouts(
            s, source, [("w:1", "yoga", None, 15.0, "low"), ("w:1", "run", day, 40.0, None)]
        )
    with session_for(db_url) as s:
        assert sorted(user_workouts(s)) == [("run", "", 1, 40.0), ("yoga", "low", 3, 65.0)]
        assert analytics.intensity_levels(s) == [
            {"intensity": "low", "sessions": 3}, {"intensity": None, "sessions": 1},
        ]  # fmt: skip
        follows(s)
    with session_for(db_url) as s:
        batches.rollback(s, first.id, "steward", "duplicated export")
    with session_for(db_url) as s:
        assert sorted(user_workouts(s)) == [("run", "", 1, 40.0), ("yoga", "low", 1, 15.0)]
        follows(s)


HEAD = "user_key,date,weight_kg,body_fat_pct,bmi,sleep_hours,resting_hr_bpm,steps\n"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_published_correction_keeps_the_aggregates(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = only_landing(monkeypatch, tmp_path, "sim_users")
    (users / "users.csv").write_text(
        "external_key,birth_year,sex,height_cm,goal,activity_level,experience_level,"
        "workouts_per_week,plan_tier,organisation\n"
        "sim:u1,1980,female,165,maintain,light,1,2,free,\n"
    )
    assert materialize_sources(platform, "sim_users").success
    _publish_audited(platform)
    folder = only_landing(monkeypatch, tmp_path, "sim_biometrics")
    # the second weight is out of range (a typo): quarantined, the first is published
    rows = "sim:u1,2025-05-01,70,,,,,\nsim:u1,2025-05-08,6.9,,,,,\n"
    (folder / "may.csv").write_text(HEAD + rows)
    assert materialize_sources(platform, "sim_biometrics").success
    _publish_audited(platform)
    with session_for(platform) as s:
        assert spans(s) == [("weight_kg", 1, 70.0, 70.0)]
        row = s.scalar(
            select(QuarantinedRow)
            .join(Source, Source.id == QuarantinedRow.source_id)
            .where(Source.name == "sim_biometrics", QuarantinedRow.status == "open")
        )
        assert row is not None
        before = versions.current(s)
        fixed = quarantine.correct(s, row.id, {"weight_kg": "69"}, "ana", "typo")
    assert fixed.valid and fixed.requeued_batch_id is not None
    with session_for(platform) as s:
        batches.approve(s, fixed.requeued_batch_id, "bruno")
        # corrected and approved, not published: the dataset version (the API's ETag,
        # tests/api/test_http_caching.py) stays; its publication makes the next one
        assert versions.current(s) == before
        batches.publish(s, fixed.requeued_batch_id, "bruno")
        assert versions.current(s) == before + 1
    with session_for(platform) as s:
        assert spans(s) == [("weight_kg", 2, 70.0, 69.0)]
        assert analytics.progression(s, "weight_kg")["mean_change"] == -1.0
        assert s.scalar(select(User.id).where(User.external_key == "sim:u1"))
        follows(s)


def _publish_audited(db: str) -> None:
    with session_for(db) as s:
        for batch_id in s.scalars(select(Batch.id).where(Batch.status == "audited")):
            batches.approve(s, batch_id, "steward@test")
            batches.publish(s, batch_id, "steward@test")
