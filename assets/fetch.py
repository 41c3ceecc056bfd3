"""Fetch steps for API sources: read the API, land its response as one file in the landing
zone. From there the landing-zone sensor adds its partition and runs `<name>_batch` on it, like
any file. The API's URL and HTTP policy are the `<name>_api` resource (`HttpApi`), the folders
the `folders` resource: tests inject a local server and a fast policy.

A failed fetch (network down, API errors after every retry) fails the asset's `api_read`
check (severity ERROR) with the error, and leaves a `failed` ingestion-run row naming it; like
a refused file, it does not fail the run, so `dagster asset materialize --select '*'` (make
run) completes with the other sources. A source without a configured URL is skipped.

A source declares its fetch function (`SourceSpec.fetch(settings, policy=...)`); this asset
runs in the source's `fetch_<name>` job, on its schedule (skipped while the source is off).
"""

from collections.abc import Callable

import dagster as dg

from assets.resources import Database, Folders, HttpApi
from healthai.logging import get_logger
from healthai.pipeline import ingest
from healthai.pipeline.http_source import Fetched, FetchError
from healthai.pipeline.spec import SourceSpec

log = get_logger("healthai.pipeline")


def _event(**fields: object) -> None:
    """One structured (JSON) log line naming the run and the source."""
    event = str(fields.pop("event"))
    log.info(event, **fields)


def build_fetch_asset(
    spec: SourceSpec, fetcher: Callable[..., Fetched | None], group: str
) -> dg.AssetsDefinition:
    """The `<name>_fetched` asset, in the source's group."""
    name = spec.name

    @dg.asset(
        name=f"{name}_fetched",
        group_name=group,
        kinds={"api", "file"},
        owners=[spec.owner] if "@" in spec.owner else [],
        tags={"source": name},
        required_resource_keys={"database", "folders", f"{name}_api"},
        description=f"{spec.title}: the API read (paged, retried, rate-limited) and landed as "
        f"one JSON file in the landing zone. Origin: {spec.origin}. Licence: {spec.licence}.",
        check_specs=[
            dg.AssetCheckSpec(
                "api_read",
                asset=f"{name}_fetched",
                description="The API answered every page (after retries).",
            )
        ],
    )
    def fetched(context: dg.AssetExecutionContext):
        database: Database = context.resources.database
        folders: Folders = context.resources.folders
        api: HttpApi = getattr(context.resources, f"{name}_api")
        try:
            result = fetcher(api.settings(name, folders), policy=api.policy())
        except FetchError as exc:
            with database.session() as session:
                run = ingest.start_run(session, spec, context.run_id)
                ingest.finish_run(run, "failed", f"fetch failed: {exc}")
                run_id = run.id
            _event(event="fetch_failed", dagster_run=context.run_id, source=name,
                   ingestion_run=run_id, error=str(exc))  # fmt: skip
            context.log.error(f"{name}: the API could not be read: {exc}")
            yield dg.Output(None, metadata={"error": str(exc), "ingestion_run": run_id})
            yield dg.AssetCheckResult(
                check_name="api_read",
                passed=False,
                severity=dg.AssetCheckSeverity.ERROR,
                description=f"the API could not be read: {exc}",
                metadata={"error": str(exc)},
            )
            return
        if result is None:
            _event(event="fetch_skipped", dagster_run=context.run_id, source=name)
            yield dg.Output(None, metadata={"skipped": "no URL configured: source disabled"})
            yield dg.AssetCheckResult(
                check_name="api_read", passed=True, description="skipped: no URL configured"
            )
            return
        landed = str(result.path or result.already_landed)
        _event(event="fetched", dagster_run=context.run_id, source=name,
               records=result.records, sha256=result.sha256, file=landed)  # fmt: skip
        yield dg.Output(
            None,
            metadata={
                "records": result.records,
                "sha256": result.sha256,
                "file": landed,
                "new_file": result.path is not None,
                "requests": result.requests,
                "retries": result.retries,
            },
        )
        yield dg.AssetCheckResult(
            check_name="api_read",
            passed=True,
            metadata={"records": result.records, "retries": result.retries},
        )

    return fetched
