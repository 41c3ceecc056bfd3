"""Schedules per source (from its declared frequency), a sensor on the landing zone for new
files, and a sensor that publishes batches as soon as a person approves them."""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)
from sqlalchemy import select

from assets.resources import Database
from healthai.models import Batch, RawFile, Source
from healthai.pipeline import batches
from healthai.pipeline.landing import sha256_of
from healthai.pipeline.spec import SourceSpec
from healthai.settings import get_settings


def source_job(spec: SourceSpec) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        f"ingest_{spec.name}",
        # the profile report is not part of it: the profiles_on_change sensor makes it when
        # the run brought a new file (assets/quality.py)
        selection=dg.AssetSelection.groups(f"source_{spec.name}")
        - dg.AssetSelection.tag("profile", "notebook"),
        description=f"Ingest {spec.title}: landed -> validated -> cleaned -> staged.",
        tags={"source": spec.name},
    )


def source_schedule(spec: SourceSpec, job: UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=f"{spec.name}_{spec.update_frequency}",
        cron_schedule=spec.cron,
        job=job,
        execution_timezone="Europe/Paris",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"{spec.title}: expected {spec.update_frequency}.",
    )


def landing_sensor(specs: list[SourceSpec], jobs: dict[str, UnresolvedAssetJobDefinition]):
    @dg.sensor(
        name="landing_zone",
        jobs=list(jobs.values()),
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts a source's ingestion when a new file lands in var/landing/<source>/.",
    )
    def _sensor(context: dg.SensorEvaluationContext, database: Database):
        landing = get_settings().landing_dir
        with database.session() as session:
            for spec in specs:
                folder = landing / spec.name
                if not folder.is_dir():
                    continue
                fingerprints = session.execute(
                    select(RawFile.sha256, RawFile.content_sha256)
                    .join(Source)
                    .where(Source.name == spec.name)
                ).all()
                # as it came in, or as an erasure rewrote it (landing.known_file)
                known = {sha for row in fingerprints for sha in row if sha}
                for path in sorted(p for p in folder.iterdir() if p.is_file()):
                    sha = sha256_of(path)
                    if sha not in known:
                        yield dg.RunRequest(
                            run_key=f"{spec.name}:{sha}",
                            job_name=jobs[spec.name].name,
                            tags={"file": path.name, "sha256": sha},
                        )

    return _sensor


def publication_asset(specs: list[SourceSpec]) -> dg.AssetsDefinition:
    @dg.asset(
        name="publication",
        group_name="publication",
        kinds={"sql"},
        deps=[f"{spec.name}_staged" for spec in specs],
        description="Publishes approved batches (each in one transaction), approves audited "
        "batches of trusted sources, and audits again the batches whose references now "
        "resolve. Runs after ingestion and whenever a person approves a batch.",
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
    selection=dg.AssetSelection.assets("publication"),
    description="Publish the batches that people approved.",
)


@dg.sensor(
    job=publish_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the publication as soon as a batch is approved.",
)
def approved_batches(context: dg.SensorEvaluationContext, database: Database):
    with database.session() as session:
        ids = list(session.scalars(select(Batch.id).where(Batch.status == "approved")))
    if ids:
        yield dg.RunRequest(run_key="publish:" + ",".join(map(str, sorted(ids))))


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
