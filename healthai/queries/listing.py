"""Filtered, sorted, paginated and tenant-scoped selects over any mapped table.

Filters are a dict: `col` (equals), `col__gte`, `col__lte` (ranges), `col__contains`
(case-insensitive substring) and `col__in` (a list). `None` values are ignored, so a form's
empty fields can be passed as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from healthai.models import BiometricMeasurement, Organisation, User

OPERATORS = ("gte", "lte", "contains", "in")
# A page counts the matching rows up to this many past its end, not all of them: an exact
# count of millions of rows on every page request costs more than the page itself.
COUNT_BEYOND_PAGE = 10_000


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


class Page(NamedTuple):
    rows: list[Any]
    count: int  # rows matching the filters, counted up to COUNT_BEYOND_PAGE past the page
    exact: bool  # False when more rows match than were counted: `count` is a lower bound


def page(
    session: Session,
    model: type,
    filters: dict[str, Any] | None = None,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
    organisation_id: int | None = None,
    options: Sequence[Any] = (),
    count_beyond: int = COUNT_BEYOND_PAGE,
) -> Page:
    """One page of rows and how many rows match the same filters (`options`: loader options
    such as selectinload for related rows)."""
    stmt = build_select(model, filters, sort, organisation_id, options)
    bound = offset + limit + count_beyond
    counted = select(func.count()).select_from(stmt.order_by(None).limit(bound + 1).subquery())
    total = int(session.scalar(counted) or 0)
    rows = list(session.scalars(stmt.limit(limit).offset(offset)))
    return Page(rows, min(total, bound), total <= bound)


def get_one(  # noqa: ANN201
    session: Session,
    model: type,
    row_id: int,
    organisation_id: int | None = None,
    options: Sequence[Any] = (),
):
    """The row with this id, or None when it does not exist or lies outside the tenant."""
    if model is BiometricMeasurement:  # a view: looked up by its reading's key
        from healthai.pipeline.measurements import measurement

        stmt = measurement(session, row_id).where(*tenant_clause(model, organisation_id))
    else:
        pk = model.__mapper__.primary_key[0]
        stmt = select(model).where(pk == row_id, *tenant_clause(model, organisation_id))
    stmt = stmt.options(*options)
    return session.scalar(stmt)
