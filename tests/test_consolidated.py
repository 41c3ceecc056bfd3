"""The consolidated export equals the published tables, in three formats, with a dictionary,
and never shows a user's real identifier."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from healthai.models import Batch, User
from healthai.pipeline import batches, consolidated
from healthai.privacy import pseudonym
from healthai.settings import get_settings
from tests.conftest import ENGINES
from tests.pipeline_helpers import count, materialize_sources, session_for


@pytest.mark.parametrize("engine", ENGINES)
def test_export_equals_published_rows_and_pseudonymises_users(
    engine: str, platform: str, tmp_path: Path
) -> None:
    assert materialize_sources(platform, "gym_members").success
    with session_for(platform) as session:
        batch_id = session.scalar(select(Batch.id))
        batches.approve(session, batch_id, "steward@test")
        batches.publish(session, batch_id, "steward@test")
        user_ids = set(session.scalars(select(User.id)))
    out = tmp_path / "consolidated"
    with session_for(platform) as session:
        written = consolidated.export(session, out, get_settings())

    for table in ("users", "workout_sessions", "biometric_readings", "foods"):
        assert written[table] == count(platform, table)
        csv = pd.read_csv(out / f"{table}.csv")
        parquet = pd.read_parquet(out / f"{table}.parquet")
        as_json = json.loads((out / f"{table}.json").read_text())
        assert len(csv) == len(parquet) == len(as_json) == written[table]

    users = pd.read_parquet(out / "users.parquet")
    assert "external_key" not in users.columns
    expected = {pseudonym(get_settings(), i) for i in user_ids}
    assert set(users["id"]) == expected
    sessions = pd.read_parquet(out / "workout_sessions.parquet")
    assert set(sessions["user_id"]) <= expected
    assert not set(map(str, user_ids)) & set(users["id"])

    dictionary = json.loads((out / "data_dictionary.json").read_text())
    described = {(c["table"], c["column"]) for c in dictionary["columns"]}
    assert ("biometric_readings", "weight_kg") in described
    readings = pd.read_parquet(out / "biometric_readings.parquet")
    assert set(readings["user_id"]) <= expected
    assert ("users", "external_key") not in described


@pytest.mark.parametrize("engine", ENGINES)
def test_published_rows_trace_back_to_their_file_and_line(engine: str, platform: str) -> None:
    """Lineage after publication: every published row carries the SHA-256 of the file it came
    from (held once by its batch while staged) and the number of its line in that file."""
    import hashlib

    from healthai.models import WorkoutSession
    from healthai.settings import PROJECT_ROOT

    source = PROJECT_ROOT / "raw" / "gym_members" / "gym_members_exercise_tracking.csv"
    assert materialize_sources(platform, "gym_members").success
    with session_for(platform) as session:
        batch = session.scalars(select(Batch)).one()
        assert batch.source_sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
        batches.approve(session, batch.id, "steward@test")
        batches.publish(session, batch.id, "steward@test")
    lines = source.read_text().splitlines()
    with session_for(platform) as session:
        for model in (User, WorkoutSession):
            rows = session.scalars(select(model)).all()
            assert rows and {r.source_sha256 for r in rows} == {batch.source_sha256}
            assert {r.batch_id for r in rows} == {batch.id}
        workouts = session.scalars(select(WorkoutSession)).all()
    for workout in workouts:  # the session's calories are on the row's own line
        fields = lines[int(workout.source_record)].split(",")
        assert float(fields[8]) == pytest.approx(workout.calories_kcal), workout.source_record
    # the lean lineage of readings: batch id and integer record number; the fingerprint is
    # the batch's, also shown by the long view
    from healthai.models import BiometricMeasurement, BiometricReading

    with session_for(platform) as session:
        readings = session.scalars(select(BiometricReading)).all()
        shown = set(session.scalars(select(BiometricMeasurement.source_sha256).distinct()))
    assert readings and {r.batch_id for r in readings} == {batch.id}
    assert shown == {batch.source_sha256}
    for reading in readings:  # the weight is on the record's own line
        fields = lines[reading.record].split(",")
        assert float(fields[2]) == pytest.approx(reading.weight_kg), reading.record
