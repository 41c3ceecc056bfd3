"""Finding 7 (medium): old tokens survived a password change by an admin (refresh and
access), and a refresh token worked again after the account was disabled then re-enabled.
Now a change of password, role, organisation or active flag moves the account's token version
on: every token issued before is refused at the next request, and stays refused."""

from __future__ import annotations

import uuid

from tests.api.conftest import PASSWORD, Env
from tests.api.helpers import assert_problem
from tests.security.live import add_account, bearer


def tokens(env: Env, username: str, password: str = PASSWORD) -> dict:
    r = env.client.post("/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


def account(env: Env, role: str = "steward") -> tuple[str, int]:
    username = f"rev-{uuid.uuid4().hex[:10]}"
    return username, add_account(env.url, username, role)


def patch(env: Env, account_id: int, **changes: object) -> None:
    r = env.client.patch(f"/accounts/{account_id}", json=changes, headers=env.headers["admin"])
    assert r.status_code == 200, r.text


def refresh(env: Env, token: str):  # noqa: ANN201
    return env.client.post("/auth/refresh", json={"refresh_token": token})


def test_a_password_change_by_an_admin_ends_every_session(env: Env) -> None:
    username, account_id = account(env)
    old = tokens(env, username)
    patch(env, account_id, password="a brand new passphrase")
    assert_problem(env.client.get("/auth/me", headers=bearer(old["access_token"])), 401)
    assert_problem(refresh(env, old["refresh_token"]), 401)
    fresh = tokens(env, username, "a brand new passphrase")
    assert env.client.get("/auth/me", headers=bearer(fresh["access_token"])).status_code == 200


def test_a_disabled_then_enabled_account_does_not_revive_old_tokens(env: Env) -> None:
    username, account_id = account(env)
    old = tokens(env, username)
    patch(env, account_id, is_active=False)
    assert_problem(env.client.get("/auth/me", headers=bearer(old["access_token"])), 401)
    assert_problem(refresh(env, old["refresh_token"]), 401)
    patch(env, account_id, is_active=True)
    assert_problem(env.client.get("/auth/me", headers=bearer(old["access_token"])), 401)
    assert_problem(refresh(env, old["refresh_token"]), 401)
    assert refresh(env, tokens(env, username)["refresh_token"]).status_code == 200


def test_a_role_change_invalidates_the_tokens_of_the_former_role(env: Env) -> None:
    username, account_id = account(env, "steward")
    old = tokens(env, username)
    patch(env, account_id, role="analyst")
    assert_problem(env.client.get("/users", headers=bearer(old["access_token"])), 401)
    assert_problem(refresh(env, old["refresh_token"]), 401)
    new = tokens(env, username)
    assert_problem(env.client.get("/users", headers=bearer(new["access_token"])), 403)


def test_an_api_key_stops_while_its_owner_is_disabled(env: Env) -> None:
    username, account_id = account(env)
    made = env.client.post(
        "/api-keys",
        json={"name": f"key-{uuid.uuid4().hex[:8]}", "account_id": account_id},
        headers=env.headers["admin"],
    )
    assert made.status_code == 201, made.text
    key = {"X-API-Key": made.json()["key"]}
    assert env.client.get("/users", headers=key).status_code == 200
    patch(env, account_id, is_active=False)
    assert_problem(env.client.get("/users", headers=key), 401)
    patch(env, account_id, is_active=True)
    assert env.client.get("/users", headers=key).status_code == 200  # revoke the key to end it


def test_create_admin_reset_ends_every_session(env: Env, monkeypatch) -> None:  # noqa: ANN001
    import io

    from healthai import cli
    from healthai.settings import get_settings

    username, _ = account(env, "admin")
    old = tokens(env, username)
    monkeypatch.setenv("DATABASE_URL", env.url)
    monkeypatch.setattr("sys.stdin", io.StringIO("another long passphrase\n"))
    get_settings.cache_clear()
    try:
        cli.main(["create-admin", "--username", username, "--password-stdin", "--reset"])
    finally:
        get_settings.cache_clear()
    assert_problem(env.client.get("/auth/me", headers=bearer(old["access_token"])), 401)
    assert_problem(refresh(env, old["refresh_token"]), 401)
