"""Finding 14 (medium): signing out of the web interface ("Se déconnecter") only cleared the
cookie. The signed access token it held stayed valid until it expired: a kept copy of the
cookie (a shared computer, a proxy log, a stolen cookie) still opened every page, could be
extended for ever (`POST /session/prolonger`), and, sent as `Authorization: Bearer`, was
accepted by the API. Now signing out revokes the token's session (the chain of tokens one
sign-in produced, extensions included; `revoked_sessions`): refused at once by the process that
signed out, and by every API worker or replica within AUTH_CACHE_TTL_S. The person's other
sessions (another browser, an API client) go on. The API's `POST /auth/logout` revokes the
presented access token's session the same way.

Real servers on both engines: the web interface (tornado) and the API under uvicorn with two
workers and a 2 s authentication cache, on the same database."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import create_engine, text

from healthai import migrate
from tests.api.conftest import Env
from tests.api.helpers import assert_problem
from tests.conftest import ENGINES, fresh_database
from tests.security.live import (
    PASSWORD,
    SECRETS,
    add_account,
    api_server,
    bearer,
    dashboard_server,
    server_env,
)

COOKIE = "healthai_dashboard"
TTL_S = 2.0


@dataclass(frozen=True)
class Servers:
    web: str
    api: str
    url: str


@pytest.fixture(scope="module", params=ENGINES)
def servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_available: bool
) -> Iterator[Servers]:
    tmp = tmp_path_factory.mktemp("sign-out")
    with fresh_database(request.param, tmp, pg_available) as url:
        migrate.upgrade(url)
        env = server_env(url, tmp, AUTH_CACHE_TTL_S=str(TTL_S))
        with api_server(env, tmp, workers=2) as api, dashboard_server(env, tmp) as web:
            yield Servers(web, api, url)


def steward(servers: Servers) -> str:
    name = f"out-{uuid.uuid4().hex[:10]}"
    add_account(servers.url, name, "steward")
    return name


def web_sign_in(servers: Servers, username: str) -> str:
    """Sign in to the web interface; the cookie's token."""
    with httpx.Client(base_url=servers.web, timeout=60) as client:
        r = client.post("/connexion", data={"username": username, "password": PASSWORD})
        assert r.status_code == 302, r.text
        token = r.cookies.get(COOKIE)
        assert token
        return token


def web_sign_out(servers: Servers, token: str | None) -> httpx.Response:
    cookies = {COOKIE: token} if token is not None else {}
    with httpx.Client(base_url=servers.web, timeout=60, cookies=cookies) as client:
        return client.post("/deconnexion")


def signed_in_page(servers: Servers, token: str) -> bool:
    """Whether a page opens as a signed-in person with this cookie (the page offers to sign
    out) rather than asking for a sign-in."""
    with httpx.Client(base_url=servers.web, timeout=60, cookies={COOKIE: token}) as client:
        r = client.get("/vue-ensemble")
    assert r.status_code == 200, r.text[-2000:]
    signed_in = 'action="/deconnexion"' in r.text
    assert signed_in != ('href="/connexion?' in r.text)
    return signed_in


def web_refuses(servers: Servers, token: str) -> None:
    """Every way into the web interface refuses the cookie."""
    assert not signed_in_page(servers, token)
    with httpx.Client(base_url=servers.web, timeout=60, cookies={COOKIE: token}) as client:
        reports = client.get("/rapports-profilage/")
        assert reports.status_code == 302
        assert reports.headers["location"].startswith("/connexion")
        extended = client.post("/session/prolonger", headers={"X-HealthAI-Session": "1"})
        assert extended.status_code == 401  # a signed-out session cannot be prolonged
        assert COOKIE not in extended.cookies
        download = client.get("/telechargement", params={"table": "users", "format": "csv"})
        assert download.status_code == 401


def everywhere(base: str, headers: dict[str, str]) -> set[int]:
    """The statuses of 16 requests, each on a new connection (so both workers answer)."""
    statuses = set()
    for _ in range(16):
        with httpx.Client(base_url=base, timeout=30) as client:
            statuses.add(client.get("/auth/me", headers=headers).status_code)
    return statuses


