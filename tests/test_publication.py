"""The publication asset settles what needs no person: trusted sources publish, and fact
batches whose users were not yet published are audited again and published once they are."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import select

from assets.catch_up import CaughtUp, catch_up
from assets.definitions import specs
from assets.resources import Database
from healthai.models import Batch, IngestionRun
from healthai.settings import get_settings
from healthai.simulate import SimConfig, seed_organisations, simulate
from tests.conftest import ENGINES
from tests.pipeline_helpers import count, session_for

SIM = ["sim_users", "sim_biometrics", "sim_app_sessions", "sim_subscriptions", "sim_surveys"]


def run_everything(db_url: str, tmp_path: Path) -> CaughtUp:
    """Every source's new files (one partition and run each), then the publication asset."""
    storage = tmp_path / "dagster"
    storage.mkdir(exist_ok=True)
    with dg.DagsterInstance.ephemeral(tempdir=str(storage)) as instance:
        return catch_up(instance, [s.name for s in specs], {"database": Database(url=db_url)})


@pytest.mark.parametrize("engine", ENGINES)
def test_trusted_sources_publish_in_dependency_order(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTO_APPROVE_SOURCES", ",".join(SIM))
    get_settings.cache_clear()
    result = simulate(SimConfig(users=40, days=90, seed=7), get_settings().landing_dir)
    assert all(result.rows[name] > 0 for name in SIM), result.rows
    with session_for(platform) as session:
        seed_organisations(session)

    assert run_everything(platform, tmp_path).success

    with session_for(platform) as session:
        by_source = {b.source.name: b.status for b in session.scalars(select(Batch))}
        assert {name: by_source[name] for name in SIM} == dict.fromkeys(SIM, "published")
        assert by_source["gym_members"] == "audited"  # not trusted: waits for a person
        for run in session.scalars(select(IngestionRun)):
            assert run.rows_in == (
                run.rows_published + run.rows_quarantined + run.rows_duplicate + run.rows_pending
            )
    assert count(platform, "satisfaction_surveys") == result.rows["sim_surveys"]
    assert count(platform, "users") == result.rows["sim_users"]


@pytest.mark.parametrize("engine", ENGINES)
def test_publishable_is_proved_by_set_based_checks(engine: str, platform: str) -> None:
    """Without a trial INSERT, the audit's `publishable` check names what would break a
    constraint: a measurement repeated in the batch, one already published, a value outside
    its CHECK, a reference that resolves nowhere. A clean batch passes and publishes."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from healthai.models import STAGING, BiometricReading, Source, User
    from healthai.models.vocab import METRICS
    from healthai.pipeline import batches, partitions

    stg = STAGING["biometric_readings"]
    at = datetime(2025, 3, 1, 7, tzinfo=UTC)

    def staged(session, rows: list[tuple[str, datetime, dict[str, float]]]) -> Batch:  # noqa: ANN001
        batch = Batch(
            source_id=source.id, status="staged", rows_by_table={}, source_sha256="a" * 64
        )
        session.add(batch)
        session.flush()
        session.execute(
            insert(stg),
            [
                {"batch_id": batch.id, "record": i, "user_key": user, "measured_at": when}
                | {m: values.get(m) for m in METRICS}
                for i, (user, when, values) in enumerate(rows, 1)
            ],
        )
        return batch

    with session_for(platform) as session:
        source = Source(
            name="set_based", title="t", format="csv", location="t", owner="t", licence="t",
            update_frequency="never",
        )  # fmt: skip
        session.add(source)
        session.flush()
        users = Batch(source_id=source.id, status="published", rows_by_table={})
        session.add(users)
        session.flush()
        lineage = {"batch_id": users.id, "source_sha256": "0" * 64, "source_record": "u"}
        user = User(external_key="sb:1", plan_tier="free", **lineage)
        session.add(user)
        session.flush()
        partitions.ensure_partition(session, BiometricReading.__table__, users.id)
        session.add(
            BiometricReading(
                user_id=user.id, measured_at=at, weight_kg=80.0, batch_id=users.id, record=1
            )
        )
        session.flush()
        day = at + timedelta(days=1)
        bad = staged(
            session,
            [
                ("sb:1", at, {"weight_kg": 80.5}),  # already published
                ("sb:1", day, {"sleep_hours": 7.0}),
                ("sb:1", day, {"sleep_hours": 7.5}),  # repeated in the batch
                ("sb:1", at + timedelta(hours=1), {"water_l": 99.0}),  # outside its range
                ("sb:nobody", at, {"weight_kg": 70.0}),  # resolves nowhere
            ],
        )
        checks = {c.name: c for c in batches.audit(session, bad, {})}
        assert bad.status == "audit_failed"
        assert not checks["publishable"].passed and not checks["references_resolve"].passed
        violations = checks["publishable"].observed["violations"]
        assert violations == {
            "biometric_readings(user_id, metric, measured_at) already published": 1,
            "biometric_readings(user_id, metric, measured_at) repeated in the batch": 1,
            # a batch holds one reading per user and time
            "biometric_readings(user_id, measured_at, batch_id) repeated in the batch": 1,
            "biometric_readings.ck_biometric_readings_water_l_range": 1,
            "biometric_readings.user_id not null": 1,
        }, violations
        assert "already published" in checks["publishable"].observed["error"]

        good = staged(
            session,
            [
                ("sb:1", at + timedelta(days=7), {"weight_kg": 79.0}),
                ("sb:1", at, {"sleep_hours": 7.0}),  # same time, another metric: a new key
            ],
        )
        checks = {c.name: c for c in batches.audit(session, good, {})}
        assert good.status == "audited", {n: c.observed for n, c in checks.items()}
        assert checks["publishable"].observed == {"error": None, "violations": {}}
        batches.approve(session, good.id, "steward")
        batches.publish(session, good.id, "steward")
    assert count(platform, "biometric_measurements") == 3
