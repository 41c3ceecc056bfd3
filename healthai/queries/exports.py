"""Export records and their encoding, shared by the API's `/exports`, the web interface's
download links and the consolidated export, so that all answer the same rows the same way.

An export of a table about people is pseudonymised unless `identified` (`healthai.privacy`):
every user id and every row id of facts is a keyed pseudonym computed in the database, the
lineage columns (batch, file fingerprint, line, time written) and natural keys are left out,
and rows come ordered by pseudonym (or by the requested column, ties broken by pseudonym),
never by real id. Offsets and limits are applied by the database."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, Table, select
from sqlalchemy.orm import Session

from healthai import privacy
from healthai.queries.listing import filter_clauses, tenant_clause
from healthai.settings import Settings

MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _table(model: type | Table) -> Table:
    return model if isinstance(model, Table) else model.__table__  # type: ignore[attr-defined]


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def export_columns(model: type | Table, identified: bool) -> list[str]:
    return [c.name for c in privacy.export_columns(_table(model), identified)]


def export_select(
    session: Session,
    model: type | Table,
    settings: Settings,
    identified: bool,
    filters: dict[str, Any] | None = None,
    sort: str | None = None,
    organisation_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Select:
    """The SELECT of an export: its columns (pseudonyms computed in SQL), the filters and the
    partner's confinement (`model` must then be a mapped class), the order, limit and offset."""
    table = _table(model)
    domains = {} if identified else privacy.pseudonymised_columns(table)
    if domains:
        privacy.prepare(session)
    dialect = session.get_bind().dialect.name

    def expression(name: str) -> Any:
        if name in domains:
            return privacy.pseudonym_sql(settings, dialect, domains[name], table.c[name])
        return table.c[name]

    columns = [expression(c.name).label(c.name) for c in privacy.export_columns(table, identified)]
    stmt = select(*columns).select_from(table)
    if filters or organisation_id is not None:
        if isinstance(model, Table):
            raise TypeError("filters and confinement need the mapped class, not its table")
        stmt = stmt.where(*filter_clauses(model, filters or {}))
        stmt = stmt.where(*tenant_clause(model, organisation_id))
    order = []
    if sort:
        name = sort.lstrip("-")
        if name not in table.c:
            raise ValueError(f"cannot sort by {name!r}")
        order.append(expression(name).desc() if sort.startswith("-") else expression(name))
    # ties (and the default order): the row's pseudonym first, never its real id
    keys = [c.name for c in table.primary_key.columns]
    order += [expression(k) for k in sorted(keys, key=lambda k: k not in domains)]
    stmt = stmt.order_by(*order).offset(offset or None)
    return stmt if limit is None else stmt.limit(limit)


def export_records(
    session: Session,
    model: type | Table,
    settings: Settings,
    identified: bool,
    chunk: int = 1000,
    **options: Any,
) -> Iterator[dict[str, Any]]:
    """The records of an export (see `export_select` for `options`), fetched in chunks."""
    stmt = export_select(session, model, settings, identified, **options)
    for row in session.execute(stmt.execution_options(yield_per=chunk)).mappings():
        yield {k: _value(v) for k, v in row.items()}


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
