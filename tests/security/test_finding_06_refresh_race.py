"""Finding 6 (medium): refresh rotation raced. One refresh token sent 20 times at once gave 2
to 6 valid new pairs (check, then update). Now the token is revoked by one conditional update:
exactly one of the simultaneous uses gets a pair, through two uvicorn workers on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from healthai import migrate
from tests.conftest import fresh_database
from tests.security.live import add_account, api_server, bearer, server_env, sign_in

pytestmark = pytest.mark.postgres
SIMULTANEOUS = 20


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, pg_available: bool) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("refresh-race")
    with fresh_database("postgresql", tmp, pg_available) as url:
        migrate.upgrade(url)
        add_account(url, "race-steward", "steward")
        with api_server(server_env(url, tmp), tmp, workers=2) as base:
            yield base


def at_once(base: str, calls: int, body: dict) -> list[httpx.Response]:
    """`calls` POST /auth/refresh on their own connections, released together."""
    clients = [httpx.Client(base_url=base, timeout=60) for _ in range(calls)]
    for client in clients:  # connect first, so that the requests leave together
        client.get("/health")
    gate = threading.Barrier(calls)
    answers: list[httpx.Response | None] = [None] * calls

    def send(i: int) -> None:
        gate.wait()
        answers[i] = clients[i].post("/auth/refresh", json=body)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    return answers  # type: ignore[return-value]


@pytest.mark.parametrize("round_", range(3))
def test_one_refresh_token_sent_twenty_times_at_once_gives_one_pair(api: str, round_: int) -> None:
    with httpx.Client(base_url=api, timeout=60) as client:
        pair = sign_in(client, "race-steward").json()
    answers = at_once(api, SIMULTANEOUS, {"refresh_token": pair["refresh_token"]})
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] + [401] * (SIMULTANEOUS - 1), codes
    winner = next(r.json() for r in answers if r.status_code == 200)
    with httpx.Client(base_url=api, timeout=60) as client:
        assert client.get("/auth/me", headers=bearer(winner["access_token"])).status_code == 200
        again = client.post("/auth/refresh", json={"refresh_token": winner["refresh_token"]})
        assert again.status_code == 200  # the new refresh token works, once
        assert (
            client.post(
                "/auth/refresh", json={"refresh_token": winner["refresh_token"]}
            ).status_code
            == 401
        )
