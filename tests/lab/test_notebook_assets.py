"""A notebook dropped in the analyses folder becomes a Dagster asset that runs it headless on
the published data (both engines), records its output table and the executed notebook, runs
again when the tables it reads change, and fails with the cell's error when a cell fails."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from sqlalchemy import select

import assets.lab as lab_assets
from assets.resources import Database
from healthai.models import PersonalDataAccess, User
from healthai.settings import get_settings
from tests.conftest import ENGINES
from tests.lab.notebook_files import PLAN_COUNTS, parameters, write_notebook
from tests.lab.world import World, shared_world

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module", params=ENGINES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_available: bool
) -> Iterator[World]:
    """One published world per engine; the notebooks only read it."""
    with shared_world(request.param, tmp_path_factory.mktemp("world"), pg_available) as world:
        yield world


def _sqlite_only(world: World) -> None:
    if not world.url.startswith("sqlite"):
        pytest.skip("the engine does not change how a notebook fails: run on SQLite")


def _materialize(
    world: World, folder: Path, output: str
) -> tuple[dg.ExecuteInProcessResult, dg.AssetKey]:
    key = dg.AssetKey(["lab", output])
    assets = [a for a in lab_assets.build_lab_assets(folder) if a.key == key]
    result = dg.materialize(
        assets, resources={"database": Database(url=world.url)}, raise_on_error=False
    )
    return result, key


def test_a_dropped_notebook_materialises_with_its_output(world: World, tmp_path: Path) -> None:
    folder = tmp_path / "analyses"
    write_notebook(
        folder, "plans", parameters(["users", "app_sessions"], "plan_counts"), *PLAN_COUNTS
    )
    result, key = _materialize(world, folder, "plan_counts")
    assert result.success
    meta = result.asset_materializations_for_node(key.to_python_identifier())[0].metadata
    output = Path(meta["output"].value)
    frame = pd.read_parquet(output)
    with world.session() as s:
        tiers = pd.Series(s.scalars(select(User.plan_tier)).all()).value_counts()
    assert dict(zip(frame["plan_tier"], frame["people"], strict=True)) == tiers.to_dict()
    # one consistent version, pinned by Dagster and recorded
    assert set(frame["as_of"]) == {world.version()}
    assert meta["dataset_version"].value == world.version()
    assert meta["dagster/row_count"].value == len(frame)
    assert meta["metric/people"].value == int(tiers.sum())
    html = Path(meta["executed_notebook"].value).read_text()
    assert "plan_tier" in html and "<html" in html
    # it read as the pipeline, pseudonymised, and the reads are in the access log
    assert set(frame["reader"]) == {"pipeline:lab/plan_counts"}
    with world.session() as s:
        actors = set(s.scalars(select(PersonalDataAccess.actor)))
    assert "pipeline:lab/plan_counts" in actors
    assert output.parent == get_settings().var_dir / "lab" / "plan_counts"
    output.unlink()  # the next engine's run writes its own


def test_a_failing_cell_fails_the_asset_with_its_error(world: World, tmp_path: Path) -> None:
    _sqlite_only(world)
    folder = tmp_path / "analyses"
    write_notebook(
        folder,
        "broken",
        parameters(["users"], "broken"),
        "from healthai import lab\nusers = lab.connect().table('users', as_of=as_of)",
        "if len(users) > 0:\n    raise ValueError(f'{len(users)} people: not what I expected')",
        "lab.save_output(users, output_path)",
    )
    result, key = _materialize(world, folder, "broken")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    error = failure.step_failure_data.user_failure_data
    assert "broken.ipynb failed in cell In [" in error.description
    assert "ValueError: 40 people: not what I expected" in error.description
    meta = error.metadata
    assert meta["cell"].value == 3  # the third code cell (parameters, read, the failing one)
    assert "raise ValueError" in meta["cell_source"].value
    assert "ValueError" in meta["traceback"].value
    html = Path(meta["executed_notebook"].value).read_text()
    assert "not what I expected" in html
    assert not (get_settings().var_dir / "lab" / "broken" / "broken.parquet").exists()


def test_a_notebook_that_writes_nothing_or_breaks_the_convention_fails_visibly(
    world: World, tmp_path: Path
) -> None:
    _sqlite_only(world)
    folder = tmp_path / "analyses"
    write_notebook(folder, "silent", parameters(["users"], "silent"), "x = 1")
    result, _ = _materialize(world, folder, "silent")
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "wrote no output table" in failure.step_failure_data.user_failure_data.description

    write_notebook(folder, "wrong", "reads = ['users']\noutput = 'wrong'", "x = 1")
    result, _ = _materialize(world, folder, "wrong")
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "output_path = None" in failure.step_failure_data.user_failure_data.description


def _requested(evaluation: dg.EvaluateAutomationConditionsResult) -> set[dg.AssetKey]:
    return {r.key for r in evaluation.results if r.true_subset.size}


def test_the_code_location_picks_up_the_folder_and_reruns_on_new_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No registration: the definitions list the folder's notebooks; a new dataset version
    reported on a table a notebook reads makes the automation request it."""
    folder = tmp_path / "analyses"
    write_notebook(folder, "plans", parameters(["users", "app_sessions"], "plan_counts"), "x=1")
    monkeypatch.setenv("LAB_NOTEBOOKS_DIR", str(folder))
    get_settings.cache_clear()
    import assets.definitions

    try:
        defs = importlib.reload(assets.definitions).defs
        _automation_reruns_it(defs)
    finally:  # the shipped folder again, for the tests that read the definitions after this one
        monkeypatch.delenv("LAB_NOTEBOOKS_DIR")
        get_settings.cache_clear()
        importlib.reload(assets.definitions)


def _automation_reruns_it(defs: dg.Definitions) -> None:
    key = dg.AssetKey(["lab", "plan_counts"])
    assert key in defs.resolve_asset_graph().get_all_asset_keys()

    instance = dg.DagsterInstance.ephemeral()
    start = dg.evaluate_automation_conditions(defs=defs, instance=instance)  # the sensor ticks
    assert key not in _requested(start)  # nothing published yet
    for table in ("users", "app_sessions"):
        instance.report_runless_asset_event(
            dg.AssetMaterialization(lab_assets.published_key(table), metadata={"v": 1})
        )
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=start.cursor)
    assert key in _requested(first)
    # after it ran, nothing new: not requested again; a new version of users: requested
    instance.report_runless_asset_event(dg.AssetMaterialization(key))
    second = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    assert key not in _requested(second)
    instance.report_runless_asset_event(
        dg.AssetMaterialization(lab_assets.published_key("users"), metadata={"v": 2})
    )
    third = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=second.cursor)
    assert key in _requested(third)
