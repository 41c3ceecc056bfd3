"""OAuth2 password flow: short-lived JWT access tokens, rotating refresh tokens, logout."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select, update

from api.deps import SessionDep, SettingsDep, require
from api.errors import error_responses
from api.schemas.auth import Me, RefreshRequest, Token
from api.security import Principal, create_token, decode_token, verify_password
from healthai import ratelimit
from healthai.models import ApiAccount, RefreshToken

router = APIRouter(prefix="/auth", tags=["auth"])


def _issue(session: SessionDep, settings: SettingsDep, account: ApiAccount) -> Token:
    access, _, _ = create_token(settings, account.id, account.role, "access")
    refresh, jti, expires = create_token(settings, account.id, account.role, "refresh")
    session.add(RefreshToken(jti=jti, account_id=account.id, expires_at=expires))
    session.commit()
    return Token(
        access_token=access, refresh_token=refresh, expires_in=settings.access_token_minutes * 60
    )


def _bad_credentials(detail: str = "wrong username or password") -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


@router.post(
    "/token",
    response_model=Token,
    summary="Sign in (OAuth2 password flow)",
    description="Exchange a username and password for a short-lived access token and a "
    "refresh token. Rate limited per client address and username (sliding window counted in "
    "the database, so shared by every worker and replica): over the limit the answer is 429 "
    "with `Retry-After`.",
    responses=error_responses(401, 422, 429),
)
def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    client = request.client.host if request.client else "unknown"
    key = ratelimit.attempt_key(settings, client, form.username)
    wait = ratelimit.hit(session, settings, key)
    if wait is not None:
        raise HTTPException(
            status_code=429,
            detail="too many sign-in attempts; try again later",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    account = session.scalar(select(ApiAccount).where(ApiAccount.username == form.username))
    # End the read: no transaction held through the Argon2 check, and the refresh token's
    # insert starts its own (SQLite refuses, without waiting, to turn a reading transaction
    # into a writing one while another connection writes).
    session.commit()
    if not verify_password(form.password, account.password_hash if account else None):
        raise _bad_credentials()
    if not account.is_active:
        raise _bad_credentials("account disabled")
    ratelimit.clear(session, key)
    return _issue(session, settings, account)


@router.post(
    "/refresh",
    response_model=Token,
    summary="Renew the tokens",
    description="Trade a valid refresh token for a new pair; the old refresh token is revoked "
    "(rotation), so a stolen one works at most once.",
    responses=error_responses(401, 422),
)
def refresh(body: RefreshRequest, session: SessionDep, settings: SettingsDep) -> Token:
    claims = decode_token(settings, body.refresh_token, "refresh")
    stored = session.get(RefreshToken, claims["jti"]) if claims else None
    if claims is None or stored is None or stored.revoked_at is not None:
        raise _bad_credentials("invalid, expired or revoked refresh token")
    account = session.get(ApiAccount, stored.account_id)
    if account is None or not account.is_active:
        raise _bad_credentials("account unknown or disabled")
    stored.revoked_at = datetime.now(UTC)
    return _issue(session, settings, account)


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    summary="Sign out everywhere",
    description="Revoke every refresh token of the calling account (access tokens expire "
    "by themselves within minutes).",
    responses=error_responses(401, 403),
)
def logout(session: SessionDep, principal: Annotated[Principal, require()]) -> Response:
    if principal.kind == "account":
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.account_id == principal.id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        session.commit()
    return Response(status_code=204)


@router.get(
    "/me",
    response_model=Me,
    summary="Who am I",
    description="The calling account or API key, its role, organisation and scopes.",
    responses=error_responses(401),
)
def me(principal: Annotated[Principal, require()]) -> Me:
    return Me(
        kind=principal.kind,
        name=principal.name,
        role=principal.role,
        organisation_id=principal.organisation_id,
        scopes=sorted(principal.scopes),
    )
