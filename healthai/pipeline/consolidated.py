"""The consolidated dataset for data scientists: every published table as CSV, JSON and
Parquet, with a machine-readable data dictionary; user identifiers pseudonymised."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Column, Table
from sqlalchemy.orm import Session

from healthai import privacy
from healthai.models import PUBLISHED, metadata
from healthai.queries.exports import export_columns, export_select
from healthai.settings import Settings

# Published tables plus the vocabularies and tenants they reference.
TABLES: tuple[str, ...] = (
    "organisations",
    "body_parts",
    "muscles",
    "equipment",
    *(t.name for t in PUBLISHED),
)
FORMATS = ("csv", "json", "parquet")


def _describe(table: Table, column: Column) -> dict[str, Any]:
    domain = privacy.pseudonymised_columns(table).get(column.name)
    what = "user identifier" if domain == privacy.USER else "row identifier"
    return {
        "table": table.name,
        "column": column.name,
        "type": "string (pseudonym)" if domain else str(column.type),
        "nullable": bool(column.nullable),
        "description": (column.comment or "")
        + (f" {what.capitalize()}, pseudonymised (HMAC-SHA256)." if domain else ""),
    }


def export(session: Session, out_dir: Path, settings: Settings) -> dict[str, int]:
    """Write every table in every format into `out_dir` (replacing the previous export) and
    `data_dictionary.json`; returns the rows written per table. Tables about people are
    pseudonymised as the API's exports are (`healthai.queries.exports`): pseudonymous ids, no
    lineage, no natural key, ordered by pseudonym."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    dictionary: list[dict[str, Any]] = []
    for name in TABLES:
        table = metadata.tables[name]
        columns = export_columns(table, identified=False)
        rows = session.execute(export_select(session, table, settings, identified=False)).all()
        frame = pd.DataFrame(rows, columns=columns)
        frame.to_csv(out_dir / f"{name}.csv", index=False)
        frame.to_json(out_dir / f"{name}.json", orient="records", date_format="iso", indent=1)
        frame.to_parquet(out_dir / f"{name}.parquet", index=False)
        written[name] = len(frame)
        dictionary += [_describe(table, table.c[c]) for c in columns]
    (out_dir / "data_dictionary.json").write_text(
        json.dumps({"tables": written, "columns": dictionary}, indent=1, ensure_ascii=False)
    )
    return written


def forget(out_dir: Path, settings: Settings, user_id: int) -> dict[str, int]:
    """Remove a person's rows from an existing consolidated export (erasure), in every format;
    returns the rows removed per table. The other rows and their order are unchanged."""
    removed: dict[str, int] = {}
    if not out_dir.is_dir():
        return removed
    target = privacy.pseudonym(settings, user_id)
    for name in TABLES:
        table = metadata.tables[name]
        columns = privacy.user_columns(table)
        parquet = out_dir / f"{name}.parquet"
        if not columns or not parquet.exists():
            continue
        frame = pd.read_parquet(parquet)
        keep = ~frame[columns].eq(target).any(axis=1)
        if keep.all():
            continue
        frame = frame[keep]
        frame.to_csv(out_dir / f"{name}.csv", index=False)
        frame.to_json(out_dir / f"{name}.json", orient="records", date_format="iso", indent=1)
        frame.to_parquet(parquet, index=False)
        removed[name] = int((~keep).sum())
    if removed:
        path = out_dir / "data_dictionary.json"
        dictionary = json.loads(path.read_text()) if path.exists() else {"tables": {}}
        for name, n in removed.items():
            dictionary["tables"][name] = dictionary["tables"].get(name, n) - n
        path.write_text(json.dumps(dictionary, indent=1, ensure_ascii=False))
    return removed
