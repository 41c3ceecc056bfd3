"""Dagster resources: the application database, through the shared domain package."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from sqlalchemy.orm import Session

from healthai.db import pipeline_engine, session_scope
from healthai.settings import get_settings


class Database(dg.ConfigurableResource):
    """The application database; `url` empty means DATABASE_URL (healthai.settings)."""

    url: str = ""

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(pipeline_engine(self.url or get_settings().database_url)) as session:
            yield session
