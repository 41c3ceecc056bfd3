"""Read queries the dashboard needs beyond `analytics` and `listing` (owned by the dashboard;
to be merged into the shared queries): live quality per source, batches waiting for a
decision with checks and samples, open quarantined rows, correction history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from healthai.models import (
    AuditLog,
    Batch,
    BatchCheck,
    IngestionRun,
    QuarantinedRow,
    Source,
)
from healthai.pipeline import batches


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def freshness(session: Session, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per source: its latest run, when it finished, how old that is (hours), status, volume."""
    now = now or datetime.now(UTC)
    latest = (
        select(IngestionRun.source_id, func.max(IngestionRun.id).label("run_id"))
        .group_by(IngestionRun.source_id)
        .subquery()
    )
    stmt = (
        select(Source.name, IngestionRun)
        .join(latest, latest.c.source_id == Source.id, isouter=True)
        .join(IngestionRun, IngestionRun.id == latest.c.run_id, isouter=True)
        .order_by(Source.name)
    )
    out = []
    for name, run in session.execute(stmt):
        at = _aware(run.finished_at or run.started_at) if run else None
        out.append(
            {
                "source": name,
                "run_id": run.id if run else None,
                "finished_at": at.strftime("%Y-%m-%d %H:%M UTC") if at else None,
                "age_hours": round((now - at).total_seconds() / 3600, 1) if at else None,
                "status": run.status if run else None,
                "rows_in": run.rows_in if run else 0,
                "rows_published": run.rows_published if run else 0,
                "rows_quarantined": run.rows_quarantined if run else 0,
                "rows_pending": run.rows_pending if run else 0,
            }
        )
    return out


def recent_runs(session: Session, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, newest first, with their volume and error."""
    stmt = (
        select(IngestionRun, Source.name)
        .join(Source, Source.id == IngestionRun.source_id)
        .order_by(IngestionRun.id.desc())
        .limit(limit)
    )
    return [
        {
            "run_id": run.id,
            "source": name,
            "started_at": _aware(run.started_at).strftime("%Y-%m-%d %H:%M UTC"),
            "status": run.status,
            "rows_in": run.rows_in,
            "rows_published": run.rows_published,
            "rows_quarantined": run.rows_quarantined,
            "rows_duplicate": run.rows_duplicate,
            "rows_pending": run.rows_pending,
            "error": (run.error or "")[:300] or None,
        }
        for run, name in session.execute(stmt)
    ]


def quarantine_backlog(session: Session) -> list[dict[str, Any]]:
    """Open quarantined rows per source and rule (a row breaking two rules counts under
    both; a row without a rule under "?"), counted in the database: the backlog grows with
    the data (0.5 % of 10 M rows is 50,000 rows), its summary must not."""
    q = QuarantinedRow.__table__
    if session.get_bind().dialect.name == "postgresql":
        reason = func.json_array_elements(q.c.reasons).table_valued("value")
        rule = reason.c.value.op("->>")("rule")
    else:
        reason = func.json_each(q.c.reasons).table_valued("value")
        rule = func.json_extract(reason.c.value, "$.rule")
    named = func.coalesce(rule, "?")
    stmt = (
        select(Source.name, named, func.count(q.c.id.distinct()))
        .select_from(q.join(Source, Source.id == q.c.source_id).outerjoin(reason, literal(True)))
        .where(q.c.status == "open")
        .group_by(Source.name, named)
        .order_by(Source.name, named)
    )
    return [{"source": s, "rule": r, "rows": n} for s, r, n in session.execute(stmt)]


def failed_checks(session: Session, limit: int = 50) -> tuple[list[dict[str, Any]], int]:
    """Failed checks of the most recent batches, and how many checks those batches ran."""
    recent = select(Batch.id).order_by(Batch.id.desc()).limit(20).subquery()
    total = session.scalar(
        select(func.count()).select_from(BatchCheck).where(BatchCheck.batch_id.in_(select(recent)))
    )
    stmt = (
        select(BatchCheck, Source.name)
        .join(Batch, Batch.id == BatchCheck.batch_id)
        .join(Source, Source.id == Batch.source_id)
        .where(BatchCheck.batch_id.in_(select(recent)), BatchCheck.passed.is_(False))
        .order_by(BatchCheck.batch_id.desc(), BatchCheck.name)
        .limit(limit)
    )
    rows = [
        {
            "batch_id": c.batch_id,
            "source": name,
            "check": c.name,
            "description": c.description,
            "blocking": c.blocking,
            "observed": c.observed,
        }
        for c, name in session.execute(stmt)
    ]
    return rows, int(total or 0)


def batches_waiting(session: Session) -> list[dict[str, Any]]:
    """Batches waiting for a human decision (audited, or audit failed), oldest first."""
    stmt = (
        select(Batch, Source.name)
        .join(Source, Source.id == Batch.source_id)
        .where(Batch.status.in_(("audited", "audit_failed")))
        .order_by(Batch.id)
    )
    return [
        {
            "batch_id": b.id,
            "source": name,
            "status": b.status,
            "rows_staged": b.rows_staged,
            "audited_at": _aware(b.audited_at).strftime("%Y-%m-%d %H:%M UTC")
            if b.audited_at
            else None,
        }
        for b, name in session.execute(stmt)
    ]


def batch_detail(
    session: Session, batch_id: int, sample: int = 5, people: bool = True
) -> dict[str, Any]:
    """The batch's checks and up to `sample` rows per table (same reading as the API's;
    tables about people only when `people`)."""
    batch = session.get(Batch, batch_id)
    if batch is None:
        return {"checks": [], "samples": {}}
    checks = [
        {
            "check": c.name,
            "description": c.description,
            "passed": c.passed,
            "blocking": c.blocking,
            "observed": c.observed,
        }
        for c in sorted(batch.checks, key=lambda c: c.name)
    ]
    samples = batches.batch_samples(session, batch, sample, people)
    return {"checks": checks, "samples": samples}


def open_quarantine(session: Session, limit: int = 200) -> list[dict[str, Any]]:
    stmt = (
        select(QuarantinedRow, Source.name)
        .join(Source, Source.id == QuarantinedRow.source_id)
        .where(QuarantinedRow.status == "open")
        .order_by(QuarantinedRow.id)
        .limit(limit)
    )
    return [
        {
            "row_id": r.id,
            "source": name,
            "record": r.source_record,
            "reasons": r.reasons or [],
            "raw": r.raw or {},
        }
        for r, name in session.execute(stmt)
    ]


def same_defect(session: Session, row_id: int) -> list[int]:
    """Open rows of the same source whose broken rules and columns equal this row's."""
    row = session.get(QuarantinedRow, row_id)
    if row is None:
        return []

    def key(reasons: list[dict[str, Any]]) -> tuple:
        return tuple(sorted((str(r.get("rule")), str(r.get("column"))) for r in reasons or []))

    target = key(row.reasons)
    stmt = select(QuarantinedRow.id, QuarantinedRow.reasons).where(
        QuarantinedRow.status == "open", QuarantinedRow.source_id == row.source_id
    )
    return [i for i, reasons in session.execute(stmt) if key(reasons) == target]


