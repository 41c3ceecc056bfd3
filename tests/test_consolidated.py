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

    for table in ("users", "workout_sessions", "biometric_measurements", "foods"):
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
    assert ("biometric_measurements", "value") in described
    assert ("users", "external_key") not in described
