"""How the platform's PostgreSQL connections behave (healthai.db): reads outside a transaction
keep their prepared statements, request connections never JIT-compile, and a pooled
connection whose server process died is replaced before use once it sat idle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, exc, select, text

from healthai import db
from tests.conftest import PG_ADMIN_URL, fresh_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(tmp_path: Path, pg_available: bool) -> Iterator[str]:
    with fresh_database("postgresql", tmp_path, pg_available) as url:
        yield url


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    made = db.make_engine(pg_url, pool_size=1, max_overflow=0)
    yield made
    made.dispose()


def _prepared(conn) -> int:  # noqa: ANN001
    return int(conn.scalar(text("SELECT count(*) FROM pg_prepared_statements")))


def test_a_read_runs_outside_a_transaction_and_keeps_its_prepared_statements(
    engine: Engine,
) -> None:
    repeated = select(text("42")).where(text("1 = 1"))
    for _ in range(8):  # psycopg prepares a statement after 5 executions on a connection
        with db.reading(engine).connect() as conn:
            assert conn.scalar(repeated) == 42
            status = conn.connection.dbapi_connection.info.transaction_status  # type: ignore[union-attr]
            assert status == TransactionStatus.IDLE  # no BEGIN was sent, so no ROLLBACK either
    with db.reading(engine).connect() as conn:
        assert _prepared(conn) >= 1
    # the same reads in transactions: each ROLLBACK makes psycopg deallocate what it prepared
    other = db.make_engine(str(engine.url.render_as_string(hide_password=False)), 1, 0)
    try:
        for _ in range(8):
            with other.connect() as conn:
                assert conn.scalar(repeated) == 42
        with other.connect() as conn:
            assert _prepared(conn) == 0
    finally:
        other.dispose()


def test_request_connections_never_jit_compile_and_the_pipeline_keeps_the_server_default(
    engine: Engine, pg_url: str
) -> None:
    with engine.connect() as conn:
        assert conn.scalar(text("SHOW jit")) == "off"
    with db.make_engine(PG_ADMIN_URL).connect() as conn:
        server_default = conn.scalar(text("SELECT boot_val FROM pg_settings WHERE name = 'jit'"))
    with db.pipeline_engine(pg_url).connect() as conn:
        assert conn.scalar(text("SHOW jit")) == server_default


def _kill_pooled_connection(engine: Engine) -> int:
    with engine.connect() as conn:
        pid = int(conn.scalar(text("SELECT pg_backend_pid()")))
    killer = db.make_engine(PG_ADMIN_URL)
    with killer.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    killer.dispose()
    return pid


def test_an_idle_pooled_connection_whose_server_died_is_replaced_before_use(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_IDLE_S", 0.0)  # every connection counts as idle
    dead = _kill_pooled_connection(engine)
    with engine.connect() as conn:  # the pool's only connection is dead: checked, replaced
        assert int(conn.scalar(text("SELECT pg_backend_pid()"))) != dead


def test_a_connection_reused_at_once_is_not_checked_so_its_death_costs_one_request(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_IDLE_S", 3600.0)  # never idle long enough to be checked
    dead = _kill_pooled_connection(engine)
    with pytest.raises(exc.OperationalError) as failed, engine.connect() as conn:
        conn.scalar(text("SELECT 1"))
    assert db.unavailable(failed.value)  # answered 503 by the API, not 500
    with engine.connect() as conn:  # the disconnect invalidated the pool: a new connection
        assert int(conn.scalar(text("SELECT pg_backend_pid()"))) != dead
