"""JSON answers serialised straight from database rows (orjson), for the routes whose rows
are exactly their response model's fields: no validation pass over rows the database already
constrained. Datetimes are written as pydantic writes them in the response models (UTC as
`Z`; a naive value, as SQLite returns it, is UTC), so an answer is byte for byte the same
(tests/api/test_fast_json.py compares them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from starlette.responses import Response

OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=OPTIONS)


def records(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


def json_response(
    content: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(dumps(content), status_code, headers, media_type="application/json")
