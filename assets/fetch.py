"""Fetch steps for API sources: read the API, land its response as one file in the landing
zone. From there the source's own `<name>_landed` asset (or the landing-zone sensor) ingests it
like any file.

A failed fetch (network down, API errors after every retry) fails this asset with a clear
message and leaves a `failed` ingestion-run row naming the error; the other sources go on.
A source without a configured URL is skipped (the asset succeeds, saying so).

Register in assets/definitions.py:
    from assets.fetch import fetch_assets, fetch_jobs, fetch_schedules
    defs = dg.Definitions(assets=[*source_assets, *fetch_assets],
                          jobs=[..., *fetch_jobs], schedules=[..., *fetch_schedules], ...)
"""

import json
import logging
from collections.abc import Callable

import dagster as dg

from assets.resources import Database
from healthai.pipeline import ingest
from healthai.pipeline.http_source import Fetched, FetchError
from healthai.pipeline.spec import SourceSpec
from healthai.sources import exercisedb

log = logging.getLogger("healthai.pipeline")

# source name -> (its declaration, the function that lands its API response)
FETCHERS: dict[str, tuple[SourceSpec, Callable[[], Fetched | None]]] = {
    exercisedb.NAME: (exercisedb.SPEC, lambda: exercisedb.fetch()),
}


def build_fetch_asset(
    spec: SourceSpec, fetcher: Callable[[], Fetched | None]
) -> dg.AssetsDefinition:
    name = spec.name

    @dg.asset(
        name=f"{name}_fetched",
        group_name=f"fetch_{name}",
        kinds={"api", "file"},
        owners=[spec.owner] if "@" in spec.owner else [],
        tags={"source": name},
        description=f"{spec.title}: the API read (paged, retried, rate-limited) and landed as "
        f"one JSON file in the landing zone. Origin: {spec.origin}. Licence: {spec.licence}.",
    )
    def fetched(context: dg.AssetExecutionContext, database: Database) -> dg.MaterializeResult:
        try:
            result = fetcher()
        except FetchError as exc:
            with database.session() as session:
                run = ingest.start_run(session, spec, context.run_id)
                ingest.finish_run(run, "failed", f"fetch failed: {exc}")
            log.error(json.dumps({"event": "fetch_failed", "dagster_run": context.run_id,
                                  "source": name, "error": str(exc)}))  # fmt: skip
            raise dg.Failure(
                description=f"{name}: the API could not be read: {exc}",
                metadata={"error": str(exc)},
                allow_retries=True,
            ) from exc
        if result is None:
            log.info(json.dumps({"event": "fetch_skipped", "source": name}))
            return dg.MaterializeResult(
                metadata={"skipped": "no URL configured: the source is disabled"}
            )
        log.info(
            json.dumps(
                {"event": "fetched", "dagster_run": context.run_id, "source": name,
                 "records": result.records, "sha256": result.sha256,
                 "file": str(result.path or result.already_landed)}
            )
        )  # fmt: skip
        return dg.MaterializeResult(
            metadata={
                "records": result.records,
                "sha256": result.sha256,
                "file": str(result.path or result.already_landed),
                "new_file": result.path is not None,
                "requests": result.requests,
                "retries": result.retries,
            }
        )

    return fetched


fetch_assets = [build_fetch_asset(spec, fn) for spec, fn in FETCHERS.values()]
fetch_jobs = [
    dg.define_asset_job(
        f"fetch_{spec.name}",
        selection=dg.AssetSelection.groups(f"fetch_{spec.name}"),
        description=f"Read {spec.title} into the landing zone (the sensor then ingests it).",
        tags={"source": spec.name},
    )
    for spec, _ in FETCHERS.values()
]
fetch_schedules = [
    dg.ScheduleDefinition(
        name=f"fetch_{spec.name}_{spec.update_frequency}",
        cron_schedule=spec.cron,
        job=job,
        execution_timezone="Europe/Paris",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Fetch {spec.title}: expected {spec.update_frequency}.",
    )
    for (spec, _), job in zip(FETCHERS.values(), fetch_jobs, strict=True)
]
