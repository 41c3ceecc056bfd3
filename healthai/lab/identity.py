"""Who reads, in a notebook: always a person's account, as in the API and the web interface
(or the pipeline, for a notebook Dagster runs), never an anonymous connection.

`healthai.lab.connect()` finds the reader in this order:

1. an explicit `principal` (code that already authenticated someone);
2. `HEALTHAI_LAB_PIPELINE`, set by Dagster for the kernel of a notebook asset: the pipeline
   reads as an analyst (pseudonyms only), logged under the asset's name;
3. `HEALTHAI_API_KEY`: an API key an admin issued for your account (it acts as the account:
   its role, its organisation), for headless runs and CI;
4. the session `healthai lab login` left (username and password, with the sign-in rate
   limits of the API): a refresh token in `~/.config/healthai/lab-token` (0600, one per
   database), traded for a new one at each connect, so it expires after
   REFRESH_TOKEN_DAYS without use and dies with a change of password, role or organisation,
   a disabled account, or `healthai lab logout`.

The policy is applied in the notebook's own process, which holds the database URL: it keeps
honest people on the rules (pseudonyms by default, a partner's members only) and records
every read in the personal-data access log; it is not a wall against someone who has the
database's password. Partners and other outsiders use the API, never a database URL.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from healthai import access
from healthai.lab.notebooks import PIPELINE_ENV
from healthai.models import RefreshToken
from healthai.settings import Settings

API_KEY_ENV = "HEALTHAI_API_KEY"
CREDENTIALS_ENV = "HEALTHAI_LAB_CREDENTIALS"
PIPELINE_ROLE = "analyst"


class NotSignedIn(Exception):
    """No reader could be found (the message says how to sign in)."""


def credentials_path() -> Path:
    default = Path.home() / ".config" / "healthai" / "lab-token"
    return Path(os.environ.get(CREDENTIALS_ENV) or default)


def _database_key(database_url: str) -> str:
    """Which database a stored session is for (a digest: the URL may hold a password)."""
    return hashlib.sha256(database_url.encode()).hexdigest()[:16]


def pipeline_principal(asset: str) -> access.Principal:
    """The reader of a notebook run by Dagster: the analyst's rights (pseudonyms only, no
    identities), no account, named after the asset in the access log."""
    return access.Principal(
        account_id=0, username=f"pipeline:{asset}"[:120], role=PIPELINE_ROLE, organisation_id=None
    )


@contextmanager
def _locked(path: Path) -> Iterator[dict[str, str]]:
    """The stored sessions (database key -> refresh token), locked against the other kernels
    of this machine while one trades its token; written back on exit."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        text = fh.read()
        sessions: dict[str, str] = json.loads(text) if text.strip() else {}
        before = dict(sessions)
        yield sessions
        if sessions != before:
            fh.seek(0)
            fh.truncate()
            fh.write(json.dumps(sessions))
            fh.flush()
            os.fsync(fh.fileno())


def login(
    session: Session, settings: Settings, database_url: str, username: str, password: str
) -> access.Principal:
    """Sign in as the API does (rate limits included) and keep the session for this database.
    Raises `access.BadCredentials` or `access.RateLimited`."""
    client = f"lab:{socket.gethostname()}"
    state = access.sign_in(session, settings, username, password, client)
    pair = access.issue_tokens(session, settings, state)
    with _locked(credentials_path()) as sessions:
        sessions[_database_key(database_url)] = pair.refresh_token
    return state.principal()


def logout(session: Session, settings: Settings, database_url: str) -> bool:
    """Revoke and forget this database's stored session; False when there was none."""
    with _locked(credentials_path()) as sessions:
        token = sessions.pop(_database_key(database_url), None)
    if token is None:
        return False
    claims = access.decode_token(settings, token, "refresh")
    if claims is not None:
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.jti == claims["jti"], RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        session.commit()
    return True


def _from_login(session: Session, settings: Settings, database_url: str) -> access.Principal:
    path = credentials_path()
    if not path.exists():
        raise NotSignedIn(
            "no reader: run `healthai lab login` once (your platform account), or set "
            f"{API_KEY_ENV} to an API key an admin issued for you"
        )
    key = _database_key(database_url)
    with _locked(path) as sessions:
        token = sessions.get(key)
        if token is None:
            raise NotSignedIn(
                f"not signed in to this database: run `healthai lab login` (or set {API_KEY_ENV})"
            )
        try:
            pair = access.rotate(session, settings, token)
        except access.NotAuthenticated as exc:
            sessions.pop(key)
            raise NotSignedIn(
                f"your lab session ended ({exc}): run `healthai lab login` again"
            ) from None
        sessions[key] = pair.refresh_token
    return access.authenticate_token(session, settings, pair.access_token)


def resolve(
    session: Session,
    settings: Settings,
    database_url: str,
    principal: access.Principal | None = None,
) -> access.Principal:
    """The reader of this process (see the module's docstring)."""
    if principal is not None:
        return principal
    if asset := os.environ.get(PIPELINE_ENV):
        return pipeline_principal(asset)
    if key := os.environ.get(API_KEY_ENV):
        try:
            return access.authenticate_api_key(session, key)
        except access.NotAuthenticated as exc:
            raise NotSignedIn(f"{API_KEY_ENV} is refused: {exc}") from None
    return _from_login(session, settings, database_url)
