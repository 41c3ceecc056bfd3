"""The Dagster code location loads as `workspace.yaml` says, with what each source declares."""

from __future__ import annotations

import importlib

import dagster as dg
import yaml

from healthai.settings import PROJECT_ROOT
from healthai.sources import SOURCES


def load_defs() -> dg.Definitions:
    entry = yaml.safe_load((PROJECT_ROOT / "workspace.yaml").read_text())["load_from"][0]
    module = importlib.import_module(entry["python_module"]["module_name"])
    return getattr(module, entry["python_module"]["attribute"])


def test_definitions_load_and_cover_every_source() -> None:
    defs = load_defs()
    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for name, spec in SOURCES.items():
        key = dg.AssetKey(f"{name}_batch")
        assert key.to_user_string() in keys
        # one asset per source, partitioned by file, no step assets
        assert not {f"{name}_{s}" for s in ("landed", "validated", "cleaned", "staged")} & keys
        partitions = graph.get(key).partitions_def
        assert isinstance(partitions, dg.DynamicPartitionsDefinition)
        assert partitions.name == f"{name}_files"
        checks = {c.name for c in graph.asset_check_keys if c.asset_key == key}
        soft = {f"soft_{rule}" for rule in spec.soft_rules}
        assert (
            checks
            == {"contract_accepted", "rows_add_up", "references_resolve", "publishable"} | soft
        )
        job = repo.get_job(f"ingest_{name}")
        assert job.tags["healthai/source"] == name  # one run per source at a time
        if spec.fetch:
            schedule = repo.get_schedule_def(f"{name}_{spec.update_frequency}")
            assert schedule.cron_schedule == spec.cron
            assert repo.get_job(f"fetch_{name}").tags["healthai/source"] == name
    assert {s.name for s in repo.sensor_defs} >= {"landing_zone", "approved_batches"}


def test_instance_settings_let_one_run_per_source() -> None:
    for flavour in ("sqlite", "postgres"):
        config = yaml.safe_load(
            (PROJECT_ROOT / "deploy" / "dagster" / f"dagster.{flavour}.yaml").read_text()
        )
        limits = config["concurrency"]["runs"]["tag_concurrency_limits"]
        assert {
            "key": "healthai/source",
            "value": {"applyLimitPerUniqueValue": True},
            "limit": 1,
        } in limits


def test_top_reasons_lists_the_most_cited_rules_first() -> None:
    from assets.ingestion import top_reasons

    assert top_reasons({}) == "none"
    table = top_reasons({"not_a_date": 1, "out_of_range": 3, "missing_value": 3}, limit=2)
    assert table.splitlines() == [
        "| rule | count |",
        "|:--|--:|",
        "| missing_value | 3 |",
        "| out_of_range | 3 |",
    ]
