"""Correcting quarantined rows: a person edits the untouched source row, the source's own
contract revalidates it on the spot, and a valid row is re-queued as a new batch that goes
through the same audit and approval as any other. Every change is in the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from healthai.models import AuditLog, Batch, IngestionRun, QuarantinedRow, Source
from healthai.pipeline import batches
from healthai.pipeline.contract import jsonable, validate
from healthai.pipeline.errors import BatchStateError, ContractError, NotFoundError
from healthai.pipeline.ingest import _existing_keys, without_known_entities, write_staging
from healthai.pipeline.readers import RECORD
from healthai.pipeline.spec import CleanContext


@dataclass
class CorrectionResult:
    valid: bool
    reasons: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requeued_batch_id: int | None = None
    duplicates: list[int] = field(default_factory=list)


def _rows(session: Session, row_ids: list[int]) -> list[QuarantinedRow]:
    rows = list(session.scalars(select(QuarantinedRow).where(QuarantinedRow.id.in_(row_ids))))
    missing = set(row_ids) - {r.id for r in rows}
    if missing:
        raise NotFoundError(f"quarantined row(s) {sorted(missing)} do not exist")
    closed = [r.id for r in rows if r.status != "open"]
    if closed:
        raise BatchStateError(f"quarantined row(s) {closed} are no longer open")
    if len({r.source_id for r in rows}) > 1:
        raise BatchStateError("one correction applies to rows of one source at a time")
    return rows


def correct(
    session: Session, row_id: int, changes: dict[str, Any], actor: str, comment: str | None = None
) -> CorrectionResult:
    return correct_rows(session, [row_id], changes, actor, comment)


def correct_rows(
    session: Session,
    row_ids: list[int],
    changes: dict[str, Any],
    actor: str,
    comment: str | None = None,
) -> CorrectionResult:
    """Apply the same `changes` ({column: new value}) to every row, revalidate, re-queue the
    valid ones in one new batch (audited, waiting for approval by someone else)."""
    from healthai.sources import SOURCES  # sources import the pipeline: resolve at call time

    rows = _rows(session, row_ids)
    source = session.get(Source, rows[0].source_id)
    spec = SOURCES[source.name]
    known = set(spec.contract.columns) - {RECORD}
    unknown = set(changes) - known
    if unknown:
        raise ContractError(f"unknown column(s) for {source.name}: {sorted(unknown)}")
    corrected = []
    for row in rows:
        base = {} if set(row.raw) == {"line"} else dict(row.raw)
        new = {**base, **{k: None if v is None else str(v) for k, v in changes.items()}}
        for column, after in changes.items():
            session.add(
                AuditLog(
                    actor=actor,
                    action="correct",
                    entity="quarantined_rows",
                    entity_id=row.id,
                    field=column,
                    before=jsonable(base.get(column)),
                    after=jsonable(after),
                    comment=comment,
                )
            )
        record = int(row.source_record) if row.source_record.isdigit() else row.source_record
        corrected.append({RECORD: record, **new})
    frame = pd.DataFrame(corrected, index=[r.id for r in rows])
    try:
        validation = validate(spec.normalise(frame.copy()), spec.contract, frame)
    except ContractError as exc:
        raise ContractError(f"the corrected rows still break the contract: {exc}") from exc
    result = CorrectionResult(valid=not validation.rejected)
    by_record = {str(r.record): r for r in validation.rejected}
    for row, new in zip(rows, corrected, strict=True):
        rejected = by_record.get(str(new[RECORD]))
        if rejected is not None:
            row.raw = jsonable({k: v for k, v in new.items() if k != RECORD})
            row.reasons = rejected.reasons
            result.reasons[row.id] = rejected.reasons
    valid = validation.valid
    if valid.empty:
        session.flush()
        return result
    first = rows[0]
    ctx = CleanContext(spec.name, first.source_sha256, first.created_at or datetime.now(UTC))
    tables = without_known_entities(session, spec, spec.transform(valid, ctx))
    dup_records: set[str] = set()
    if spec.primary_table is not None:  # as at ingestion: a source of facts has no natural
        # key; a fact already published is caught by the audit of the re-queued batch
        main = tables[spec.primary_table]
        existing = _existing_keys(session, spec.primary_table, main[spec.primary_key].tolist())
        dup_records = set(main[RECORD][main[spec.primary_key].isin(existing)].astype(str))
    valid_rows = [r for r in rows if r.id not in result.reasons]
    for row in valid_rows:
        row.resolved_by, row.resolved_at = actor, datetime.now(UTC)
        if row.source_record in dup_records:
            row.status = "discarded"
            result.duplicates.append(row.id)
    requeue = [r for r in valid_rows if r.source_record not in dup_records]
    if requeue:
        keep = {r.source_record for r in requeue}
        staged = {t: f[f[RECORD].astype(str).isin(keep)] for t, f in tables.items()}
        run = session.get(IngestionRun, first.run_id)
        batch = Batch(
            source_id=source.id,
            run_id=first.run_id,
            raw_file_id=run.raw_file_id if run else None,
            source_sha256=first.source_sha256,
            status="staged",
            rows_staged=len(requeue),
            rows_by_table={t: len(f) for t, f in staged.items() if len(f)},
        )
        session.add(batch)
        session.flush()
        for table, frame_t in staged.items():
            write_staging(session, table, frame_t, batch.id)
        for row in requeue:
            row.status, row.requeued_batch_id = "requeued", batch.id
        # the records move from quarantined to pending on their runs
        for run_id in {r.run_id for r in requeue}:
            n = sum(1 for r in requeue if r.run_id == run_id)
            session.execute(
                update(IngestionRun)
                .where(IngestionRun.id == run_id)
                .values(
                    rows_quarantined=IngestionRun.rows_quarantined - n,
                    rows_pending=IngestionRun.rows_pending + n,
                )
            )
        session.flush()
        batches.audit(session, batch)
        result.requeued_batch_id = batch.id
    session.flush()
    return result


def discard(
    session: Session, row_id: int, actor: str, comment: str | None = None
) -> QuarantinedRow:
    """Close a quarantined row for good (it stays in quarantine, counted, with who and why)."""
    row = _rows(session, [row_id])[0]
    row.status, row.resolved_by, row.resolved_at = "discarded", actor, datetime.now(UTC)
    session.add(
        AuditLog(
            actor=actor,
            action="discard",
            entity="quarantined_rows",
            entity_id=row.id,
            field="status",
            before="open",
            after="discarded",
            comment=comment,
        )
    )
    session.flush()
    return row
