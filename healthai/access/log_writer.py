"""Group commit of the personal-data access log: the entries of concurrent reads are written
together, in one multi-row INSERT and one synchronous COMMIT, by one writer thread per process,
and each read waits for the commit of its own entry before its response is sent.

What a crash can lose: nothing that was answered. A response carrying personal data leaves the
process only after its entry's COMMIT returned (PostgreSQL: `synchronous_commit` as the server
has it, `on` by default, so the entry is flushed to the WAL on disk; SQLite: WAL mode). A crash
of the API process (SIGKILL, OOM) loses only the entries of reads that were not answered yet,
and a crash of the database server loses no committed entry. When the write fails (database
down or busy), every read waiting on that flush fails too (503): no personal data without its
entry. The cost per read is one slot in a shared INSERT instead of a transaction and a disk
flush of its own; a burst of N concurrent reads costs one flush, not N.

`submit(entry)` returns a `concurrent.futures.Future`; `write(entry)` awaits it from async
code, `write_sync(entry)` blocks the calling thread. Entries are the columns of
`personal_data_access` (see `entry`).
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert

from healthai.access.principal import Principal
from healthai.logging import get_logger
from healthai.models import PersonalDataAccess

log = get_logger("healthai.access")
MAX_BATCH = 1000  # entries per INSERT
_STOP = object()


def entry(
    principal: Principal,
    action: str,
    resource: str,
    path: str,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The row recording that `principal` did `action` on `resource` through `path`."""
    return {
        "at": datetime.now(UTC),
        "actor": str(principal.actor),
        "role": principal.role,
        "action": action,
        "resource": resource,
        "path": path[:500],
        "detail": detail or {},
    }


class AccessLogWriter:
    """One writer thread per process (started at the first entry, again after a fork)."""

    def __init__(self, engine: Engine, max_batch: int = MAX_BATCH) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self.flushes = 0  # commits made (tests and measurements read it)

    # ------------------------------------------------------------------ callers
    def submit(self, row: dict[str, Any]) -> Future[None]:
        done: Future[None] = Future()
        self._ensure_thread()
        self._queue.put((row, done))
        return done

    async def write(self, row: dict[str, Any]) -> None:
        """Wait (without blocking the event loop) until the entry is committed."""
        await asyncio.wrap_future(self.submit(row))

    def write_sync(self, row: dict[str, Any]) -> None:
        """Block until the entry is committed (from a worker thread)."""
        self.submit(row).result()

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread."""
        thread = self._thread
        if thread is not None and thread.is_alive() and self._pid == os.getpid():
            self._queue.put(_STOP)
            thread.join(timeout)
        self._thread = None

    # ------------------------------------------------------------------ the thread
    def _ensure_thread(self) -> None:
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                if self._pid != os.getpid():
                    self._queue = queue.SimpleQueue()  # a forked child starts empty
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="access-log-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            self._flush(batch)
            if stop:
                return

    def _flush(self, batch: list[tuple[dict[str, Any], Future[None]]]) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(PersonalDataAccess), [row for row, _done in batch])
        except Exception as exc:  # noqa: BLE001 - every waiting read fails with it
            log.warning("access_log_flush_failed", entries=len(batch), error=str(exc)[:300])
            for _row, done in batch:
                done.set_exception(exc)
            return
        self.flushes += 1
        for _row, done in batch:
            done.set_result(None)
