"""The sign-in rate limits hold across processes: two apps over the same database (two API
workers or replicas) count the same attempts, on SQLite and PostgreSQL. (Limits per username
across addresses and per address across usernames, spoofed X-Forwarded-For: tests/security.)"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.main import create_app
from healthai.access import hash_password, ratelimit
from healthai.db import make_engine
from healthai.models.accounts import ApiAccount, LoginAttempt
from healthai.settings import Settings
from tests.api.conftest import PASSWORD, Env
from tests.api.helpers import assert_problem, uid

LIMIT = 3


@pytest.fixture
def workers(env: Env) -> Iterator[tuple[TestClient, TestClient]]:
    """Two apps as two workers would run them: same settings and database, each its own
    engine (connection pool), nothing shared in memory."""
    settings = env.settings.model_copy(update={"login_rate_limit": LIMIT})
    second_engine = make_engine(env.url)
    first = TestClient(create_app(settings, env.app.state.engine))
    second = TestClient(create_app(settings, second_engine))
    try:
        yield first, second
    finally:
        first.close()
        second.close()
        second_engine.dispose()


@pytest.fixture
def settings(workers: tuple[TestClient, TestClient]) -> Settings:
    return workers[0].app.state.settings  # type: ignore[attr-defined]


def account(env: Env) -> str:
    """A fresh account, so that no other test's attempts count against it."""
    name = f"rl-{uid()}"
    with env.session() as session:
        hashed = hash_password(PASSWORD)
        session.add(ApiAccount(username=name, role="analyst", password_hash=hashed))
        session.commit()
    return name


def login(client: TestClient, username: str, password: str = PASSWORD):  # noqa: ANN201
    return client.post("/auth/token", data={"username": username, "password": password})


def attempts(env: Env, key: str) -> int:
    with env.session() as session:
        return session.scalar(select(func.count()).where(LoginAttempt.key == key)) or 0


def age(env: Env, key: str, by: timedelta) -> None:
    """Move the key's attempts back in time (in Python: SQLite has no interval arithmetic)."""
    with env.session() as session:
        for attempt in session.scalars(select(LoginAttempt).where(LoginAttempt.key == key)):
            attempt.at -= by
        session.commit()


def refused_wait(response) -> int:  # noqa: ANN001
    """The Retry-After of a 429 answer."""
    assert_problem(response, 429)
    return int(response.headers["retry-after"])


def test_two_workers_share_the_limit(
    env: Env, workers: tuple[TestClient, TestClient], settings: Settings
) -> None:
    first, second = workers
    name = account(env)
    for client in (first, second, first):
        assert_problem(login(client, name, "wrong password!"), 401)
    for client in (second, first):  # the limit+1-th, whichever worker answers
        r = login(client, name)  # even with the right password
        body = assert_problem(r, 429)
        assert "too many" in body["detail"]
        assert 1 <= int(r.headers["retry-after"]) <= settings.login_rate_window_s + 1
    # refused attempts are not kept: they do not extend the wait
    assert attempts(env, ratelimit.username_key(settings, name)) == LIMIT
    # another account from the same client passes; the same account from another address, in
    # any spelling, does not (the username's count holds across addresses)
    assert login(second, account(env)).status_code == 200
    elsewhere = TestClient(second.app, client=("203.0.113.7", 50000))
    assert login(elsewhere, name.upper()).status_code == 429
    assert login(elsewhere, name).status_code == 429


def test_attempts_older_than_the_window_no_longer_count(
    env: Env, workers: tuple[TestClient, TestClient], settings: Settings
) -> None:
    first, second = workers
    name = account(env)
    key = ratelimit.username_key(settings, name)
    window = timedelta(seconds=settings.login_rate_window_s)
    for client in (first, second, second):
        assert_problem(login(client, name, "wrong password!"), 401)
    assert refused_wait(login(first, name)) > window.total_seconds() / 2 + 1
    # half a window later, the wait is what is left until the oldest attempt leaves it
    age(env, key, window / 2)
    assert refused_wait(login(second, name)) <= window.total_seconds() / 2 + 1
    # a window later, none counts, the old rows are gone (pruned at the next attempt), and the
    # successful sign-in cleared its own
    age(env, key, window / 2)
    assert login(first, name).status_code == 200
    assert attempts(env, key) == 0


def test_a_successful_sign_in_clears_its_attempts(
    env: Env, workers: tuple[TestClient, TestClient]
) -> None:
    """The limit bounds guesses, not a person signing in again and again."""
    first, second = workers
    name = account(env)
    for _ in range(LIMIT - 1):
        assert_problem(login(first, name, "wrong password!"), 401)
    for _ in range(2 * LIMIT):
        assert login(second, name).status_code == 200
    for _ in range(LIMIT):
        assert_problem(login(first, name, "wrong password!"), 401)
    assert login(second, name).status_code == 429


def test_simultaneous_attempts_on_two_workers_never_pass_the_limit(
    env: Env, workers: tuple[TestClient, TestClient]
) -> None:
    first, second = workers
    name = account(env)
    clients = [first, second] * 6
    with ThreadPoolExecutor(len(clients)) as pool:
        codes = list(pool.map(lambda c: login(c, name, "wrong password!").status_code, clients))
    # at most the limit is checked (a race may refuse more, never let more through)
    assert set(codes) <= {401, 429} and codes.count(401) <= LIMIT, codes


def test_simultaneous_sign_ins_on_two_workers_all_succeed(
    env: Env, workers: tuple[TestClient, TestClient]
) -> None:
    """Distinct accounts signing in at once through both workers each get their tokens (on
    SQLite too: no "database is locked")."""
    first, second = workers
    names = [account(env) for _ in range(12)]
    with ThreadPoolExecutor(len(names)) as pool:
        codes = list(
            pool.map(lambda i: login((first, second)[i % 2], names[i]).status_code, range(12))
        )
    assert codes == [200] * len(names)
