"""Shared types: bounded identifiers, NUL-free text, list envelopes, list parameters."""

from __future__ import annotations

import re
import types
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# Timestamps read back from the database: SQLite returns them naive, they are UTC.
UtcDateTime = Annotated[datetime, AfterValidator(_utc)]
Id = Annotated[int, Field(ge=1, le=2_147_483_647, examples=[1])]
SmallCount = Annotated[int, Field(ge=0, le=32_767)]
# Text the database can store on both engines (PostgreSQL refuses NUL characters).
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]


def text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[
        str,
        StringConstraints(
            pattern=r"^[^\x00]*$",
            max_length=max_length,
            min_length=min_length,
            strip_whitespace=False,
        ),
    ]


# ------------------------------------------------------------------ input as the schema says
# Pydantic's lax mode takes `true` for 1, `"12"` for 12 and 0 for 1970-01-01; the OpenAPI
# document says integer, number, boolean, string (format date / date-time). Request models
# check the JSON type first, so that the API refuses exactly what the document forbids.
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# RFC 3339 date-time (OpenAPI `format: date-time`): seconds and an offset (or Z) required.
ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})"
)
NUMBERS = frozenset({int, float})


def _kinds(annotation: Any) -> set[type]:
    """The plain types a field accepts (Optional, Annotated, Literal unwrapped)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kinds(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return set().union(*(_kinds(a) for a in get_args(annotation)))
    if origin is Literal:
        return {type(a) for a in get_args(annotation)}
    if origin is not None:
        return {origin} if isinstance(origin, type) else {object}
    return {annotation} if isinstance(annotation, type) else {object}


def _temporal(kinds: set[type], value: str) -> str:
    if datetime in kinds and not ISO_DATETIME.fullmatch(value):
        raise ValueError("expected an RFC 3339 date-time, e.g. 2026-01-31T08:00:00Z")
    if date in kinds and datetime not in kinds and not ISO_DATE.fullmatch(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


def json_value(annotation: Any, value: Any) -> Any:
    """`value` of a JSON body when its JSON type is the one the schema gives `annotation`."""
    kinds = _kinds(annotation)
    if object in kinds or value is None or isinstance(value, list | dict):
        return value
    if isinstance(value, bool):
        if bool not in kinds:
            raise ValueError("a boolean is not accepted here")
    elif isinstance(value, int | float):
        if not kinds & NUMBERS:
            raise ValueError("a number is not accepted here")
    elif isinstance(value, str):
        if not kinds - NUMBERS - {bool, type(None)}:
            raise ValueError("a string is not accepted here")
        return _temporal(kinds, value)
    return value


def query_value(annotation: Any, value: Any) -> Any:
    """A query parameter (always text): dates and date-times in their ISO formats only."""
    if isinstance(value, str):
        return _temporal(_kinds(annotation), value)
    return value


def _iso_date(value: Any) -> Any:
    return query_value(date, value)


def _iso_datetime(value: Any) -> Any:
    return query_value(datetime, value)


# Query parameters declared one by one (not in a model): `date` as YYYY-MM-DD only,
# `datetime` as RFC 3339 only (no Unix timestamps).
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]


class Input(BaseModel):
    """Base of request bodies: each field takes only the JSON type the schema states."""

    @field_validator("*", mode="before")
    @classmethod
    def _json_type(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        return value if field is None else json_value(field.annotation, value)


class QueryInput(BaseModel):
    """Base of query parameter models: dates and date-times in their ISO formats only."""

    @field_validator("*", mode="before")
    @classmethod
    def _iso(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        return value if field is None else query_value(field.annotation, value)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the rows and the total number matching the filters."""

    data: list[T]
    count: int = Field(
        description="Rows matching the filters (all pages), counted up to 10,000 rows past "
        "this page: when more match, `count_exact` is false and `count` is a lower bound.",
        examples=[1],
    )
    count_exact: bool = Field(
        default=True, description="False when `count` is a lower bound.", examples=[True]
    )
    limit: int = Field(examples=[50])
    offset: int = Field(examples=[0])


class ResourcePage(Page[T], Generic[T]):
    """A page of a resource list, which also pages by key (`after`)."""

    next_after: int | None = Field(
        default=None,
        description="Pass it as `after` for the next page (in id order, the default): null on "
        "the last page or when the list is sorted by another column.",
        examples=[1250],
    )


class ListParams(QueryInput):
    """Pagination and sorting shared by every list. Filters are the other fields; by
    convention `x_from`/`x_to` bound `x` and `x_contains` searches inside `x`."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=500, description="Page size.")
    offset: int = Field(default=0, ge=0, le=10_000_000, description="Rows to skip.")

    def filters(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in self.model_dump(exclude={"limit", "offset", "sort", "after"}).items():
            if value is None:
                continue
            if name.endswith("_from"):
                out[name[: -len("_from")] + "__gte"] = value
            elif name.endswith("_to"):
                out[name[: -len("_to")] + "__lte"] = value
            elif name.endswith("_contains"):
                out[name[: -len("_contains")] + "__contains"] = value
            else:
                out[name] = value
        return out


class ResourceListParams(ListParams):
    """A resource's list: by offset, or by key (`after`: the rows whose id comes after it; in
    id order, the default, each page costs the same however deep, where an offset costs its
    depth)."""

    after: int | None = Field(
        default=None,
        ge=0,
        le=2_147_483_647,
        description="Only rows whose id is greater than this one. In id order (the default) "
        "this pages by key: pass the previous page's `next_after`.",
    )


class Message(BaseModel):
    detail: str = Field(examples=["done"])
