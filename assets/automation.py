"""Jobs, the landing sensor, the publication and its sensor, the API sources' schedules.

- `ingest_<source>`: the source's `<source>_batch` asset for one file (partition). Its runs
  carry the tag `healthai/source=<source>`; the instance's `tag_concurrency_limits`
  (deploy/dagster/dagster.*.yaml) let at most one run per source be in progress.
- `landing_zone` sensor: hashes each new or changed file of a source's folders (the shipped
  samples and the landing zone), adds a partition per new content and requests one run for
  it. What it has seen (name, size, modification time, SHA-256) is its Dagster cursor: an
  unchanged file is not read again. A file the life cycle hands back (`received` again: its
  run's process died, or a steward retried it) gets one more run of its partition.
- `publication`: the one path into the published tables (healthai.pipeline.batches.settle:
  audit again what may now pass, approve what a trusted source brought, publish what is
  approved, each batch in one transaction); `approved_batches` requests it whenever there is
  something to publish, and again (a new run key) when the last attempt failed.
- `fetch_<source>` and its schedule for API sources: the API read lands one file in the
  landing zone, which the landing sensor then takes like any file; the schedule does not run
  while the source is off (`SourceSpec.off_reason`).
"""

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)
from sqlalchemy import or_, select

from assets.ingestion import FILE_TAG, batch_key
from assets.partitions import file_partitions, partitions_name
from assets.resources import Database, Folders
from healthai.models import Batch, Source
from healthai.pipeline import batches, ingest
from healthai.pipeline.landing import hash_file
from healthai.pipeline.spec import SourceSpec
from healthai.settings import get_settings
from healthai.sources import SOURCES

SOURCE_TAG = "healthai/source"  # one run per value at a time (instance concurrency settings)
PUBLICATION_TAG = "healthai/publication"  # what a publication run was asked to publish
MAX_PUBLICATION_ATTEMPTS = 5


def source_job(spec: SourceSpec) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        f"ingest_{spec.name}",
        selection=dg.AssetSelection.assets(batch_key(spec.name)),
        partitions_def=file_partitions(spec.name),
        description=f"Ingest one file of {spec.title} (partition: its SHA-256): land, "
        "validate, clean, stage, audit.",
        tags={SOURCE_TAG: spec.name},
    )


def fetch_job(spec: SourceSpec) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        f"fetch_{spec.name}",
        selection=dg.AssetSelection.assets(f"{spec.name}_fetched"),
        description=f"Read {spec.title}'s API and land its response in the landing zone.",
        tags={SOURCE_TAG: spec.name},
    )


