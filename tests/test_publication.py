"""The publication asset settles what needs no person: trusted sources publish, and fact
batches whose users were not yet published are audited again and published once they are."""

from __future__ import annotations

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
