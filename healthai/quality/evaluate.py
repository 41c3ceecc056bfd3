"""Measure one source from its data and store the snapshot: the latest raw file (completeness,
uniqueness), the latest delivery (validity, volume), the rows it published or has waiting for
approval (completeness, uniqueness and consistency per table), its newest file (freshness) and
its open quarantine (backlog)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from healthai.models import (
    NATURAL_KEYS,
    PUBLISHED,
    STAGING,
    VOCABULARIES,
    Batch,
    IngestionRun,
    QualityMetric,
    QualitySnapshot,
    QuarantinedRow,
    Source,
)
from healthai.pipeline import landing
from healthai.pipeline.contract import jsonable
from healthai.pipeline.errors import ContractError
from healthai.pipeline.readers import RECORD, read_source
from healthai.pipeline.spec import SourceSpec
from healthai.quality import metrics as m
from healthai.settings import Settings, get_settings

log = logging.getLogger("healthai.quality")

PUBLISHED_STATUS = ("published",)
# Batches whose rows wait in staging (an audit failure is exactly when the figures matter).
PENDING_STATUSES = ("staged", "audited", "audit_failed", "approved")
DELIVERY_STATUSES = ("succeeded", "partial", "failed")
# Columns that describe a row's provenance, not its content.
_TECHNICAL = {
    "id",
    "staging_id",
    "batch_id",
    "source_sha256",
    "source_record",
    "record",
    "since_version",
    "created_at",
}


@dataclass
class Evaluation:
    snapshot: QualitySnapshot
    measures: list[m.Measure] = field(default_factory=list)

    @property
    def alerts(self) -> list[dict[str, Any]]:
        return self.snapshot.alerts


def threshold_for(spec: SourceSpec, settings: Settings | None = None) -> float:
    """Per-source override in QUALITY_THRESHOLDS, else the declaration's `quality_threshold`
    when it has one, else QUALITY_SCORE_THRESHOLD."""
    settings = settings or get_settings()
    for item in settings.quality_thresholds.split(","):
        name, _, value = item.partition("=")
        if name.strip() == spec.name and value.strip():
            return float(value)
    declared = getattr(spec, "quality_threshold", None)
    return float(declared) if declared is not None else settings.quality_score_threshold


# --- loading the data ----------------------------------------------------------------------


def _key_maps(session: Session, core: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Replace each `x_id` referencing a table with a natural key by `x_key` (the natural key),
    as the staging tables hold it, so published and pending rows are compared alike."""
    for col in core.columns:
        for fk in col.foreign_keys:
            target = fk.column.table
            if target.name not in NATURAL_KEYS or col.name not in frame.columns:
                continue
            key = NATURAL_KEYS[target.name]
            ids = [int(i) for i in frame[col.name].dropna().unique()]
            mapping: dict[int, Any] = {}
            for start in range(0, len(ids), 5000):
                chunk = ids[start : start + 5000]
                mapping |= dict(
                    session.execute(
                        select(target.c.id, target.c[key]).where(target.c.id.in_(chunk))
                    ).all()
                )
            frame[col.name.removesuffix("_id") + "_key"] = frame[col.name].map(mapping)
            frame = frame.drop(columns=[col.name])
    return frame


def _published_rows(session: Session, core: Table, batch_ids: list[int]) -> pd.DataFrame:
    if not batch_ids:
        return pd.DataFrame()
    if "batch_id" in core.c:
        query = select(core).where(core.c.batch_id.in_(batch_ids))
    else:  # a link table: its rows belong to the source through their parent's batch
        parent = next(
            (
                (col, fk.column.table)
                for col in core.columns
                for fk in col.foreign_keys
                if "batch_id" in fk.column.table.c
            ),
            None,
        )
        if parent is None:
            return pd.DataFrame()
        col, table = parent
        query = select(core).join(table, table.c.id == col).where(table.c.batch_id.in_(batch_ids))
    rows = session.execute(query).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=list(core.c.keys()))
    return _key_maps(session, core, frame)


def _pending_rows(session: Session, core: Table, batch_ids: list[int]) -> pd.DataFrame:
    if not batch_ids:
        return pd.DataFrame()
    stg = STAGING[core.name]
    rows = session.execute(select(stg).where(stg.c.batch_id.in_(batch_ids))).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=list(stg.c.keys()))


def source_tables(session: Session, source: Source) -> dict[str, pd.DataFrame]:
    """Each table the source feeds: its published rows and the rows of its batches waiting
    for approval, with a `_scope` column (published or pending)."""
    batches = session.execute(
        select(Batch.id, Batch.status, Batch.rows_by_table).where(Batch.source_id == source.id)
    ).all()
    published = [b.id for b in batches if b.status in PUBLISHED_STATUS]
    pending = [b.id for b in batches if b.status in PENDING_STATUSES]
    names = {
        t
        for b in batches
        if b.status in PUBLISHED_STATUS + PENDING_STATUSES
        for t in (b.rows_by_table or {})
    }
    frames: dict[str, pd.DataFrame] = {}
    for core in PUBLISHED:
        if core.name not in names:
            continue
        parts = [
            f.assign(_scope=scope)
            for scope, f in (
                ("published", _published_rows(session, core, published)),
                ("pending", _pending_rows(session, core, pending)),
            )
            if len(f)
        ]
        if parts:
            frames[core.name] = pd.concat(parts, ignore_index=True)
    return frames


