"""The life cycle's table: the states of a landed file (or API response) and of a batch, and
the only moves allowed between them. Pure data (no database): the models' CHECK constraints,
the API's schemas, `healthai.pipeline.lifecycle` (which makes the moves) and the diagram of
docs/pipeline.md (`healthai.docs_gen`) all read it from here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FileState(StrEnum):
    """Where a landed file stands. A file is done only in a terminal state."""

    RECEIVED = "received"  # registered by its SHA-256, waiting to be read
    READ = "read"  # claimed by a run, being read and validated
    VALIDATED = "validated"  # read whole; its bad rows quarantined
    STAGED = "staged"  # its rows staged as a batch (audit failed: waits, audited again)
    AUDITED = "audited"  # its batch passed the audit: waits for approval
    APPROVED = "approved"
    PUBLISHED = "published"
    SETTLED = "settled"  # nothing to publish: every row quarantined or a duplicate
    REFUSED = "refused"  # broke its source's structural contract (whole file)
    FAILED = "failed"  # its processing failed (the reader crashed): retry once fixed
    REJECTED = "rejected"  # its batch was rejected by a person
    ROLLED_BACK = "rolled_back"  # its published batch was rolled back
    REPLACED = "replaced"  # a steward named a later file of its source as its replacement


class BatchState(StrEnum):
    """Where a batch stands (`batches.status`)."""

    STAGED = "staged"
    AUDITED = "audited"
    AUDIT_FAILED = "audit_failed"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"
    ROLLED_BACK = "rolled_back"


@dataclass(frozen=True)
class Move:
    action: str
    source: str
    target: str


F, B = FileState, BatchState

BATCH_MOVES: tuple[Move, ...] = (
    Move("audit", B.STAGED, B.AUDITED),
    Move("audit", B.STAGED, B.AUDIT_FAILED),
    Move("audit", B.AUDIT_FAILED, B.AUDITED),
    Move("audit", B.AUDIT_FAILED, B.AUDIT_FAILED),
    Move("approve", B.AUDITED, B.APPROVED),
    Move("reject", B.AUDITED, B.REJECTED),
    Move("reject", B.AUDIT_FAILED, B.REJECTED),
    Move("reject", B.APPROVED, B.REJECTED),
    Move("publish", B.APPROVED, B.PUBLISHED),
    Move("rollback", B.PUBLISHED, B.ROLLED_BACK),
)

FILE_MOVES: tuple[Move, ...] = (
    Move("read", F.RECEIVED, F.READ),
    Move("validate", F.READ, F.VALIDATED),
    Move("refuse", F.READ, F.REFUSED),
    Move("fail", F.RECEIVED, F.FAILED),
    Move("fail", F.READ, F.FAILED),
    Move("fail", F.VALIDATED, F.FAILED),
    Move("stage", F.VALIDATED, F.STAGED),
    Move("settle", F.VALIDATED, F.SETTLED),
    Move("audit", F.STAGED, F.AUDITED),
    Move("approve", F.AUDITED, F.APPROVED),
    Move("publish", F.APPROVED, F.PUBLISHED),
    Move("reject", F.STAGED, F.REJECTED),
    Move("reject", F.AUDITED, F.REJECTED),
    Move("reject", F.APPROVED, F.REJECTED),
    Move("rollback", F.PUBLISHED, F.ROLLED_BACK),
    # the process working on it died: its unfinished work is undone, the next run resumes
    Move("resume", F.READ, F.RECEIVED),
    Move("resume", F.VALIDATED, F.RECEIVED),
    Move("resume", F.STAGED, F.RECEIVED),
    # a steward asks for it again (after fixing the cause, or to ingest it once more)
    Move("retry", F.FAILED, F.RECEIVED),
    Move("retry", F.REFUSED, F.RECEIVED),
    Move("retry", F.REJECTED, F.RECEIVED),
    Move("retry", F.ROLLED_BACK, F.RECEIVED),
    # or names a later file of the same source that takes its place (a corrected export)
    Move("replace", F.FAILED, F.REPLACED),
    Move("replace", F.REFUSED, F.REPLACED),
    Move("replace", F.REJECTED, F.REPLACED),
    Move("replace", F.ROLLED_BACK, F.REPLACED),
)

MACHINES: dict[str, tuple[Move, ...]] = {"raw_files": FILE_MOVES, "batches": BATCH_MOVES}

# A file in one of these needs nothing more from the pipeline (a person may still decide)
FILE_AT_REST = frozenset(
    {F.STAGED, F.AUDITED, F.APPROVED, F.PUBLISHED, F.SETTLED, F.REFUSED, F.FAILED}
    | {F.REJECTED, F.ROLLED_BACK, F.REPLACED}
)
FILE_IN_PROGRESS = frozenset({F.READ, F.VALIDATED})
# the file state that follows its batch's
FILE_OF_BATCH: dict[str, str] = {
    B.STAGED: F.STAGED,
    B.AUDIT_FAILED: F.STAGED,
    B.AUDITED: F.AUDITED,
    B.APPROVED: F.APPROVED,
    B.REJECTED: F.REJECTED,
    B.PUBLISHED: F.PUBLISHED,
    B.ROLLED_BACK: F.ROLLED_BACK,
}


def sources_of(machine: str, action: str, target: str | None = None) -> tuple[str, ...]:
    """The states from which `action` (to `target`, when given) is allowed."""
    return tuple(
        dict.fromkeys(
            m.source
            for m in MACHINES[machine]
            if m.action == action and (target is None or m.target == target)
        )
    )


def targets_of(machine: str, action: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m.target for m in MACHINES[machine] if m.action == action))


def mermaid(machine: str) -> str:
    """The machine as a Mermaid state diagram (docs/pipeline.md, generated)."""
    moves = MACHINES[machine]
    states: list[str] = list(FileState if machine == "raw_files" else BatchState)
    first = states[0]
    final = {s for s in states if not any(m.source == s for m in moves)}
    lines = ["stateDiagram-v2", f"    [*] --> {first}"]
    lines += [f"    {m.source} --> {m.target}: {m.action}" for m in moves]
    lines += [f"    {s} --> [*]" for s in states if s in final]
    return "\n".join(lines) + "\n"
