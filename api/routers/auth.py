"""OAuth2 password flow: short-lived JWT access tokens, rotating refresh tokens, logout. The
rules (rate limits, password check, token versions, rotation) are the shared access policy's
(`healthai.access`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import SessionDep, SettingsDep, oauth2_scheme, require
from api.errors import error_responses
from api.schemas.auth import Me, RefreshRequest, Token
from healthai import access
from healthai.access import Principal

router = APIRouter(prefix="/auth", tags=["auth"])


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def _token(pair: access.TokenPair) -> Token:
    return Token(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
    )


@router.post(
    "/token",
    response_model=Token,
    summary="Sign in (OAuth2 password flow)",
    description="Exchange a username and password for a short-lived access token and a "
    "refresh token. Rate limited per username (from any address) and per client address (for "
    "any username), counted in the database (shared by every worker and replica): over a "
    "limit the answer is 429 with `Retry-After`, whether the account exists or not. An unknown "
    "username, a wrong password and a disabled account get the same 401.",
    responses=error_responses(401, 422, 429),
)
def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    client = access.client_address(
        settings,
        request.client.host if request.client else None,
        ",".join(request.headers.getlist("x-forwarded-for")) or None,
    )
    try:
        account = access.sign_in(session, settings, form.username, form.password, client)
    except access.RateLimited as exc:
        raise HTTPException(
            status_code=429,
            detail="too many sign-in attempts; try again later",
            headers={"Retry-After": str(int(exc.wait_s) + 1)},
        ) from exc
    except access.BadCredentials as exc:
        raise _unauthorized(access.BAD_CREDENTIALS) from exc
    return _token(access.issue_tokens(session, settings, account))


@router.post(
    "/refresh",
    response_model=Token,
    summary="Renew the tokens",
    description="Trade a valid refresh token for a new pair; the old refresh token is revoked "
    "(rotation, one conditional update: of simultaneous uses of one token exactly one "
    "succeeds), so a stolen one works at most once. A change of the account's password, role, "
    "organisation or active flag revokes every refresh token it had.",
    responses=error_responses(401, 422),
)
def refresh(body: RefreshRequest, session: SessionDep, settings: SettingsDep) -> Token:
    try:
        return _token(access.rotate(session, settings, body.refresh_token))
    except access.NotAuthenticated as exc:
        raise _unauthorized("invalid, expired or revoked refresh token") from exc


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    summary="Sign out",
    description="End the session of the presented access token: it, the tokens it was "
    "refreshed from and any refreshed from it are refused from now on (at once by this "
    "worker, within `AUTH_CACHE_TTL_S` seconds by every other worker and replica); and revoke "
    "every refresh token of the calling account, as before (its other access tokens, of other "
    "sign-ins, expire by themselves within minutes). Called with an API key, nothing changes "
    "(revoke the key instead).",
    responses=error_responses(401, 403),
)
def logout(
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, require()],
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Response:
    if principal.kind == "account":
        access.sign_out(session, settings, token, refresh=True)
        access.sign_out_everywhere(session, principal.account_id)
        session.commit()
    return Response(status_code=204)


@router.get(
    "/me",
    response_model=Me,
    summary="Who am I",
    description="The calling account (for an API key: the account that owns it, and the "
    "key's name), its role, organisation and scopes.",
    responses=error_responses(401),
)
def me(principal: Annotated[Principal, require()]) -> Me:
    return Me(
        kind=principal.kind,
        name=principal.username,
        api_key=principal.api_key,
        role=principal.role,
        organisation_id=principal.organisation_id,
        scopes=sorted(principal.scopes),
    )
