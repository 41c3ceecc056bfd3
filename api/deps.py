"""Dependencies: the database session, the caller (JWT bearer or API key, through the shared
access policy `healthai.access`) and scope checks.

The caller is found without a database round trip when the process has seen the account or
the key in the last AUTH_CACHE_TTL_S seconds (`healthai.access.cache`): revocation takes effect
within that delay in every worker and replica, at once in the worker that made the change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer, SecurityScopes
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from healthai import access
from healthai.access import Principal
from healthai.access.cache import AuthCache
from healthai.settings import Settings

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="/auth/token", scopes=access.SCOPES, auto_error=False, scheme_name="OAuth2Password"
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="ApiKey",
    description="Key of a machine client, created by an admin (`POST /api-keys`); it acts as "
    "the account that owns it.",
)


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; routes commit their own unit of work. Closing it rolls back
    whatever a failed request left open and returns the connection to the pool."""
    with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for a route that only reads: its statements run outside a transaction on
    PostgreSQL (healthai.db.reading), so it must not write."""
    with request.app.state.read_sessions() as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session)]


def _unauthorized(detail: str, scopes: SecurityScopes) -> HTTPException:
    value = f'Bearer scope="{scopes.scope_str}"' if scopes.scopes else "Bearer"
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": value})


async def get_principal(
    security_scopes: SecurityScopes,
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    state = request.app.state
    cache: AuthCache = state.auth_cache
    try:
        principal = cache.cached(state.settings, token, api_key)
        if principal is None:  # not seen lately: one read, in a worker thread
            principal = await run_in_threadpool(
                cache.authenticate, state.sessionmaker, state.settings, token, api_key
            )
    except access.NotAuthenticated as exc:
        raise _unauthorized(str(exc), security_scopes) from exc
    missing = [s for s in security_scopes.scopes if not principal.can(s)]
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