def correction_history(session: Session, limit: int = 30) -> list[dict[str, Any]]:
    stmt = (
        select(AuditLog)
        .where(AuditLog.entity == "quarantined_rows")
        .order_by(AuditLog.id.desc())
        .limit(limit)
    )
    return [
        {
            "at": _aware(a.at).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "actor": a.actor,
            "action": a.action,
            "row_id": a.entity_id,
            "field": a.field,
            "before": a.before,
            "after": a.after,
            "comment": a.comment,
        }
        for a in session.scalars(stmt)
    ]


def scorecard(session: Session) -> list[dict[str, Any]]:
    """Per source known to the database: its latest quality snapshot (score, threshold, the
    seven dimensions, stale, below threshold), the change of its score since the previous
    snapshot (`trend`, None for a first measure), and what waits for a person: batches to
    decide, open quarantined rows, whether its latest run failed."""
    from healthai.models import QualitySnapshot
    from healthai.models.quality import QUALITY_DIMENSIONS

    latest_two = (
        select(
            QualitySnapshot.source_id,
            QualitySnapshot.id,
            func.row_number()
            .over(partition_by=QualitySnapshot.source_id, order_by=QualitySnapshot.id.desc())
            .label("rank"),
        )
    ).subquery()
    snaps: dict[int, list[QualitySnapshot]] = {}
    stmt = (
        select(QualitySnapshot)
        .join(latest_two, latest_two.c.id == QualitySnapshot.id)
        .where(latest_two.c.rank <= 2)
        .order_by(QualitySnapshot.source_id, QualitySnapshot.id.desc())
    )
    for snap in session.scalars(stmt):
        snaps.setdefault(snap.source_id, []).append(snap)
    waiting = dict(
        session.execute(
            select(Batch.source_id, func.count())
            .where(Batch.status.in_(("audited", "audit_failed")))
            .group_by(Batch.source_id)
        ).all()
    )
    open_rows = dict(
        session.execute(
            select(QuarantinedRow.source_id, func.count())
            .where(QuarantinedRow.status == "open")
            .group_by(QuarantinedRow.source_id)
        ).all()
    )
    last_run = (
        select(IngestionRun.source_id, func.max(IngestionRun.id).label("id"))
        .group_by(IngestionRun.source_id)
        .subquery()
    )
    failed = set(
        session.scalars(
            select(IngestionRun.source_id)
            .join(last_run, last_run.c.id == IngestionRun.id)
            .where(IngestionRun.status == "failed")
        )
    )
    out = []
    for source_id, name in session.execute(select(Source.id, Source.name).order_by(Source.name)):
        pair = snaps.get(source_id, [])
        if not pair and source_id not in waiting and source_id not in open_rows:
            continue  # never measured and nothing waiting (a test fixture, a retired source)
        snap = pair[0] if pair else None
        previous = pair[1] if len(pair) > 1 else None
        score = snap.score if snap else None
        trend = (
            round(score - previous.score, 2)
            if score is not None and previous is not None and previous.score is not None
            else None
        )
        out.append(
            {
                "source": name,
                "score": score,
                "threshold": snap.threshold if snap else None,
                "measured_at": _aware(snap.measured_at) if snap else None,
                **{d: getattr(snap, d) if snap else None for d in QUALITY_DIMENSIONS},
                "stale": bool(snap and snap.stale),
                "below_threshold": bool(
                    snap and snap.score is not None and snap.score < snap.threshold
                ),
                "trend": trend,
                "batches_waiting": waiting.get(source_id, 0),
                "quarantine_open": open_rows.get(source_id, 0),
                "failed_runs": source_id in failed,
            }
        )
    return out


def batch_sources(session: Session, batch_ids: list[int | None]) -> dict[int, str]:
    """batch id -> the name of the source it came from."""
    wanted = {b for b in batch_ids if b is not None}
    if not wanted:
        return {}
    stmt = select(Batch.id, Source.name).join(Source, Source.id == Batch.source_id)
    return dict(session.execute(stmt.where(Batch.id.in_(wanted))).all())
