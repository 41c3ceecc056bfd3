"""The one `Definitions` of the code location, built from the source declarations.

Per source: `<source>_batch` partitioned by file (assets/ingestion.py, assets/partitions.py),
its `ingest_<source>` job started by the `landing_zone` sensor, and for API sources a
`<source>_fetched` asset with its `fetch_<source>` job and schedule (assets/automation.py).
"""

from __future__ import annotations

import dagster as dg

from assets.automation import (
    approved_batches,
    consolidated_export,
    fetch_job,
    landing_sensor,
    publication_asset,
    publish_job,
    source_job,
    source_schedule,
)
from assets.ingestion import build_source_assets
from assets.lab import (
    build_lab_assets,
    dataset_version,
    feature_table,
    lab_automation,
    published_tables,
    snapshot,
)
from assets.quality import build_quality_assets, profile_sensor, quality_job, quality_schedule
from assets.resources import default_resources
from healthai.logging import configure_logging
from healthai.sources import SOURCES

configure_logging()

specs = list(SOURCES.values())
source_assets = [a for spec in specs for a in build_source_assets(spec)]
quality_assets = [a for spec in specs for a in build_quality_assets(spec)]
jobs = {spec.name: source_job(spec) for spec in specs}
fetch_jobs = {spec.name: fetch_job(spec) for spec in specs if spec.fetch}
all_quality = quality_job(specs)
# Every source's notebook and profiling reports at once, launched by hand (from the UI); the
# `profiles_on_change` sensor makes each report when its source's data changes.
profile_reports = dg.define_asset_job(
    "profile_reports",
    selection=dg.AssetSelection.tag("profile", "notebook"),
    description="Run every source's exploratory notebook and profiling reports.",
)

defs = dg.Definitions(
    assets=[
        *source_assets,
        *quality_assets,
        publication_asset(specs),
        consolidated_export,
        # the data scientists' workspace (healthai.lab): published tables, the dataset
        # snapshot, the feature table and one asset per notebook of notebooks/analyses/
        *published_tables,
        snapshot,
        feature_table,
        *build_lab_assets(),
    ],
    jobs=[*jobs.values(), *fetch_jobs.values(), publish_job, all_quality, profile_reports],
    schedules=[
        *(source_schedule(SOURCES[name], job) for name, job in fetch_jobs.items()),
        quality_schedule(all_quality),
    ],
    sensors=[
        landing_sensor(specs, jobs),
        approved_batches,
        profile_sensor(),
        dataset_version,
        lab_automation,
    ],
    resources=default_resources(specs),
    executor=dg.in_process_executor,
)
