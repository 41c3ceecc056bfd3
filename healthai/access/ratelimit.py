"""Sign-in rate limits, shared by every API worker, replica and the web interface: each
attempt is two rows of `login_attempts` in the platform's database, one counted against the
username (from any address: no guessing one account's password from many addresses) and one
against the client address (for any username: no password spraying from one address). The
answer is the same whether the account exists or not.

An attempt is written and committed before its window is counted, so two processes racing on
the same key each see the other's attempt: at most `limit` attempts pass per window (a race
may refuse one more than strictly needed, never let one more through). A refused attempt is
removed again, so hammering does not extend the wait. A successful sign-in removes its own two
rows and the username's earlier failures (the limit bounds guesses, not a person signing in
again), never other attempts from its address: an attacker holding one account cannot reset
the address's count with it. Rows older than the window are deleted at every attempt: the
table holds at most one window of attempts. The keys are HMACs (never an address or a username
in clear)."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from healthai.models.accounts import LoginAttempt
from healthai.settings import Settings


class RateLimited(Exception):
    """Too many sign-in attempts; `wait_s` is the time until one is allowed again."""

    def __init__(self, wait_s: float) -> None:
        super().__init__(f"too many sign-in attempts; retry in {wait_s:.0f} s")
        self.wait_s = wait_s


def _key(settings: Settings, kind: str, value: str) -> str:
    message = f"{kind}|{value}".encode("utf-8", "surrogatepass")
    return hmac.new(settings.pseudonym_secret.encode(), message, hashlib.sha256).hexdigest()


def username_key(settings: Settings, username: str) -> str:
    """The key counting a username's attempts (NFKC, case-folded: one per spelling of a
    person's name, existing or not)."""
    folded = unicodedata.normalize("NFKC", username).casefold().strip()
    return _key(settings, "user", folded)


def address_key(settings: Settings, client: str) -> str:
    return _key(settings, "addr", client)


@dataclass(frozen=True)
class Attempt:
    """A counted attempt: its two rows, and the username's key."""

    ids: tuple[int, ...]
    user_key: str


def _wait(session: Session, key: str, since: datetime, now: datetime, window: timedelta) -> float:
    oldest = session.scalar(
        select(func.min(LoginAttempt.at)).where(LoginAttempt.key == key, LoginAttempt.at > since)
    )
    if oldest is None:
        return 0.0
    oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)  # SQLite: naive UTC
    return max(0.0, (oldest + window - now).total_seconds())


def begin(session: Session, settings: Settings, client: str, username: str) -> Attempt:
    """Count a sign-in attempt from `client` for `username`; raises `RateLimited` when either
    limit is exceeded (`LOGIN_RATE_LIMIT` per username, `LOGIN_ADDRESS_RATE_LIMIT` per
    address, per `LOGIN_RATE_WINDOW_S`). Commits `session` and leaves it outside any
    transaction."""
    window = timedelta(seconds=settings.login_rate_window_s)
    now = datetime.now(UTC)
    since = now - window
    user_key, addr_key = username_key(settings, username), address_key(settings, client)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at <= since))
    rows = [LoginAttempt(key=user_key, at=now), LoginAttempt(key=addr_key, at=now)]
    session.add_all(rows)
    session.commit()
    limits = {user_key: settings.login_rate_limit, addr_key: settings.login_address_rate_limit}
    counts = dict(
        session.execute(
            select(LoginAttempt.key, func.count())
            .where(LoginAttempt.key.in_(limits), LoginAttempt.at > since)
            .group_by(LoginAttempt.key)
        ).all()
    )
    over = [key for key, limit in limits.items() if counts.get(key, 0) > limit]
    wait = max((_wait(session, key, since, now, window) for key in over), default=0.0)
    # End the read before any write: SQLite refuses (busy, no wait) to turn a reading
    # transaction into a writing one while another connection writes.
    session.commit()
    attempt = Attempt(tuple(r.id for r in rows), user_key)
    if over:
        forget(session, attempt)
        session.commit()
        raise RateLimited(wait)
    return attempt


def forget(session: Session, attempt: Attempt) -> None:
    """Remove the attempt's own rows (in the caller's transaction)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(attempt.ids)))


def succeeded(session: Session, attempt: Attempt) -> None:
    """A successful sign-in: remove its own rows and its username's failures (in the
    caller's transaction); other attempts from its address still count."""
    forget(session, attempt)
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == attempt.user_key))
