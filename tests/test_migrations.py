"""Alembic builds and removes the whole schema on both engines; the SQL scripts stay current."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect

from healthai import migrate
from healthai.models import metadata
from tests.conftest import ENGINES


@pytest.mark.parametrize("engine", ENGINES)
def test_upgrade_then_downgrade_round_trip(engine: str, empty_db_url: str) -> None:
    migrate.upgrade(empty_db_url)
    eng = create_engine(empty_db_url)
    tables = set(inspect(eng).get_table_names())
    assert set(metadata.tables) <= tables
    assert "healthai_alembic_version" in tables
    eng.dispose()

    migrate.downgrade(empty_db_url)
    eng = create_engine(empty_db_url)
    left = set(inspect(eng).get_table_names()) - {"healthai_alembic_version"}
    eng.dispose()
    assert left == set()

    migrate.upgrade(empty_db_url)  # and back up again: downgrade left nothing behind


@pytest.mark.parametrize("engine", ENGINES)
def test_models_and_migrations_agree(engine: str, db_url: str) -> None:
    """No drift: autogenerate finds nothing to add after `upgrade head`."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    eng = create_engine(db_url)
    with eng.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _p: name != "healthai_alembic_version",
            },
        )
        diff = compare_metadata(ctx, metadata)
    eng.dispose()
    assert diff == []


def test_sql_scripts_are_current() -> None:
    """migrations/sql/ holds exactly what Alembic would run (regenerate: `make sql`)."""
    for name, path in migrate.sql_script_paths().items():
        dialect, step = name.rsplit("_", 1)
        expected = migrate.offline_sql(dialect, downgrade_to_base=step == "downgrade")
        assert path.exists(), f"{path} missing: run `make sql`"
        assert path.read_text() == expected, f"{path} is stale: run `make sql`"


def test_views_frozen_in_the_baseline_are_the_models() -> None:
    """The baseline creates `biometric_measurements` from SQL frozen in it: the same SQL as
    healthai.models.views declares (a change of the view needs a revision)."""
    import importlib.util

    from healthai.models.views import measurements_view_sql
    from healthai.settings import PROJECT_ROOT

    path = PROJECT_ROOT / "migrations" / "versions" / "0001_baseline.py"
    spec = importlib.util.spec_from_file_location("baseline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert module.MEASUREMENTS_VIEW.strip() == measurements_view_sql()
