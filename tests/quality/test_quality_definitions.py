"""The quality assets load next to the ingestion assets, for every declared source, in the
code location's one Definitions."""

from __future__ import annotations

import dagster as dg

from assets.definitions import defs
from healthai.sources import SOURCES


def test_quality_assets_and_checks_for_every_source() -> None:
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    for spec in SOURCES.values():
        assert {f"{spec.name}_quality", f"{spec.name}_profile"} <= keys
        for check in ("freshness", "score_above_threshold", "volume"):
            assert (f"{spec.name}_quality", check) in checks
        parents = graph.get(dg.AssetKey(f"{spec.name}_quality")).parent_keys
        assert dg.AssetKey(f"{spec.name}_batch") in parents
    assert defs.resolve_job_def("quality_all_sources")
    assert defs.resolve_job_def("profile_reports")
