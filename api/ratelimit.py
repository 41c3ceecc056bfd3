"""In-process sliding-window rate limiter (used on login).

Per process only: behind several workers each keeps its own window, so the effective limit
is `limit x workers`; a shared store (Redis) would be the next step when scaling out."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Record an attempt; None when allowed, else the seconds until the next is."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(0.0, hits[0] + self.window_s - now)
            hits.append(now)
            if len(self._hits) > 100_000:  # bound memory under a flood of distinct keys
                self._hits = defaultdict(deque, {k: v for k, v in self._hits.items() if v})
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
