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
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    checks = {c.name for c in repo.asset_graph.asset_check_keys}
    for name, spec in SOURCES.items():
        assert {f"{name}_{s}" for s in ("landed", "validated", "cleaned", "staged")} <= keys
        schedule = repo.get_schedule_def(f"{name}_{spec.update_frequency}")
        assert schedule.cron_schedule == spec.cron
    assert {"contract_accepted", "rows_add_up", "batch_audit"} <= checks
    assert {s.name for s in repo.sensor_defs} >= {"landing_zone", "approved_batches"}
