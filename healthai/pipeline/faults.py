"""Fault injection for the crash tests (tests/faults): `fault_point(name)` does nothing unless
HEALTHAI_FAULT names it (`name` or `name:<n>`, the n-th time it is reached, 1 by default);
then the process kills itself with SIGKILL there, as a crash would; with
HEALTHAI_FAULT_ACTION=terminate, the database ends the session's connection instead
(pg_terminate_backend), as a lost connection would; with HEALTHAI_FAULT_ACTION=raise, an
exception is raised there (a reader that crashes). Never set in production."""

from __future__ import annotations

import os
import signal
from collections import Counter
from typing import Any

_seen: Counter[str] = Counter()


def fault_point(name: str, session: Any = None) -> None:
    wanted = os.environ.get("HEALTHAI_FAULT")
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _seen[name] += 1
    if _seen[name] < int(nth or 1):
        return
    action = os.environ.get("HEALTHAI_FAULT_ACTION")
    if action == "raise":
        raise RuntimeError(f"fault injected at {name}")
    if action == "terminate" and session is not None:
        from sqlalchemy import text

        session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
    os.kill(os.getpid(), signal.SIGKILL)
