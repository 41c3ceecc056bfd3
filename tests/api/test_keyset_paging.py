"""Paging by key (`after`, `next_after`) on the resource lists: walking a list by key gives
every row once, in id order, as walking it by offset does; with an offset or another order,
`after` is a filter on the id."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Env


def _walk(env: Env, path: str, by_key: bool) -> list[int]:
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        r = env.client.get(path, params=params, headers=env.headers["admin"])
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [row["id"] for row in body["data"]]
        if by_key:
            if body["next_after"] is None:
                return seen
            assert body["next_after"] == body["data"][-1]["id"]
            params["after"] = body["next_after"]
        else:
            if len(body["data"]) < 2:
                return seen
            params["offset"] = params.get("offset", 0) + 2


@pytest.mark.parametrize("path", ["/metrics", "/foods", "/users"])
def test_walking_by_key_gives_every_row_once_as_offsets_do(env: Env, path: str) -> None:
    by_offset = _walk(env, path, by_key=False)
    assert by_offset, "the fixture has rows"
    by_key = _walk(env, path, by_key=True)
    assert by_key == by_offset == sorted(by_offset)


def test_after_is_a_filter_on_the_id_with_an_offset_or_another_order(env: Env) -> None:
    h = env.headers["admin"]
    every = env.client.get("/metrics?limit=500", headers=h).json()["data"]
    pivot = every[len(every) // 3]["id"]
    later = [r["id"] for r in every if r["id"] > pivot]
    skipped = env.client.get(f"/metrics?after={pivot}&offset=1&limit=2", headers=h).json()
    assert [r["id"] for r in skipped["data"]] == later[1:3]
    newest = env.client.get(f"/metrics?after={pivot}&sort=-measured_at", headers=h).json()
    assert sorted(r["id"] for r in newest["data"]) == later
    assert newest["next_after"] is None  # not in id order: no key to page by
    assert env.client.get("/metrics?after=-1", headers=h).status_code == 422
