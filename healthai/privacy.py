"""Pseudonymisation of user identifiers, shared by the API's exports, the web interface and
the consolidated export for data scientists."""

from __future__ import annotations

import hashlib
import hmac

from healthai.settings import Settings


def pseudonym(settings: Settings, user_id: int | None) -> str | None:
    """A stable pseudonym of a user id: HMAC-SHA256 with the pseudonym secret, 16 hex chars."""
    if user_id is None:
        return None
    digest = hmac.new(
        settings.pseudonym_secret.encode(), f"user:{user_id}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:16]
