"""The pipeline's own tables: sources, raw files, runs, batches, checks, quarantine, audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CHAR,
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthai.models.base import Base, Timestamped, pk, utcnow
from healthai.models.vocab import (
    BATCH_STATUSES,
    FILE_STATES,
    QUARANTINE_STATUSES,
    RUN_STATUSES,
    VERSION_KINDS,
    in_,
)


class Source(Base):
    """A declared source (mirrors `healthai.sources` declarations, refreshed at each run)."""

    __tablename__ = "sources"

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(500))
    owner: Mapped[str] = mapped_column(String(120))
    licence: Mapped[str] = mapped_column(String(300))
    update_frequency: Mapped[str] = mapped_column(String(40))
    auto_approve: Mapped[bool] = mapped_column(Boolean, default=False)


class RawFile(Timestamped, Base):
    """An ingested file kept immutable under its content hash."""

    __tablename__ = "raw_files"
    __table_args__ = (
        UniqueConstraint("source_id", "sha256"),
        in_("state", FILE_STATES, "state_known"),
        Index("ix_raw_files_state", "state"),
    )

    id: Mapped[int] = pk()
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    sha256: Mapped[str] = mapped_column(CHAR(64))
    original_name: Mapped[str] = mapped_column(String(500))
    stored_path: Mapped[str] = mapped_column(String(1000))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content_sha256: Mapped[str | None] = mapped_column(
        CHAR(64),
        index=True,
        comment="SHA-256 of the stored bytes once an erasure rewrote the file without a "
        "person's records (NULL: never rewritten; `sha256` stays the fingerprint of what "
        "came in). A file with either fingerprint is known and not ingested again.",
    )
    state: Mapped[str] = mapped_column(
        String(12),
        default="received",
        server_default=text("'received'"),
        comment="Where the file stands in its life cycle (healthai.pipeline.lifecycle_states); "
        "changed only by healthai.pipeline.lifecycle.",
    )
    state_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state_by: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(Text, comment="Why it failed or was refused.")
    run_id: Mapped[int | None] = mapped_column(
        Integer,
        comment="The ingestion run that last claimed it (no foreign key: runs name their file).",
    )
    replaced_by_id: Mapped[int | None] = mapped_column(
        Integer,
        comment="The later file of the same source a steward named as this one's replacement "
        "(state replaced).",
    )


class IngestionRun(Base):
    """One ingestion of one source: what came in and where every row went."""

    __tablename__ = "ingestion_runs"
    __table_args__ = (
        in_("status", RUN_STATUSES, "status_known"),
        CheckConstraint(
            "status = 'running' OR status = 'failed' OR rows_in = rows_published + "
            "rows_quarantined + rows_duplicate + rows_pending + rows_erased",
            name="rows_add_up",
        ),
        Index("ix_ingestion_runs_source_id_started_at", "source_id", "started_at"),
    )

    id: Mapped[int] = pk()
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    dagster_run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    raw_file_id: Mapped[int | None] = mapped_column(ForeignKey("raw_files.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(12), default="running")
    rows_in: Mapped[int] = mapped_column(Integer, default=0)
    rows_published: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rows_pending: Mapped[int] = mapped_column(
        Integer, default=0, comment="Staged rows waiting for approval (not yet published)."
    )
    rows_erased: Mapped[int] = mapped_column(
        Integer,
        default=0,
        server_default=text("0"),
        comment="Records published, quarantined or pending, later erased with their person "
        "(right to erasure).",
    )
    error: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(
        String(200),
        comment="host:pid:start of the process running it (healthai.pipeline.runs): a run "
        "whose process is gone is closed as failed, never left running.",
    )
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    source: Mapped[Source] = relationship()


class Batch(Timestamped, Base):
    """Cleaned rows of one run, staged then audited, approved and published as one unit."""

    __tablename__ = "batches"
    __table_args__ = (
        in_("status", BATCH_STATUSES, "status_known"),
        Index("ix_batches_source_id_status", "source_id", "status"),
    )

    id: Mapped[int] = pk()
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingestion_runs.id"))
    raw_file_id: Mapped[int | None] = mapped_column(ForeignKey("raw_files.id"))
    source_sha256: Mapped[str | None] = mapped_column(
        CHAR(64),
        comment="SHA-256 of the source file or API response of every row staged in the batch; "
        "publication writes it into each row's lineage.",
    )
    status: Mapped[str] = mapped_column(String(12), default="staged")
    rows_staged: Mapped[int] = mapped_column(Integer, default=0)
    rows_by_table: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    audited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rolled_back_by: Mapped[str | None] = mapped_column(String(120))
    rolled_back_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_version: Mapped[int | None] = mapped_column(
        Integer, comment="Dataset version its publication made (its rows are visible from it)."
    )
    rolled_back_version: Mapped[int | None] = mapped_column(
        Integer, comment="Dataset version its rollback made (its rows are visible before it)."
    )

    source: Mapped[Source] = relationship()
    checks: Mapped[list[BatchCheck]] = relationship(cascade="all, delete-orphan")


class BatchCheck(Base):
    """One audit check's result on one batch."""

    __tablename__ = "batch_checks"
    __table_args__ = (UniqueConstraint("batch_id", "name"),)

    id: Mapped[int] = pk()
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    passed: Mapped[bool] = mapped_column(Boolean)
    blocking: Mapped[bool] = mapped_column(Boolean, default=True)
    observed: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuarantinedRow(Timestamped, Base):
    """An input row that broke a rule, kept whole with every reason. The same row brought
    again (by another file, or twice in one) is not quarantined twice: it is linked to this one
    (`quarantine_repeats`) and counted as a duplicate of its run."""

    __tablename__ = "quarantined_rows"
    __table_args__ = (
        in_("status", QUARANTINE_STATUSES, "status_known"),
        Index("ix_quarantined_rows_source_id_status", "source_id", "status"),
        Index("ix_quarantined_rows_source_id_fingerprint", "source_id", "fingerprint"),
    )

    id: Mapped[int] = pk()
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("ingestion_runs.id"), index=True)
    source_sha256: Mapped[str] = mapped_column(CHAR(64))
    source_record: Mapped[str] = mapped_column(String(200))
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, comment="The untouched source row.")
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, comment="Every broken rule: [{rule, column, value}]."
    )
    status: Mapped[str] = mapped_column(String(10), default="open")
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    requeued_batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    fingerprint: Mapped[str | None] = mapped_column(
        CHAR(64),
        comment="SHA-256 of the untouched row (its values, not its place in the file): the same "
        "bad row brought again is linked here, not quarantined twice.",
    )


