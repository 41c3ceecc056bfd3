"""Sign-in, refresh rotation, logout, API keys, accounts, and the create-admin command (the
sign-in rate limit: test_login_rate_limit.py; what was broken before: tests/security/)."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import API_KEY, PASSWORD, Env
from tests.api.helpers import assert_problem, uid


def login(client: TestClient, username: str, password: str = PASSWORD):  # noqa: ANN201
    return client.post("/auth/token", data={"username": username, "password": password})


def test_password_flow_refresh_and_logout(env: Env) -> None:
    c = env.client
    r = login(c, "steward")
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 15 * 60
    me = c.get("/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["role"] == "steward" and "batches:decide" in me.json()["scopes"]

    # the refresh token is not an access token
    assert_problem(
        c.get("/auth/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}), 401
    )
    # rotation: a refresh token works once
    r = c.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200, r.text
    new = r.json()
    assert_problem(c.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401)
    # logout ends the presented token's session and revokes every refresh token of the account
    auth = {"Authorization": f"Bearer {new['access_token']}"}
    assert c.post("/auth/logout", headers=auth).status_code == 204
    assert_problem(c.post("/auth/refresh", json={"refresh_token": new["refresh_token"]}), 401)
    assert_problem(c.get("/auth/me", headers=auth), 401)


def test_wrong_credentials(env: Env) -> None:
    c = env.client
    body = assert_problem(login(c, "steward", "wrong password!"), 401)
    assert body["detail"] == "wrong username or password"
    assert_problem(login(c, "nobody-" + uid()), 401)  # same answer for an unknown user
    assert_problem(c.get("/auth/me", headers={"Authorization": "Bearer not.a.jwt"}), 401)
    assert_problem(c.get("/auth/me", headers={"X-API-Key": "hak_wrong"}), 401)
    assert_problem(c.post("/auth/token", data={"username": "x"}), 422)


def test_api_key_lifecycle(env: Env) -> None:
    c, admin = env.client, env.headers["admin"]
    me = c.get("/auth/me", headers={"X-API-Key": API_KEY}).json()
    assert me == {**me, "kind": "api_key", "role": "analyst", "name": "analyst", "api_key": "bi"}
    body = {"name": f"k-{uid()}", "account_id": env.ids["account_steward"]}
    r = c.post("/api-keys", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["account_id"] == env.ids["account_steward"]
    key, key_id = r.json()["key"], r.json()["id"]
    listed = c.get("/api-keys", headers=admin).json()
    assert all("key" not in k for k in listed)  # only its hash is kept
    assert c.get("/batches", headers={"X-API-Key": key}).status_code == 200
    assert c.delete(f"/api-keys/{key_id}", headers=admin).status_code == 204
    assert_problem(c.get("/batches", headers={"X-API-Key": key}), 401)
    # an owner that does not exist; a role of its own (a key acts as its owner)
    missing = {"name": f"p-{uid()}", "account_id": 2_000_000_000}
    assert_problem(
        c.post("/api-keys", json=missing, headers=admin), 409
    )  # a conflict with the rows
    with_role = {"name": f"p-{uid()}", "role": "admin"}
    assert_problem(c.post("/api-keys", json=with_role, headers=admin), 422)
    # without an owner, the key acts as the admin who made it
    r = c.post("/api-keys", json={"name": f"a-{uid()}"}, headers=admin)
    assert r.json()["account_id"] == env.ids["account_admin"]


def test_accounts_and_disabling(env: Env) -> None:
    c, admin = env.client, env.headers["admin"]
    name = f"p-{uid()}"
    body = {
        "username": name,
        "password": "a long enough pass",
        "role": "partner",
        "organisation_id": env.ids["org_b"],
    }
    r = c.post("/accounts", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert "password" not in r.json() and "password_hash" not in r.json()
    assert_problem(c.post("/accounts", json=body, headers=admin), 409)
    assert_problem(
        c.post(
            "/accounts",
            json={**body, "username": f"x{name}", "organisation_id": None},
            headers=admin,
        ),
        422,
    )
    assert_problem(c.post("/accounts", json={**body, "password": "short"}, headers=admin), 422)
    tokens = login(c, name, "a long enough pass").json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    users = c.get("/users", headers=auth).json()["data"]
    assert {u["organisation_id"] for u in users} == {env.ids["org_b"]}
    r = c.patch(f"/accounts/{r.json()['id']}", json={"is_active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert_problem(c.get("/users", headers=auth), 401)  # disabled at once
    assert_problem(login(c, name, "a long enough pass"), 401)


def test_create_admin_command(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from healthai import cli
    from healthai.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", env.url)
    get_settings.cache_clear()
    name = f"root-{uid()}"
    try:
        monkeypatch.setattr("sys.stdin", io.StringIO("a very long password\n"))
        cli.main(["create-admin", "--username", name, "--password-stdin"])
        monkeypatch.setattr("sys.stdin", io.StringIO("another password!!\n"))
        with pytest.raises(SystemExit):  # exists: refused without --reset
            cli.main(["create-admin", "--username", name, "--password-stdin"])
        monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
        with pytest.raises(SystemExit):
            cli.main(["create-admin", "--username", f"x{name}", "--password-stdin"])
    finally:
        get_settings.cache_clear()
    r = login(env.client, name, "a very long password")
    assert r.status_code == 200, r.text
    me = env.client.get("/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.json()["role"] == "admin"


def test_a_web_session_can_be_prolonged_never_revived(env: Env) -> None:
    """The web interface's session expiry warning (WCAG 2.2.1) reads when its token expires
    and trades a still valid one for a fresh one; a revoked or forged one gets nothing."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.orm import Session

    from healthai import access

    token = login(env.client, "analyst").json()["access_token"]
    expires = access.session_expiry(env.settings, token)
    assert expires is not None
    assert timedelta(minutes=14) < expires - datetime.now(UTC) <= timedelta(minutes=15)
    assert access.session_expiry(env.settings, "not.a.token") is None
    with Session(env.app.state.engine) as session:
        fresh, fresh_expires = access.extend_session(session, env.settings, token)
        assert fresh_expires >= expires
        assert access.extend_session(session, env.settings, "not.a.token") is None
    me = env.client.get("/auth/me", headers={"Authorization": f"Bearer {fresh}"})
    assert me.json()["name"] == "analyst"
    name = f"ext-{uid()}"
    body = {"username": name, "password": PASSWORD, "role": "analyst"}
    made = env.client.post("/accounts", json=body, headers=env.headers["admin"]).json()
    theirs = login(env.client, name).json()["access_token"]
    env.client.patch(
        f"/accounts/{made['id']}", json={"is_active": False}, headers=env.headers["admin"]
    )
    with Session(env.app.state.engine) as session:
        assert access.extend_session(session, env.settings, theirs) is None
