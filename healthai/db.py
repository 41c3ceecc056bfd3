"""Engine and session handling shared by the pipeline, the API and the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from healthai.settings import get_settings


def make_engine(url: str, pool_size: int | None = None, max_overflow: int | None = None) -> Engine:
    """An engine for `url`; SQLite gets foreign keys on and a busy timeout for concurrent runs.
    A server database's connection pool holds `pool_size` connections, `max_overflow` more
    under a burst (default: the settings' DB_POOL_SIZE and DB_MAX_OVERFLOW)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            # Let SQLAlchemy, not pysqlite, emit BEGIN: SAVEPOINTs (one per file at ingestion)
            # then behave as on PostgreSQL.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:  # noqa: ANN001
            conn.exec_driver_sql("BEGIN")

        return engine
    settings = get_settings()
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=settings.db_pool_size if pool_size is None else pool_size,
        max_overflow=settings.db_max_overflow if max_overflow is None else max_overflow,
    )


def get_engine(url: str | None = None) -> Engine:
    """The engine of `url`, or of the current settings' database: one per URL, so that a
    change of settings (tests, tools) is never answered with the engine of the old one."""
    return _engine_for(url or get_settings().database_url)


@lru_cache
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(engine or get_engine(), expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on error."""
    with session_factory(engine)() as session, session.begin():
        yield session
