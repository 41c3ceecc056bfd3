"""Quality assets built from the source declarations, after `<source>_batch` (every file):

- `<source>_quality` measures the source (healthai.quality.evaluate), stores the snapshot and
  its metrics, and carries the alert checks: `freshness` (newest data within the update
  frequency), `score_above_threshold`, and `volume` (warning). A failing check also logs a
  JSON line (logger `healthai.quality`) and calls the alert webhook when one is configured.
- `<source>_profile` runs the source's notebook with papermill on its newest file and writes
  the executed notebook and the raw / cleaned data-profiling reports to profiles_reports/.
  It is made again only when its source's data changed (a new partition of `<source>_batch`,
  whose data version is the file's SHA-256: a new file) or what the report is made from
  changed (its code version: notebook, declaration, profiler), by the `profiles_on_change`
  automation sensor.

A source that is off (`SourceSpec.off_reason`, e.g. ExerciseDB without a URL) is neither
measured nor profiled: its quality materialisation says why it is off and its checks are
skipped (never failed); its profile is never requested.

The quality assets run in the `publish` job, after each publication (assets/automation.py);
`quality_job` re-measures every source daily, so a source that stops delivering is seen late
even when nothing new arrives.
"""

from pathlib import Path

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)

from assets.resources import AlertWebhook, Database
from healthai import quality
from healthai.logging import get_logger
from healthai.models import QualitySnapshot
from healthai.pipeline import landing
from healthai.pipeline.spec import SourceSpec
from healthai.quality import profiling
from healthai.settings import get_settings

log = get_logger("healthai.quality")

# Rows read by the profile notebook at most (a reproducible sample above that).
PROFILE_SAMPLE_ROWS = 200_000

