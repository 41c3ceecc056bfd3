"""What the overview says beyond its figures: which population they count (people per source
they came from, in the organisation chosen) and what needs a person now (batches waiting for a
decision, failed or refused files of the file life cycle, failing blocking checks of waiting
batches, stale or failing sources), each with where to act. Read-only queries on the
pipeline's own tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from healthai.models import Batch, BatchCheck, RawFile, Source, User
from healthai.queries import dashboard_support

FAILED_FILES_SHOWN = 10
# states from which a steward can hand a file back to the pipeline (healthai.pipeline.runs.retry)
RETRYABLE = ("failed", "refused", "rejected", "rolled_back")


def population(session: Session, organisation_id: int | None) -> list[dict[str, Any]]:
    """People counted by the overview, per source they were published from (largest first):
    a manager can tell the app's users from reference cohorts (gym members, datasets)."""
    stmt = (
        select(Source.name, func.count(User.id))
        .select_from(User)
        .join(Batch, Batch.id == User.batch_id)
        .join(Source, Source.id == Batch.source_id)
        .group_by(Source.name)
        .order_by(func.count(User.id).desc(), Source.name)
    )
    if organisation_id is not None:
        stmt = stmt.where(User.organisation_id == organisation_id)
    return [{"source": name, "users": int(n)} for name, n in session.execute(stmt)]


def failed_files(
    session: Session,
    limit: int = FAILED_FILES_SHOWN,
    states: tuple[str, ...] = ("failed", "refused"),
) -> list[dict[str, Any]]:
    """Files the pipeline could not take in (life-cycle state `failed`: their processing
    crashed; `refused`: they broke their source's structural contract) and that nobody has
    retried yet: the most recent first, with the file's name, its state, since when and its
    error (the pipeline's English text). `states=RETRYABLE` adds rejected and rolled-back
    files (the review page lists them all to retry)."""
    stmt = (
        select(RawFile, Source.name)
        .join(Source, Source.id == RawFile.source_id)
        .where(RawFile.state.in_(states))
        .order_by(RawFile.id.desc())
        .limit(limit)
    )
    out = []
    for rf, source in session.execute(stmt):
        at = rf.state_at
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        out.append(
            {
                "file_id": rf.id,
                "source_id": rf.source_id,
                "source": source,
                "file": rf.original_name,
                "state": rf.state,
                "at": at.strftime("%Y-%m-%d %H:%M UTC") if at else None,
                "error": rf.error,
            }
        )
    return out


def replacements(session: Session, file_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """Later files of the same source as `file_id`, the newest first: what a steward may name
    as its replacement (healthai.pipeline.runs.replace)."""
    source_id = select(RawFile.source_id).where(RawFile.id == file_id).scalar_subquery()
    stmt = (
        select(RawFile.id, RawFile.original_name, RawFile.state)
        .where(RawFile.source_id == source_id, RawFile.id > file_id)
        .order_by(RawFile.id.desc())
        .limit(limit)
    )
    return [
        {"file_id": i, "file": name, "state": state} for i, name, state in session.execute(stmt)
    ]


def failing_checks(session: Session) -> list[dict[str, Any]]:
    """Blocking checks that failed on batches still waiting for a decision."""
    stmt = (
        select(BatchCheck.batch_id, BatchCheck.name, Source.name)
        .join(Batch, Batch.id == BatchCheck.batch_id)
        .join(Source, Source.id == Batch.source_id)
        .where(
            Batch.status.in_(("audited", "audit_failed")),
            BatchCheck.passed.is_(False),
            BatchCheck.blocking.is_(True),
        )
        .order_by(BatchCheck.batch_id, BatchCheck.name)
    )
    return [{"batch_id": b, "check": c, "source": s} for b, c, s in session.execute(stmt)]


def needs_attention(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """Everything waiting for a person, by kind (each list empty when there is nothing)."""
    cards = dashboard_support.scorecard(session)
    return {
        "batches": dashboard_support.batches_waiting(session),
        "failed_files": failed_files(session),
        "failing_checks": failing_checks(session),
        "stale_sources": [c["source"] for c in cards if c["stale"]],
        "low_sources": [c["source"] for c in cards if c["below_threshold"]],
    }
