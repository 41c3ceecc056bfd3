"""Dagster resources: the outside systems the assets touch, each configurable and injected
(tests give their own instead of patching globals).

- `Database`: the application database, through the shared domain package.
- `Folders`: the landing zone (where people and fetches drop files), the shipped samples
  (raw/) and the immutable raw store; empty fields mean the settings' folders.
- `HttpApi` (`<source>_api`, e.g. `exercisedb_api`): an API source's URL and HTTP policy.
- `AlertWebhook` (`alerts`): where quality alerts are POSTed.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from sqlalchemy.orm import Session

from healthai.db import pipeline_engine, session_scope
from healthai.pipeline.http_source import HttpPolicy
from healthai.pipeline.spec import SourceSpec
from healthai.settings import Settings, get_settings


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


class HttpApi(dg.ConfigurableResource):
    """An API source's HTTP access (resource `<source>_api`): `url` (empty: the source's own
    setting, e.g. EXERCISEDB_URL) and how politely and stubbornly it is read. Tests give a
    local server's URL and a fast policy."""

    url: str = ""
    timeout_s: float = 15.0
    max_attempts: int = 5
    backoff_s: float = 0.5
    requests_per_second: float = 4.0
    page_size: int = 25

    def policy(self) -> HttpPolicy:
        return HttpPolicy(
            timeout_s=self.timeout_s,
            max_attempts=self.max_attempts,
            backoff_s=self.backoff_s,
            requests_per_second=self.requests_per_second,
            page_size=self.page_size,
        )

    def settings(self, source: str, folders: Folders) -> Settings:
        """The settings the source's fetch reads: this URL, these folders."""
        update: dict[str, object] = {"landing_dir": folders.landing_dir()}
        if self.url and f"{source}_url" in Settings.model_fields:
            update[f"{source}_url"] = self.url
        return get_settings().model_copy(update=update)


class AlertWebhook(dg.ConfigurableResource):
    """Where quality alerts are POSTed (JSON); empty `url`: ALERT_WEBHOOK_URL (none: alerts are
    only logged). A webhook that is down is logged and never fails a run."""

    url: str = ""
    timeout_s: float = 0.0  # 0: ALERT_WEBHOOK_TIMEOUT_S

    def settings(self) -> Settings:
        update: dict[str, object] = {}
        if self.url:
            update["alert_webhook_url"] = self.url
        if self.timeout_s:
            update["alert_webhook_timeout_s"] = self.timeout_s
        return get_settings().model_copy(update=update)


def default_resources(specs: list[SourceSpec]) -> dict[str, dg.ConfigurableResource]:
    """Every resource the assets need, configured from the settings (the environment)."""
    return {
        "database": Database(),
        "folders": Folders(),
        "alerts": AlertWebhook(),
        **{f"{spec.name}_api": HttpApi() for spec in specs if spec.fetch},
    }
