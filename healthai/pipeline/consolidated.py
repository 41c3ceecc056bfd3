"""The consolidated dataset for data scientists: every published table as CSV, JSON and
Parquet, with a machine-readable data dictionary; user identifiers pseudonymised."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Column, Table, select
from sqlalchemy.orm import Session

from healthai.models import PUBLISHED, metadata
from healthai.privacy import pseudonym
from healthai.settings import Settings

# Published tables plus the vocabularies and tenants they reference.
TABLES: tuple[str, ...] = (
    "organisations",
    "body_parts",
    "muscles",
    "equipment",
    *(t.name for t in PUBLISHED),
)
# Columns that would re-identify a person across sources: left out of the export.
DROPPED = {("users", "external_key")}
FORMATS = ("csv", "json", "parquet")


def _user_columns(table: Table) -> list[str]:
    """Columns holding a user id: users.id and every foreign key to users."""
    cols = ["id"] if table.name == "users" else []
    return cols + [
        c.name
        for c in table.columns
        if any(fk.column.table.name == "users" for fk in c.foreign_keys)
    ]


def _describe(table: Table, column: Column) -> dict[str, Any]:
    pseudonymised = column.name in _user_columns(table)
    return {
        "table": table.name,
        "column": column.name,
        "type": "string (pseudonym)" if pseudonymised else str(column.type),
        "nullable": bool(column.nullable),
        "description": (column.comment or "")
        + (" User identifier, pseudonymised (HMAC-SHA256)." if pseudonymised else ""),
    }


def export(session: Session, out_dir: Path, settings: Settings) -> dict[str, int]:
    """Write every table in every format into `out_dir` (replacing the previous export) and
    `data_dictionary.json`; returns the rows written per table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    dictionary: list[dict[str, Any]] = []
    for name in TABLES:
        table = metadata.tables[name]
        columns = [c for c in table.columns if (name, c.name) not in DROPPED]
        rows = session.execute(select(*columns)).mappings().all()
        frame = pd.DataFrame(rows, columns=[c.name for c in columns])
        for col in _user_columns(table):
            frame[col] = frame[col].map(
                lambda v: pseudonym(settings, None if pd.isna(v) else int(v))
            )
        frame.to_csv(out_dir / f"{name}.csv", index=False)
        frame.to_json(out_dir / f"{name}.json", orient="records", date_format="iso", indent=1)
        frame.to_parquet(out_dir / f"{name}.parquet", index=False)
        written[name] = len(frame)
        dictionary += [_describe(table, c) for c in columns]
    (out_dir / "data_dictionary.json").write_text(
        json.dumps({"tables": written, "columns": dictionary}, indent=1, ensure_ascii=False)
    )
    return written
