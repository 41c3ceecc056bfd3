"""Signed JWTs (PyJWT, HS256): short-lived access tokens and rotating refresh tokens.

A token names its account by `sub`, an ASCII decimal integer (nothing else is an account: not
`"٣"`, not a 40-digit number), and carries the account's token version (`ver`): changing the
password, the role or the active flag bumps the version, which kills every token issued
before. A token also names its session (`sid`): the chain of tokens one sign-in produced (a
web session's extensions, an API client's refresh rotations carry the same id), which signing
out revokes alone (`healthai.access.authenticate.revoke_session`)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from healthai.settings import Settings

ALGORITHM = "HS256"
MAX_ID = 2_147_483_647  # the ids are 32-bit integers
_SUBJECT = re.compile(r"[1-9][0-9]{0,9}")
_SESSION = re.compile(r"[0-9a-f]{32}")


def create_token(
    settings: Settings,
    account_id: int,
    token_version: int,
    kind: str = "access",
    session_id: str | None = None,
) -> tuple[str, str, datetime]:
    """A signed token for the account, of session `session_id` (None: a new session, named by
    the token's own id); returns (token, jti, expiry)."""
    lifetime = (
        timedelta(minutes=settings.access_token_minutes)
        if kind == "access"
        else timedelta(days=settings.refresh_token_days)
    )
    now = datetime.now(UTC)
    jti = uuid.uuid4().hex
    payload: dict[str, Any] = {
        "sub": str(account_id),
        "ver": token_version,
        "type": kind,
        "jti": jti,
        "sid": session_id or jti,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(payload, settings.jwt_secret, algorithm=ALGORITHM), jti, now + lifetime


def subject_id(claims: dict[str, Any]) -> int | None:
    """The account id a token's subject names, or None when it is not an ASCII integer in
    range."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not _SUBJECT.fullmatch(sub):
        return None
    value = int(sub)
    return value if value <= MAX_ID else None


def session_of(claims: dict[str, Any]) -> str:
    """The session a decoded token belongs to: its `sid`, or its own `jti` for a token issued
    before tokens named their session."""
    sid = claims.get("sid")
    return sid if isinstance(sid, str) and _SESSION.fullmatch(sid) else str(claims["jti"])[:64]


def decode_token(settings: Settings, token: str, kind: str = "access") -> dict[str, Any] | None:
    """The token's claims, or None when it is invalid, expired, of another kind, or names no
    possible account (`subject_id`, `ver` an integer)."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "type", "jti", "ver"]},
        )
    except jwt.PyJWTError:
        return None
    version = claims.get("ver")
    if claims.get("type") != kind or subject_id(claims) is None:
        return None
    if not isinstance(version, int) or isinstance(version, bool):
        return None
    return claims
