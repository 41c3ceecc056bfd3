"""Who is calling: a bearer token or an API key becomes a `Principal`, or is refused.

Every request reads the account behind it once (`account_state`, a primary-key read): a
disabled account, or a token older than the account's last change of password, role,
organisation or active flag (its `token_version`), is refused at once. `account_state` is the
one read to cache if that round trip ever matters (keyed by account id, with a TTL of a few
seconds: revocation then takes effect within the TTL); `authenticate_token` takes the reader
as a parameter for that, and the API passes `healthai.access.cache.AuthCache.state`.

Signing out ends one session, not the account's others: `revoke_session` writes the session's
id into `revoked_sessions`, and every token of that session (`sid`) is refused
(`session_revoked`, one primary-key read, also a parameter: the API passes
`AuthCache.revoked`, which follows the same TTL rule)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, exists, select, update
from sqlalchemy.orm import Session

from healthai.access.keys import hash_api_key
from healthai.access.principal import Principal
from healthai.access.tokens import decode_token, session_of, subject_id
from healthai.db import insert_on_conflict
from healthai.models import ApiAccount, ApiKey, RefreshToken, RevokedSession
from healthai.settings import Settings


class NotAuthenticated(Exception):
    """Missing, invalid, expired or revoked credentials (401); the message says which."""


@dataclass(frozen=True)
class AccountState:
    """What authentication needs to know about an account, read on every request."""

    id: int
    username: str
    role: str
    organisation_id: int | None
    is_active: bool
    token_version: int

    def principal(self, api_key: str | None = None) -> Principal:
        return Principal(self.id, self.username, self.role, self.organisation_id, api_key)


StateReader = Callable[[Session, int], AccountState | None]
RevokedReader = Callable[[Session, str], bool]
# A token of a signed-out session issued while the sign-out was being written expires at most
# this much after the tokens the row was sized for.
REVOCATION_MARGIN = timedelta(minutes=1)


def account_state(session: Session, account_id: int) -> AccountState | None:
    """The account's current state, or None when it does not exist."""
    row = session.execute(
        select(
            ApiAccount.id,
            ApiAccount.username,
            ApiAccount.role,
            ApiAccount.organisation_id,
            ApiAccount.is_active,
            ApiAccount.token_version,
        ).where(ApiAccount.id == account_id)
    ).one_or_none()
    return AccountState(*row) if row is not None else None


def session_revoked(session: Session, session_id: str) -> bool:
    """Whether the session was signed out."""
    return bool(session.scalar(select(exists().where(RevokedSession.session_id == session_id))))


def state_of(account: ApiAccount) -> AccountState:
    return AccountState(
        account.id,
        account.username,
        account.role,
        account.organisation_id,
        account.is_active,
        account.token_version,
    )


def verify_token(
    session: Session,
    settings: Settings,
    token: str,
    kind: str = "access",
    state: StateReader = account_state,
    revoked: RevokedReader = session_revoked,
) -> tuple[AccountState, dict[str, Any]]:
    """The active account a token of `kind` was issued to and the token's claims, if it is
    still valid (signature, expiry, subject, the account's current token version, and its
    session not signed out)."""
    claims = decode_token(settings, token, kind)
    if claims is None:
        raise NotAuthenticated("invalid or expired token")
    account = state(session, subject_id(claims))  # type: ignore[arg-type]
    if account is None or not account.is_active or claims["ver"] != account.token_version:
        raise NotAuthenticated("invalid or expired token")
    if revoked(session, session_of(claims)):
        raise NotAuthenticated("signed out")
    return account, claims


def authenticate_token(
    session: Session,
    settings: Settings,
    token: str,
    state: StateReader = account_state,
    revoked: RevokedReader = session_revoked,
) -> Principal:
    """The caller an access token names (see `verify_token`)."""
    return verify_token(session, settings, token, "access", state, revoked)[0].principal()


def authenticate_api_key(session: Session, key: str) -> Principal:
    """The account an API key acts as (a revoked key, or one whose owner is disabled, is
    refused)."""
    row = session.execute(
        select(ApiKey.name, ApiKey.revoked_at, ApiAccount)
        .join(ApiAccount, ApiAccount.id == ApiKey.account_id)
        .where(ApiKey.key_hash == hash_api_key(key))
    ).one_or_none()
    if row is None or row.revoked_at is not None or not row.ApiAccount.is_active:
        raise NotAuthenticated("invalid or revoked API key")
    return state_of(row.ApiAccount).principal(api_key=row.name)


def revoke_tokens(session: Session, account_id: int) -> None:
    """End every session of the account: its token version moves on (every access and
    refresh token issued before is refused) and its refresh tokens are marked revoked. Call
    it in the unit of work that changes the password, role, organisation or active flag."""
    session.execute(
        update(ApiAccount)
        .where(ApiAccount.id == account_id)
        .values(token_version=ApiAccount.token_version + 1)
    )
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    # this process's authentication caches read the account again (now and once committed,
    # so that no request in between keeps the former state); others within their TTL
    from healthai.access import cache

    cache.forget_account(account_id)
    event.listen(session, "after_commit", lambda _s: cache.forget_account(account_id), once=True)


def revoke_session(
    session: Session, settings: Settings, account_id: int, session_id: str, refresh: bool = False
) -> None:
    """Sign one session out (in the caller's transaction): every token carrying `session_id`
    is refused from now on, the account's other sessions go on. The row is kept while a token
    of the session could still be valid: an access token's lifetime (a session is extended
    only while valid, and no more once revoked), a refresh token's with `refresh`. Rows whose
    tokens expired are deleted on the way. Signing out twice is not an error."""
    now = datetime.now(UTC)
    lifetime = (
        timedelta(days=settings.refresh_token_days)
        if refresh
        else timedelta(minutes=settings.access_token_minutes)
    )
    session.execute(
        delete(RevokedSession)
        .where(RevokedSession.expires_at < now)
        .execution_options(synchronize_session=False)
    )
    values = {
        "session_id": session_id,
        "account_id": account_id,
        "revoked_at": now,
        "expires_at": now + lifetime + REVOCATION_MARGIN,
    }
    insert = insert_on_conflict(session.get_bind().dialect.name, RevokedSession)
    session.execute(insert.values(values).on_conflict_do_nothing())
    # this process's authentication caches check the session again (now and once committed,
    # so that no request in between keeps it as valid); others within their TTL
    from healthai.access import cache

    cache.forget_session(session_id)
    event.listen(session, "after_commit", lambda _s: cache.forget_session(session_id), once=True)
