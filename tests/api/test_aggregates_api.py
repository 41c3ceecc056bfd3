"""The API's writes keep the analytics' aggregates and rollups in step, by calls made where the
data change (healthai.pipeline.aggregates.rows_written, user_erased; no ORM event hook): a meal
log created, changed and deleted, a user moved to another organisation, a user erased. After
each write the maintained aggregates equal ones rebuilt from the facts, and the figure the
write moves has moved (each test fails with its call removed from api/routers/resources.py or
healthai/erasure.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from healthai.models import DailyUserNutrition, ProgressionRollup
from healthai.pipeline import aggregates
from healthai.pipeline.rollups import ALL
from tests.api.conftest import Env, make_env
from tests.conftest import ENGINES
from tests.test_aggregates import aggregate_rows


@pytest.fixture(scope="module", params=ENGINES)
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """An app of its own: these tests add people and facts to the organisations whose figures
    the shared app's analytics tests assert (they failed when run after these)."""
    with make_env(request.param, tmp_path_factory.mktemp("aggregates")) as e:
        yield e


def ADMIN(env: Env) -> dict[str, str]:  # noqa: N802
    return env.headers["admin"]


def follows(env: Env) -> None:
    """The maintained aggregates and rollups are what a rebuild from the facts gives."""
    with env.session() as s:
        maintained = aggregate_rows(s)
        aggregates.rebuild(s)
        assert aggregate_rows(s) == maintained
        s.rollback()


def nutrition(env: Env, user: int) -> list[tuple[date, int, float]]:
    t = DailyUserNutrition
    with env.session() as s:
        rows = s.execute(
            select(t.day, t.meals, t.energy_kcal).where(t.user_id == user).order_by(t.day)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def measured(env: Env, scope: int) -> int:
    """Users measured (weight) in a scope's progression rollup."""
    r = ProgressionRollup
    with env.session() as s:
        n = s.scalar(select(r.users_measured).where(r.scope == scope, r.metric == "weight_kg"))
        return int(n or 0)


def new_user(env: Env, **values: Any) -> int:
    c, h = env.client, env.headers["admin"]
    r = c.post("/users", json={"birth_year": 1980, **values}, headers=h)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def weigh(env: Env, user: int, *days: str) -> None:
    for i, day in enumerate(days):
        body = {"user_id": user, "metric": "weight_kg", "measured_at": f"{day}T07:00:00Z"}
        r = env.client.post("/metrics", json=body | {"value": 80 - i}, headers=ADMIN(env))
        assert r.status_code == 201, r.text


def test_meal_log_writes_keep_daily_nutrition(env: Env) -> None:
    c, h = env.client, env.headers["admin"]
    user = new_user(env)
    meal = {"user_id": user, "eaten_on": "2025-04-01", "meal_type": "lunch", "energy_kcal": 500}
    r = c.post("/meal-logs", json=meal, headers=h)
    assert r.status_code == 201, r.text
    meal_id = r.json()["id"]
    assert nutrition(env, user) == [(date(2025, 4, 1), 1, 500.0)]
    follows(env)

    change = {"energy_kcal": 700, "eaten_on": "2025-04-02"}
    r = c.patch(f"/meal-logs/{meal_id}", json=change, headers=h)
    assert r.status_code == 200, r.text
    assert nutrition(env, user) == [(date(2025, 4, 2), 1, 700.0)]
    follows(env)

    assert c.delete(f"/meal-logs/{meal_id}", headers=h).status_code == 204
    assert nutrition(env, user) == []
    follows(env)


def test_a_user_moving_organisation_moves_in_the_rollups(env: Env) -> None:
    a, b = env.ids["org_a"], env.ids["org_b"]
    user = new_user(env, organisation_id=a)
    weigh(env, user, "2025-04-01", "2025-04-08")
    in_a, in_b = measured(env, a), measured(env, b)
    assert in_a >= 1
    r = env.client.patch(f"/users/{user}", json={"organisation_id": b}, headers=ADMIN(env))
    assert r.status_code == 200, r.text
    assert (measured(env, a), measured(env, b)) == (in_a - 1, in_b + 1)
    follows(env)


def test_erasing_a_user_takes_them_out_of_the_rollups(env: Env) -> None:
    user = new_user(env, organisation_id=env.ids["org_a"])
    weigh(env, user, "2025-05-01", "2025-05-15")
    everyone, in_a = measured(env, ALL), measured(env, env.ids["org_a"])
    assert env.client.delete(f"/users/{user}", headers=env.headers["admin"]).status_code == 204
    assert (measured(env, ALL), measured(env, env.ids["org_a"])) == (everyone - 1, in_a - 1)
    follows(env)
