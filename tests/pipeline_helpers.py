"""Helpers for pipeline tests: point the platform at a test database and folders, run the
real Dagster assets, count rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assets.catch_up import CaughtUp, catch_up
from assets.resources import Database
from healthai.db import get_engine, session_scope
from healthai.models import table as model_table
from healthai.sources import SOURCES


def materialize_sources(
    db_url: str, *names: str, resources: dict[str, Any] | None = None
) -> CaughtUp:
    """What the daemon would do for these sources: fetch the API ones, one partition and one
    run per file in their folders, then the publication (trusted sources publish).
    `resources` replace the defaults (e.g. `exercisedb_api`: a local server, a fast policy)."""
    given = {"database": Database(url=db_url), **(resources or {})}
    with dg.DagsterInstance.ephemeral() as instance:
        return catch_up(instance, names or list(SOURCES), given)


def count(db_url: str, table: str) -> int:
    with Session(get_engine(db_url)) as session:
        return session.scalar(select(func.count()).select_from(model_table(table)))


def session_for(db_url: str):  # noqa: ANN201
    return session_scope(get_engine(db_url))


def landing(tmp: Path, source: str) -> Path:
    folder = tmp / "landing" / source
    folder.mkdir(parents=True, exist_ok=True)
    return folder
