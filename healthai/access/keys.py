"""API keys of machine clients: 256 random bits, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets

API_KEY_PREFIX = "hak_"


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """SHA-256 is enough here: keys are 256 random bits, not guessable passwords."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
