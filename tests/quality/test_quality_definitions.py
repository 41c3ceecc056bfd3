"""The quality assets load next to the ingestion assets, for every declared source, as
assets/definitions.py will hold them."""

from __future__ import annotations

import dagster as dg

from assets.definitions import defs
from assets.quality import build_quality_assets, quality_job, quality_schedule
from healthai.sources import SOURCES


def test_quality_assets_and_checks_for_every_source() -> None:
    specs = list(SOURCES.values())
    assets = [a for spec in specs for a in build_quality_assets(spec)]
    job = quality_job(specs)
    extended = dg.Definitions.merge(
        defs,
        dg.Definitions(assets=assets, jobs=[job], schedules=[quality_schedule(job)]),
    )
    dg.Definitions.validate_loadable(extended)
    graph = extended.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    for spec in specs:
        assert {f"{spec.name}_quality", f"{spec.name}_profile"} <= keys
        for check in ("freshness", "score_above_threshold", "volume"):
            assert (f"{spec.name}_quality", check) in checks
        parents = graph.get(dg.AssetKey(f"{spec.name}_quality")).parent_keys
        assert dg.AssetKey(f"{spec.name}_staged") in parents
    assert extended.resolve_job_def("quality_all_sources")
