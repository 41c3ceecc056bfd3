"""Quality assets built from the source declarations, after `<source>_staged`:

- `<source>_quality` measures the source (healthai.quality.evaluate), stores the snapshot and
  its metrics, and carries the alert checks: `freshness` (newest data within the update
  frequency), `score_above_threshold`, and `volume` (warning). A failing check also logs a
  JSON line (logger `healthai.quality`) and calls the alert webhook when one is configured.
- `<source>_profile` runs the source's notebook with papermill on its newest file and writes
  the executed notebook and the raw / cleaned data-profiling reports to profiles_reports/.

Both sit in the source's group, so the source's job (schedule and landing sensor) runs them
after each ingestion; `quality_job` re-measures every source daily, so a source that stops
delivering is seen late even when its own schedule finds nothing new.
"""

import json
import logging
from pathlib import Path

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)
from sqlalchemy import select

from assets.resources import Database
from healthai import quality
from healthai.models import RawFile, Source
from healthai.pipeline.spec import SourceSpec
from healthai.quality import profiling
from healthai.settings import get_settings

log = logging.getLogger("healthai.quality")

# Rows read by the profile notebook at most (a reproducible sample above that).
PROFILE_SAMPLE_ROWS = 200_000


def _fmt(value: float | None, pattern: str = "{:.3f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def build_quality_assets(spec: SourceSpec) -> list[dg.AssetsDefinition]:
    name = spec.name
    group = f"source_{name}"
    tags = {"source": name}
    owners = [spec.owner] if "@" in spec.owner else []
    quality_key = f"{name}_quality"

    @dg.asset(
        name=quality_key,
        deps=[f"{name}_staged"],
        group_name=group,
        kinds={"sql", "pandas"},
        owners=owners,
        tags=tags,
        description=f"{spec.title}: quality metrics (completeness, validity, uniqueness, "
        "consistency, freshness, volume, quarantine backlog) and the overall score, stored "
        "with their history (quality_snapshots, quality_metrics). See docs/quality.md.",
        check_specs=[
            dg.AssetCheckSpec(
                "freshness",
                asset=quality_key,
                description=f"The newest data is no older than its '{spec.update_frequency}' "
                "update frequency allows.",
            ),
            dg.AssetCheckSpec(
                "score_above_threshold",
                asset=quality_key,
                description="The overall quality score is at or above the source's threshold.",
            ),
            dg.AssetCheckSpec(
                "volume",
                asset=quality_key,
                description="The latest delivery's rows are in line with the previous ones.",
            ),
        ],
    )
    def quality_asset(context: dg.AssetExecutionContext, database: Database):
        with database.session() as session:
            evaluation = quality.evaluate(session, spec, dagster_run_id=context.run_id)
            snapshot = evaluation.snapshot
            snapshot_id = snapshot.id
        # after the commit: an alert always points at a stored snapshot
        notified = quality.dispatch(name, snapshot)
        scores = {d: getattr(snapshot, d) for d in quality.WEIGHTS}
        log.info(
            json.dumps(
                {
                    "event": "quality_measured",
                    "dagster_run": context.run_id,
                    "source": name,
                    "snapshot": snapshot_id,
                    "score": snapshot.score,
                    **scores,
                },
                default=str,
            )
        )
        table = "\n".join(
            f"| {d} | {_fmt(s)} | {quality.WEIGHTS[d]:.2f} |" for d, s in scores.items()
        )
        worst = sorted(
            (x for x in evaluation.measures if x.value is not None and x.value < 1),
            key=lambda x: x.value or 0.0,  # None filtered out above
        )[:10]
        yield dg.MaterializeResult(
            metadata={
                "score": dg.MetadataValue.float(float(snapshot.score))
                if snapshot.score is not None
                else dg.MetadataValue.text("n/a"),
                "threshold": snapshot.threshold,
                **{d: dg.MetadataValue.float(float(s)) for d, s in scores.items() if s is not None},
                "snapshot_id": snapshot_id,
                "quarantine_open": snapshot.quarantine_open,
                "dimensions": dg.MetadataValue.md(
                    "| dimension | score | weight |\n|---|---|---|\n" + table
                ),
                "below_1": dg.MetadataValue.md(
                    "| dimension | table | column / rule | share | of |\n|---|---|---|---|---|\n"
                    + "\n".join(
                        f"| {x.dimension} | {x.table or ''} | {x.column or x.rule} | "
                        f"{x.value:.4f} | {_fmt(x.denominator, '{:.0f}')} |"
                        for x in worst
                    )
                    if worst
                    else "every measure at 1"
                ),
                "alerts": dg.MetadataValue.json(snapshot.alerts),
                "webhook_notified": notified,
            }
        )
        yield dg.AssetCheckResult(
            check_name="freshness",
            passed=not snapshot.stale,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "age_hours": _fmt(snapshot.age_hours, "{:.1f}"),
                "max_age_hours": _fmt(snapshot.max_age_hours, "{:.0f}"),
                "newest_data_at": str(snapshot.newest_data_at),
                "update_frequency": spec.update_frequency,
            },
            description=next(
                (a["message"] for a in snapshot.alerts if a["kind"] == "stale"), "fresh"
            ),
        )
        yield dg.AssetCheckResult(
            check_name="score_above_threshold",
            passed=snapshot.score is None or snapshot.score >= snapshot.threshold,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"score": _fmt(snapshot.score, "{:.2f}"), "threshold": snapshot.threshold},
        )
        yield dg.AssetCheckResult(
            check_name="volume",
            passed=not snapshot.volume_anomaly,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "rows_in": snapshot.rows_in if snapshot.rows_in is not None else "n/a",
                "rows_expected": _fmt(snapshot.rows_expected, "{:.0f}"),
            },
        )

    @dg.asset(
        name=f"{name}_profile",
        ins={"staged": dg.AssetIn(f"{name}_staged")},
        group_name=group,
        kinds={"jupyter", "html"},
        owners=owners,
        # `--select '* - tag:profile=notebook'` leaves the (slower) notebook runs out
        tags={**tags, "profile": "notebook"},
        description=f"{spec.title}: the exploratory notebook notebooks/{name}.ipynb run with "
        "papermill on the newest file, with data-profiling reports of the raw file and of the "
        "cleaned rows side by side, in profiles_reports/.",
    )
    def profile_asset(
        context: dg.AssetExecutionContext, database: Database, staged: list[int]
    ) -> dg.MaterializeResult:
        reports = get_settings().reports_dir
        page = reports / f"{name}_profile.html"
        if not profiling.notebook_path(name).exists():
            return dg.MaterializeResult(metadata={"skipped": f"no notebook notebooks/{name}.ipynb"})
        if not staged and page.exists():
            return dg.MaterializeResult(
                metadata={
                    "skipped": "no new batch: the existing report is current",
                    "report": dg.MetadataValue.path(str(page)),
                }
            )
        with database.session() as session:
            stored = session.scalars(
                select(RawFile.stored_path)
                .join(Source, Source.id == RawFile.source_id)
                .where(Source.name == name)
                .order_by(RawFile.created_at.desc(), RawFile.id.desc())
                .limit(1)
            ).first()
        path = Path(stored) if stored and Path(stored).exists() else None
        result = profiling.run_notebook(
            name, input_path=path, output_dir=reports, sample_size=PROFILE_SAMPLE_ROWS
        )
        log.info(
            json.dumps(
                {"event": "profiled", "dagster_run": context.run_id, "source": name, **result}
            )
        )
        return dg.MaterializeResult(
            metadata={
                "notebook": dg.MetadataValue.path(result["notebook"]),
                "report": dg.MetadataValue.path(result["page"]),
                "raw_report": dg.MetadataValue.path(str(reports / f"{name}_raw.html")),
                "cleaned_report": dg.MetadataValue.path(str(reports / f"{name}_cleaned.html")),
                "input": str(path) if path else "newest shipped file",
                "seconds": result["seconds"],
            }
        )

    return [quality_asset, profile_asset]


def quality_job(specs: list[SourceSpec]) -> UnresolvedAssetJobDefinition:
    """Every `<source>_quality` asset, without re-ingesting anything."""
    return dg.define_asset_job(
        "quality_all_sources",
        selection=dg.AssetSelection.assets(*[f"{s.name}_quality" for s in specs]),
        description="Re-measure the quality of every source: a source that stops delivering "
        "is seen late even when nothing new arrives.",
        tags={"kind": "quality"},
    )


def quality_schedule(job: UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="quality_daily",
        cron_schedule="30 6 * * *",
        job=job,
        execution_timezone="Europe/Paris",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Daily quality measurement of every source (freshness alerts).",
    )
