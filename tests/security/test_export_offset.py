"""Finding 13, export part (#14): an export's `offset` and `limit` are applied by the database.

Before the fix the API read every matching row and skipped `offset` of them in Python: 11 s to
answer an empty page of a large table. The test watches the SQL the export sends: the rows
skipped and the page size must be in the statement, and the answer must be the right page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.api.conftest import Env, make_env
from tests.conftest import ENGINES


@pytest.fixture(scope="module", params=ENGINES)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with make_env(request.param, tmp_path_factory.mktemp("offset")) as env:
        yield env


@contextmanager
def statements(env: Env) -> Iterator[list[tuple[str, object]]]:
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001, ARG001
        seen.append((statement, parameters))

    engine = env.app.state.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("identified", [False, True])
def test_export_offset_and_limit_are_applied_by_the_database(api: Env, identified: bool) -> None:
    c, h = api.client, api.headers["admin"]
    base = {"format": "json", "identified": str(identified).lower()}
    full = c.get("/exports/meal-logs", params=base, headers=h).json()
    assert len(full) >= 4
    with statements(api) as seen:
        part = c.get(
            "/exports/meal-logs", params={**base, "offset": 1, "limit": 2}, headers=h
        ).json()
        beyond = c.get("/exports/meal-logs", params={**base, "offset": 9_999_999}, headers=h).json()
    assert part == full[1:3]
    assert beyond == []
    reads = [(s, p) for s, p in seen if "FROM meal_logs" in s and "personal_data_access" not in s]
    assert len(reads) == 2, reads
    expected = [(1, 2), (9_999_999, None)]
    for (statement, parameters), (offset, limit) in zip(reads, expected, strict=True):
        assert "OFFSET" in statement.upper(), statement
        values = list(parameters.values() if isinstance(parameters, dict) else parameters)
        assert offset in values, (statement, parameters)
        if limit is not None:
            assert "LIMIT" in statement.upper() and limit in values, (statement, parameters)
