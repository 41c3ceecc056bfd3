"""The personal-data access log (RGPD accountability): every read, export or erasure of
personal data, by the API or the web interface, is one row of `personal_data_access`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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
    """Record a read of personal data and commit it (synchronously: a committed entry
    survives a crash of the database server). The API's reads go through the group commit of
    `healthai.access.log_writer` instead (one flush for many concurrent reads)."""
    log_personal_access(session, principal, "read", resource, path, detail)
    session.commit()
