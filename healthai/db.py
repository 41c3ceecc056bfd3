"""Engine and session handling shared by the pipeline, the API and the dashboard.

A busy database costs one request, never the platform:
- SQLite runs in WAL mode: readers (an open notebook, a `sqlite3` shell inside `BEGIN`) never
  block the writer, and the writer never blocks readers.
- A statement waits at most `lock_timeout_s` for a lock (SQLite's busy timeout, PostgreSQL's
  `lock_timeout`), then fails; the API answers 503 with `Retry-After`.
- A connection goes back to the pool outside any transaction: SQLite keeps a transaction
  open when its COMMIT fails (busy), and a pooled connection left so would hold its locks for
  good ("cannot start a transaction within a transaction", every writer locked out); it is
  rolled back when checked in.
- PostgreSQL connections that sat in the pool for `PING_IDLE_S` or more are checked before
  use (a round trip), and connections fail to connect within `CONNECT_TIMEOUT_S`, so a server
  restart costs the requests in flight, not the next ones: a connection in use when the server
  went away fails its request, and that disconnect invalidates every connection the pool held
  then. A connection reused at once is not checked: under load a check per checkout was one
  more round trip for every request (SQLAlchemy's `pool_pre_ping`).
- `reading(engine)` is the same pool for reads that change nothing: their statements run
  outside a transaction (autocommit), so a read costs no BEGIN and no ROLLBACK round trip, and
  the statements psycopg prepares after a few executions stay prepared on the connection
  (a ROLLBACK deallocates them): a repeated read is planned once per connection, not per call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from healthai.settings import get_settings

CONNECT_TIMEOUT_S = 5
PING_IDLE_S = 1.0  # a pooled connection idle this long is checked before use
log = logging.getLogger("healthai.db")
# SQLSTATEs of a database that cannot answer now or refuses writes (PostgreSQL): read-only
# transaction, lock not available, query canceled (timeouts), admin/crash shutdown, cannot
# connect now, too many connections, disk full, out of memory.
UNAVAILABLE_SQLSTATES = frozenset(
    {"25006", "55P03", "57014", "57P01", "57P02", "57P03", "53300", "53100", "53200"}
)
# SQLite's messages for the same (busy, locked, file not writable or not reachable).
SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "database is busy",
    "readonly database",
    "unable to open database",
    "disk i/o error",
    "database or disk is full",
)


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot serve now (down, unreachable, busy or locked,
    read-only, out of connections) rather than that the request is wrong: such a request is
    answered 503 with Retry-After and tried again later."""
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection free in time
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError):
        return True
    text = str(exc.orig).lower()
    if type(exc.orig).__module__.startswith("sqlite3"):
        return any(m in text for m in SQLITE_UNAVAILABLE)
    code = getattr(exc.orig, "sqlstate", None)
    if code in UNAVAILABLE_SQLSTATES or (code or "").startswith("08"):  # 08: connection
        return True
    # psycopg's OperationalError without a state: the server went away or never answered
    return isinstance(exc, sa_exc.OperationalError) and code is None


def make_engine(
    url: str,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    lock_timeout_s: float | None = None,
    jit: bool = False,
) -> Engine:
    """An engine for `url`. Statements wait at most `lock_timeout_s` for a lock (default the
    settings' DB_LOCK_TIMEOUT_S); a server database's connection pool holds `pool_size`
    connections, `max_overflow` more under a burst (default DB_POOL_SIZE, DB_MAX_OVERFLOW).
    PostgreSQL's JIT compilation is off unless `jit` (the pipeline's set-based statements over
    whole files): a request's short query whose estimated cost passes `jit_above_cost` (a page
    of the long measurements view) spent seconds compiling for a millisecond of work."""
    settings = get_settings()
    lock = settings.db_lock_timeout_s if lock_timeout_s is None else lock_timeout_s
    if url.startswith("sqlite"):
        return _sqlite_engine(url, lock)
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size if pool_size is None else pool_size,
        max_overflow=settings.db_max_overflow if max_overflow is None else max_overflow,
        pool_timeout=max(lock, 1.0),
        connect_args=_server_connect_args(url, lock, jit),
    )
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Check a connection before use when it sat in the pool for PING_IDLE_S or more; a dead
    one is replaced (the pool tries again with a new connection)."""

    @event.listens_for(engine, "checkin")
    def _idle_since(_dbapi_conn, record) -> None:  # noqa: ANN001
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy) -> None:  # noqa: ANN001
        since = record.info.get("checked_in")
        if since is None or time.monotonic() - since < PING_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise sa_exc.DisconnectionError(str(exc)) from exc


def insert_on_conflict(dialect: str, table: Any) -> Any:
    """An INSERT that takes `ON CONFLICT` clauses, for PostgreSQL or SQLite (`dialect`)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def reading(engine: Engine) -> Engine:
    """`engine` for reads that change nothing (same pool): on PostgreSQL its statements run in
    autocommit, outside a transaction (see the module's docstring); elsewhere `engine` itself."""
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _server_connect_args(url: str, lock_timeout_s: float, jit: bool) -> dict[str, Any]:
    if not url.startswith("postgresql"):
        return {}
    options = f"-c lock_timeout={int(lock_timeout_s * 1000)}"
    return {
        "connect_timeout": CONNECT_TIMEOUT_S,
        "options": options if jit else f"{options} -c jit=off",
    }


def _sqlite_engine(url: str, lock_timeout_s: float) -> Engine:
    path = url.split("///", 1)[-1]
    on_disk = bool(path) and path != ":memory:" and "mode=memory" not in url
    if on_disk:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": lock_timeout_s})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
        # Let SQLAlchemy, not pysqlite, emit BEGIN: SAVEPOINTs (one per file at ingestion)
        # then behave as on PostgreSQL.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if on_disk:
            try:
                cur.execute("PRAGMA journal_mode=WAL")  # persistent: once per database file
            except Exception as exc:  # noqa: BLE001 - a busy database stays in its mode
                log.warning("could not switch %s to WAL: %s", path, exc)
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn) -> None:  # noqa: ANN001
        conn.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "checkin")
    def _sqlite_release(dbapi_conn, _record) -> None:  # noqa: ANN001
        # A failed COMMIT (busy) leaves SQLite's transaction open, and SQLAlchemy then skips
        # its own rollback: end it here, so that no pooled connection keeps a lock.
        if dbapi_conn is not None and dbapi_conn.in_transaction:
            dbapi_conn.rollback()

    return engine


def get_engine(url: str | None = None, lock_timeout_s: float | None = None) -> Engine:
    """The engine of `url`, or of the current settings' database: one per URL (and lock
    timeout), so that a change of settings (tests, tools) is never answered with the engine of
    the old one. The lock timeout defaults to DB_LOCK_TIMEOUT_S (the web interface, tools)."""
    return _engine_for(url or get_settings().database_url, lock_timeout_s)


def pipeline_engine(url: str | None = None) -> Engine:
    """The engine of the pipeline's sessions (Dagster runs and sensors): PIPELINE_LOCK_TIMEOUT_S
    (a publication may wait for another one a little longer than a web request would)."""
    return _engine_for(
        url or get_settings().database_url, get_settings().pipeline_lock_timeout_s, True
    )


@lru_cache
def _engine_for(url: str, lock_timeout_s: float | None, jit: bool = False) -> Engine:
    return make_engine(url, lock_timeout_s=lock_timeout_s, jit=jit)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(engine or get_engine(), expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on error (the connection goes back to
    the pool outside any transaction either way)."""
    with session_factory(engine)() as session, session.begin():
        yield session
