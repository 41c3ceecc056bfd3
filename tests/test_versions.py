"""Dataset versions and as-of reads (healthai.pipeline.versions): every change of the
published data makes the next version, and a version read later gives exactly what it held,
whatever was published, rolled back or written through the API since, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from healthai.models import BiometricMeasurement, BiometricReading, DatasetVersion, User
from healthai.pipeline import batches, measurements, versions
from tests.conftest import ENGINES
from tests.pipeline_helpers import session_for
from tests.write_helpers import publish_readings, published_user, rows_of

T0 = datetime(2025, 3, 1, 7, tzinfo=UTC)
TABLES = ("biometric_readings", "biometric_measurements", "users")


def snapshot(session, version: int) -> dict[str, list[tuple]]:  # noqa: ANN001
    return {t: rows_of(session, versions.as_of(session, t, version)) for t in TABLES}


def live(session) -> dict[str, list[tuple]]:  # noqa: ANN001
    readings = BiometricReading.__table__
    return {
        "biometric_readings": rows_of(session, select(*readings.c)),
        "biometric_measurements": rows_of(session, select(*BiometricMeasurement.__table__.c)),
        "users": rows_of(session, select(*User.__table__.c)),
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_as_of_reads_hold_after_later_publications_rollbacks_and_api_writes(
    engine: str, db_url: str
) -> None:
    seen: dict[int, dict[str, list[tuple]]] = {}
    with session_for(db_url) as s:
        source, user = published_user(s)
        first = publish_readings(
            s,
            source,
            [
                ("w:1", T0, {"weight_kg": 80.0, "sleep_hours": 7.0}),
                ("w:1", T0 + timedelta(days=1), {"weight_kg": 79.5}),
            ],
        )
        v1 = first.published_version
        seen[v1] = snapshot(s, v1)
        assert seen[v1] == live(s)
    with session_for(db_url) as s:
        second = publish_readings(s, source, [("w:1", T0 + timedelta(days=2), {"bmi": 24.0})])
        v2 = second.published_version
        seen[v2] = snapshot(s, v2)
        assert seen[v2] == live(s)
        assert len(seen[v2]["biometric_measurements"]) == 4
    with session_for(db_url) as s:
        v3 = batches.rollback(s, first.id, "steward", "wrong scale").rolled_back_version
        seen[v3] = snapshot(s, v3)
        assert seen[v3] == live(s)
        assert len(seen[v3]["biometric_measurements"]) == 1  # only the second batch's bmi
    with session_for(db_url) as s:
        third = publish_readings(
            s, source, [("w:1", T0, {"weight_kg": 81.0})]
        )  # the rolled-back key is free again
        v4 = third.published_version
        bmi = s.scalar(select(BiometricMeasurement.id).where(BiometricMeasurement.metric == "bmi"))
        batch = s.get(type(first), second.id)
        measurements.change(s, batch, bmi, {"value": 24.5}, "steward")
        v5 = versions.current(s)
        seen[v5] = snapshot(s, v5)
        weight = s.scalar(
            select(BiometricMeasurement.id).where(BiometricMeasurement.metric == "weight_kg")
        )
        measurements.delete_measurement(s, weight, "steward")
        v6 = versions.current(s)
        seen[v6] = snapshot(s, v6)
        assert seen[v6] == live(s)
        kinds = list(s.scalars(select(DatasetVersion.kind).order_by(DatasetVersion.version)))
    assert [v1, v2, v3, v4, v5, v6] == sorted({v1, v2, v3, v4, v5, v6})
    assert (
        kinds[-6:] == ["publication", "publication", "rollback", "publication"] + ["api_write"] * 2
    )

    # every version read again after all of it gives what it gave then
    with session_for(db_url) as s:
        for version, then in seen.items():
            assert snapshot(s, version) == then, version
        values = {
            v: sorted(r.value for r in s.execute(versions.as_of(s, "biometric_measurements", v)))
            for v in (v1, v2, v3, v4, v5, v6)
        }
    assert values[v1] == [7.0, 79.5, 80.0]
    assert values[v2] == [7.0, 24.0, 79.5, 80.0]
    assert values[v3] == [24.0]
    assert values[v4] == [24.0, 81.0]
    assert values[v5] == [24.5, 81.0]
    assert values[v6] == [24.5]


@pytest.mark.parametrize("engine", ENGINES)
def test_an_erased_person_is_gone_from_every_version(engine: str, db_url: str) -> None:
    with session_for(db_url) as s:
        source, user = published_user(s)
        first = publish_readings(s, source, [("w:1", T0, {"weight_kg": 80.0})])
        batches.rollback(s, first.id, "steward")  # its rows now live in the history only
        second = publish_readings(s, source, [("w:1", T0, {"weight_kg": 80.5})])
        assert rows_of(s, versions.as_of(s, "biometric_readings", first.published_version))
    with session_for(db_url) as s:
        versions.forget_user(s, user)
        s.delete(s.get(User, user))
        versions.bump(s, "erasure", actor="dpo")
    with session_for(db_url) as s:
        for version in range(0, versions.current(s) + 1):
            for table in TABLES:
                assert rows_of(s, versions.as_of(s, table, version)) == [], (table, version)
        assert second.id  # the batch stays, its rows are gone


def test_unknown_kinds_and_tables_are_refused(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(ValueError):
        versions.as_of(None, "quarantined_rows", 1)  # type: ignore[arg-type]
