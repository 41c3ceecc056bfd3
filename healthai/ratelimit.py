"""Sign-in rate limit (sliding window) shared by every API worker and replica: each attempt is
a row of `login_attempts` in the platform's database, so every process counts the same ones.

An attempt is written and committed before its window is counted, so two processes racing on
the same key each see the other's attempt: at most `limit` attempts pass per window (a race
may refuse one more than strictly needed, never let one more through). A refused attempt is
removed again, so hammering does not extend the wait. A successful sign-in clears its key's
attempts (`clear`): the limit bounds guesses, not a person signing in again. Rows older than
the window are deleted at every attempt: the table holds at most one window of attempts.
Used by the API's `POST /auth/token` and the dashboard's sign-in form alike."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from healthai.models.accounts import LoginAttempt
from healthai.settings import Settings


def attempt_key(settings: Settings, client: str, username: str) -> str:
    """What attempts are counted by: the client address and the username (case-insensitive),
    kept only as an HMAC (the table never holds an address or a username in clear)."""
    message = f"{client}|{username.lower()}".encode()
    return hmac.new(settings.pseudonym_secret.encode(), message, hashlib.sha256).hexdigest()


def hit(session: Session, settings: Settings, key: str) -> float | None:
    """Record an attempt for `key`: None when allowed, else the seconds until one is
    (`LOGIN_RATE_LIMIT` attempts per `LOGIN_RATE_WINDOW_S`). Commits `session`, and leaves it
    outside any transaction."""
    window = timedelta(seconds=settings.login_rate_window_s)
    now = datetime.now(UTC)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at <= now - window))
    attempt = LoginAttempt(key=key, at=now)
    session.add(attempt)
    session.commit()
    in_window = (LoginAttempt.key == key, LoginAttempt.at > now - window)
    count, oldest = session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(*in_window)
    ).one()
    # End the read before any write: SQLite refuses (busy, no wait) to turn a reading
    # transaction into a writing one while another connection writes.
    session.commit()
    if count <= settings.login_rate_limit:
        return None
    session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt.id))
    session.commit()
    oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)  # SQLite: naive UTC
    return max(0.0, (oldest + window - now).total_seconds())


def clear(session: Session, key: str) -> None:
    """Forget `key`'s attempts after a successful sign-in (in the caller's transaction)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))
