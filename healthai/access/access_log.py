"""The personal-data access log (RGPD accountability): every read, export or erasure of
personal data, by the API or the web interface, is one row of `personal_data_access`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from healthai.access.principal import Principal
from healthai.models import PersonalDataAccess


def log_personal_access(
    session: Session,
    principal: Principal,
    action: str,
    resource: str,
    path: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record that `principal` did `action` (read, export, erase) on `resource` (a table)
    through `path` (the request path or the page), in the caller's unit of work."""
    session.add(
        PersonalDataAccess(
            at=datetime.now(UTC),
            actor=str(principal.actor),
            role=principal.role,
            action=action,
            resource=resource,
            path=path[:500],
            detail=detail or {},
        )
    )


def log_personal_read(
    session: Session,
    principal: Principal,
    resource: str,
    path: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record a read of personal data and commit it. On PostgreSQL the commit does not wait for
    the WAL flush (`SET LOCAL synchronous_commit = off`, this transaction only): a crash of the
    database server can lose the last fraction of a second of read entries (at most three times
    `wal_writer_delay`, 0.6 s by default), never corrupt the log nor lose a write, and a read no
    longer waits for a disk flush. Writes, exports and erasures commit synchronously."""
    log_personal_access(session, principal, "read", resource, path, detail)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit = off"))
    session.commit()