def _known_keys(session: Session, table: Table, frames: dict[str, pd.DataFrame]) -> set[Any]:
    key = NATURAL_KEYS[table.name]
    known = set(session.scalars(select(table.c[key])))
    if table.name in frames and key in frames[table.name].columns:
        known |= set(frames[table.name][key].dropna())
    return known


# --- measuring -----------------------------------------------------------------------------


def raw_measures(spec: SourceSpec, path: Path) -> list[m.Measure]:
    """Completeness of the contract's required (non-nullable) columns and duplicate rows in
    the newest raw file, read with the pipeline's own reader and normaliser."""
    try:
        result = read_source(path, spec)
    except ContractError as exc:
        return [
            m.Measure(
                "completeness",
                "file_readable",
                0.0,
                table="raw",
                description="the newest file could not be read",
                detail={"error": str(exc)},
            )
        ]
    frame = spec.normalise(result.frame.copy())
    required = [
        name
        for name, col in spec.contract.columns.items()
        if name != RECORD and col.required and not col.nullable
    ]
    out = m.completeness(frame, required, "raw")
    content = [c for c in frame.columns if c != RECORD]
    out.append(m.uniqueness(frame, None, "raw", "no_duplicate_row"))
    for name, col in spec.contract.columns.items():
        if getattr(col, "unique", False) and name in frame.columns:
            out.append(m.uniqueness(frame, [name], "raw", "unique_key"))
    if not content:
        out.append(m.Measure("completeness", "has_columns", 0.0, table="raw"))
    return out


def table_measures(session: Session, frames: dict[str, pd.DataFrame]) -> list[m.Measure]:
    out: list[m.Measure] = []
    for core in PUBLISHED:
        frame = frames.get(core.name)
        if frame is None or frame.empty:
            continue
        required = []
        for col in core.columns:
            if col.name in _TECHNICAL or col.nullable:
                continue
            fk_target = next(iter(col.foreign_keys)).column.table.name if col.foreign_keys else None
            required.append(
                col.name.removesuffix("_id") + "_key" if fk_target in NATURAL_KEYS else col.name
            )
        out += m.completeness(frame, required, core.name)
        if core.name in NATURAL_KEYS:
            out.append(m.uniqueness(frame, [NATURAL_KEYS[core.name]], core.name, "unique_key"))
        else:
            content = [c for c in frame.columns if c not in _TECHNICAL and c != "_scope"]
            out.append(m.uniqueness(frame, content, core.name, "no_duplicate_row"))
        for col in core.columns:
            for fk in col.foreign_keys:
                target = fk.column.table
                if target.name not in NATURAL_KEYS or target.name in VOCABULARIES:
                    continue
                key_col = col.name.removesuffix("_id") + "_key"
                measure = m.foreign_keys(
                    frame, core.name, key_col, _known_keys(session, target, frames), target.name
                )
                if measure:
                    out.append(measure)
    out += m.consistency(_with_profiles(session, frames))
    return out


