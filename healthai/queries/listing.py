"""Filtered, sorted, paginated and tenant-scoped selects over any mapped table.

Filters are a dict: `col` (equals), `col__gte`, `col__lte` (ranges), `col__contains`
(case-insensitive substring) and `col__in` (a list). `None` values are ignored, so a form's
empty fields can be passed as they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from healthai.models import Organisation, User

OPERATORS = ("gte", "lte", "contains", "in")


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
) -> Select:
    """SELECT model rows matching `filters`, ordered by `sort` ('col' or '-col', then by id)."""
    stmt = select(model).where(
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
    return stmt.order_by(*order).options(*options)


def page(
    session: Session,
    model: type,
    filters: dict[str, Any] | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    organisation_id: int | None = None,
    options: Sequence[Any] = (),
) -> tuple[list[Any], int]:
    """One page of rows and the total count matching the same filters (`options`: loader
    options such as selectinload for related rows)."""
    stmt = build_select(model, filters, sort, organisation_id, options)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = list(session.scalars(stmt.limit(limit).offset(offset)))
    return rows, int(total or 0)


def get_one(  # noqa: ANN201
    session: Session,
    model: type,
    row_id: int,
    organisation_id: int | None = None,
    options: Sequence[Any] = (),
):
    """The row with this id, or None when it does not exist or lies outside the tenant."""
    pk = model.__mapper__.primary_key[0]
    stmt = select(model).where(pk == row_id, *tenant_clause(model, organisation_id))
    stmt = stmt.options(*options)
    return session.scalar(stmt)


def iter_rows(
    session: Session,
    model: type,
    filters: dict[str, Any] | None = None,
    sort: str | None = None,
    organisation_id: int | None = None,
    chunk: int = 1000,
) -> Iterator[Any]:
    """Every matching row, fetched in chunks (for streamed exports)."""
    stmt = build_select(model, filters, sort, organisation_id).execution_options(yield_per=chunk)
    yield from session.scalars(stmt)
