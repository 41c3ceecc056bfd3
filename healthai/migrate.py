"""Schema management through Alembic only (upgrade, downgrade, offline SQL scripts)."""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config

from healthai.settings import PROJECT_ROOT, get_settings

SQL_DIR = PROJECT_ROOT / "migrations" / "sql"
SQL_DIALECTS = {"postgresql": "postgresql+psycopg://", "sqlite": "sqlite://"}


def alembic_config(url: str | None = None, stdout: io.StringIO | None = None) -> Config:
    buffer = stdout or io.StringIO()
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"), stdout=buffer, output_buffer=buffer)
    cfg.attributes["url"] = url or get_settings().database_url
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def offline_sql(dialect: str, downgrade_to_base: bool = False) -> str:
    """The SQL Alembic would run, as a plain script for a DBA (no database needed)."""
    out = io.StringIO()
    cfg = alembic_config(SQL_DIALECTS[dialect], stdout=out)
    if downgrade_to_base:
        command.downgrade(cfg, "head:base", sql=True)
    else:
        command.upgrade(cfg, "head", sql=True)
    return out.getvalue()


def sql_script_paths() -> dict[str, Path]:
    return {
        f"{d}_{step}": SQL_DIR / f"{d}_{step}.sql"
        for d in SQL_DIALECTS
        for step in ("upgrade", "downgrade")
    }


def write_sql_scripts() -> list[Path]:
    SQL_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for name, path in sql_script_paths().items():
        dialect, step = name.rsplit("_", 1)
        path.write_text(offline_sql(dialect, downgrade_to_base=step == "downgrade"))
        written.append(path)
    return written
