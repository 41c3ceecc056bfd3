"""CRUD on every resource, on both engines: create, read, list with filters and sorting,
change, delete; writes carry lineage and are audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from healthai.models import AuditLog, Erasure, PersonalDataAccess
from tests.api.conftest import Env
from tests.api.helpers import assert_problem, uid


def payloads(env: Env) -> dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """resource -> (create body, change, list filter matching the created row)."""
    u, f = env.ids["user_a"], env.ids["food"]
    k = uid()
    return {
        "organisations": (
            {"slug": f"org-{k}", "name": "Gym", "kind": "gym"},
            {"name": "Gym renamed"},
            {"name_contains": "gym"},
        ),
        "users": (
            {"external_key": f"t:{k}", "birth_year": 1970, "goal": "health"},
            {"plan_tier": "premium"},
            {"birth_year_from": 1970, "birth_year_to": 1970},
        ),
        "foods": (
            {"source_code": k, "name": f"Food {k}", "energy_kcal": 100},
            {"fat_g": 1.5},
            {"name_contains": k},
        ),
        "recipes": (
            {"source_code": k, "name": f"Recipe {k}", "servings": 2},
            {"servings": 4},
            {"name_contains": k},
        ),
        "exercises": (
            {"source_key": k, "name": f"Ex {k}", "level": "beginner"},
            {"level": "expert"},
            {"name_contains": k},
        ),
        "meal-logs": (
            {
                "user_id": u,
                "eaten_on": "2025-03-01",
                "meal_type": "dinner",
                "food_id": f,
                "energy_kcal": 321,
            },
            {"energy_kcal": 400},
            {"eaten_on_from": "2025-03-01", "eaten_on_to": "2025-03-01", "user_id": u},
        ),
        "workout-sessions": (
            {
                "user_id": u,
                "workout_type": f"w{k}",
                "duration_min": 20,
                "avg_hr_bpm": 120,
                "max_hr_bpm": 150,
            },
            {"duration_min": 25},
            {"workout_type": f"w{k}"},
        ),
        "metrics": (
            {
                "user_id": u,
                "metric": "sleep_hours",
                "measured_at": f"2025-04-{1 + int(k, 16) % 28:02d}T06:{int(k, 16) % 60:02d}:00Z",
                "value": 7.5,
            },
            {"value": 8},
            {"metric": "sleep_hours", "user_id": u},
        ),
    }


RESOURCES = [
    "organisations",
    "users",
    "foods",
    "recipes",
    "exercises",
    "meal-logs",
    "workout-sessions",
    "metrics",
]


@pytest.mark.parametrize("resource", RESOURCES)
def test_crud_cycle(env: Env, resource: str) -> None:
    c, admin = env.client, env.headers["admin"]
    create, change, filters = payloads(env)[resource]

    r = c.post(f"/{resource}", json=create, headers=admin)
    assert r.status_code == 201, r.text
    row = r.json()
    row_id = row["id"]
    if resource != "organisations":
        assert row["batch_id"] and len(row["source_sha256"]) == 64  # lineage

    r = c.get(f"/{resource}/{row_id}", headers=admin)
    assert r.status_code == 200 and r.json()["id"] == row_id

    r = c.get(f"/{resource}", params={**filters, "limit": 500}, headers=admin)
    assert r.status_code == 200, r.text
    assert row_id in [x["id"] for x in r.json()["data"]]
    assert r.json()["count"] >= 1

    r = c.patch(f"/{resource}/{row_id}", json=change, headers=admin)
    assert r.status_code == 200, r.text
    for key, value in change.items():
        assert r.json()[key] == value

    r = c.delete(f"/{resource}/{row_id}", headers=admin)
    assert r.status_code == 204, r.text
    assert_problem(c.get(f"/{resource}/{row_id}", headers=admin), 404)
    assert_problem(c.delete(f"/{resource}/{row_id}", headers=admin), 404)

    with env.session() as s:
        table = resource.replace("-", "_")
        table = {"metrics": "biometric_measurements"}.get(table, table)
        actions = set(
            s.scalars(
                select(AuditLog.action).where(
                    AuditLog.entity == table, AuditLog.entity_id == row_id
                )
            )
        )
    if resource == "users":  # erased: the entries stay, without the person's id nor values
        assert not actions
    else:
        assert {"create", "update", "delete"} <= actions


def test_list_sort_and_paginate(env: Env) -> None:
    c, h = env.client, env.headers["steward"]
    k = uid()
    for kcal in (300, 100, 200):
        body = {"source_code": f"{k}-{kcal}", "name": f"S{k}", "energy_kcal": kcal}
        assert c.post("/foods", json=body, headers=h).status_code == 201
    r = c.get("/foods", params={"name_contains": f"s{k}", "sort": "-energy_kcal"}, headers=h)
    assert [x["energy_kcal"] for x in r.json()["data"]] == [300, 200, 100]
    r = c.get(
        "/foods",
        params={"name_contains": k, "sort": "energy_kcal", "limit": 1, "offset": 1},
        headers=h,
    )
    assert r.json()["count"] == 3 and [x["energy_kcal"] for x in r.json()["data"]] == [200]
    assert_problem(c.get("/foods", params={"sort": "nope"}, headers=h), 422)
    assert_problem(c.get("/foods", params={"unknown": "1"}, headers=h), 422)


def test_duplicate_is_409_and_bad_values_422(env: Env) -> None:
    c, h = env.client, env.headers["admin"]
    slug = f"dup-{uid()}"
    assert (
        c.post(
            "/organisations", json={"slug": slug, "name": "A", "kind": "gym"}, headers=h
        ).status_code
        == 201
    )
    assert_problem(
        c.post("/organisations", json={"slug": slug, "name": "B", "kind": "gym"}, headers=h), 409
    )
    body = assert_problem(c.post("/meal-logs", json={"user_id": env.ids["user_a"]}, headers=h), 422)
    assert {e["loc"][-1] for e in body["errors"]} >= {"eaten_on", "meal_type", "energy_kcal"}
    # a reference to a missing row is refused by the database, reported as 409 (a conflict
    # with the current rows: the request itself is well formed)
    assert_problem(
        c.post(
            "/meal-logs",
            json={
                "user_id": 999999,
                "eaten_on": "2025-01-01",
                "meal_type": "lunch",
                "energy_kcal": 1,
            },
            headers=h,
        ),
        409,
    )
    # a cross-field CHECK (average heart rate above the maximum)
    assert_problem(
        c.post(
            "/workout-sessions",
            json={
                "user_id": env.ids["user_a"],
                "workout_type": "x",
                "duration_min": 5,
                "avg_hr_bpm": 180,
                "max_hr_bpm": 120,
            },
            headers=h,
        ),
        422,
    )
    # a food still referenced by meal logs cannot be deleted
    assert_problem(c.delete(f"/foods/{env.ids['food']}", headers=h), 409)


def test_erasing_a_user_erases_their_data(env: Env) -> None:
    c, h = env.client, env.headers["admin"]
    user = c.post("/users", json={"birth_year": 1990}, headers=h).json()
    uid_ = user["id"]
    for day in ("2025-01-01", "2025-01-02"):
        assert (
            c.post(
                "/meal-logs",
                json={"user_id": uid_, "eaten_on": day, "meal_type": "lunch", "energy_kcal": 500},
                headers=h,
            ).status_code
            == 201
        )
    assert (
        c.post(
            "/metrics",
            json={
                "user_id": uid_,
                "metric": "weight_kg",
                "measured_at": "2025-01-01T00:00:00Z",
                "value": 70,
            },
            headers=h,
        ).status_code
        == 201
    )
    assert c.get("/meal-logs", params={"user_id": uid_}, headers=h).json()["count"] == 2
    # only an admin may erase
    assert_problem(c.delete(f"/users/{uid_}", headers=env.headers["steward"]), 403)
    assert c.delete(f"/users/{uid_}", headers=h).status_code == 204
    assert c.get("/meal-logs", params={"user_id": uid_}, headers=h).json()["count"] == 0
    assert c.get("/metrics", params={"user_id": uid_}, headers=h).json()["count"] == 0
    with env.session() as s:
        erasure = s.scalars(select(Erasure).order_by(Erasure.id.desc())).first()
        assert erasure is not None and erasure.actor == "admin"
        assert erasure.detail["rows"]["published:meal_logs"] == 2
        erased = s.scalars(
            select(PersonalDataAccess).where(
                PersonalDataAccess.action == "erase", PersonalDataAccess.resource == "users"
            )
        ).all()
        # the erasure is logged, naming the erasure, not the person
        assert any(e.detail == {"erased": erasure.id} for e in erased)
        assert all(str(uid_) not in e.path for e in erased)
        logged = s.scalars(
            select(AuditLog).where(
                AuditLog.comment == f"erased with its person (erasure {erasure.id})"
            )
        ).all()
        # create and update of the user and of its rows: kept, without ids nor values
        assert {a.action for a in logged} >= {"create"}
        assert all(a.entity_id == 0 and a.before is None and a.after is None for a in logged)
        assert "erase" in set(
            s.scalars(
                select(AuditLog.action).where(
                    AuditLog.entity == "erasures", AuditLog.entity_id == erasure.id
                )
            )
        )


def test_reads_of_personal_data_are_logged(env: Env) -> None:
    c = env.client
    assert c.get(f"/users/{env.ids['user_a']}", headers=env.headers["partner"]).status_code == 200
    with env.session() as s:
        rows = s.scalars(
            select(PersonalDataAccess).where(
                PersonalDataAccess.actor == "partner-a", PersonalDataAccess.resource == "users"
            )
        ).all()
    assert any(r.detail == {"id": env.ids["user_a"]} and r.action == "read" for r in rows)


def test_clear_messages_for_nulls_and_metric_ranges(env: Env) -> None:
    c, h = env.client, env.headers["admin"]
    body = assert_problem(c.patch(f"/foods/{env.ids['food']}", json={"name": None}, headers=h), 422)
    assert body["detail"] == "name cannot be null"
    body = assert_problem(
        c.post(
            "/metrics",
            json={
                "user_id": env.ids["user_a"],
                "metric": "sleep_hours",
                "measured_at": "2025-01-01T00:00:00Z",
                "value": 30,
            },
            headers=h,
        ),
        422,
    )
    assert "between 0.0 and 24.0" in body["errors"][0]["msg"]


def test_recipes_show_ingredients_and_exercises_muscles(env: Env) -> None:
    from healthai.models import ExerciseMuscle, Muscle, Recipe, RecipeIngredient
    from tests.api.conftest import lineage

    k = uid()
    with env.session() as s:
        recipe = Recipe(
            code=f"fx:{k}",
            source="fx",
            source_code=k,
            name=f"R{k}",
            servings=1,
            **lineage(env.batch_id, k),
        )
        s.add(recipe)
        s.flush()
        s.add(RecipeIngredient(recipe_id=recipe.id, food_id=env.ids["food"], quantity_g=150))
        muscle = Muscle(name=f"m{k}")
        s.add(muscle)
        s.commit()
        recipe_id, muscle_id = recipe.id, muscle.id
    c, h = env.client, env.headers["analyst"]
    r = c.get(f"/recipes/{recipe_id}", headers=h).json()
    assert r["ingredients"] == [{"food_id": env.ids["food"], "quantity_g": 150.0}]
    listed = c.get("/recipes", params={"name_contains": k}, headers=h).json()["data"]
    assert listed[0]["ingredients"] == r["ingredients"]
    ex = c.post("/exercises", json={"source_key": k, "name": "E"}, headers=env.headers["steward"])
    assert ex.status_code == 201 and ex.json()["muscles"] == []
    with env.session() as s:
        s.add(ExerciseMuscle(exercise_id=ex.json()["id"], muscle_id=muscle_id, role="primary"))
        s.commit()
    got = c.get(f"/exercises/{ex.json()['id']}", headers=h).json()
    assert got["muscles"] == [{"muscle_id": muscle_id, "role": "primary"}]
