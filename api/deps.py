"""Dependencies: the database session, the caller (JWT bearer or API key), scope checks, the
partner's tenant, and the personal-data access log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer, SecurityScopes
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.security import SCOPES, Principal, decode_token, hash_api_key
from healthai.models import ApiAccount, ApiKey, PersonalDataAccess
from healthai.settings import Settings

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="/auth/token", scopes=SCOPES, auto_error=False, scheme_name="OAuth2Password"
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="ApiKey",
    description="Key of a machine client, created by an admin (`POST /api-keys`).",
)


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; routes commit their own unit of work."""
    with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _unauthorized(detail: str, scopes: SecurityScopes) -> HTTPException:
    value = f'Bearer scope="{scopes.scope_str}"' if scopes.scopes else "Bearer"
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": value})


def get_principal(
    security_scopes: SecurityScopes,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    principal: Principal | None = None
    if token:
        claims = decode_token(settings, token, "access")
        if claims is None:
            raise _unauthorized("invalid or expired token", security_scopes)
        account = session.get(ApiAccount, int(claims["sub"]))
        if account is None or not account.is_active:
            raise _unauthorized("account unknown or disabled", security_scopes)
        principal = Principal(
            "account", account.id, account.username, account.role, account.organisation_id
        )
    elif api_key:
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(api_key)))
        if key is None or key.revoked_at is not None:
            raise _unauthorized("invalid or revoked API key", security_scopes)
        principal = Principal("api_key", key.id, key.name, key.role, key.organisation_id)
    if principal is None:
        raise _unauthorized("not authenticated", security_scopes)
    missing = [s for s in security_scopes.scopes if s not in principal.scopes]
    if missing:
        raise HTTPException(
            status_code=403,
            detail=f"the {principal.role} role may not do this (needs {', '.join(missing)})",
        )
    return principal


def require(*scopes: str) -> Any:
    """A dependency admitting only callers whose role grants every scope (default deny:
    a route without it is only reachable when it says so explicitly, e.g. /health)."""
    return Security(get_principal, scopes=list(scopes))


def tenant_of(principal: Principal) -> int | None:
    return principal.tenant


def log_personal_access(
    session: Session,
    principal: Principal,
    request: Request,
    action: str,
    resource: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record a read, export or erasure of personal data (committed with the caller's unit
    of work; a read is logged and committed by `log_personal_read`)."""
    session.add(
        PersonalDataAccess(
            at=datetime.now(UTC),
            actor=principal.actor,
            role=principal.role,
            action=action,
            resource=resource,
            path=str(request.url.path)[:500],
            detail=detail or {},
        )
    )


def log_personal_read(
    session: Session,
    principal: Principal,
    request: Request,
    resource: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record a read of personal data and commit it. On PostgreSQL the commit does not wait for
    the WAL flush (`SET LOCAL synchronous_commit = off`, this transaction only): a crash of the
    database server can lose the last fraction of a second of read entries (at most three times
    `wal_writer_delay`, 0.6 s by default), never corrupt the log nor lose a write, and a read no
    longer waits for a disk flush. Writes, exports and erasures commit synchronously."""
    log_personal_access(session, principal, request, "read", resource, detail)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit = off"))
    session.commit()
