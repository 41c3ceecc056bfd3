"""A reusable client for paginated JSON REST APIs feeding the landing zone.

What every API source needs, once: timeouts, retries with exponential backoff on 429, 5xx and
connection errors (honouring `Retry-After`; the retry loop is tenacity's), a client-side rate
limit, and pagination in the two shapes public APIs commonly use:

- offset paging: `?offset=&limit=` answering `{metadata: {totalPages, nextPage, ...}, data}`
  (ExerciseDB's own code; `nextPage` is a URL or null);
- cursor paging: `?after=<cursor>&limit=` answering `{meta: {hasNextPage, nextCursor}, data}`
  (the hosted ExerciseDB as other clients see it);
- a bare JSON array (one page).

The fetched records are written as ONE JSON file into the landing zone, so the standard
pipeline ingests the "API response" like any file; its SHA-256 is the lineage fingerprint.
The same records twice give the same bytes, hence the same hash: nothing is published twice.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import tenacity

from healthai.logging import get_logger

log = get_logger("healthai.pipeline")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(RuntimeError):
    """The API could not be read: the message says where, how often it was tried and why."""


class RetryableError(Exception):
    """One attempt failed in a way worth trying again: a transport error, or a 429 / 5xx answer
    (with the delay its `Retry-After` asks for, if any)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


@dataclass(frozen=True)
class HttpPolicy:
    """How politely and how stubbornly an API is read."""

    timeout_s: float = 15.0  # connect/read/write/pool timeout of one request
    max_attempts: int = 5  # first try + retries
    backoff_s: float = 0.5  # first retry delay; doubles each retry
    max_backoff_s: float = 30.0  # cap of one delay (Retry-After included)
    jitter: float = 0.1  # +- share of random jitter on computed delays
    requests_per_second: float = 4.0  # client-side rate limit (0 = none)
    page_size: int = 25  # ExerciseDB documents 25 as its maximum
    max_pages: int = 10_000  # a guard against an API that never says "last page"


