"""The publication asset settles what needs no person: trusted sources publish, and fact
batches whose users were not yet published are audited again and published once they are."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import select

from assets.automation import publication_asset
from assets.definitions import source_assets, specs
from assets.resources import Database
from healthai.models import Batch, IngestionRun
from healthai.settings import get_settings
from healthai.simulate import SimConfig, seed_organisations, simulate
from tests.conftest import ENGINES
from tests.pipeline_helpers import count, session_for

SIM = ["sim_users", "sim_biometrics", "sim_app_sessions", "sim_subscriptions", "sim_surveys"]


def run_everything(db_url: str, tmp_path: Path) -> dg.ExecuteInProcessResult:
    storage = tmp_path / "dagster"
    storage.mkdir(exist_ok=True)
    with dg.DagsterInstance.ephemeral(tempdir=str(storage)) as instance:
        return dg.materialize(
            [*source_assets, publication_asset(specs)],
            instance=instance,
            resources={"database": Database(url=db_url)},
        )


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

    from healthai.models import STAGING, BiometricMeasurement, Source, User
    from healthai.pipeline import batches

    stg = STAGING["biometric_measurements"]
    at = datetime(2025, 3, 1, 7, tzinfo=UTC)

    def staged(session, rows: list[tuple[str, str, datetime, float]]) -> Batch:  # noqa: ANN001
        batch = Batch(
            source_id=source.id, status="staged", rows_by_table={}, source_sha256="a" * 64
        )
        session.add(batch)
        session.flush()
        session.execute(
            insert(stg),
            [
                {
                    "batch_id": batch.id,
                    "source_record": str(i),
                    "user_key": user,
                    "metric": metric,
                    "measured_at": when,
                    "value": value,
                }
                for i, (user, metric, when, value) in enumerate(rows)
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
        session.add(
            BiometricMeasurement(
                user_id=user.id, metric="weight_kg", measured_at=at, value=80.0, **lineage
            )
        )
        session.flush()
        bad = staged(
            session,
            [
                ("sb:1", "weight_kg", at, 80.5),  # already published
                ("sb:1", "sleep_hours", at, 7.0),
                ("sb:1", "sleep_hours", at, 7.5),  # repeated in the batch
                ("sb:1", "water_l", at + timedelta(hours=1), 99.0),  # outside its range
                ("sb:nobody", "weight_kg", at, 70.0),  # resolves nowhere
            ],
        )
        checks = {c.name: c for c in batches.audit(session, bad, {})}
        assert bad.status == "audit_failed"
        assert not checks["publishable"].passed and not checks["references_resolve"].passed
        violations = checks["publishable"].observed["violations"]
        assert violations == {
            "biometric_measurements(user_id, metric, measured_at) already published": 1,
            "biometric_measurements(user_id, metric, measured_at) repeated in the batch": 1,
            "biometric_measurements.ck_biometric_measurements_value_in_metric_range": 1,
            "biometric_measurements.user_id not null": 1,
        }, violations
        assert "already published" in checks["publishable"].observed["error"]

        good = staged(session, [("sb:1", "weight_kg", at + timedelta(days=7), 79.0)])
        checks = {c.name: c for c in batches.audit(session, good, {})}
        assert good.status == "audited", {n: c.observed for n, c in checks.items()}
        assert checks["publishable"].observed == {"error": None, "violations": {}}
        batches.approve(session, good.id, "steward")
        batches.publish(session, good.id, "steward")
    assert count(platform, "biometric_measurements") == 2
