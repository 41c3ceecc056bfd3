"""Finding 13 (low, except the export offset, tests of wt-priv): a disabled account's sign-in
said "account disabled" only when the password was right (a password oracle); token subjects
accepted non-ASCII digits ("٣" mapped to account 3); a huge subject gave 422, not 401."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from tests.api.conftest import PASSWORD, Env
from tests.api.helpers import assert_problem
from tests.security.live import add_account, bearer

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def test_a_disabled_account_answers_like_a_wrong_password(env: Env) -> None:
    username = f"off-{uuid.uuid4().hex[:10]}"
    account_id = add_account(env.url, username, "analyst")
    r = env.client.patch(
        f"/accounts/{account_id}", json={"is_active": False}, headers=env.headers["admin"]
    )
    assert r.status_code == 200
    right = env.client.post("/auth/token", data={"username": username, "password": PASSWORD})
    wrong = env.client.post("/auth/token", data={"username": username, "password": "not it!!!!"})
    assert_problem(right, 401)
    assert_problem(wrong, 401)
    assert right.json() == wrong.json()
    assert right.headers.get("www-authenticate") == wrong.headers.get("www-authenticate")


def forged(env: Env, subject: object) -> str:
    now = int(time.time())
    claims = {"sub": subject, "type": "access", "jti": "x", "ver": 0, "iat": now, "exp": now + 600}
    return jwt.encode(claims, env.settings.jwt_secret, algorithm="HS256")


@pytest.mark.parametrize(
    "subject",
    ["arabic-indic", "fullwidth", "9" * 40, "-1", "+1", " 1", "1.0", "0x1", "01", 1],
)
def test_a_token_subject_is_an_ascii_integer_or_nothing(env: Env, subject: object) -> None:
    admin = env.ids["account_admin"]
    assert env.client.get("/auth/me", headers=bearer(forged(env, str(admin)))).status_code == 200
    if subject == "arabic-indic":
        subject = str(admin).translate(ARABIC_INDIC)
    elif subject == "fullwidth":
        subject = "".join(chr(ord(c) + 0xFEE0) for c in str(admin))
    elif subject in ("+1", " 1", "1.0", "0x1", "01", 1, "-1"):
        subject = {
            "+1": f"+{admin}",
            " 1": f" {admin}",
            "1.0": f"{admin}.0",
            "0x1": hex(admin),
            "01": f"0{admin}",
            1: admin,
            "-1": f"-{admin}",
        }[subject]
    assert_problem(env.client.get("/auth/me", headers=bearer(forged(env, subject))), 401)
