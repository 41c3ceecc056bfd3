"""Exports equal the published rows, streamed as CSV or JSON with the lists' filters; user ids
are pseudonymised unless an admin asks otherwise; every export is logged."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from healthai.models import MealLog, PersonalDataAccess, User
from healthai.privacy import pseudonym, pseudonym_of
from tests.api.conftest import Env
from tests.api.helpers import assert_problem


def test_json_export_equals_published_rows(env: Env) -> None:
    c = env.client
    r = c.get(
        "/exports/meal-logs",
        params={"format": "json", "identified": "true"},
        headers=env.headers["admin"],
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert 'filename="meal_logs.json"' in r.headers["content-disposition"]
    exported = {row["id"]: row for row in r.json()}
    with env.session() as s:
        rows = s.scalars(select(MealLog)).all()
    assert set(exported) == {m.id for m in rows}
    for m in rows:
        e = exported[m.id]
        assert (e["user_id"], e["eaten_on"], e["energy_kcal"], e["batch_id"]) == (
            m.user_id,
            m.eaten_on.isoformat(),
            m.energy_kcal,
            m.batch_id,
        )


def test_csv_export_with_filters_is_pseudonymised_for_analysts(env: Env) -> None:
    c, a = env.client, env.ids["user_a"]
    r = c.get(
        "/exports/meal-logs",
        params={"meal_type": "lunch", "sort": "-eaten_on"},
        headers=env.headers["analyst"],
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    with env.session() as s:
        expected = s.scalars(select(MealLog).where(MealLog.meal_type == "lunch")).all()
    # the same rows, each id and user id replaced by its keyed pseudonym (computed in SQL,
    # equal to healthai.privacy's), newest first
    assert sorted((x["id"], x["user_id"], x["eaten_on"]) for x in rows) == sorted(
        (
            pseudonym_of(env.settings, "meal_logs", m.id),
            pseudonym(env.settings, m.user_id),
            m.eaten_on.isoformat(),
        )
        for m in expected
    )
    assert [x["eaten_on"] for x in rows] == sorted((x["eaten_on"] for x in rows), reverse=True)
    assert not {"source_record", "source_sha256", "batch_id"} & set(rows[0])
    assert str(a) != pseudonym(env.settings, a)
    # a real user id as a filter would link it to its pseudonym: only for an admin
    assert_problem(
        c.get("/exports/meal-logs", params={"user_id": a}, headers=env.headers["analyst"]), 403
    )
    own = c.get(
        "/exports/meal-logs", params={"user_id": a, "format": "json"}, headers=env.headers["admin"]
    ).json()
    assert own and {x["user_id"] for x in own} == {pseudonym(env.settings, a)}
    # the users table: ids pseudonymised the same way, natural key dropped
    users = list(
        csv.DictReader(io.StringIO(c.get("/exports/users", headers=env.headers["analyst"]).text))
    )
    assert "external_key" not in users[0]
    assert pseudonym(env.settings, a) in {u["id"] for u in users}
    # only an admin gets real identifiers; partners do not export
    assert_problem(
        c.get("/exports/users", params={"identified": "true"}, headers=env.headers["analyst"]), 403
    )
    assert_problem(c.get("/exports/users", headers=env.headers["partner"]), 403)
    admin = c.get(
        "/exports/users",
        params={"identified": "true", "format": "json"},
        headers=env.headers["admin"],
    ).json()
    with env.session() as s:
        assert {u["external_key"] for u in admin} == set(s.scalars(select(User.external_key)))


def test_exports_are_logged(env: Env) -> None:
    c = env.client
    c.get(
        "/exports/metrics",
        params={"metric": "weight_kg", "limit": 1},
        headers=env.headers["analyst"],
    )
    with env.session() as s:
        logged = s.scalars(
            select(PersonalDataAccess).where(
                PersonalDataAccess.action == "export",
                PersonalDataAccess.resource == "biometric_measurements",
            )
        ).all()
    assert any(
        e.actor == "analyst" and e.detail["filters"]["metric"] == "weight_kg" for e in logged
    )


def test_export_limit_and_offset(env: Env) -> None:
    c, h = env.client, env.headers["analyst"]
    full = c.get("/exports/meal-logs", params={"format": "json"}, headers=h).json()
    part = c.get(
        "/exports/meal-logs", params={"format": "json", "limit": 2, "offset": 1}, headers=h
    ).json()
    assert part == full[1:3]
