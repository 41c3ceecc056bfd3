"""Shared types: bounded identifiers, NUL-free text, list envelopes, list parameters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


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


class ListParams(BaseModel):
    """Pagination and sorting shared by every list. Filters are the other fields; by
    convention `x_from`/`x_to` bound `x` and `x_contains` searches inside `x`."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=500, description="Page size.")
    offset: int = Field(default=0, ge=0, le=10_000_000, description="Rows to skip.")

    def filters(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in self.model_dump(exclude={"limit", "offset", "sort"}).items():
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


class Message(BaseModel):
    detail: str = Field(examples=["done"])