# A report is made when it is missing (unless its last run failed: a person looks first), when
# its source's data changed (a new data version of a `<source>_batch` partition, the SHA-256
# of a new file) or when its code version changed; never while its source is being
# ingested, nor twice at once. (Dagster's `eager()` would not make a report missing at the
# first evaluation, and would make it again after every ingestion run, new data or not.)
_CHANGED: dg.AutomationCondition = (
    dg.AutomationCondition.any_deps_match(dg.AutomationCondition.data_version_changed())
    | dg.AutomationCondition.code_version_changed()
)
_MISSING: dg.AutomationCondition = (
    dg.AutomationCondition.missing() & ~dg.AutomationCondition.execution_failed()
)
PROFILE_ON_CHANGE: dg.AutomationCondition = (
    (_MISSING | _CHANGED.since_last_handled())
    # some file of the source ingested (a partitioned dep with no partition is not "missing")
    & dg.AutomationCondition.any_deps_match(~dg.AutomationCondition.missing())
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("profile_on_change")


def _fmt(value: float | None, pattern: str = "{:.3f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def _score_description(snapshot: QualitySnapshot) -> str:
    """What the score says and where to act: the lowest dimensions and the open quarantine."""
    if snapshot.score is None:
        return "no score: nothing measured yet"
    measured = [(d, getattr(snapshot, d)) for d in quality.WEIGHTS]
    lowest = sorted((x for x in measured if x[1] is not None), key=lambda x: x[1])[:2]
    text = f"score {snapshot.score:.1f} (threshold {snapshot.threshold:.0f}); lowest: "
    text += ", ".join(f"{d} {v:.3f}" for d, v in lowest)
    if snapshot.quarantine_open:
        text += (
            f"; {snapshot.quarantine_open:,} quarantined rows open: review them in the web "
            "interface (Corrections page) or through the API (/quarantine)"
        )
    return text


def build_quality_assets(spec: SourceSpec) -> list[dg.AssetsDefinition]:
    name = spec.name
    group = f"source_{name}"
    tags = {"source": name}
    owners = [spec.owner] if "@" in spec.owner else []
    quality_key = f"{name}_quality"

    # A multi-asset so that the checks may be left out: an off source's checks are skipped.
    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                quality_key,
                deps=[f"{name}_batch"],
                group_name=group,
                kinds={"sql", "pandas"},
                owners=owners,
                tags=tags,
                description=f"{spec.title}: quality metrics (completeness, validity, "
                "uniqueness, consistency, freshness, volume, quarantine backlog) and the overall "
                "score, stored with their history (quality_snapshots, quality_metrics). See "
                "docs/quality.md.",
            )
        ],
        name=quality_key,
        can_subset=True,
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
    def quality_asset(context: dg.AssetExecutionContext, database: Database, alerts: AlertWebhook):
        if off := spec.off_reason():
            log.info("quality_off", dagster_run=context.run_id, source=name, reason=off)
            yield dg.MaterializeResult(asset_key=quality_key, metadata={"status": off})
            return  # no check result: the checks show as skipped, not failed
        with database.session() as session:
            evaluation = quality.evaluate(session, spec, dagster_run_id=context.run_id)
            snapshot = evaluation.snapshot
            snapshot_id = snapshot.id
        # after the commit: an alert always points at a stored snapshot
        notified = quality.dispatch(name, snapshot, alerts.settings())
        scores = {d: getattr(snapshot, d) for d in quality.WEIGHTS}
        log.info(
            "quality_measured",
            dagster_run=context.run_id,
            source=name,
            snapshot=snapshot_id,
            score=snapshot.score,
            **scores,
        )
        table = "\n".join(
            f"| {d} | {_fmt(s)} | {quality.WEIGHTS[d]:.2f} |" for d, s in scores.items()
        )
        worst = sorted(
            (x for x in evaluation.measures if x.value is not None and x.value < 1),
            key=lambda x: x.value or 0.0,  # None filtered out above
        )[:10]
        yield dg.MaterializeResult(
            asset_key=quality_key,
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
            },
        )
        yield dg.AssetCheckResult(
            asset_key=quality_key,
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
            asset_key=quality_key,
            check_name="score_above_threshold",
            passed=snapshot.score is None or snapshot.score >= snapshot.threshold,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"score": _fmt(snapshot.score, "{:.2f}"), "threshold": snapshot.threshold},
            description=_score_description(snapshot),
        )
        yield dg.AssetCheckResult(
            asset_key=quality_key,
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
        deps=[f"{name}_batch"],
        group_name=group,
        kinds={"jupyter", "html"},
        owners=owners,
        # `--select 'not tag:profile=notebook'` leaves the (slower) notebook runs out
        tags={**tags, "profile": "notebook"},
        code_version=profiling.code_version(spec),
        # an off source's report is never requested
        automation_condition=None if spec.off_reason() else PROFILE_ON_CHANGE,
        description=f"{spec.title}: the exploratory notebook notebooks/{name}.ipynb run with "
        "papermill on the newest file, with data-profiling reports of the raw file and of the "
        "cleaned rows side by side, in profiles_reports/. Made again when the source's data "
        "changes (a new file) or the notebook, the declaration or the profiler does.",
    )
    def profile_asset(
        context: dg.AssetExecutionContext, database: Database
    ) -> dg.MaterializeResult:
        reports = get_settings().reports_dir
        if off := spec.off_reason():
            return dg.MaterializeResult(metadata={"status": off})
        if not profiling.notebook_path(name).exists():
            return dg.MaterializeResult(metadata={"status": f"no notebook notebooks/{name}.ipynb"})
        with database.session() as session:
            newest = landing.newest_file(session, name)
            stored = newest.stored_path if newest else None
        path = Path(stored) if stored and Path(stored).exists() else None
        if path is None and profiling.default_input(spec) is None:
            return dg.MaterializeResult(metadata={"status": "no file yet: nothing to profile"})
        result = profiling.run_notebook(
            name, input_path=path, output_dir=reports, sample_size=PROFILE_SAMPLE_ROWS
        )
        log.info("profiled", dagster_run=context.run_id, source=name, **result)
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


def profile_sensor() -> dg.AutomationConditionSensorDefinition:
    """Evaluates the profile assets' automation condition (PROFILE_ON_CHANGE) every minute."""
    return dg.AutomationConditionSensorDefinition(
        "profiles_on_change",
        target=dg.AssetSelection.tag("profile", "notebook"),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=60,
        description="Makes a source's profiling report when it is missing, when the source's "
        "data changed (a new file) or when its notebook, declaration or profiler changed.",
    )


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
