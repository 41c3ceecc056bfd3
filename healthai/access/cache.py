"""Authentication without a database round trip per request: the account state behind a
bearer token and the principal behind an API key, kept for `ttl_s` seconds in the process.

Revocation (a change of password, role, organisation or active flag, which moves the
account's token version on; a revoked API key) takes effect in every process within `ttl_s`
seconds (AUTH_CACHE_TTL_S, default 5): an entry is never used after it is that old, so a
replica or another worker that cached the account before the change reads it again at the
latest then. The process that makes the change forgets the entry at once (`forget_account`,
`forget_key`: called by `revoke_tokens` and by the API's key revocation), so the change is
immediate there. Nothing here outlives its TTL, so a worker holds no state another replica
would miss. Failures (unknown account, bad key) are not cached.

A signed-out session (`revoke_session`) follows the same rule: whether a session was signed
out is kept `ttl_s` seconds per session id, a token is used from the cache alone only when both
its account and its session are held, and the process that signs a session out forgets it at
once (`forget_session`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from healthai.access.authenticate import (
    AccountState,
    NotAuthenticated,
    account_state,
    authenticate_api_key,
    authenticate_token,
    session_revoked,
)
from healthai.access.keys import hash_api_key
from healthai.access.principal import Principal
from healthai.access.tokens import decode_token, session_of, subject_id
from healthai.settings import Settings

K = TypeVar("K")
V = TypeVar("V")
MAX_ENTRIES = 10_000


class TtlCache(Generic[K, V]):
    """A small thread-safe map whose entries are used for at most `ttl_s` seconds."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._items: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        if self.clock() >= item[0]:
            with self._lock:
                self._items.pop(key, None)
            return None
        return item[1]

    def put(self, key: K, value: V) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            if len(self._items) >= MAX_ENTRIES:
                self._items.clear()  # bounded memory; entries are cheap to read again
            self._items[key] = (self.clock() + self.ttl_s, value)

    def pop(self, key: K) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class AuthCache:
    """Cached `account_state` (a `StateReader` for `authenticate_token`), cached
    `session_revoked` (a `RevokedReader`) and cached API keys."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.accounts: TtlCache[int, AccountState] = TtlCache(ttl_s, clock)
        # key hash -> (principal, owner account id)
        self.keys: TtlCache[str, Principal] = TtlCache(ttl_s, clock)
        # session id -> signed out?
        self.sessions: TtlCache[str, bool] = TtlCache(ttl_s, clock)

    def state(self, session: Session, account_id: int) -> AccountState | None:
        found = self.accounts.get(account_id)
        if found is None:
            found = account_state(session, account_id)
            if found is not None:
                self.accounts.put(account_id, found)
        return found

    def revoked(self, session: Session, session_id: str) -> bool:
        found = self.sessions.get(session_id)
        if found is None:
            found = session_revoked(session, session_id)
            self.sessions.put(session_id, found)
        return found

    def cached_state(self, account_id: int) -> AccountState | None:
        return self.accounts.get(account_id)

    def api_key(self, session: Session, key: str) -> Principal:
        digest = hash_api_key(key)
        found = self.keys.get(digest)
        if found is None:
            found = authenticate_api_key(session, key)  # raises NotAuthenticated
            self.keys.put(digest, found)
        return found

    def cached_key(self, key: str) -> Principal | None:
        return self.keys.get(hash_api_key(key))

    # ------------------------------------------------------------------ the caller
    def cached(self, settings: Settings, token: str | None, key: str | None) -> Principal | None:
        """The caller from this cache alone (no database read); None when it must be read.
        Raises NotAuthenticated for credentials refused without reading (a bad token)."""
        if token:
            claims = decode_token(settings, token, "access")
            if claims is None:
                raise NotAuthenticated("invalid or expired token")
            account_id = subject_id(claims)
            state = self.cached_state(account_id) if account_id is not None else None
            revoked = self.sessions.get(session_of(claims))
            if state is None or revoked is None:
                return None
            if not state.is_active or claims["ver"] != state.token_version:
                raise NotAuthenticated("invalid or expired token")
            if revoked:
                raise NotAuthenticated("signed out")
            return state.principal()
        if key:
            return self.cached_key(key)
        raise NotAuthenticated("not authenticated")

    def authenticate(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        token: str | None,
        key: str | None,
    ) -> Principal:
        """The caller, reading the account or the key when this cache does not hold it."""
        with sessions() as session:
            if token:
                return authenticate_token(
                    session, settings, token, state=self.state, revoked=self.revoked
                )
            if key:
                return self.api_key(session, key)
        raise NotAuthenticated("not authenticated")

    # ------------------------------------------------------------------ revocation
    def forget_account(self, account_id: int) -> None:
        self.accounts.pop(account_id)
        with self.keys._lock:
            for digest, (_at, principal) in list(self.keys._items.items()):
                if principal.account_id == account_id:
                    self.keys._items.pop(digest, None)

    def forget_key(self, key_hash: str) -> None:
        self.keys.pop(key_hash)

    def forget_session(self, session_id: str) -> None:
        self.sessions.pop(session_id)

    def clear(self) -> None:
        self.accounts.clear()
        self.keys.clear()
        self.sessions.clear()


# The caches of this process: revocation forgets its entries in each of them.
_CACHES: list[AuthCache] = []
_REGISTRY_LOCK = threading.Lock()


def register(cache: AuthCache) -> AuthCache:
    with _REGISTRY_LOCK:
        _CACHES.append(cache)
    return cache


def forget_account(account_id: int) -> None:
    """The account changed (password, role, organisation, active flag): this process's caches
    read it again at its next request."""
    for cache in list(_CACHES):
        cache.forget_account(account_id)


def forget_key(key_hash: str) -> None:
    """An API key was revoked: this process's caches check it again at its next use."""
    for cache in list(_CACHES):
        cache.forget_key(key_hash)


def forget_session(session_id: str) -> None:
    """A session was signed out: this process's caches check it again at its next use."""
    for cache in list(_CACHES):
        cache.forget_session(session_id)
