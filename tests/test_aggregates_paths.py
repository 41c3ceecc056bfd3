"""The pipeline's changes of the published data keep the analytics' aggregates in step, by the
calls made where the data change (no ORM event hook): publication (`aggregates.apply_batch` in
batches.publish), rollback (`aggregates.refresh_users` in batches.rollback) and a correction
re-queued from quarantine and published. After each, the maintained aggregates and rollups
equal ones rebuilt from the facts, and the figure the change moves has moved; each test fails
with its call removed. The API's writes: tests/api/test_aggregates_api.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthai.models import Batch, QuarantinedRow, Source, User, UserMetricSpan
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
