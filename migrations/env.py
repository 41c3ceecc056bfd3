"""Alembic environment: URL from healthai.settings, metadata from healthai.models."""

from __future__ import annotations

from alembic import context

from healthai.db import make_engine
from healthai.models import metadata
from healthai.settings import get_settings

# Our own version table: Dagster's storage keeps its own `alembic_version`.
VERSION_TABLE = "healthai_alembic_version"


def _url() -> str:
    return context.config.attributes.get("url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=metadata,
        literal_binds=True,
        version_table=VERSION_TABLE,
        render_as_batch=_url().startswith("sqlite"),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = make_engine(_url())
        with engine.connect() as conn:
            _run(conn)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:  # noqa: ANN001
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=sqlite,
        compare_type=True,
    )
    if sqlite and not connection.in_transaction():
        # SQLite changes a table by copying it and dropping the old one: with foreign keys
        # enforced, dropping a table other rows reference fails. SQLite's own procedure: turn
        # them off outside the transaction, migrate, check every reference, turn them on.
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with context.begin_transaction():
                context.run_migrations()
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
        return
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
