"""Runs that never stay `running`: each ingestion run records the process working on it
(`owner` = host:pid:start time, refreshed with `heartbeat_at` at each step), so that a run
whose process died (SIGKILL, OOM, a lost container) is recognised and closed as failed, its
unfinished work undone and its file handed back to the next run (`recover`).

A process of this host is alive when its pid exists with the same start time (a reused pid
is not mistaken for it); a run owned by another host is taken as dead when its heartbeat is
older than `LEASE`. Both work on either engine; nothing depends on a connection staying open.
Runs are reaped per source, before a new run of the source starts (at most one run per source
at a time: Dagster's concurrency settings), so a run between two steps is never taken for
dead by its own source's next run."""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from healthai.models import (
    STAGING,
    Batch,
    IngestionRun,
    QuarantinedRow,
    QuarantineRepeat,
    RawFile,
    Source,
)
from healthai.pipeline import fastload, lifecycle
from healthai.pipeline.chunks import remove_work
from healthai.pipeline.errors import NotFoundError
from healthai.pipeline.lifecycle_states import FILE_IN_PROGRESS, BatchState, FileState

log = logging.getLogger("healthai.pipeline")
LEASE = timedelta(hours=6)  # a run of another host silent this long is dead
PIPELINE_ACTOR = "pipeline"
_UNDONE = (BatchState.STAGED, BatchState.AUDITED, BatchState.AUDIT_FAILED)


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot ('' when unknown)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def owner_tag() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"[:200]


def claim(run: IngestionRun) -> None:
    """Record this process as the one working on `run` (at its start and at each step)."""
    run.owner, run.heartbeat_at = owner_tag(), datetime.now(UTC)


def beat(session: Session, run_id: int) -> None:
    session.execute(
        update(IngestionRun)
        .where(IngestionRun.id == run_id)
        .values(owner=owner_tag(), heartbeat_at=datetime.now(UTC))
    )


def is_dead(run: IngestionRun, now: datetime | None = None) -> bool:
    """Whether the process recorded for a running run is gone."""
    now = now or datetime.now(UTC)
    seen = run.heartbeat_at or run.started_at
    if seen is not None and seen.tzinfo is None:
        seen = seen.replace(tzinfo=UTC)
    if not run.owner:
        return seen is None or now - seen > LEASE
    host, _, rest = run.owner.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return seen is None or now - seen > LEASE
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # exists, another user's
    return bool(started) and _start_time(pid) not in ("", started)


def reap(session: Session, source_id: int | None = None) -> list[int]:
    """Close every running run (of `source_id`) whose process died; returns their ids."""
    q = select(IngestionRun).where(IngestionRun.status == "running")
    if source_id is not None:
        q = q.where(IngestionRun.source_id == source_id)
    dead = [run for run in session.scalars(q.order_by(IngestionRun.id)) if is_dead(run)]
    for run in dead:
        recover(session, run)
    return [run.id for run in dead]


def recover(session: Session, run: IngestionRun) -> None:
    """Undo what a dead run left half done, close it as failed and hand its file back
    (`resume`: the next run reads it again). Conditional on the run still running: two
    reapers close it once."""
    closed = session.execute(
        update(IngestionRun)
        .where(IngestionRun.id == run.id, IngestionRun.status == "running")
        .values(
            status="failed",
            finished_at=datetime.now(UTC),
            error=f"the process running it ({run.owner or 'unknown'}) died; its unfinished "
            "work was undone and its file is read again by the next run",
        )
    )
    if closed.rowcount != 1:  # type: ignore[attr-defined]
        return
    session.expire(run)
    undo(session, run.id)
    rf = session.get(RawFile, run.raw_file_id) if run.raw_file_id else None
    in_progress = (*FILE_IN_PROGRESS, FileState.STAGED)
    if (
        rf is not None
        and rf.run_id == run.id
        and rf.state in in_progress
        and not _durable_batch(session, run.id)
    ):
        lifecycle.move_file(session, rf.id, "resume", FileState.RECEIVED, PIPELINE_ACTOR)
    source = session.get(Source, run.source_id)
    if source is not None:
        remove_work(source.name, run.id)
    log.warning("ingestion run %s: its process died; closed as failed, file resumed", run.id)


def _durable_batch(session: Session, run_id: int) -> bool:
    q = select(Batch.id).where(Batch.run_id == run_id, Batch.status.not_in(_UNDONE))
    return session.scalar(q.limit(1)) is not None


