"""Finding 8 (medium): four eyes compared names, not people. An admin approved their own
correction through a steward account they had created; a steward's correction was approved by
that steward's own API key; `CX-STEWARD`, a name with a zero-width space, `pipeline` and
`api-key:<name>` were all accepted as usernames. Now approvals compare accounts, an API key
acts as the account that owns it, an account cannot approve the work of the account that
created it (nor the reverse), and usernames are normalised and refused when reserved,
invisible or confusable."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.main import create_app
from healthai.db import make_engine
from healthai.models import QuarantinedRow
from healthai.settings import get_settings
from tests.api.conftest import PASSWORD, Env
from tests.api.helpers import assert_problem
from tests.conftest import ENGINES
from tests.pipeline_helpers import materialize_sources
from tests.security.live import add_account, bearer

RULE = "avg_bpm_not_above_max_bpm"


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    r = client.post("/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return bearer(r.json()["access_token"])


def correct(client: TestClient, row: Any, auth: dict[str, str]) -> int:
    """A valid correction of `row` by `auth`; the batch it is re-queued into."""
    fixed = str(float(row.raw["Max_BPM"]) - 10)
    r = client.post(
        f"/quarantine/{row.id}/correct", json={"changes": {"Avg_BPM": fixed}}, headers=auth
    )
    assert r.status_code == 200 and r.json()["valid"], r.text
    return r.json()["requeued_batch_id"]


@pytest.mark.parametrize("engine", ENGINES)
def test_approvals_compare_people_not_names(engine: str, platform: str) -> None:
    assert materialize_sources(platform, "gym_members").success
    db = make_engine(platform)
    with Session(db) as session:
        rows = [
            r
            for r in session.scalars(select(QuarantinedRow).where(QuarantinedRow.status == "open"))
            if any(reason["rule"] == RULE for reason in r.reasons)
        ][:2]
    assert len(rows) == 2
    add_account(platform, "root-admin", "admin")  # as `healthai create-admin` makes it
    add_account(platform, "uma", "steward")  # made by nobody on the platform: independent
    client = TestClient(create_app(get_settings(), db))
    admin = sign_in(client, "root-admin")
    for name in ("shadow", "tess"):  # stewards the admin creates
        body = {"username": name, "password": PASSWORD, "role": "steward"}
        assert client.post("/accounts", json=body, headers=admin).status_code == 201
    shadow, tess, uma = sign_in(client, "shadow"), sign_in(client, "tess"), sign_in(client, "uma")

    # the admin corrects, then approves through the steward account they created
    first = correct(client, rows[0], admin)
    body = assert_problem(client.post(f"/batches/{first}/approve", headers=shadow), 403)
    assert "four eyes" in body["detail"]

    # a steward corrects, then approves with their own API key
    second = correct(client, rows[1], tess)
    tess_id = next(
        a["id"] for a in client.get("/accounts", headers=admin).json() if a["username"] == "tess"
    )
    made = client.post(
        "/api-keys",
        json={"name": f"tess-{uuid.uuid4().hex[:6]}", "account_id": tess_id},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    key = {"X-API-Key": made.json()["key"]}
    assert client.get("/auth/me", headers=key).json()["name"] == "tess"
    assert_problem(client.post(f"/batches/{second}/approve", headers=key), 403)
    assert_problem(client.post(f"/batches/{second}/approve", headers=tess), 403)
    # nor may the admin who created tess's account approve tess's work
    assert_problem(client.post(f"/batches/{second}/approve", headers=admin), 403)

    # another person may
    for batch in (first, second):
        r = client.post(f"/batches/{batch}/approve", headers=uma)
        assert r.status_code == 200, r.text
    client.close()
    db.dispose()


def create(env: Env, username: str):  # noqa: ANN201
    body = {"username": username, "password": PASSWORD, "role": "analyst"}
    return env.client.post("/accounts", json=body, headers=env.headers["admin"])


def test_usernames_are_one_spelling_per_person(env: Env) -> None:
    tag = uuid.uuid4().hex[:8]
    r = create(env, f"CX-STEWARD-{tag}")
    assert r.status_code == 201, r.text
    assert r.json()["username"] == f"cx-steward-{tag}"
    for same in (f"cx-steward-{tag}", f"Cx-Steward-{tag}"):
        assert_problem(create(env, same), 409)
    # full-width letters are not in the username's documented pattern (ASCII): refused too
    assert_problem(create(env, f"ＣＸ－ＳＴＥＷＡＲＤ－{tag}"), 422)
    r = env.client.post("/auth/token", data={"username": f"CX-Steward-{tag}", "password": PASSWORD})
    assert r.status_code == 200


@pytest.mark.parametrize(
    "username",
    [
        "cx\u200bsteward",  # zero-width space
        "cx\u200dsteward",  # zero-width joiner
        "\u202estewardcx",  # right-to-left override
        "\u0430dmin-x",  # Cyrillic a
        "pipeline",
        "PIPELINE",
        "api-key:bi",
        "api-key-bi",
        "system",
    ],
)
def test_reserved_invisible_and_confusable_usernames_are_refused(env: Env, username: str) -> None:
    assert_problem(create(env, username), 422)
