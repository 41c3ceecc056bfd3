"""Finding 6 (medium): refresh rotation raced. One refresh token sent 20 times at once gave 2
to 6 valid new pairs (check, then update). Now the token is revoked by one conditional update:
exactly one of the simultaneous uses gets a pair, through two uvicorn workers on PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

from tests.security.conftest import Served
from tests.security.live import add_account, at_once, bearer, sign_in

pytestmark = pytest.mark.postgres
SIMULTANEOUS = 20


@pytest.fixture(scope="module")
def api(pg_api: Served) -> str:
    add_account(pg_api.url, "race-steward", "steward")
    return pg_api.base


@pytest.mark.parametrize("round_", range(3))
def test_one_refresh_token_sent_twenty_times_at_once_gives_one_pair(api: str, round_: int) -> None:
    with httpx.Client(base_url=api, timeout=60) as client:
        pair = sign_in(client, "race-steward").json()
    answers = at_once(
        api, SIMULTANEOUS, "/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
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
