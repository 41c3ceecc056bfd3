"""The population a figure counts, by cohort: the source a person was published from (the
app's own users, gym members, a reference dataset...). The web interface narrows every figure
to one cohort with `within(source)`; `healthai.queries.analytics` adds `clause(model)` to its
organisation scope and reads its per-scope rollups only when no cohort is chosen (they are kept
per organisation, not per cohort). The API's answers are unchanged (no cohort)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import select

from healthai.models import Batch, Source, User

_COHORT: ContextVar[str | None] = ContextVar("cohort", default=None)


def current() -> str | None:
    """The cohort (source name) figures are narrowed to, None: everyone."""
    return _COHORT.get()


@contextmanager
def within(source: str | None) -> Iterator[None]:
    """Figures computed inside are those of the people published from `source` (None: all)."""
    token = _COHORT.set(source or None)
    try:
        yield
    finally:
        _COHORT.reset(token)


def clause(model: type) -> list[Any]:
    """WHERE clauses confining `model` to the current cohort's people ([] without one)."""
    source = current()
    if source is None:
        return []
    people = (
        select(User.id)
        .join(Batch, Batch.id == User.batch_id)
        .join(Source, Source.id == Batch.source_id)
        .where(Source.name == source)
    )
    if model is User:
        return [User.id.in_(people)]
    user_id = getattr(model, "user_id", None)
    return [user_id.in_(people)] if user_id is not None else []
