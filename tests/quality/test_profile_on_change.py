"""Profiling that respects the data (issue #17): a source's report is requested when it is
missing and then only when the source's data changed (a new file), never because the
pipeline ran again on the same files; a source that is off (ExerciseDB without a URL) is
neither profiled nor measured: its quality checks are skipped, not failed, and a run over
every source, the disabled one included, ends without a failure."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from assets.catch_up import CaughtUp, catch_up
from assets.definitions import defs
from assets.quality import build_quality_assets
from assets.resources import Database
from healthai.quality import profiling
from healthai.settings import get_settings
from healthai.sources import SOURCES
from tests.conftest import ENGINES

PROFILES = dg.AssetSelection.tag("profile", "notebook")


def _ingest(instance: dg.DagsterInstance, db_url: str, *names: str) -> CaughtUp:
    """The sources' new files (one partition and run each) and their quality assets, as the
    landing sensor and `make run` run them (the profile reports excepted), in `instance`."""
    assets = [a for n in names for a in build_quality_assets(SOURCES[n])]
    keys = [k.to_user_string() for a in assets for k in a.keys]
    keys = [k for k in keys if not k.endswith("_profile")]
    return catch_up(
        instance, names, {"database": Database(url=db_url)}, after=assets, after_selection=keys
    )


def _requested(result: dg.EvaluateAutomationConditionsResult) -> set[str]:
    return {
        key.to_user_string()
        for key in PROFILES.resolve(defs.resolve_asset_graph())
        if result.get_num_requested(key)
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_a_report_is_made_again_only_when_its_source_data_changes(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXERCISEDB_URL", "")
    get_settings.cache_clear()
    instance = dg.DagsterInstance.ephemeral()
    assert _ingest(instance, platform, "gym_members").success

    # first start: the missing report is requested (not the off ExerciseDB's, not those of
    # sources whose data is missing)
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert _requested(tick) == {"gym_members_profile"}
    instance.report_runless_asset_event(dg.AssetMaterialization("gym_members_profile"))

    # the pipeline runs again on the same files (every `make run`, every schedule tick)
    assert _ingest(instance, platform, "gym_members").success
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert _requested(tick) == set()
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert _requested(tick) == set()

    # a new file: the data changed, the report is made again
    shipped = sorted((Path("raw") / "gym_members").glob("*.csv"))[0]
    new_file = Path(get_settings().landing_dir) / "gym_members" / "members-2.csv"
    new_file.parent.mkdir(parents=True, exist_ok=True)
    lines = shipped.read_text(encoding="utf-8").splitlines(keepends=True)
    new_file.write_text("".join(lines[:40]), encoding="utf-8")
    assert _ingest(instance, platform, "gym_members").success
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert _requested(tick) == {"gym_members_profile"}
    instance.report_runless_asset_event(dg.AssetMaterialization("gym_members_profile"))
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert _requested(tick) == set()


@pytest.mark.parametrize("engine", ENGINES)
def test_an_off_source_is_neither_measured_nor_profiled(
    engine: str, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXERCISEDB_URL", "")
    get_settings.cache_clear()
    spec = SOURCES["exercisedb"]
    assert spec.off_reason() and "EXERCISEDB_URL" in spec.off_reason()
    instance = dg.DagsterInstance.ephemeral()
    # the whole source (fetch, ingestion, quality, profile) as a person would launch it
    result = catch_up(
        instance,
        ["exercisedb"],
        {"database": Database(url=platform)},
        after=build_quality_assets(spec),
    )
    assert result.success
    evaluated = result.get_asset_check_evaluations()
    assert all(e.passed for e in evaluated)  # nothing to fetch, land or stage: all green
    assert not [e for e in evaluated if e.asset_key == dg.AssetKey("exercisedb_quality")]
    for asset in ("exercisedb_quality", "exercisedb_profile"):
        meta = result.asset_materializations_for_node(asset)[0].metadata
        assert meta["status"].value.startswith("off: EXERCISEDB_URL is empty"), asset
    assert not Path(get_settings().reports_dir, "exercisedb_profile.html").exists()
    # the checks were planned and never evaluated: Dagster shows them as skipped, not failed
    for check in ("freshness", "score_above_threshold", "volume"):
        key = dg.AssetCheckKey(dg.AssetKey("exercisedb_quality"), check)
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
        assert record.status == AssetCheckExecutionRecordStatus.PLANNED, check
    # no quality snapshot (no alert, nothing on the quality page)
    from healthai.models import QualitySnapshot
    from tests.pipeline_helpers import session_for

    with session_for(platform) as session:
        assert session.query(QualitySnapshot).count() == 0

    # and the condition that makes reports never names it
    profile = dg.AssetKey("exercisedb_profile")
    asset = next(a for a in build_quality_assets(spec) if profile in a.keys)
    assert asset.automation_conditions_by_key.get(profile) is None
    monkeypatch.setenv("EXERCISEDB_URL", "http://127.0.0.1:9/")
    get_settings.cache_clear()
    asset = next(a for a in build_quality_assets(spec) if profile in a.keys)
    assert asset.automation_conditions_by_key.get(profile) is not None


def test_the_code_version_follows_the_notebook_and_the_declaration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = SOURCES["gym_members"]
    before = profiling.code_version(spec)
    assert profiling.code_version(spec) == before  # stable
    copy = tmp_path / "notebooks"
    shutil.copytree(profiling.NOTEBOOKS_DIR, copy)
    monkeypatch.setattr(profiling, "NOTEBOOKS_DIR", copy)
    assert profiling.code_version(spec) == before
    notebook = copy / "gym_members.ipynb"
    notebook.write_text(notebook.read_text().replace("rows studied", "rows read"))
    assert profiling.code_version(spec) != before
    assert profiling.code_version(SOURCES["ciqual"]) != profiling.code_version(spec)