def source_schedule(spec: SourceSpec, job: UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """An API source's fetch at its declared frequency, skipped while the source is off."""

    @dg.schedule(
        name=f"{spec.name}_{spec.update_frequency}",
        cron_schedule=spec.cron,
        job=job,
        execution_timezone="Europe/Paris",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"{spec.title}: fetched {spec.update_frequency} (skipped while off).",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        if off := spec.off_reason():
            return dg.SkipReason(f"{spec.name} is off: {off}")
        return dg.RunRequest()

    return _schedule


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def new_files(
    specs: list[SourceSpec],
    folders: Folders,
    cursor: dict[str, list],
    known: dict[str, set[str]],
) -> tuple[dict[str, list], list[tuple[SourceSpec, str, Path]]]:
    """(the new cursor, the files whose content is new: (source, SHA-256, path)). `cursor`
    maps '<source>/<path>' to [size, mtime_ns, sha256] of what was seen; `known` the
    partitions each source has already."""
    seen: dict[str, list] = {}
    found: list[tuple[SourceSpec, str, Path]] = []
    for spec in specs:
        have = set(known.get(spec.name, ()))
        for path in folders.candidates(spec):
            entry = f"{spec.name}/{path}"
            try:
                stamp = _stamp(path)
                previous = cursor.get(entry)
                if previous and previous[:2] == stamp:
                    seen[entry] = previous
                    sha = previous[2]
                else:
                    sha = hash_file(path)
                    if _stamp(path) != stamp:
                        continue  # still being written: next tick
                    seen[entry] = [*stamp, sha]
            except OSError:  # gone meanwhile
                continue
            if sha not in have:
                have.add(sha)
                found.append((spec, sha, path))
    return seen, found


MAX_RUNS_PER_FILE = 10  # a file handed back (crash, retry) more often than this waits for a person


def resumable(database: Database, specs: list[SourceSpec]) -> list[tuple[SourceSpec, str]]:
    """(source, SHA-256) of the files waiting to be read again: handed back after their run's
    process died, or retried by a steward (`ingest.resumable`, core's life cycle; nothing
    until it is there)."""
    find = getattr(ingest, "resumable", None)
    if find is None:
        return []
    found = []
    with database.session() as session:
        for spec in specs:
            found += [(spec, Path(p).name.split(".")[0]) for p in find(session, spec)]
    return found


def resume_requests(
    instance: dg.DagsterInstance,
    jobs: dict[str, UnresolvedAssetJobDefinition],
    waiting: list[tuple[SourceSpec, str]],
    skip: set[str],
) -> list[dg.RunRequest]:
    """One run for each file waiting to be read again whose partition has no run queued or in
    progress; the run key counts the partition's runs, so each hand-back starts one run."""
    requests = []
    for spec, sha in waiting:
        if sha in skip:
            continue
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": sha}))
        if any(not r.is_finished for r in runs) or len(runs) >= MAX_RUNS_PER_FILE:
            continue
        requests.append(
            dg.RunRequest(
                run_key=f"{spec.name}:{sha}:{len(runs)}",
                job_name=jobs[spec.name].name,
                partition_key=sha,
                tags={"healthai/resumed": "true"},
            )
        )
    return requests


def landing_sensor(
    specs: list[SourceSpec], jobs: dict[str, UnresolvedAssetJobDefinition]
) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_zone",
        jobs=list(jobs.values()),
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Adds a partition for each new file of a source (shipped under raw/ or "
        "dropped in var/landing/<source>/, keyed by its SHA-256) and runs its ingestion; runs "
        "again a file handed back (its run's process died, or a steward retried it).",
    )
    def _sensor(
        context: dg.SensorEvaluationContext, folders: Folders, database: Database
    ) -> dg.SensorResult:
        cursor = json.loads(context.cursor) if context.cursor else {}
        known = {
            s.name: set(context.instance.get_dynamic_partitions(partitions_name(s.name)))
            for s in specs
        }
        seen, found = new_files(specs, folders, cursor, known)
        added: dict[str, list[str]] = {}
        requests = []
        for spec, sha, path in found:
            added.setdefault(spec.name, []).append(sha)
            requests.append(
                dg.RunRequest(
                    run_key=f"{spec.name}:{sha}",
                    job_name=jobs[spec.name].name,
                    partition_key=sha,
                    tags={FILE_TAG: path.name},
                )
            )
        waiting = [(s, sha) for s, sha in resumable(database, specs) if sha in known[s.name]]
        requests += resume_requests(context.instance, jobs, waiting, {sha for _, sha, _ in found})
        return dg.SensorResult(
            run_requests=requests,
            dynamic_partitions_requests=[
                file_partitions(name).build_add_request(keys) for name, keys in added.items()
            ],
            cursor=json.dumps(seen, sort_keys=True),
        )

    return _sensor


def publication_asset(specs: list[SourceSpec]) -> dg.AssetsDefinition:
    @dg.asset(
        name="publication",
        group_name="publication",
        kinds={"sql"},
        deps=[batch_key(spec.name) for spec in specs],
        retry_policy=dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL),
        description="The one path into the published tables: audits again the batches whose "
        "references now resolve, approves audited batches of trusted sources and publishes "
        "approved batches, each in one transaction. Requested by the approved_batches sensor.",
    )
    def publication(context: dg.AssetExecutionContext, database: Database) -> dg.MaterializeResult:
        with database.session() as session:
            done = batches.settle(session)
        context.log.info(f"publication: {done}")
        return dg.MaterializeResult(
            metadata={k: dg.MetadataValue.json(v) for k, v in done.items()}
            | {"batches_published": len(done["published"])}
        )

    return publication


publish_job = dg.define_asset_job(
    "publish",
    # then every source measured again (its staged, quarantined and published rows moved)
    selection=dg.AssetSelection.assets("publication")
    | dg.AssetSelection.assets(*(f"{name}_quality" for name in SOURCES)),
    description="Publish the batches that people approved (and those of trusted sources), "
    "then measure every source's quality.",
)


def to_publish(database: Database) -> list[tuple[int, str]]:
    """(batch id, status) of the batches publication would move: approved ones, and audited
    ones of sources trusted with auto-approval."""
    trusted = select(Source.id).where(Source.auto_approve.is_(True))
    with database.session() as session:
        rows = session.execute(
            select(Batch.id, Batch.status)
            .where(
                or_(
                    Batch.status == "approved",
                    (Batch.status == "audited") & Batch.source_id.in_(trusted),
                )
            )
            .order_by(Batch.id)
        ).all()
    return [(int(i), str(s)) for i, s in rows]


def publication_request(
    instance: dg.DagsterInstance, pending: list[tuple[int, str]]
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    """One publication run for this set of batches; another (a new run key) when the last one
    failed, up to MAX_PUBLICATION_ATTEMPTS; none while one is queued or running."""
    if not pending:
        yield dg.SkipReason("nothing approved")
        return
    state = hashlib.sha256(json.dumps(pending).encode()).hexdigest()[:16]
    runs = instance.get_runs(
        filters=dg.RunsFilter(job_name=publish_job.name, tags={PUBLICATION_TAG: state})
    )
    if any(not r.is_finished for r in runs):
        yield dg.SkipReason("a publication run is in progress")
        return
    if any(r.is_success for r in runs):
        yield dg.SkipReason("published already (what is left waits for a person)")
        return
    if len(runs) >= MAX_PUBLICATION_ATTEMPTS:
        yield dg.SkipReason(
            f"publication failed {len(runs)} times for batches {[i for i, _ in pending]}: "
            "see the runs of the publish job"
        )
        return
    yield dg.RunRequest(
        run_key=f"publish:{state}:{len(runs)}",
        tags={PUBLICATION_TAG: state, "healthai/batches": ",".join(str(i) for i, _ in pending)},
    )


@dg.sensor(
    job=publish_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the publication when a batch is approved (or audited for a trusted "
    "source), and again when the last publication run failed.",
)
def approved_batches(context: dg.SensorEvaluationContext, database: Database):
    yield from publication_request(context.instance, to_publish(database))


@dg.asset(
    name="consolidated_export",
    group_name="publication",
    kinds={"csv", "json", "parquet"},
    deps=["publication"],
    description="The published data for data scientists: one file per table in CSV, JSON and "
    "Parquet with data_dictionary.json, user identifiers pseudonymised, in var/consolidated/.",
)
def consolidated_export(database: Database) -> dg.MaterializeResult:
    from healthai.pipeline import consolidated

    out = get_settings().var_dir / "consolidated"
    with database.session() as session:
        written = consolidated.export(session, out, get_settings())
    return dg.MaterializeResult(
        metadata={
            "folder": dg.MetadataValue.path(str(out)),
            "rows": dg.MetadataValue.json(written),
            "dagster/row_count": sum(written.values()),
        }
    )
