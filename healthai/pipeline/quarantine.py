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

from healthai.access import actor_columns
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
    requeued_batch_ids: list[int] = field(default_factory=list)
    accepted: list[int] = field(default_factory=list)


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
    return correct_each(session, {i: changes for i in row_ids}, actor, comment)


def correct_each(
    session: Session,
    changes: dict[int, dict[str, Any]],
    actor: str,
    comment: str | None = None,
) -> CorrectionResult:
    """Apply to each row its own `changes` ({row id: {column: new value}}, e.g. a value
    mapping), revalidate with the source's contract, and re-queue the valid rows in one new
    batch (audited, waiting for approval by someone else). Each accepted change is written to
    the audit log; a refused row is left exactly as it was (same values, same reasons) and
    nothing of it enters the correction history: `result.reasons` says why it was refused.

    Rows of several files (ingestion runs) are corrected file by file: each file's valid rows
    go into a batch of their own, so that every batch keeps the lineage of one file."""
    rows = _rows(session, list(changes))
    groups: dict[int, list[QuarantinedRow]] = {}
    for row in rows:
        groups.setdefault(row.run_id, []).append(row)
    result = CorrectionResult(valid=True)
    for run_id in sorted(groups):
        part = _correct_file(session, groups[run_id], changes, actor, comment)
        result.valid = result.valid and part.valid
        result.reasons |= part.reasons
        result.duplicates += part.duplicates
        result.accepted += part.accepted
        if part.requeued_batch_id is not None:
            result.requeued_batch_ids.append(part.requeued_batch_id)
    result.requeued_batch_id = result.requeued_batch_ids[0] if result.requeued_batch_ids else None
    return result


@dataclass
class Revalidation:
    """The rows as corrected, checked by the source's contract; nothing written."""

    spec: Any
    bases: dict[int, dict[str, Any]]  # row id -> the values before (a malformed line: {})
    corrected: list[dict[str, Any]]  # the corrected rows, in the rows' order, with RECORD
    validation: Any  # healthai.pipeline.contract validation result
    reasons: dict[int, list[dict[str, Any]]]  # row id -> why it is still refused


def revalidate(
    session: Session, rows: list[QuarantinedRow], changes: dict[int, dict[str, Any]]
) -> Revalidation:
    """Apply each row's `changes` to its untouched source row and run the source's contract on
    the result, in memory (used to correct, and to preview a correction before applying it)."""
    from healthai.sources import SOURCES  # sources import the pipeline: resolve at call time

    source = session.get(Source, rows[0].source_id)
    spec = SOURCES[source.name]
    known = set(spec.contract.columns) - {RECORD}
    unknown = {c for row in rows for c in changes[row.id]} - known
    if unknown:
        raise ContractError(f"unknown column(s) for {source.name}: {sorted(unknown)}")
    corrected = []
    bases: dict[int, dict[str, Any]] = {}
    for row in rows:
        base = {} if set(row.raw) == {"line"} else dict(row.raw)
        bases[row.id] = base
        row_changes = changes[row.id]
        new = {**base, **{k: None if v is None else str(v) for k, v in row_changes.items()}}
        record = int(row.source_record) if row.source_record.isdigit() else row.source_record
        corrected.append({RECORD: record, **new})
    frame = pd.DataFrame(corrected, index=[r.id for r in rows])
    try:
        validation = validate(spec.normalise(frame.copy()), spec.contract, frame)
    except ContractError as exc:
        raise ContractError(f"the corrected rows still break the contract: {exc}") from exc
    by_record = {str(r.record): r for r in validation.rejected}
    reasons = {}
    for row, new in zip(rows, corrected, strict=True):
        rejected = by_record.get(str(new[RECORD]))
        if rejected is not None:
            reasons[row.id] = rejected.reasons
    return Revalidation(spec, bases, corrected, validation, reasons)


def _correct_file(
    session: Session,
    rows: list[QuarantinedRow],
    changes: dict[int, dict[str, Any]],
    actor: str,
    comment: str | None,
) -> CorrectionResult:
    checked = revalidate(session, rows, changes)
    spec, bases, validation = checked.spec, checked.bases, checked.validation
    source = session.get(Source, rows[0].source_id)
    result = CorrectionResult(valid=not checked.reasons, reasons=checked.reasons)
    accepted = [r for r in rows if r.id not in result.reasons]
    result.accepted = [r.id for r in accepted]
    session.add_all(
        AuditLog(
            **actor_columns(actor),
            action="correct",
            entity="quarantined_rows",
            entity_id=row.id,
            field=column,
            before=jsonable(bases[row.id].get(column)),
            after=jsonable(after),
            comment=comment,
        )
        for row in accepted
        for column, after in changes[row.id].items()
    )
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
            **actor_columns(actor),
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
