"""Export records and their encoding, shared by the API's `/exports` and the web interface's
download links so that both answer the same file for the same rows.

User identifiers are pseudonymised (`healthai.privacy.pseudonym`) unless `identified`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from healthai.models import User
from healthai.privacy import pseudonym
from healthai.settings import Settings

MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def export_columns(model: type, identified: bool) -> list[str]:
    names = [c.name for c in model.__table__.columns]  # type: ignore[attr-defined]
    if model is User and not identified:
        names.remove("external_key")  # a natural key: would re-identify
    return names


def export_record(
    row: Any, model: type, columns: list[str], settings: Settings, identified: bool
) -> dict[str, Any]:
    out = {c: _value(getattr(row, c)) for c in columns}
    if not identified:
        key = "id" if model is User else "user_id"
        if key in out:
            out[key] = pseudonym(settings, out[key])
    return out


def encode(records: Iterable[dict[str, Any]], columns: list[str], fmt: str) -> Iterator[str]:
    """The file piece by piece: CSV with a header row, or one JSON array of objects."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow(record)
            if buf.tell() > 64_000:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()
        return
    yield "["
    for count, record in enumerate(records):
        yield ("," if count else "") + json.dumps(record, default=str)
    yield "]"
