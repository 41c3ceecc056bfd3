"""Read access for the API and the dashboard: latest snapshot per source, history, metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from healthai.models import QualityMetric, QualitySnapshot, Source
from healthai.models.quality import QUALITY_DIMENSIONS

SNAPSHOT_FIELDS = (
    "id",
    "measured_at",
    "score",
    "threshold",
    *QUALITY_DIMENSIONS,
    "newest_data_at",
    "age_hours",
    "max_age_hours",
    "stale",
    "rows_in",
    "rows_expected",
    "volume_anomaly",
    "quarantine_open",
    "alerts",
    "run_id",
    "dagster_run_id",
)
METRIC_FIELDS = (
    "dimension",
    "table_name",
    "column_name",
    "rule",
    "description",
    "value",
    "numerator",
    "denominator",
    "passed",
    "detail",
)


def snapshot_dict(snapshot: QualitySnapshot, source: str) -> dict[str, Any]:
    out = {"source": source, **{f: getattr(snapshot, f) for f in SNAPSHOT_FIELDS}}
    out["below_threshold"] = snapshot.score is not None and snapshot.score < snapshot.threshold
    return out


def newest_snapshots(
    session: Session, measured_by: datetime | None = None
) -> list[tuple[QualitySnapshot, str]]:
    """Every measured source's newest snapshot (measured at or before `measured_by` when
    given) with the source's name, by source name."""
    measured = select(QualitySnapshot.source_id, func.max(QualitySnapshot.id).label("id"))
    if measured_by is not None:
        measured = measured.where(QualitySnapshot.measured_at <= measured_by)
    newest = measured.group_by(QualitySnapshot.source_id).subquery()
    rows = session.execute(
        select(QualitySnapshot, Source.name)
        .join(newest, newest.c.id == QualitySnapshot.id)
        .join(Source, Source.id == QualitySnapshot.source_id)
        .order_by(Source.name)
    ).all()
    return [(s, name) for s, name in rows]


def latest(session: Session) -> list[dict[str, Any]]:
    """The most recent snapshot of every measured source, by source name."""
    return [snapshot_dict(s, name) for s, name in newest_snapshots(session)]


def latest_for(session: Session, source: str) -> dict[str, Any] | None:
    """The newest snapshot of `source` with its detailed metrics, or None if never measured."""
    row = session.execute(
        select(QualitySnapshot, Source.name)
        .join(Source, Source.id == QualitySnapshot.source_id)
        .where(Source.name == source)
        .order_by(QualitySnapshot.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    snapshot, name = row
    return {**snapshot_dict(snapshot, name), "metrics": snapshot_metrics(session, snapshot.id)}


def history(
    session: Session, source: str, since: datetime | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Snapshots of `source`, oldest first (the last `limit` ones, from `since`)."""
    query = (
        select(QualitySnapshot)
        .join(Source, Source.id == QualitySnapshot.source_id)
        .where(Source.name == source)
    )
    if since is not None:
        query = query.where(QualitySnapshot.measured_at >= since)
    rows = list(session.scalars(query.order_by(QualitySnapshot.id.desc()).limit(limit)))
    return [snapshot_dict(s, source) for s in reversed(rows)]


def snapshot_metrics(
    session: Session, snapshot_id: int, dimension: str | None = None
) -> list[dict[str, Any]]:
    """The detailed metrics of one snapshot (optionally one dimension)."""
    query = select(QualityMetric).where(QualityMetric.snapshot_id == snapshot_id)
    if dimension:
        query = query.where(QualityMetric.dimension == dimension)
    return [
        {f: getattr(x, f) for f in METRIC_FIELDS}
        for x in session.scalars(query.order_by(QualityMetric.id))
    ]


def metric_history(
    session: Session, source: str, dimension: str, rule: str | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """One dimension's metrics of `source` over time (e.g. validity per run)."""
    query = (
        select(QualityMetric)
        .join(Source, Source.id == QualityMetric.source_id)
        .where(Source.name == source, QualityMetric.dimension == dimension)
    )
    if rule:
        query = query.where(QualityMetric.rule == rule)
    rows = list(session.scalars(query.order_by(QualityMetric.id.desc()).limit(limit)))
    return [
        {"measured_at": x.measured_at, **{f: getattr(x, f) for f in METRIC_FIELDS}}
        for x in reversed(rows)
    ]
