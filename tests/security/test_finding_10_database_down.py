"""Finding 10 (medium): with the database down or read-only, data routes answered 500, and
about every other request on a kept-alive connection got no answer at all (connection reset).
Now they answer 503 problem+json with Retry-After, on the same kept-alive connection; /ready
says 503 too; connections are checked before use, so everything recovers by itself when the
database is back. On a cluster of the test's own (two uvicorn workers)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from healthai import migrate
from tests.security import cluster as pg
from tests.security.live import (
    PASSWORD,
    add_account,
    api_server,
    bearer,
    dashboard_server,
    server_env,
    sign_in,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not pg.available(), reason="PostgreSQL server binaries missing"),
]
ROUNDS = 12  # requests of each kind on one kept-alive connection


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[pg.Cluster, str, str]]:
    tmp = tmp_path_factory.mktemp("database-down")
    with pg.cluster() as cluster:
        cluster.sql("CREATE DATABASE healthai")
        url = cluster.url("healthai")
        migrate.upgrade(url)
        add_account(url, "down-admin", "admin")
        env = server_env(url, tmp)
        with api_server(env, tmp, workers=2) as base, dashboard_server(env, tmp) as web:
            yield cluster, base, web


@pytest.fixture
def platform(servers: tuple[pg.Cluster, str, str]) -> tuple[pg.Cluster, str]:
    return servers[0], servers[1]


def token(base: str) -> str:
    with httpx.Client(base_url=base, timeout=30) as client:
        r = sign_in(client, "down-admin")
        assert r.status_code == 200, r.text
        return r.json()["access_token"]


def calls(client: httpx.Client, auth: dict[str, str]) -> dict[str, httpx.Response]:
    return {
        "personal read": client.get("/users", headers=auth),
        "catalogue read": client.get("/foods", headers=auth),
        "write": client.post(
            "/organisations",
            json={"slug": f"o{time.time_ns()}", "name": "x", "kind": "gym"},
            headers=auth,
        ),
        "sign-in": sign_in(client, "down-admin"),
    }


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) >= 1


def recovered(base: str, auth: dict[str, str], within_s: float = 90) -> None:
    """Every kind of request answers normally again, without restarting the API."""
    deadline = time.monotonic() + within_s
    with httpx.Client(base_url=base, timeout=30) as client:
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "not ready again"
            time.sleep(0.5)
        for _ in range(ROUNDS):  # every pooled connection of both workers is checked
            answers = calls(client, auth)
            assert {k: r.status_code for k, r in answers.items()} == {
                "personal read": 200,
                "catalogue read": 200,
                "write": 201,
                "sign-in": 200,
            }


def test_database_down_answers_503_on_kept_alive_connections_then_recovers(
    platform: tuple[pg.Cluster, str],
) -> None:
    cluster, base = platform
    auth = bearer(token(base))
    recovered(base, auth)  # warm both workers' pools
    cluster.stop()
    try:
        with httpx.Client(base_url=base, timeout=30) as client:  # one kept-alive connection
            for _ in range(ROUNDS):
                answers = calls(client, auth)  # a reset connection raises here
                for response in answers.values():
                    assert_unavailable(response)
                ready = client.get("/ready")
                assert ready.status_code == 503 and ready.json()["database"] is False
    finally:
        cluster.start()
    recovered(base, auth)


def test_read_only_database_refuses_writes_with_503_and_serves_plain_reads(
    platform: tuple[pg.Cluster, str],
) -> None:
    cluster, base = platform
    auth = bearer(token(base))
    cluster.read_only(True)
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(ROUNDS):
                answers = calls(client, auth)
                assert answers["catalogue read"].status_code == 200
                # a read of personal data writes the access log: no log, no read
                for kind in ("personal read", "write", "sign-in"):
                    assert_unavailable(answers[kind])
    finally:
        cluster.read_only(False)
    recovered(base, auth)


def test_the_web_interface_says_the_database_cannot_answer_then_recovers(
    servers: tuple[pg.Cluster, str, str],
) -> None:
    cluster, _api, web = servers
    form = {"username": "down-admin", "password": PASSWORD}
    with httpx.Client(base_url=web, timeout=30, follow_redirects=False) as client:
        assert client.post("/connexion", data=form).status_code == 302
        cluster.stop()
        try:
            for _ in range(3):
                r = client.post("/connexion", data=form)
                assert r.status_code == 503 and "occupée" in r.text, r.text[-500:]
                assert int(r.headers["retry-after"]) >= 1
        finally:
            cluster.start()
        deadline = time.monotonic() + 90
        while (r := client.post("/connexion", data=form)).status_code != 302:
            assert time.monotonic() < deadline, r.status_code
            time.sleep(0.5)
