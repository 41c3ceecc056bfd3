"""Passwords (pwdlib Argon2), JWT access and refresh tokens (PyJWT), API keys (stored hashed),
roles mapped to scopes, and the pseudonymisation of user identifiers."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash

from healthai.settings import Settings

ALGORITHM = "HS256"
password_hash = PasswordHash.recommended()  # Argon2id
# Verified when the username is unknown, so that a miss costs as much as a wrong password.
DUMMY_HASH = password_hash.hash("timing-attack-dummy-password")

SCOPES: dict[str, str] = {
    "catalogue:read": "Read foods, recipes and exercises.",
    "catalogue:write": "Create, change and delete foods, recipes and exercises.",
    "organisations:read": "Read organisations (a partner: only its own).",
    "organisations:write": "Create, change and delete organisations.",
    "people:read": "Read users and their logs and measurements (a partner: only its members).",
    "people:write": "Create and change users and their logs and measurements.",
    "people:erase": "Erase a user and all their data (RGPD).",
    "batches:read": "Read batches, their checks and sample rows.",
    "batches:decide": "Approve, reject, publish and roll back batches.",
    "quarantine:read": "Read quarantined rows.",
    "quarantine:correct": "Correct or discard quarantined rows.",
    "exports:read": "Export published tables (user identifiers pseudonymised).",
    "exports:identified": "Export with real user identifiers.",
    "analytics:read": "Read analytics (a partner: only its members).",
    "accounts:admin": "Manage API accounts and API keys.",
}

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset(SCOPES),
    "steward": frozenset(
        {
            "catalogue:read",
            "catalogue:write",
            "organisations:read",
            "people:read",
            "people:write",
            "batches:read",
            "batches:decide",
            "quarantine:read",
            "quarantine:correct",
            "exports:read",
            "analytics:read",
        }
    ),
    "analyst": frozenset(
        {"catalogue:read", "organisations:read", "batches:read", "exports:read", "analytics:read"}
    ),
    "partner": frozenset({"catalogue:read", "organisations:read", "people:read", "analytics:read"}),
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: an account (password + JWT) or a machine client (API key)."""

    kind: str  # "account" or "api_key"
    id: int
    name: str
    role: str
    organisation_id: int | None

    @property
    def actor(self) -> str:
        """The name written in audit logs."""
        return self.name if self.kind == "account" else f"api-key:{self.name}"

    @property
    def scopes(self) -> frozenset[str]:
        return ROLE_SCOPES.get(self.role, frozenset())

    @property
    def tenant(self) -> int | None:
        """The organisation a partner is confined to (None: no confinement)."""
        return self.organisation_id if self.role == "partner" else None


# ----------------------------------------------------------------------------- passwords
def hash_password(password: str) -> str:
    return password_hash.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    if hashed is None:
        password_hash.verify(password, DUMMY_HASH)
        return False
    try:
        return password_hash.verify(password, hashed)
    except Exception:  # noqa: BLE001 - a malformed hash is a failed login, never a 500
        return False


# ----------------------------------------------------------------------------- tokens
def _now() -> datetime:
    return datetime.now(UTC)


def create_token(
    settings: Settings, account_id: int, role: str, kind: str = "access"
) -> tuple[str, str, datetime]:
    """A signed JWT; returns (token, jti, expiry)."""
    lifetime = (
        timedelta(minutes=settings.access_token_minutes)
        if kind == "access"
        else timedelta(days=settings.refresh_token_days)
    )
    now = _now()
    jti = uuid.uuid4().hex
    payload: dict[str, Any] = {
        "sub": str(account_id),
        "role": role,
        "type": kind,
        "jti": jti,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(payload, settings.jwt_secret, algorithm=ALGORITHM), jti, now + lifetime


def decode_token(settings: Settings, token: str, kind: str = "access") -> dict[str, Any] | None:
    """The token's claims, or None when it is invalid, expired or of another kind."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "type", "jti"]},
        )
    except jwt.PyJWTError:
        return None
    if claims.get("type") != kind or not str(claims.get("sub", "")).isdigit():
        return None
    return claims


# ----------------------------------------------------------------------------- API keys
API_KEY_PREFIX = "hak_"


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """SHA-256 is enough here: keys are 256 random bits, not guessable passwords."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
