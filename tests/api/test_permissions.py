"""The permission matrix: every route x every role -> the expected status (default deny), and
partner isolation (a partner sees only its own organisation's members)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Env
from tests.api.helpers import PROBLEM

# Who holds which permission, written out here independently of api.security.
ALLOWED: dict[str, set[str]] = {
    "public": {"admin", "steward", "analyst", "partner", "api_key", "anonymous"},
    "authenticated": {"admin", "steward", "analyst", "partner", "api_key"},
    "catalogue:read": {"admin", "steward", "analyst", "partner", "api_key"},
    "catalogue:write": {"admin", "steward"},
    "organisations:read": {"admin", "steward", "analyst", "partner", "api_key"},
    "organisations:write": {"admin"},
    "people:read": {"admin", "steward", "partner"},
    "people:write": {"admin", "steward"},
    "people:erase": {"admin"},
    "batches:read": {"admin", "steward", "analyst", "api_key"},
    "batches:decide": {"admin", "steward"},
    "quarantine:read": {"admin", "steward"},
    "quarantine:correct": {"admin", "steward"},
    "exports:read": {"admin", "steward", "analyst", "api_key"},
    "exports:identified": {"admin"},
    "analytics:read": {"admin", "steward", "analyst", "partner", "api_key"},
    "accounts:admin": {"admin"},
}
ROLES = ["admin", "steward", "analyst", "partner", "api_key", "anonymous"]
MISSING = 2_147_483_000  # an id that never exists: allowed callers get 404, not a change
BAD = {"__unknown_field": 1}  # allowed callers get 422: nothing is written

RESOURCE_SCOPES = {
    "organisations": ("organisations:read", "organisations:write", "organisations:write"),
    "users": ("people:read", "people:write", "people:erase"),
    "foods": ("catalogue:read", "catalogue:write", "catalogue:write"),
    "recipes": ("catalogue:read", "catalogue:write", "catalogue:write"),
    "exercises": ("catalogue:read", "catalogue:write", "catalogue:write"),
    "meal-logs": ("people:read", "people:write", "people:write"),
    "workout-sessions": ("people:read", "people:write", "people:write"),
    "metrics": ("people:read", "people:write", "people:write"),
}
EXPORTS = [
    *RESOURCE_SCOPES,
    "daily-activity",
    "app-sessions",
    "satisfaction-surveys",
    "subscriptions",
]
ANALYTICS = [
    "users/age-distribution",
    "users/goals",
    "users/progression",
    "nutrition/trends",
    "nutrition/reference-gaps",
    "fitness/top-workouts",
    "fitness/intensity",
    "business/engagement",
    "business/conversion",
    "business/satisfaction",
]


def routes() -> list[tuple[str, str, str, Any, int, str]]:
    """(method, path, template, json body, status when allowed, permission)."""
    out: list[tuple[str, str, str, Any, int, str]] = [
        ("GET", "/health", "/health", None, 200, "public"),
        ("GET", "/auth/me", "/auth/me", None, 200, "authenticated"),
        ("GET", "/accounts", "/accounts", None, 200, "accounts:admin"),
        ("POST", "/accounts", "/accounts", BAD, 422, "accounts:admin"),
        ("PATCH", f"/accounts/{MISSING}", "/accounts/{account_id}", {}, 404, "accounts:admin"),
        ("GET", "/api-keys", "/api-keys", None, 200, "accounts:admin"),
        ("POST", "/api-keys", "/api-keys", BAD, 422, "accounts:admin"),
        ("DELETE", f"/api-keys/{MISSING}", "/api-keys/{key_id}", None, 404, "accounts:admin"),
        ("GET", "/batches", "/batches", None, 200, "batches:read"),
        ("GET", f"/batches/{MISSING}", "/batches/{batch_id}", None, 404, "batches:read"),
        ("GET", "/files", "/files", None, 200, "batches:read"),
        ("POST", f"/files/{MISSING}/retry", "/files/{file_id}/retry", None, 404, "batches:decide"),
        (
            "POST",
            f"/files/{MISSING}/replace",
            "/files/{file_id}/replace",
            {"by": MISSING},
            404,
            "batches:decide",
        ),
        ("GET", "/quarantine", "/quarantine", None, 200, "quarantine:read"),
        ("GET", f"/quarantine/{MISSING}", "/quarantine/{row_id}", None, 404, "quarantine:read"),
        (
            "POST",
            f"/quarantine/{MISSING}/correct",
            "/quarantine/{row_id}/correct",
            {"changes": {"a": "b"}},
            404,
            "quarantine:correct",
        ),
        (
            "POST",
            f"/quarantine/{MISSING}/discard",
            "/quarantine/{row_id}/discard",
            None,
            404,
            "quarantine:correct",
        ),
        ("GET", "/quarantine/selection", "/quarantine/selection", None, 200, "quarantine:read"),
        ("GET", "/quarantine/facets", "/quarantine/facets", None, 200, "quarantine:read"),
        (
            "POST",
            "/quarantine/bulk/preview",
            "/quarantine/bulk/preview",
            {"selection": {"source": "nowhere"}, "fix": {"column": "a"}},
            200,
            "quarantine:correct",
        ),
        (
            "POST",
            "/quarantine/bulk/correct",
            "/quarantine/bulk/correct",
            {"selection": {"source": "nowhere"}, "fix": {"column": "a"}, "expected": 0},
            200,
            "quarantine:correct",
        ),
        (
            "GET",
            f"/quarantine/{MISSING}/line",
            "/quarantine/{row_id}/line",
            None,
            404,
            "quarantine:read",
        ),
        (
            "POST",
            f"/quarantine/{MISSING}/correct-line",
            "/quarantine/{row_id}/correct-line",
            {"line": "a,b"},
            404,
            "quarantine:correct",
        ),
        ("GET", "/analytics/quality", "/analytics/quality", None, 200, "batches:read"),
        (
            "GET",
            "/analytics/quality/sources",
            "/analytics/quality/sources",
            None,
            200,
            "batches:read",
        ),
        (
            "GET",
            "/analytics/quality/sources/nowhere",
            "/analytics/quality/sources/{source}",
            None,
            404,
            "batches:read",
        ),
        (
            "GET",
            "/analytics/quality/sources/nowhere/history",
            "/analytics/quality/sources/{source}/history",
            None,
            200,
            "batches:read",
        ),
    ]
    for action in ("approve", "reject", "publish", "rollback"):
        body = {"comment": "why"} if action == "reject" else None
        out.append(
            (
                "POST",
                f"/batches/{MISSING}/{action}",
                f"/batches/{{batch_id}}/{action}",
                body,
                404,
                "batches:decide",
            )
        )
    for res, (read, write, delete) in RESOURCE_SCOPES.items():
        item = f"/{res}/{{row_id}}"
        out += [
            ("GET", f"/{res}", f"/{res}", None, 200, read),
            ("GET", f"/{res}/{MISSING}", item, None, 404, read),
            ("POST", f"/{res}", f"/{res}", BAD, 422, write),
            ("PATCH", f"/{res}/{MISSING}", item, {}, 404, write),
            ("DELETE", f"/{res}/{MISSING}", item, None, 404, delete),
        ]
    for name in EXPORTS:
        out.append(("GET", f"/exports/{name}", f"/exports/{name}", None, 200, "exports:read"))
    out.append(
        ("GET", "/exports/users?identified=true", "/exports/users", None, 200, "exports:identified")
    )
    for name in ANALYTICS:
        out.append(("GET", f"/analytics/{name}", f"/analytics/{name}", None, 200, "analytics:read"))
    return out


ROUTES = routes()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed_status", "permission"),
    [pytest.param(m, p, b, s, perm, id=f"{m} {p}") for m, p, _t, b, s, perm in ROUTES],
)
def test_matrix(
    env: Env, role: str, method: str, path: str, body: Any, allowed_status: int, permission: str
) -> None:
    r = env.client.request(method, path, json=body, headers=env.headers[role])
    if role in ALLOWED[permission]:
        expected = allowed_status
    elif role == "anonymous":
        expected = 401
    elif permission == "exports:identified" and role in ALLOWED["exports:read"]:
        expected = 403
    else:
        expected = 403
    assert r.status_code == expected, r.text
    if expected >= 400:
        assert r.headers["content-type"].startswith(PROBLEM)
    if expected == 401:
        assert r.headers["www-authenticate"].startswith("Bearer")


def test_every_route_is_in_the_matrix(env: Env) -> None:
    """A new route must be added to the matrix (and so declare who may call it)."""
    spec = env.app.openapi()
    declared = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    covered = {(m, t) for m, _p, t, _b, _s, _perm in ROUTES}
    public = {
        ("GET", "/ready"),
        ("POST", "/auth/token"),
        ("POST", "/auth/refresh"),
        ("POST", "/auth/logout"),
    }
    assert declared - covered - public == set()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if (method.upper(), path) in {
                ("GET", "/health"),
                ("GET", "/ready"),
                ("POST", "/auth/token"),
                ("POST", "/auth/refresh"),
            }:
                continue
            assert op.get("security"), f"{method} {path} declares no security scheme"


# ----------------------------------------------------------------------------- partners
def test_partner_sees_only_its_members(env: Env) -> None:
    c, p = env.client, env.headers["partner"]
    a, b = env.ids["user_a"], env.ids["user_b"]
    users = c.get("/users", headers=p).json()
    assert {u["organisation_id"] for u in users["data"]} == {env.ids["org_a"]}
    assert b not in [u["id"] for u in users["data"]]
    # asking for the other organisation explicitly gives nothing
    assert (
        c.get("/users", params={"organisation_id": env.ids["org_b"]}, headers=p).json()["count"]
        == 0
    )
    assert c.get(f"/users/{a}", headers=p).status_code == 200
    assert c.get(f"/users/{b}", headers=p).status_code == 404  # not even its existence
    for res in ("meal-logs", "workout-sessions", "metrics"):
        rows = c.get(f"/{res}", params={"limit": 500}, headers=p).json()["data"]
        assert rows and {r["user_id"] for r in rows} <= set(u["id"] for u in users["data"]), res
        other = c.get(f"/{res}", params={"user_id": b}, headers=p).json()
        assert other["count"] == 0
    orgs = c.get("/organisations", headers=p).json()
    assert [o["id"] for o in orgs["data"]] == [env.ids["org_a"]]
    assert c.get(f"/organisations/{env.ids['org_b']}", headers=p).status_code == 404


def test_partner_analytics_count_only_its_members(env: Env) -> None:
    c = env.client
    for role, org in (("partner", "org_a"), ("partner_b", "org_b")):
        goals = c.get("/analytics/users/goals", headers=env.headers[role]).json()
        # asking for another organisation is ignored: the partner's own is used
        other = "org_b" if org == "org_a" else "org_a"
        forced = c.get(
            "/analytics/users/goals",
            params={"organisation_id": env.ids[other]},
            headers=env.headers[role],
        ).json()
        assert goals == forced
        with env.session() as s:
            from sqlalchemy import func, select

            from healthai.models import User

            n = s.scalar(select(func.count()).where(User.organisation_id == env.ids[org]))
        assert sum(g["users"] for g in goals) == n
