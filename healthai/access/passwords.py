"""Password hashing: Argon2id through pwdlib."""

from __future__ import annotations

from pwdlib import PasswordHash

MIN_LENGTH = 12
password_hash = PasswordHash.recommended()  # Argon2id
# Verified when the account is unknown, so that a miss costs as much as a wrong password.
DUMMY_HASH = password_hash.hash("timing-attack-dummy-password")


def hash_password(password: str) -> str:
    return password_hash.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Whether `password` matches `hashed`; with no hash, the same work against a dummy."""
    if hashed is None:
        password_hash.verify(password, DUMMY_HASH)
        return False
    try:
        return password_hash.verify(password, hashed)
    except Exception:  # noqa: BLE001 - a malformed hash is a failed sign-in, never a 500
        return False
