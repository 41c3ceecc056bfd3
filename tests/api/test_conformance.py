"""What schemathesis found in issue #14 (finding 14), each checked directly and quickly (the
full schemathesis run is tests/api/test_schemathesis.py): `Allow` lists every method of a
path, every answer an operation can give is in the document, the API refuses what the
document forbids (booleans as numbers, numbers as dates) and accepts what it allows (a
reversed period, a reference to a missing row is a 409 conflict), explicit links."""

from __future__ import annotations

import pytest

from tests.api.conftest import Env
from tests.api.helpers import assert_problem


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/foods", "GET, HEAD, POST"),
        ("PUT", "/foods/1", "GET, HEAD, PATCH, DELETE"),
        ("OPTIONS", "/accounts/1", "PATCH"),
        ("DELETE", "/batches/1/approve", "POST"),
    ],
)
def test_405_allows_every_method_of_the_path(
    env: Env, method: str, path: str, allowed: str
) -> None:
    r = env.client.request(method, path, headers=env.headers["admin"])
    assert r.status_code == 405
    assert r.headers["allow"] == allowed
    assert r.headers["content-type"] == "application/problem+json"


def test_every_answer_is_documented(env: Env) -> None:
    spec = env.client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            codes = set(op["responses"])
            assert {"400", "413", "414", "431"} <= codes, (method, path)
            if path != "/health":
                assert "503" in codes, (method, path)
                assert op["responses"]["503"]["headers"]["Retry-After"]["required"], path
            if op.get("security"):
                assert {"401", "403"} <= codes, (method, path)
                assert {"Bearer": []} in op["security"]
            for code, response in op["responses"].items():
                if int(code) >= 400 and path != "/ready":
                    assert list(response["content"]) == ["application/problem+json"], code
    login = spec["paths"]["/auth/token"]["post"]["responses"]["429"]
    assert "Retry-After" in login["headers"]


def test_links_follow_created_and_listed_rows(env: Env) -> None:
    spec = env.client.get("/openapi.json").json()
    created = spec["paths"]["/users"]["post"]["responses"]["201"]["links"]
    assert created["users-get_users"]["parameters"] == {"row_id": "$response.body#/id"}
    assert {"users-update_users", "users-delete_users"} <= set(created)
    listed = spec["paths"]["/batches"]["get"]["responses"]["200"]["links"]
    approve = next(v for k, v in listed.items() if k.endswith("approve"))
    assert approve["parameters"] == {"batch_id": "$response.body#/data/0/id"}
    account = spec["paths"]["/accounts"]["post"]["responses"]["201"]["links"]
    assert any(v["parameters"] == {"account_id": "$response.body#/id"} for v in account.values())


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/foods", {"source_code": "x", "name": "X", "fibre_g": True}),
        ("/api-keys", {"name": "key-x", "account_id": True}),
        ("/foods", {"source_code": "x", "name": "X", "energy_kcal": "52"}),
        (
            "/meal-logs",
            {"user_id": 1, "eaten_on": 20260101, "meal_type": "lunch", "energy_kcal": 1},
        ),
        ("/metrics", {"user_id": 1, "metric": "weight_kg", "measured_at": 0, "value": 80}),
    ],
)
def test_json_types_are_the_documented_ones(env: Env, path: str, body: dict) -> None:
    assert_problem(env.client.post(path, json=body, headers=env.headers["admin"]), 422)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/meal-logs", {"eaten_on_to": "0"}),
        ("/metrics", {"measured_at_from": "1767225600"}),
        ("/metrics", {"measured_at_from": "2026-01-01T00:00:00"}),  # no offset
        ("/workout-sessions", {"performed_on_from": "2026-01-01T00:00:00Z"}),
        ("/analytics/business/engagement", {"as_of": "1767225600"}),
    ],
)
def test_dates_only_in_their_formats(env: Env, path: str, params: dict) -> None:
    assert_problem(env.client.get(path, params=params, headers=env.headers["admin"]), 422)


def test_well_formed_requests_the_rows_refuse_are_conflicts(env: Env) -> None:
    admin = env.headers["admin"]
    body = {"name": "key-of-nobody", "account_id": 2_000_000_000}
    assert_problem(env.client.post("/api-keys", json=body, headers=admin), 409)
    body = {"username": "partner-nowhere", "password": "x" * 16, "role": "partner"}
    assert_problem(env.client.post("/accounts", json=body, headers=admin), 422)  # stated
    body["organisation_id"] = 2_000_000_000
    assert_problem(env.client.post("/accounts", json=body, headers=admin), 409)


def test_the_rule_json_schema_cannot_state_is_in_the_description(env: Env) -> None:
    spec = env.client.get("/openapi.json").json()
    avg = spec["components"]["schemas"]["WorkoutSessionCreate"]["properties"]["avg_hr_bpm"]
    assert "max_hr_bpm" in str(avg)
    body = {
        "user_id": env.ids["user_a"],
        "workout_type": "running",
        "duration_min": 30,
        "avg_hr_bpm": 180,
        "max_hr_bpm": 120,
    }
    r = env.client.post("/workout-sessions", json=body, headers=env.headers["admin"])
    problem = assert_problem(r, 422)
    assert "avg_hr_bpm must not exceed max_hr_bpm" in str(problem["errors"])


def test_not_modified_is_documented_where_it_is_answered(env: Env) -> None:
    spec = env.client.get("/openapi.json").json()
    assert "304" in spec["paths"]["/foods"]["get"]["responses"]
    assert "304" in spec["paths"]["/analytics/users/goals"]["get"]["responses"]
    assert "304" not in spec["paths"]["/users"]["get"]["responses"]  # personal: no-store
    admin = env.headers["admin"]
    etag = env.client.get("/foods", headers=admin).headers["etag"]
    again = env.client.get("/foods", headers={**admin, "If-None-Match": etag})
    assert again.status_code == 304