def revocations(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM revoked_sessions")).scalar_one()
    finally:
        engine.dispose()


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def forged(token: str, secret: str = SECRETS["JWT_SECRET"], **changes: Any) -> str:
    return jwt.encode({**claims(token), **changes}, secret, algorithm="HS256")


# ------------------------------------------------------------------ (1) the web interface
def test_a_kept_cookie_is_refused_once_signed_out(servers: Servers) -> None:
    token = web_sign_in(servers, steward(servers))
    assert signed_in_page(servers, token)
    out = web_sign_out(servers, token)
    assert out.status_code == 302 and out.headers["location"] == "/connexion"
    web_refuses(servers, token)  # at once: the web interface signed it out itself


def test_a_session_extended_before_sign_out_ends_with_it(servers: Servers) -> None:
    """A stolen cookie extended by the thief is a new token of the same session: the
    person's sign-out ends the thief's copy too."""
    token = web_sign_in(servers, steward(servers))
    with httpx.Client(base_url=servers.web, timeout=60, cookies={COOKIE: token}) as thief:
        r = thief.post("/session/prolonger", headers={"X-HealthAI-Session": "1"})
        assert r.status_code == 200, r.text
        stolen = r.cookies.get(COOKIE)
    assert stolen and stolen != token and signed_in_page(servers, stolen)
    assert web_sign_out(servers, token).status_code == 302
    web_refuses(servers, token)
    web_refuses(servers, stolen)


# ------------------------------------------------------------------ (2) the API
def test_the_signed_out_token_is_refused_by_every_api_worker_within_the_ttl(
    servers: Servers,
) -> None:
    token = web_sign_in(servers, steward(servers))
    assert everywhere(servers.api, bearer(token)) == {200}  # both workers have it cached
    assert web_sign_out(servers, token).status_code == 302
    time.sleep(TTL_S + 0.5)
    assert everywhere(servers.api, bearer(token)) == {401}


def test_api_logout_ends_the_presented_token_at_once(env: Env) -> None:
    """In the process that revoked it, at once (its cache forgets the session)."""
    name = f"out-{uuid.uuid4().hex[:10]}"
    add_account(env.url, name, "steward")
    pair = env.client.post("/auth/token", data={"username": name, "password": PASSWORD}).json()
    other = env.client.post("/auth/token", data={"username": name, "password": PASSWORD}).json()
    headers = bearer(pair["access_token"])
    assert env.client.get("/auth/me", headers=headers).status_code == 200  # cached now
    assert env.client.post("/auth/logout", headers=headers).status_code == 204
    assert_problem(env.client.get("/auth/me", headers=headers), 401)
    refreshed = env.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert_problem(refreshed, 401)
    # the other pair's access token goes on (its refresh token is revoked, as before)
    assert env.client.get("/auth/me", headers=bearer(other["access_token"])).status_code == 200
    assert_problem(env.client.post("/auth/logout", headers=headers), 401)  # no 500


# ------------------------------------------------------------------ (3) other sessions go on
def test_the_other_sessions_of_the_person_go_on(servers: Servers) -> None:
    name = steward(servers)
    first, second = web_sign_in(servers, name), web_sign_in(servers, name)
    with httpx.Client(base_url=servers.api, timeout=30) as client:
        r = client.post("/auth/token", data={"username": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        api_token = r.json()["access_token"]
    assert web_sign_out(servers, first).status_code == 302
    web_refuses(servers, first)
    assert signed_in_page(servers, second)
    time.sleep(TTL_S + 0.5)
    assert everywhere(servers.api, bearer(second)) == {200}
    assert everywhere(servers.api, bearer(api_token)) == {200}
    assert everywhere(servers.api, bearer(first)) == {401}


# ------------------------------------------------------------------ (4) replays and forgeries
def test_replayed_forged_or_expired_sign_outs_do_no_harm(servers: Servers) -> None:
    name = steward(servers)
    first, second = web_sign_in(servers, name), web_sign_in(servers, name)
    assert web_sign_out(servers, first).status_code == 302
    before = revocations(servers.url)
    sid = claims(second).get("sid", claims(second)["jti"])
    expired = datetime.now(UTC) - timedelta(minutes=1)
    attempts: list[str | None] = [
        first,  # the same sign-out again
        None,  # no cookie at all
        "",
        "not-a-token",
        first + "x",  # a damaged signature
        forged(second, secret="another-secret-" + "z" * 40),  # the other session, unsigned
        forged(second, sid=sid, jti=uuid.uuid4().hex, exp=expired),  # expired
        forged(second, type="refresh"),  # another kind of token
        forged(second, sub="999999"),  # an account that does not exist
    ]
    for token in attempts:
        r = web_sign_out(servers, token)
        assert r.status_code == 302, (token, r.status_code, r.text[-2000:])
        assert r.headers["location"] == "/connexion"
    assert revocations(servers.url) == before  # nothing more was revoked
    assert signed_in_page(servers, second)
    time.sleep(TTL_S + 0.5)
    assert everywhere(servers.api, bearer(second)) == {200}


# ------------------------------------------------------------------ the cache's rule, exactly
def test_the_auth_cache_honours_a_sign_out_at_once_here_and_within_its_ttl_elsewhere(
    env: Env,
) -> None:
    """Two caches of the API (healthai.access.cache) on a clock of the test's own: the one of
    the process that signs out (registered) refuses the token at once, another process's
    keeps it until its entries are `ttl_s` old, never longer."""
    from sqlalchemy.orm import sessionmaker

    from healthai import access
    from healthai.access.cache import AuthCache, register
    from healthai.settings import Settings

    settings: Settings = env.app.state.settings  # type: ignore[attr-defined]
    engine = create_engine(env.url)
    sessions = sessionmaker(engine)
    now = [0.0]
    here = register(AuthCache(60, clock=lambda: now[0]))
    elsewhere = AuthCache(60, clock=lambda: now[0])  # another worker: never told
    name = f"out-{uuid.uuid4().hex[:10]}"
    add_account(env.url, name, "steward")
    pair = env.client.post("/auth/token", data={"username": name, "password": PASSWORD}).json()
    token = pair["access_token"]
    for cache in (here, elsewhere):
        assert cache.authenticate(sessions, settings, token, None).username == name
        assert cache.cached(settings, token, None) is not None  # no read any more
    with sessions() as session:
        assert access.sign_out(session, settings, token)
    assert here.cached(settings, token, None) is None  # forgotten: read again, refused
    with pytest.raises(access.NotAuthenticated):
        here.authenticate(sessions, settings, token, None)
    with pytest.raises(access.NotAuthenticated):
        here.cached(settings, token, None)  # and kept as refused
    assert elsewhere.cached(settings, token, None) is not None  # within its TTL
    now[0] += 60
    assert elsewhere.cached(settings, token, None) is None
    with pytest.raises(access.NotAuthenticated):
        elsewhere.authenticate(sessions, settings, token, None)
    with sessions() as session:  # signing out again changes nothing
        assert not access.sign_out(session, settings, token)
    engine.dispose()
