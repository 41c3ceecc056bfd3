"""Lists and details serialised straight from database rows (api/responses.py, orjson) answer
byte for byte what the response models gave when they validated ORM objects (the routes
before #16's rewrite): same keys in the same order, same numbers, timestamps in UTC with `Z`."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from api.routers.resources import RESOURCES
from api.schemas.common import ResourcePage
from healthai.queries.listing import get_one, page
from tests.api.conftest import Env

PLAIN = [r for r in RESOURCES if r.columns is not None]


def test_every_resource_without_related_rows_takes_the_plain_row_path() -> None:
    assert {r.path for r in PLAIN} >= {"users", "metrics", "meal-logs", "foods"}


@pytest.mark.parametrize("res", PLAIN, ids=[r.path for r in PLAIN])
def test_list_and_detail_are_the_response_models_bytes(env: Env, res: object) -> None:
    h = env.headers["admin"]
    r = env.client.get(f"/{res.path}", params={"limit": 5, "sort": "-id"}, headers=h)
    assert r.status_code == 200, r.text
    with env.session() as session:
        rows, total, exact = page(session, res.model, {}, "-id", 5, 0)
        as_page = TypeAdapter(ResourcePage[res.read])
        expected = as_page.dump_json(
            as_page.validate_python(
                {"data": rows, "count": total, "count_exact": exact, "limit": 5, "offset": 0}
            )
        )
        assert rows, f"the fixture has no {res.path}"
        assert r.content == expected
        one = get_one(session, res.model, rows[0].id)
        detail = env.client.get(f"/{res.path}/{rows[0].id}", headers=h)
        assert detail.status_code == 200, detail.text
        as_read = TypeAdapter(res.read)
        assert detail.content == as_read.dump_json(as_read.validate_python(one))
