"""Finding 5 (medium): the sign-in rate limit was bypassed by rotating X-Forwarded-For
(uvicorn believed it from 127.0.0.1), and it counted per (address, username) only, so ten
usernames from one address were never limited (password spraying). Now the client address
comes only from TRUSTED_PROXIES (none by default; the API is served with --no-proxy-headers),
and attempts are limited per username across addresses and per address across usernames, with
the same answer whether the account exists or not."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from healthai import cli, migrate
from healthai.settings import get_settings
from tests.api.conftest import PASSWORD, Env
from tests.api.helpers import assert_problem
from tests.security.conftest import Served
from tests.security.live import add_account, api_server, at_once, server_env, sign_in

LIMIT = 3


def name() -> str:
    return f"rl-{uuid.uuid4().hex[:10]}"


def address() -> str:
    """A fresh client address (100.64.0.0/10), so that no other test's attempts count."""
    n = uuid.uuid4().int
    return f"100.{64 + n % 64}.{n // 64 % 256}.{n // 16384 % 254 + 1}"


@pytest.fixture
def limited(env: Env) -> Iterator[callable]:
    """Clients of an app with small limits over the suite's database, from any address."""
    settings = env.settings.model_copy(
        update={"login_rate_limit": LIMIT, "login_address_rate_limit": 2 * LIMIT}
    )
    app = create_app(settings, env.app.state.engine)
    clients: list[TestClient] = []

    def client(peer: str | None = None) -> TestClient:
        made = TestClient(app, client=(peer or address(), 40000))
        clients.append(made)
        return made

    yield client
    for made in clients:
        made.close()


def login(client: TestClient, username: str, password: str = PASSWORD, **headers: str):  # noqa: ANN201
    return client.post(
        "/auth/token", data={"username": username, "password": password}, headers=headers
    )


def test_guessing_one_password_from_many_addresses_is_limited(env: Env, limited) -> None:  # noqa: ANN001
    user = name()
    add_account(env.url, user, "analyst")
    for _ in range(LIMIT):
        assert_problem(login(limited(), user, "wrong guess!!"), 401)
    from_elsewhere = limited()
    assert_problem(login(from_elsewhere, user, "wrong guess!!"), 429)
    assert_problem(login(from_elsewhere, user), 429)  # even the right password, for now
    assert_problem(login(limited(), user.upper()), 429)  # any spelling


def test_spraying_many_usernames_from_one_address_is_limited(env: Env, limited) -> None:  # noqa: ANN001
    sprayer = limited()
    users = [name() for _ in range(2 * LIMIT + 1)]
    for user in users[:-1]:
        add_account(env.url, user, "analyst")
    codes = [login(sprayer, user, "Summer2026!!!").status_code for user in users]
    assert codes[: 2 * LIMIT] == [401] * (2 * LIMIT)
    assert codes[-1] == 429  # the (2 x LIMIT + 1)-th attempt from that address
    assert login(limited(), users[0]).status_code == 200  # other addresses are not affected


def test_the_answer_does_not_say_whether_the_account_exists(env: Env, limited) -> None:  # noqa: ANN001
    real, ghost = name(), name()
    add_account(env.url, real, "analyst")
    answers = {}
    for user in (real, ghost):
        client = limited()
        first = login(client, user, "wrong guess!!")
        for _ in range(LIMIT - 1):
            login(client, user, "wrong guess!!")
        refused = login(client, user, "wrong guess!!")
        answers[user] = (
            first.status_code,
            first.json()["detail"],
            refused.status_code,
            refused.json()["detail"],
            "retry-after" in refused.headers,
        )
    assert (
        answers[real]
        == answers[ghost]
        == (
            401,
            "wrong username or password",
            429,
            "too many sign-in attempts; try again later",
            True,
        )
    )


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(env: Env) -> None:
    settings = env.settings.model_copy(
        update={
            "login_rate_limit": 100,
            "login_address_rate_limit": 2,
            "trusted_proxies": "10.0.0.0/8",
        }
    )
    app = create_app(settings, env.app.state.engine)
    proxy = TestClient(app, client=("10.1.2.3", 40000))
    direct = TestClient(app, client=(address(), 40000))
    try:
        # behind the proxy, each client counts for itself
        for client_ip in (address(), address(), address()):
            for _ in range(2):
                r = login(proxy, name(), "x", **{"X-Forwarded-For": f"{client_ip}, 10.9.9.9"})
                assert r.status_code == 401
        # a client that is not a proxy cannot pick its address
        codes = [
            login(direct, name(), "x", **{"X-Forwarded-For": address()}).status_code
            for _ in range(3)
        ]
        assert codes == [401, 401, 429]
    finally:
        proxy.close()
        direct.close()


def test_rotating_x_forwarded_for_does_not_reset_the_limit_of_the_served_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against the API as `healthai serve` (make run) runs it, over loopback."""
    url = f"sqlite:///{tmp_path / 'xff.db'}"
    migrate.upgrade(url)
    add_account(url, "xff-victim", "admin")
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        command = cli.api_command("127.0.0.1", 0)
    finally:
        get_settings.cache_clear()
    command[command.index("--port") + 1] = "{port}"
    env = server_env(url, tmp_path, LOGIN_RATE_LIMIT=str(LIMIT), LOGIN_ADDRESS_RATE_LIMIT="1000")
    with api_server(env, tmp_path, command=command) as base, httpx.Client(base_url=base) as client:
        for i in range(LIMIT):
            spoof = {"X-Forwarded-For": f"203.0.113.{i}"}
            r = client.post(
                "/auth/token",
                data={"username": "xff-victim", "password": "guess!!!!"},
                headers=spoof,
            )
            assert r.status_code == 401
        for i in range(LIMIT, LIMIT + 3):
            spoof = {"X-Forwarded-For": f"203.0.113.{i}"}
            r = client.post(
                "/auth/token",
                data={"username": "xff-victim", "password": "guess!!!!"},
                headers=spoof,
            )
            assert r.status_code == 429, r.text
        r = client.post(
            "/auth/token",
            data={"username": "xff-victim", "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.99"},
        )
        assert r.status_code == 429
        assert sign_in(client, "xff-victim").status_code == 429


@pytest.mark.postgres
def test_simultaneous_guesses_through_two_workers_never_pass_the_limit(pg_api: Served) -> None:
    """20 wrong passwords for one account at once, through `uvicorn --workers 2` on
    PostgreSQL: at most LOGIN_RATE_LIMIT (5) are checked, the rest get 429."""
    user = name()
    add_account(pg_api.url, user, "analyst")
    guess = {"username": user, "password": "wrong guess!!"}
    guesses = at_once(pg_api.base, 20, "/auth/token", data=guess)
    codes = [r.status_code for r in guesses]
    assert set(codes) <= {401, 429} and codes.count(401) <= 5, codes
    assert codes.count(429) >= 15
