"""Signing in and out: password check behind the rate limits, token pairs, atomic rotation of
refresh tokens, and signing one session out (`sign_out`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from healthai.access import ratelimit
from healthai.access.authenticate import (
    AccountState,
    NotAuthenticated,
    revoke_session,
    state_of,
    verify_token,
)
from healthai.access.passwords import verify_password
from healthai.access.tokens import create_token, decode_token, session_of
from healthai.access.usernames import lookup_name
from healthai.models import ApiAccount, RefreshToken
from healthai.settings import Settings

BAD_CREDENTIALS = "wrong username or password"


class BadCredentials(Exception):
    """Unknown account, wrong password or disabled account: one message for all three, so
    that the answer tells nothing about which (no password oracle)."""

    def __init__(self) -> None:
        super().__init__(BAD_CREDENTIALS)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds until the access token expires


def sign_in(
    session: Session, settings: Settings, username: str, password: str, client: str
) -> AccountState:
    """The account `username` names, if `password` is its password and it is active; raises
    `ratelimit.RateLimited` or `BadCredentials`. Commits `session`."""
    attempt = ratelimit.begin(session, settings, client, username)
    name = lookup_name(username)
    account = (
        session.scalar(select(ApiAccount).where(ApiAccount.username == name)) if name else None
    )
    # End the read: no transaction held through the Argon2 check, and the writes below start
    # their own (SQLite refuses, without waiting, to turn a reading transaction into a
    # writing one while another connection writes).
    session.commit()
    if not verify_password(password, account.password_hash if account else None):
        raise BadCredentials()
    if not account.is_active:  # type: ignore[union-attr]
        raise BadCredentials()
    ratelimit.succeeded(session, attempt)
    session.commit()
    return state_of(account)  # type: ignore[arg-type]


def access_token(settings: Settings, account: AccountState, session_id: str | None = None) -> str:
    """An access token of session `session_id` (None: a new session)."""
    token, _jti, _expires = create_token(
        settings, account.id, account.token_version, "access", session_id
    )
    return token


def session_expiry(settings: Settings, token: str | None) -> datetime | None:
    """When an access token (the web interface's session) expires; None when it is not a
    valid access token (signature, kind, subject). Reads no database."""
    claims = decode_token(settings, token, "access") if token else None
    return datetime.fromtimestamp(claims["exp"], UTC) if claims else None


def extend_session(session: Session, settings: Settings, token: str) -> tuple[str, datetime] | None:
    """A fresh access token for the account an access token names, and when it expires; None
    when the token is no longer valid (expired, revoked by a change of the account, account
    disabled, session signed out): a session can be prolonged, never revived. The fresh token
    is of the same session: signing out ends it too."""
    try:
        account, claims = verify_token(session, settings, token, "access")
    except NotAuthenticated:
        return None
    fresh, _jti, expires = create_token(
        settings, account.id, account.token_version, "access", session_of(claims)
    )
    return fresh, expires


def issue_tokens(
    session: Session, settings: Settings, account: AccountState, session_id: str | None = None
) -> TokenPair:
    """A new access token and a new refresh token (recorded, so that it can be rotated and
    revoked), committed; both of session `session_id` (None: a new session)."""
    refresh, jti, expires = create_token(
        settings, account.id, account.token_version, "refresh", session_id
    )
    session.add(RefreshToken(jti=jti, account_id=account.id, expires_at=expires))
    session.commit()
    return TokenPair(
        access_token(settings, account, session_id or jti),
        refresh,
        settings.access_token_minutes * 60,
    )


def rotate(session: Session, settings: Settings, refresh_token: str) -> TokenPair:
    """Trade a refresh token for a new pair, once: the token is revoked by one conditional
    update (`revoked_at IS NULL`), so of any number of simultaneous uses exactly one gets a
    pair; the others, like any revoked, expired, foreign or outdated token, raise
    `NotAuthenticated`."""
    account, claims = verify_token(session, settings, refresh_token, "refresh")
    session.commit()  # end the read: the update below starts a writing transaction
    now = datetime.now(UTC)
    revoked = cast(
        CursorResult[Any],
        session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.jti == claims["jti"],
                RefreshToken.account_id == account.id,
                RefreshToken.revoked_at.is_(None),
                RefreshToken.expires_at > now,
            )
            .values(revoked_at=now)
            .execution_options(synchronize_session=False),
        ),
    )
    if revoked.rowcount != 1:
        session.rollback()
        raise NotAuthenticated("invalid, expired or revoked refresh token")
    return issue_tokens(session, settings, account, session_of(claims))


def sign_out(
    session: Session, settings: Settings, token: str | None, refresh: bool = False
) -> bool:
    """End the session of a valid access token (the web interface's cookie, an API caller's
    bearer token): it and every token of its session (extensions, refresh rotations with
    `refresh`) are refused from now on, the account's other sessions go on. Commits. False,
    and nothing written, when the token is not a valid access token (missing, forged, expired,
    of another kind, already signed out, outdated by a change of the account)."""
    if not token:
        return False
    try:
        account, claims = verify_token(session, settings, token, "access")
    except NotAuthenticated:
        session.rollback()
        return False
    session.commit()  # end the read: the writes below start their own transaction
    revoke_session(session, settings, account.id, session_of(claims), refresh)
    session.commit()
    return True


def sign_out_everywhere(session: Session, account_id: int) -> None:
    """Revoke every refresh token of the account (in the caller's transaction); its access
    tokens expire by themselves within minutes."""
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
