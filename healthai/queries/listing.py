"""Filtered, sorted, paginated and tenant-scoped selects over any mapped table.

Filters are a dict: `col` (equals), `col__gte`, `col__lte` (ranges), `col__contains`
(case-insensitive substring) and `col__in` (a list). `None` values are ignored, so a form's
empty fields can be passed as they are.

`columns` (names of the table's columns) selects plain rows of those columns instead of ORM
objects: no identity map, no object per row, for readers that only serialise what they read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.orm import Session

from healthai.models import BiometricMeasurement, Organisation, User
from healthai.queries import positions

OPERATORS = ("gte", "lte", "contains", "in")
# A page counts the matching rows up to this many past its end, not all of them: an exact
# count of millions of rows on every page request costs more than the page itself.
COUNT_BEYOND_PAGE = 10_000
COUNT = func.count()  # built once: constructing func.count() costs more than reusing it


def tenant_clause(model: type, organisation_id: int | None) -> list[Any]:
    """WHERE clauses confining `model` to the members of one organisation (a partner)."""
    if organisation_id is None:
        return []
    if model is User:
        return [User.organisation_id == organisation_id]
    if model is Organisation:
        return [Organisation.id == organisation_id]
    user_id = getattr(model, "user_id", None)
    if user_id is not None:
        return [user_id.in_(select(User.id).where(User.organisation_id == organisation_id))]
    return []


def filter_clauses(model: type, filters: dict[str, Any]) -> list[Any]:
    clauses = []
    for key, value in filters.items():
        if value is None:
            continue
        name, _, op = key.partition("__")
        column = getattr(model, name, None)
        if column is None or (op and op not in OPERATORS):
            raise ValueError(f"unknown filter {key!r}")
        if op == "gte":
            clauses.append(column >= value)
        elif op == "lte":
            clauses.append(column <= value)
        elif op == "contains":
            clauses.append(func.lower(column).contains(str(value).lower(), autoescape=True))
        elif op == "in":
            clauses.append(column.in_(list(value)))
        else:
            clauses.append(column == value)
    return clauses


def build_select(
    model: type,
    filters: dict[str, Any] | None = None,
    sort: str | None = None,
    organisation_id: int | None = None,
    options: Sequence[Any] = (),
    columns: Sequence[str] | None = None,
) -> Select:
    """SELECT model rows matching `filters`, ordered by `sort` ('col' or '-col', then by id)."""
    stmt = _select(model, columns).where(
        *filter_clauses(model, filters or {}), *tenant_clause(model, organisation_id)
    )
    order = []
    if sort:
        name = sort.lstrip("-")
        column = getattr(model, name, None)
        if column is None:
            raise ValueError(f"cannot sort by {name!r}")
        order.append(column.desc() if sort.startswith("-") else column.asc())
    pk = model.__mapper__.primary_key[0]
    order.append(pk.asc())
    stmt = stmt.order_by(*order)
    return stmt.options(*options) if columns is None else stmt


def _select(model: type, columns: Sequence[str] | None) -> Select:
    if columns is None:
        return select(model)
    table = model.__table__  # type: ignore[attr-defined]
    return select(*(table.c[name] for name in columns))


class Page(NamedTuple):
    rows: list[Any]
    count: int  # rows matching the filters, counted up to COUNT_BEYOND_PAGE past the page
    exact: bool  # False when more rows match than were counted: `count` is a lower bound


def page(
    session: Session | Connection,
    model: type,
    filters: dict[str, Any] | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    organisation_id: int | None = None,
    options: Sequence[Any] = (),
    count_beyond: int = COUNT_BEYOND_PAGE,
    columns: Sequence[str] | None = None,
    after: int | None = None,
) -> Page:
    """One page of rows and how many rows match the same filters (`options`: loader options
    such as selectinload for related rows; `columns`: plain rows of these columns, and then
    `session` may be a Connection). `after`: only the rows whose id is greater (in id order,
    paging by key; counted from there)."""
    stmt = build_select(model, filters, sort, organisation_id, options, columns)
    pk = model.__mapper__.primary_key[0]  # type: ignore[attr-defined]
    if after is not None:
        stmt = stmt.where(pk > after)
    bound = offset + limit + count_beyond
    unfiltered = not _any(filters) and organisation_id is None
    if model is BiometricMeasurement and unfiltered and sort in (None, "id"):
        return _measurements_in_id_order(session, stmt, limit, offset, after, bound, columns)
    inner = stmt.with_only_columns(pk).order_by(None).limit(bound + 1).subquery()
    total = int(session.scalar(select(COUNT).select_from(inner)) or 0)
    return Page(
        _rows(session, stmt.limit(limit).offset(offset), columns), min(total, bound), total <= bound
    )


def _rows(session: Session | Connection, stmt: Select, columns: Sequence[str] | None) -> list[Any]:
    return list(session.scalars(stmt)) if columns is None else list(session.execute(stmt).all())


def _any(filters: dict[str, Any] | None) -> bool:
    return any(v is not None for v in (filters or {}).values())


def _measurements_in_id_order(
    session: Session | Connection,
    stmt: Select,
    limit: int,
    offset: int,
    after: int | None,
    bound: int,
    columns: Sequence[str] | None,
) -> Page:
    """Unfiltered measurements in id order (the default): only the page's own readings are
    unpivoted, found by healthai.queries.positions (by offset, or after a key). Without it,
    every page unpivoted and sorted thousands of readings (30 ms of database time per page
    at 1 M rows, and seconds when the server JIT-compiled the view's plan)."""
    if after is None:
        where = positions.span(session, offset, limit, bound)
    else:
        where = positions.span_after(session, after, offset, limit, bound)
    count, exact = min(where.total, bound), where.total <= bound
    if where.start is None:  # fewer measurements than the offset
        return Page([], count, exact)
    m = BiometricMeasurement
    stmt = stmt.where(m.reading_id >= where.start)
    if where.last is not None:
        stmt = stmt.where(m.reading_id <= where.last)
    return Page(
        _rows(session, stmt.limit(limit).offset(offset - where.before), columns), count, exact
    )


def get_one(  # noqa: ANN201
    session: Session | Connection,
    model: type,
    row_id: int,
    organisation_id: int | None = None,
    options: Sequence[Any] = (),
    columns: Sequence[str] | None = None,
):
    """The row with this id, or None when it does not exist or lies outside the tenant."""
    if model is BiometricMeasurement:  # a view: looked up by its reading's key
        from healthai.pipeline.measurements import measurement

        stmt = measurement(session, row_id).where(*tenant_clause(model, organisation_id))  # type: ignore[arg-type]
        if columns is not None:
            stmt = stmt.with_only_columns(*(model.__table__.c[name] for name in columns))
    else:
        pk = model.__mapper__.primary_key[0]
        stmt = _select(model, columns).where(pk == row_id, *tenant_clause(model, organisation_id))
    if columns is not None:
        return session.execute(stmt).first()
    stmt = stmt.options(*options)
    return session.scalar(stmt)
