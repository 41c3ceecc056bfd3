"""The lab's Dagster side on the real pipeline: the dataset_version sensor reports the tables
each new version changed; the snapshot and feature assets write their files; the shipped
notebooks (the baseline model, the example analysis, the getting-started notebook) run
headless on a small population."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from sqlalchemy import select

from assets import lab as lab_assets
from assets.resources import Database
from healthai.db import get_engine, session_scope
from healthai.lab import identity, notebooks, snapshots
from healthai.models import Batch, Source
from healthai.pipeline import batches
from healthai.settings import PROJECT_ROOT, get_settings
from tests.lab.world import API_KEY, World, late_biometrics, make_world, publish, shared_world

pytestmark = pytest.mark.timeout(900)
ANALYSES = PROJECT_ROOT / "notebooks" / "analyses"


@pytest.fixture
def world(platform: str, monkeypatch: pytest.MonkeyPatch) -> World:
    return make_world(platform, monkeypatch, users=30, days=60)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, pg_available: bool) -> Iterator[World]:
    """A world the notebooks only read (SQLite: test_notebook_assets runs notebook assets on
    both engines; these tests are about what the shipped notebooks do)."""
    folder = tmp_path_factory.mktemp("world")
    with shared_world("sqlite", folder, pg_available, users=30, days=60) as world:
        yield world


def _tick(world: World, cursor: str | None) -> dg.SensorResult | dg.SkipReason:
    context = dg.build_sensor_context(
        cursor=cursor, resources={"database": Database(url=world.url)}
    )
    return lab_assets.dataset_version(context)


def _tables(result: dg.SensorResult) -> set[str]:
    return {e.asset_key.path[-1] for e in result.asset_events}


@pytest.mark.parametrize("engine", ["sqlite"])
def test_the_sensor_reports_the_tables_each_version_changed(engine: str, world: World) -> None:
    first = _tick(world, None)
    assert isinstance(first, dg.SensorResult)
    assert _tables(first) == {spec.key.path[-1] for spec in lab_assets.published_tables}
    assert first.cursor == str(world.version())
    assert {e.metadata["dataset_version"].value for e in first.asset_events} == {world.version()}
    assert isinstance(_tick(world, first.cursor), dg.SkipReason)  # nothing new

    late_biometrics(world, ["2025-01-10"], shift_days=70)
    publish(world.url, "sim_biometrics")
    second = _tick(world, first.cursor)
    assert isinstance(second, dg.SensorResult) and _tables(second) == {"biometric_readings"}

    with session_scope(get_engine(world.url)) as s:
        plans = s.scalars(
            select(Batch.id).join(Source).where(Source.name == "sim_subscriptions")
        ).first()
        batches.rollback(s, plans, "lab-test")
    third = _tick(world, second.cursor)
    assert isinstance(third, dg.SensorResult) and _tables(third) == {"subscriptions"}
    assert third.cursor == str(world.version())


def test_snapshot_features_and_baseline_assets(shared: World) -> None:
    """The baseline on a small population (both engines run notebook assets in
    test_notebook_assets; this one is about the model and what it records)."""
    shipped = {a.key: a for a in lab_assets.build_lab_assets(ANALYSES)}
    baseline = shipped[dg.AssetKey(["lab", "baseline_weight_change"])]
    result = dg.materialize(
        [lab_assets.snapshot, lab_assets.feature_table, baseline],
        resources={"database": Database(url=shared.url)},
        raise_on_error=False,
    )
    assert result.success, [
        e.step_failure_data.user_failure_data.description
        for e in result.all_events
        if e.event_type_value == "STEP_FAILURE"
    ]
    version = shared.version()
    snap = result.asset_materializations_for_node("lab__snapshot")[0].metadata
    assert snap["dataset_version"].value == version
    assert (Path(snap["folder"].value) / snapshots.MANIFEST).is_file()
    feats = result.asset_materializations_for_node("lab__features")[0].metadata
    table = pd.read_parquet(feats["output"].value)
    assert len(table) == feats["dagster/row_count"].value > 0
    described = {c.name: c.description for c in feats["dagster/column_schema"].value.columns}
    assert described["weight_kg_last"] and "weight" in described["weight_kg_last"]

    meta = result.asset_materializations_for_node("lab__baseline_weight_change")[0].metadata
    assert meta["dataset_version"].value == version
    assert meta["metric/dataset_version"].value == version
    assert meta["metric/rows_train"].value > 100 and meta["metric/rows_test"].value > 0
    model, naive = meta["metric/mae_model_kg"].value, meta["metric/mae_no_change_kg"].value
    assert 0 <= model < 10 and 0 <= naive < 10
    metrics = pd.read_parquet(meta["output"].value)
    assert set(metrics["model"]) == {"hist_gradient_boosting", "no_change"}
    assert set(metrics["dataset_version"]) == {version}


def test_the_example_analysis_and_the_getting_started_notebook_run(
    shared: World, tmp_path: Path
) -> None:
    world = shared
    shipped = {a.key: a for a in lab_assets.build_lab_assets(ANALYSES)}
    example = shipped[dg.AssetKey(["lab", "engagement_by_plan"])]
    result = dg.materialize([example], resources={"database": Database(url=world.url)})
    frame = pd.read_parquet(
        result.asset_materializations_for_node("lab__engagement_by_plan")[0]
        .metadata["output"]
        .value
    )
    assert frame["people"].sum() == 30 and frame["sessions_per_person_week"].gt(0).any()

    # the notebook `make notebook` opens, as a data scientist with an API key runs it
    start = notebooks.read(PROJECT_ROOT / "notebooks" / "getting_started.ipynb")
    assert not [p for p in start.problems if "output" not in p]
    run = notebooks.execute(
        start,
        tmp_path,
        {},
        {"DATABASE_URL": world.url, identity.API_KEY_ENV: API_KEY},
        get_settings().lab_notebook_timeout_s,
    )
    html = run.html.read_text()
    assert "reading as lab-analyst (analyst)" in html
    assert "Traceback" not in html
