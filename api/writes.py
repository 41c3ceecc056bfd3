"""Writes through the API keep the platform's rules: every published row has lineage (the
standing "manual entries" batch of the `api` source) and every write is in the audit log."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from healthai.access import actor_columns
from healthai.models import HISTORY, AuditLog, Batch, Source
from healthai.pipeline import versions

API_SOURCE = "api"


def manual_batch(session: Session) -> Batch:
    """The published batch holding rows written through the API (created once, lazily)."""
    source = session.scalar(select(Source).where(Source.name == API_SOURCE))
    if source is None:
        source = Source(
            name=API_SOURCE,
            title="Manual entries through the REST API",
            format="json",
            location="/",
            owner="API callers (audit_log says who)",
            licence="internal",
            update_frequency="continuous",
            auto_approve=False,
        )
        session.add(source)
        session.flush()
    batch = session.scalar(
        select(Batch)
        .where(Batch.source_id == source.id, Batch.status == "published")
        .order_by(Batch.id)
        .limit(1)
    )
    if batch is None:
        now = datetime.now(UTC)
        batch = Batch(
            source_id=source.id,
            # its rows are versioned one by one (since_version), the batch from the start
            source_sha256=hashlib.sha256(b"healthai:api:manual-entries").hexdigest(),
            published_version=0,
            status="published",
            rows_by_table={},
            decided_by="api",
            decided_at=now,
            decision_comment="standing batch of manual entries through the API",
            published_at=now,
        )
        session.add(batch)
        session.flush()
    return batch


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def row_dict(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in inspect(row).mapper.column_attrs}


def set_lineage(session: Session, row: Any, payload: dict[str, Any], actor: str) -> None:
    """Lineage of a row written through the API, and the dataset version it makes."""
    batch = manual_batch(session)
    body = json.dumps(_jsonable(payload), sort_keys=True).encode()
    row.batch_id = batch.id
    row.source_sha256 = hashlib.sha256(body).hexdigest()
    row.source_record = f"api:{actor}:{datetime.now(UTC).isoformat()}"[:200]
    row.since_version = versions.bump(
        session, "api_write", actor=actor, detail={"table": row.__tablename__, "op": "insert"}
    )


def version_change(session: Session, row: Any, actor: str, op: str) -> None:
    """An API change or deletion of a published row: the next dataset version, and the row's
    previous state kept for as-of reads of the versions before it."""
    table = row.__table__
    v = versions.bump(session, "api_write", actor=actor, detail={"table": table.name, "op": op})
    if table.name in HISTORY:
        versions.keep_history(session, table, table.c.id == row.id, v)
        if op == "update":
            row.since_version = v


def audit(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    comment: str | None = None,
) -> None:
    session.add(
        AuditLog(
            **actor_columns(actor),
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=_jsonable(before) if before is not None else None,
            after=_jsonable(after) if after is not None else None,
            comment=comment,
        )
    )