def _with_profiles(session: Session, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Cross-table rules about users (BMI vs height) also hold when the users were published
    by another source: add the published profiles of the users the source refers to."""
    if "users" in frames:
        return frames
    keys = {k for f in frames.values() if "user_key" in f.columns for k in f["user_key"].dropna()}
    if not keys:
        return frames
    users = metadata_table("users")
    rows: list[Any] = []
    ordered = sorted(keys)
    for start in range(0, len(ordered), 5000):
        chunk = ordered[start : start + 5000]
        rows += session.execute(
            select(users.c.external_key, users.c.height_cm).where(users.c.external_key.in_(chunk))
        ).all()
    profiles = pd.DataFrame(rows, columns=["external_key", "height_cm"])
    return {**frames, "users": profiles} if len(profiles) else frames


def metadata_table(name: str) -> Table:
    from healthai.models import metadata

    return metadata.tables[name]


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def evaluate(
    session: Session,
    spec: SourceSpec,
    now: datetime | None = None,
    dagster_run_id: str | None = None,
    settings: Settings | None = None,
) -> Evaluation:
    """Measure `spec`'s source now, store a snapshot with its metrics, and return it (alerts
    included; dispatching them is `healthai.quality.alerts.dispatch`)."""
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    source = landing.ensure_source(session, spec)
    measures: list[m.Measure] = []

    newest_file = landing.newest_file(session, spec.name)
    if newest_file is not None and Path(newest_file.stored_path).exists():
        measures += raw_measures(spec, Path(newest_file.stored_path))

    deliveries = list(
        session.scalars(
            select(IngestionRun)
            .where(IngestionRun.source_id == source.id, IngestionRun.status.in_(DELIVERY_STATUSES))
            .order_by(IngestionRun.started_at, IngestionRun.id)
        )
    )
    latest = deliveries[-1] if deliveries else None
    # Validity per run: every delivery since the previous snapshot (at least the latest).
    measured_up_to = session.scalar(
        select(func.max(QualitySnapshot.run_id)).where(QualitySnapshot.source_id == source.id)
    )
    new_runs = [r for r in deliveries if measured_up_to is None or r.id > measured_up_to]
    for run in new_runs or deliveries[-1:]:
        measures.append(_run_validity(session, run))
    previous = [r.rows_in for r in deliveries[:-1] if r.status != "failed"]
    vol, expected, anomaly = m.volume(latest.rows_in if latest else None, previous)
    measures.append(vol)

    frames = source_tables(session, source)
    measures += table_measures(session, frames)

    newest_at = _as_utc(newest_file.created_at) if newest_file else None
    fresh, age, allowed, stale = m.freshness(newest_at, now, spec.update_frequency)
    measures.append(fresh)

    open_rows = (
        session.scalar(
            select(func.count())
            .select_from(QuarantinedRow)
            .where(QuarantinedRow.source_id == source.id, QuarantinedRow.status == "open")
        )
        or 0
    )
    received = sum(r.rows_in for r in deliveries if r.status != "failed")
    measures.append(m.backlog(open_rows, received))

    scores = m.dimension_scores(measures)
    score = m.overall_score(scores)
    threshold = threshold_for(spec, settings)
    alerts: list[dict[str, Any]] = []
    if stale:
        alerts.append(
            {
                "kind": "stale",
                "message": (
                    f"{spec.name}: newest data is {age:.1f} h old, more than the "
                    f"{allowed:.0f} h allowed by its '{spec.update_frequency}' update frequency"
                    if age is not None
                    else f"{spec.name}: no data received yet"
                ),
                "age_hours": None if age is None else round(age, 2),
                "max_age_hours": allowed,
            }
        )
    if score is not None and score < threshold:
        alerts.append(
            {
                "kind": "score_below_threshold",
                "message": f"{spec.name}: quality score {score:.1f} below its threshold "
                f"{threshold:.1f}",
                "score": score,
                "threshold": threshold,
                "worst": sorted(
                    ((d, round(s, 4)) for d, s in scores.items() if s is not None),
                    key=lambda x: x[1],
                )[:3],
            }
        )

    snapshot = QualitySnapshot(
        source_id=source.id,
        measured_at=now,
        dagster_run_id=dagster_run_id,
        run_id=latest.id if latest else None,
        score=score,
        threshold=threshold,
        newest_data_at=newest_at,
        age_hours=None if age is None else round(age, 3),
        max_age_hours=allowed,
        stale=stale,
        rows_in=latest.rows_in if latest else None,
        rows_expected=expected,
        volume_anomaly=anomaly,
        quarantine_open=open_rows,
        alerts=alerts,
        **{d: (None if s is None else round(s, 6)) for d, s in scores.items()},
    )
    snapshot.metrics = [
        QualityMetric(
            source_id=source.id,
            measured_at=now,
            dimension=x.dimension,
            table_name=x.table,
            column_name=_fit(x.column, COLUMN_NAME_WIDTH),
            rule=x.rule,
            description=(x.description or "")[:300] or None,
            value=None if x.value is None else round(x.value, 6),
            numerator=None if x.numerator is None else float(x.numerator),
            denominator=None if x.denominator is None else float(x.denominator),
            passed=x.passed if x.passed is not None else _passed(x),
            detail=jsonable(
                x.detail
                if _fit(x.column, COLUMN_NAME_WIDTH) == x.column
                else {**x.detail, "columns": x.column}
            ),
        )
        for x in measures
    ]
    session.add(snapshot)
    session.flush()
    return Evaluation(snapshot, measures)


def _run_validity(session: Session, run: IngestionRun) -> m.Measure:
    """1 - quarantined / rows_in for one delivery; a refused file scores 0."""
    if run.status == "failed":
        return m.Measure(
            "validity",
            "file_accepted",
            0.0,
            0,
            1,
            table="raw",
            description="the file was refused by its contract",
            passed=False,
            detail={"run_id": run.id, "error": run.error},
        )
    quarantined = session.scalar(
        select(func.count()).select_from(QuarantinedRow).where(QuarantinedRow.run_id == run.id)
    )
    return m.validity(run.rows_in, quarantined or 0, run.id)


def _passed(measure: m.Measure) -> bool | None:
    return None if measure.value is None else measure.value >= 1.0


COLUMN_NAME_WIDTH = 120  # quality_metrics.column_name (PostgreSQL enforces it, SQLite does not)


def _fit(text: str | None, width: int) -> str | None:
    """`text` cut to `width` characters with an ellipsis (a rule over many columns names them
    all; the whole list stays in the metric's detail)."""
    if text is None or len(text) <= width:
        return text
    return text[: width - 1] + "…"