def undo(session: Session, run_id: int) -> None:
    """Remove what run `run_id` wrote that is not settled: its quarantined rows (not yet
    touched by a steward, nor linked from another run), the links it made, and its batches
    still waiting (staged, audited or audit failed; correction batches excepted)."""
    session.execute(delete(QuarantineRepeat).where(QuarantineRepeat.run_id == run_id))
    linked = exists().where(
        QuarantineRepeat.quarantined_row_id == QuarantinedRow.id,
        QuarantineRepeat.run_id != run_id,
    )
    session.execute(
        delete(QuarantinedRow).where(
            QuarantinedRow.run_id == run_id,
            QuarantinedRow.status == "open",
            QuarantinedRow.requeued_batch_id.is_(None),
            ~linked,
        )
    )
    corrections = select(QuarantinedRow.requeued_batch_id).where(
        QuarantinedRow.requeued_batch_id.is_not(None)
    )
    waiting = list(
        session.scalars(
            select(Batch.id).where(
                Batch.run_id == run_id, Batch.status.in_(_UNDONE), Batch.id.not_in(corrections)
            )
        )
    )
    for batch_id in waiting:
        fastload.drop(session, batch_id)
        for stg in STAGING.values():
            session.execute(delete(stg).where(stg.c.batch_id == batch_id))
        session.execute(delete(Batch).where(Batch.id == batch_id))
    session.flush()


def retry(session: Session, raw_file_id: int, actor: str, comment: str | None = None) -> RawFile:
    """A steward asks for a file again: failed or refused (its cause fixed), rejected or
    rolled back (to ingest it once more). Its last run's unfinished work is undone; the rows
    a rejection put in quarantine are discarded (the file brings them again); the file waits
    in `received` for the next run. `StateConflict` (409) from any other state."""
    rf = _file(session, raw_file_id)
    before = lifecycle.move_file(
        session, raw_file_id, "retry", FileState.RECEIVED, actor, comment=comment
    )
    _release(session, rf, before, actor)
    session.refresh(rf)
    return rf


def replace(
    session: Session, raw_file_id: int, by_id: int, actor: str, comment: str | None = None
) -> RawFile:
    """A steward names a later file of the same source (a corrected export, dropped in the
    landing zone) as the replacement of a failed, refused, rejected or rolled-back one: the
    file is done (`replaced`) and no longer waits for anyone. Its last run's unfinished work
    is undone and the rows a rejection put in quarantine are discarded, as for a retry (the
    replacement brings its own). `ValueError` (422) when the replacement is not a later file
    of its source; `StateConflict` (409) from any other state."""
    rf = _file(session, raw_file_id)
    by = _file(session, by_id)
    if by.source_id != rf.source_id or by.id <= rf.id:
        raise ValueError(
            f"file {by_id} cannot replace file {raw_file_id}: a replacement is a later file "
            "of the same source"
        )
    before = lifecycle.move_file(
        session, raw_file_id, "replace", FileState.REPLACED, actor, comment=comment
    )
    rf.replaced_by_id = by.id
    _release(session, rf, before, actor)
    session.refresh(rf)
    return rf


def _file(session: Session, raw_file_id: int) -> RawFile:
    rf = session.get(RawFile, raw_file_id)
    if rf is None:
        raise NotFoundError(f"file {raw_file_id} does not exist")
    return rf


def _release(session: Session, rf: RawFile, before: str, actor: str) -> None:
    """What a file handed back or replaced leaves behind: its last run's unfinished work
    (a failed file), the rows its rejection put in quarantine (a rejected file)."""
    if before == FileState.FAILED and rf.run_id is not None:
        last = session.get(IngestionRun, rf.run_id)
        if last is not None and last.status != "running":
            undo(session, last.id)
    if before == FileState.REJECTED:
        rejected = select(Batch.id).where(
            Batch.raw_file_id == rf.id, Batch.status == BatchState.REJECTED
        )
        for row in session.scalars(
            select(QuarantinedRow).where(
                QuarantinedRow.status == "open",
                QuarantinedRow.run_id.in_(select(Batch.run_id).where(Batch.id.in_(rejected))),
            )
        ):
            if any(r.get("rule") == "batch_rejected" for r in row.reasons or []):
                row.status, row.resolved_by = "discarded", str(actor)[:120]
                row.resolved_at = datetime.now(UTC)
    session.flush()
