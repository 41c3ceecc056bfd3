"""The only way a file's or a batch's state changes: one move of the transition table
(`healthai.pipeline.lifecycle_states`), made by one conditional UPDATE
(`... WHERE id = :id AND state = <the state it was read in>`). When another transaction moved
it first, the update touches no row and `StateConflict` names the state it is in now (409 in
the API). Each move records who and when (the row's own columns and one `audit_log` entry),
in the caller's transaction: the move and the work it stands for commit together or not at
all.

On PostgreSQL the UPDATE waits for a concurrent mover's transaction and then sees its result,
so of twelve simultaneous approvals exactly one moves the batch; on SQLite writers are
serialised by the database lock, with the same outcome."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from healthai.access import actor_columns
from healthai.models import AuditLog, Batch, RawFile
from healthai.pipeline.errors import BatchStateError, NotFoundError
from healthai.pipeline.lifecycle_states import (
    FILE_OF_BATCH,
    BatchState,
    FileState,
    sources_of,
)

__all__ = [
    "BatchState",
    "FileState",
    "StateConflict",
    "file_follows_batch",
    "move",
    "move_batch",
    "move_file",
]

_TABLES: dict[str, tuple[Table, str, str]] = {
    # machine: (table, state column, what a message calls one)
    "batches": (Batch.__table__, "status", "batch"),  # type: ignore[dict-item]
    "raw_files": (RawFile.__table__, "state", "file"),  # type: ignore[dict-item]
}


class StateConflict(BatchStateError):
    """The move is not allowed from the state the row is in (now): 409."""

    def __init__(self, message: str, current: str | None) -> None:
        super().__init__(message)
        self.current = current


def _current(session: Session, machine: str, row_id: int) -> str | None:
    table, column, _ = _TABLES[machine]
    return session.execute(select(table.c[column]).where(table.c.id == row_id)).scalar()


def move(
    session: Session,
    machine: str,
    row_id: int,
    action: str,
    target: str,
    actor: str,
    *,
    values: dict[str, Any] | None = None,
    comment: str | None = None,
    allowed: tuple[str, ...] | None = None,
) -> str:
    """Move row `row_id` of `machine` ("batches" or "raw_files") to `target` by `action`;
    returns the state it left. `allowed` narrows the states the move may start from. Raises
    `NotFoundError`, or `StateConflict` naming the current state."""
    table, column, noun = _TABLES[machine]
    starts = sources_of(machine, action, target)
    if allowed is not None:
        starts = tuple(s for s in starts if s in allowed)
    if not starts:
        raise ValueError(f"no move {action!r} to {target!r} in the {machine} life cycle")
    current = _current(session, machine, row_id)
    if current is None:
        raise NotFoundError(f"{noun} {row_id} does not exist")
    if current in starts:
        now = datetime.now(UTC)
        extra = dict(values or {})
        if machine == "raw_files":
            extra = {"state_at": now, "state_by": str(actor)[:120], **extra}
        result = session.execute(
            update(table)
            .where(table.c.id == row_id, table.c[column] == current)
            .values({column: str(target), **extra})
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            session.add(
                AuditLog(
                    **actor_columns(actor),
                    at=now,
                    action=action,
                    entity=machine,
                    entity_id=row_id,
                    field=column,
                    before=current,
                    after=str(target),
                    comment=comment,
                )
            )
            _expire(session, machine, row_id)
            return current
        current = _current(session, machine, row_id)  # another transaction moved it first
    raise StateConflict(
        f"cannot {action.replace('_', ' ')} {noun} {row_id}: it is {current}, "
        f"expected {' or '.join(starts)}",
        current,
    )


def _expire(session: Session, machine: str, row_id: int) -> None:
    model = Batch if machine == "batches" else RawFile
    obj = session.identity_map.get(session.identity_key(model, row_id))
    if obj is not None:
        session.expire(obj)


def move_batch(
    session: Session,
    batch: Batch | int,
    action: str,
    target: BatchState,
    actor: str,
    *,
    values: dict[str, Any] | None = None,
    comment: str | None = None,
) -> str:
    """Move a batch, and its file along with it (`file_follows_batch`)."""
    batch_id = batch if isinstance(batch, int) else batch.id
    before = move(
        session, "batches", batch_id, action, target, actor, values=values, comment=comment
    )
    file_follows_batch(session, batch_id, action, target, actor)
    return before


def file_follows_batch(
    session: Session, batch_id: int, action: str, target: BatchState, actor: str
) -> None:
    """The batch's file takes the state its batch's says (a correction batch has no file of
    its own; a file already there, or moved on by a newer batch, is left alone)."""
    raw_file_id = session.scalar(select(Batch.raw_file_id).where(Batch.id == batch_id))
    if raw_file_id is None or _is_correction(session, batch_id):
        return
    wanted = FILE_OF_BATCH[target]
    current = _current(session, "raw_files", raw_file_id)
    if current == wanted or current not in sources_of("raw_files", action, wanted):
        return
    move(session, "raw_files", raw_file_id, action, wanted, actor)


def _is_correction(session: Session, batch_id: int) -> bool:
    from healthai.models import QuarantinedRow

    q = select(QuarantinedRow.id).where(QuarantinedRow.requeued_batch_id == batch_id).limit(1)
    return session.scalar(q) is not None


def move_file(
    session: Session,
    raw_file_id: int,
    action: str,
    target: FileState,
    actor: str,
    *,
    error: str | None = None,
    run_id: int | None = None,
    comment: str | None = None,
) -> str:
    values: dict[str, Any] = {"error": error}
    if run_id is not None:
        values["run_id"] = run_id
    return move(
        session, "raw_files", raw_file_id, action, target, actor, values=values, comment=comment
    )
