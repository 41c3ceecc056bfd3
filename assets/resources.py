"""Dagster resources: the outside systems the assets touch, each configurable and injected
(tests give their own instead of patching globals).

- `Database`: the application database, through the shared domain package.
- `Folders`: the landing zone (where people and fetches drop files), the shipped samples
  (raw/) and the immutable raw store; empty fields mean the settings' folders.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from sqlalchemy.orm import Session

from healthai.db import pipeline_engine, session_scope
from healthai.pipeline.spec import SourceSpec
from healthai.settings import get_settings


class Database(dg.ConfigurableResource):
    """The application database; `url` empty means DATABASE_URL (healthai.settings)."""

    url: str = ""

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(pipeline_engine(self.url or get_settings().database_url)) as session:
            yield session


class Folders(dg.ConfigurableResource):
    """Where files come from: `landing` (var/landing/<source>/), `shipped` (raw/, the samples
    a source's `location` glob names) and `raw_store` (where each file is kept under its
    SHA-256). Empty: the settings' LANDING_DIR, RAW_DIR and RAW_STORE_DIR."""

    landing: str = ""
    shipped: str = ""
    raw_store: str = ""

    def landing_dir(self) -> Path:
        return Path(self.landing) if self.landing else get_settings().landing_dir

    def shipped_dir(self) -> Path:
        return Path(self.shipped) if self.shipped else get_settings().raw_dir

    def raw_store_dir(self) -> Path:
        return Path(self.raw_store) if self.raw_store else get_settings().raw_store_dir

    def candidates(self, spec: SourceSpec) -> list[Path]:
        """The source's files: the shipped ones under raw/ and any dropped in its landing
        folder (hidden files, e.g. a copy in progress, left out)."""
        found = sorted(p for p in self.shipped_dir().glob(spec.location) if p.is_file())
        folder = self.landing_dir() / spec.name
        if folder.is_dir():
            found += sorted(
                p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
            )
        return found

    def stored(self, spec: SourceSpec, sha256: str) -> list[Path]:
        """The copies of a file kept in the raw store under its SHA-256."""
        folder = self.raw_store_dir() / spec.name
        return sorted(folder.glob(f"{sha256}*")) if folder.is_dir() else []