class QuarantineRepeat(Base):
    """A bad row identical to one already in quarantine, brought again by a file (or twice by
    one): where it came from, linked to the row a steward fixes once. Counted as a duplicate
    in its run."""

    __tablename__ = "quarantine_repeats"

    id: Mapped[int] = pk()
    quarantined_row_id: Mapped[int] = mapped_column(
        ForeignKey("quarantined_rows.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[int] = mapped_column(ForeignKey("ingestion_runs.id"), index=True)
    source_sha256: Mapped[str] = mapped_column(CHAR(64))
    source_record: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditLog(Base):
    """Every manual action: corrections (before/after), approvals, rejections, rollbacks."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity_entity_id", "entity", "entity_id"),)

    id: Mapped[int] = pk()
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    actor_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_accounts.id"),
        comment="The person's account behind `actor` (an API key's owner); None for the "
        "pipeline. Four eyes compares these, never names.",
    )
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(120))
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)


class Erasure(Base):
    """One erasure of a person (RGPD article 17): who, when, and what was removed where. The
    person is named only by `subject`, a keyed fingerprint of their natural key that proves the
    erasure to whoever knows that key and the secret, and names nobody to anyone else."""

    __tablename__ = "erasures"

    id: Mapped[int] = pk()
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(
        CHAR(64),
        index=True,
        comment="HMAC-SHA256, keyed with PSEUDONYM_SECRET, of `erased:<users.external_key>`.",
    )
    detail: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, comment="Rows removed per table, log entries cleared, files rewritten."
    )


class DatasetVersion(Base):
    """One version of the published data: every change of it (publication, rollback,
    correction, erasure, API write) makes the next one, in its own transaction
    (healthai.pipeline.versions)."""

    __tablename__ = "dataset_versions"
    __table_args__ = (in_("kind", VERSION_KINDS, "kind_known"),)

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    actor: Mapped[str | None] = mapped_column(String(120))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
