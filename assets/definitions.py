"""The one `Definitions` of the code location, built from the source declarations."""

from __future__ import annotations

import dagster as dg

from assets.automation import (
    approved_batches,
    landing_sensor,
    publication_asset,
    publish_job,
    source_job,
    source_schedule,
)
from assets.ingestion import build_source_assets
from assets.resources import Database
from healthai.logging import configure_logging
from healthai.sources import SOURCES

configure_logging()

specs = list(SOURCES.values())
source_assets = [a for spec in specs for a in build_source_assets(spec)]
jobs = {spec.name: source_job(spec) for spec in specs}

defs = dg.Definitions(
    assets=[*source_assets, publication_asset(specs)],
    jobs=[*jobs.values(), publish_job],
    schedules=[source_schedule(spec, jobs[spec.name]) for spec in specs],
    sensors=[landing_sensor(specs, jobs), approved_batches],
    resources={"database": Database()},
    executor=dg.in_process_executor,
)