class RateLimiter:
    """At most `rate` requests per second: each request waits for its slot."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until the next request may go; return the time waited."""
        if not self.interval:
            return 0.0
        with self._lock:
            now = self.clock()
            delay = max(0.0, self._next - now)
            self._next = max(now, self._next) + self.interval
        if delay:
            self.sleep(delay)
        return delay


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class ApiClient:
    """GET JSON with timeouts, retries, backoff and a rate limit. Use as a context manager."""

    def __init__(
        self,
        base_url: str,
        policy: HttpPolicy | None = None,
        *,
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
    ) -> None:
        if not base_url:
            raise FetchError("no base URL configured for this API")
        self.base_url = base_url.rstrip("/")
        self.policy = policy or HttpPolicy()
        self.sleep = sleep
        self.limiter = RateLimiter(self.policy.requests_per_second, sleep=sleep)
        self._random = random.Random(seed)
        # backoff_s, 2 x backoff_s, 4 x ... capped: the delay before retry n (before jitter)
        self._backoff = tenacity.wait_exponential(
            multiplier=self.policy.backoff_s, max=self.policy.max_backoff_s
        )
        self.requests = 0  # every HTTP attempt, retries included
        self.retries = 0
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(self.policy.timeout_s),
            headers={"Accept": "application/json", "User-Agent": "healthai-coach-ingestion/1.0"}
            | (headers or {}),
            transport=transport,
            follow_redirects=True,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """The delay before the next attempt: what `Retry-After` asked for, else exponential
        backoff (backoff_s, doubling), both capped at max_backoff_s, the backoff with jitter."""
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, RetryableError) and failure.retry_after is not None:
            return min(failure.retry_after, self.policy.max_backoff_s)
        base = self._backoff(state)
        return base * (1 + self.policy.jitter * (2 * self._random.random() - 1))

    def _before_retry(self, url: str, state: tenacity.RetryCallState) -> None:
        self.retries += 1
        failure = state.outcome.exception() if state.outcome else None
        log.warning(
            "api_retry",
            url=url,
            attempt=state.attempt_number,
            error=str(failure),
            delay_s=round(state.upcoming_sleep, 3),
        )

    def _attempt(self, url: str, params: dict[str, Any] | None) -> Any:
        """One GET, after the rate limiter's slot."""
        self.limiter.wait()
        self.requests += 1
        try:
            response = self._client.get(url, params=params)
        except httpx.TransportError as exc:  # connect/read errors and timeouts
            raise RetryableError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code < 400:
            try:
                return response.json()
            except ValueError as exc:
                raise FetchError(f"GET {response.url}: the answer is not JSON") from exc
        if response.status_code not in RETRY_STATUSES:
            raise FetchError(
                f"GET {response.url} failed with HTTP {response.status_code} "
                f"(not retried): {response.text[:200]}"
            )
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        raise RetryableError(f"HTTP {response.status_code}", retry_after)

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        url = f"{self.base_url}/{path.lstrip('/')}"
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.policy.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(RetryableError),
            sleep=self.sleep,
            before_sleep=lambda state: self._before_retry(url, state),
            reraise=True,
        )
        try:
            return retrying(self._attempt, url, params)
        except RetryableError as exc:
            raise FetchError(
                f"GET {url} failed after {self.policy.max_attempts} attempts; "
                f"last error: {exc.reason}"
            ) from exc

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[dict]]:
        """Yield the records of each page, whichever of the supported shapes the API speaks."""
        size = self.policy.page_size
        query: dict[str, Any] = {**(params or {}), "offset": 0, "limit": size}
        seen_cursors: set[str] = set()
        for _page in range(self.policy.max_pages):
            body = self.get_json(path, query)
            if isinstance(body, list):  # a bare array: everything in one answer
                yield body
                return
            if not isinstance(body, dict):
                raise FetchError(f"GET {path}: unexpected answer of type {type(body).__name__}")
            if body.get("success") is False:
                raise FetchError(f"GET {path}: the API answered success=false: {body}"[:300])
            data = body.get("data")
            if not isinstance(data, list):
                raise FetchError(f"GET {path}: no `data` array in the answer")
            yield data
            if isinstance(body.get("meta"), dict):  # cursor shape
                meta = body["meta"]
                cursor = meta.get("nextCursor")
                if not meta.get("hasNextPage") or not cursor or not data:
                    return
                if str(cursor) in seen_cursors:
                    raise FetchError(f"GET {path}: the API repeated cursor {cursor!r}")
                seen_cursors.add(str(cursor))
                query = {**(params or {}), "after": cursor, "limit": size}
            elif isinstance(body.get("metadata"), dict):  # offset shape
                meta = body["metadata"]
                total = meta.get("totalExercises", meta.get("total"))
                offset = int(query.get("offset", 0)) + len(data)
                if not meta.get("nextPage") or not data:
                    return
                if isinstance(total, int) and offset >= total:
                    return
                query = {**(params or {}), "offset": offset, "limit": size}
            else:
                return  # one page, no paging information
        raise FetchError(f"GET {path}: more than {self.policy.max_pages} pages")

    def fetch_all(self, path: str, params: dict[str, Any] | None = None) -> list[dict]:
        return [record for page in self.paginate(path, params) for record in page]


def response_bytes(records: list[dict[str, Any]], key: str | None = None) -> bytes:
    """The canonical bytes of a fetch: records in a stable order, stable key order. The same
    records give the same bytes whatever order the API paged them in."""
    if key:
        records = sorted(records, key=lambda r: str(r.get(key, "")))
    return json.dumps(records, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


@dataclass
class Fetched:
    path: Path | None  # None when the same response had already landed
    sha256: str
    records: int
    requests: int
    retries: int
    already_landed: Path | None = None


def land_response(folder: Path, stem: str, payload: bytes) -> tuple[Path | None, str, Path | None]:
    """Write `payload` as `<stem>-<UTC time>.json` in `folder` unless a file there already holds
    the same bytes. Written atomically (a `.part` file, hidden from the sensor, then renamed)."""
    sha = hashlib.sha256(payload).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    for existing in folder.glob(f"{stem}-*.json"):
        if hashlib.sha256(existing.read_bytes()).hexdigest() == sha:
            return None, sha, existing
    target = folder / f"{stem}-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}.json"
    tmp = folder / f".{target.name}.part"
    tmp.write_bytes(payload)
    tmp.replace(target)
    return target, sha, None
