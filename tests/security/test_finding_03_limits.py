"""Finding 3 (high): one unauthenticated request stalled a worker (POST /auth/refresh with a
23 MB body of 200,000 unknown keys: 15.8 s, an 18 MB error list); a 1 MB header was accepted.
Now bodies are capped (413 problem+json before any parsing, announced or chunked), headers are
capped (431), and a 422 lists at most 20 errors; the web interface has the same limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx

from healthai import migrate
from tests.api.conftest import Env
from tests.api.helpers import assert_problem
from tests.security.live import dashboard_server, server_env

LIMIT = 1_048_576  # MAX_REQUEST_BODY_BYTES' default


def keys_body(size: int) -> bytes:
    """A JSON object of unknown keys, a little under `size` bytes (27 bytes a key)."""
    body = json.dumps({f"k{i:019d}": 1 for i in range(size // 27 - 1)}).encode()
    assert len(body) <= size
    return body


def test_a_23_mb_body_is_refused_before_it_is_parsed(env: Env) -> None:
    body = keys_body(23 * 1024 * 1024)
    r = env.client.post("/auth/refresh", content=body, headers={"Content-Type": "application/json"})
    problem = assert_problem(r, 413)
    assert str(LIMIT) in problem["detail"]
    assert len(r.content) < 1000


def test_a_chunked_body_is_cut_off_at_the_limit(env: Env) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:  # no Content-Length: the size is unknown up front
        nonlocal sent
        yield b'{"refresh_token": "'
        for _ in range(64):
            sent += 65536
            yield b"a" * 65536
        yield b'"}'

    r = env.client.post(
        "/auth/refresh", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_problem(r, 413)


def test_a_large_header_is_refused(env: Env) -> None:
    r = env.client.get("/health", headers={"X-Padding": "a" * 1_000_000})
    assert_problem(r, 431)
    r = env.client.get("/health", headers={"X-Padding": "a" * 4000})
    assert r.status_code == 200
    assert_problem(env.client.get("/health?" + "q" * 20_000), 414)


def test_a_body_under_the_limit_gets_a_bounded_error_list(env: Env) -> None:
    body = keys_body(LIMIT - 4096)
    r = env.client.post("/auth/refresh", content=body, headers={"Content-Type": "application/json"})
    problem = assert_problem(r, 422)
    assert 1 <= len(problem["errors"]) <= 20
    assert "of" in problem["detail"]  # says how many there were in all
    assert len(r.content) < 20_000


def test_deeply_nested_json_is_a_client_error(env: Env) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    r = env.client.post("/auth/refresh", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_the_web_interface_caps_bodies_and_headers_too(tmp_path: Path) -> None:
    """Its sign-in form read (and parsed) a 24 MB body: tornado's own limit is 100 MB."""
    url = f"sqlite:///{tmp_path / 'web.db'}"
    migrate.upgrade(url)
    with dashboard_server(server_env(url, tmp_path), tmp_path) as web:
        with httpx.Client(base_url=web, timeout=60) as client:
            big = b"username=x&password=" + b"a" * (24 * 1024 * 1024)
            r = client.post(
                "/connexion",
                content=big,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert r.status_code == 400  # tornado refuses it before reading it
            ok = client.post("/connexion", data={"username": "x", "password": "y"})
            assert ok.status_code == 200  # an ordinary refused sign-in
        with httpx.Client(base_url=web, timeout=60) as client:
            try:
                refused = client.get("/connexion", headers={"X-Padding": "a" * 1_000_000})
            except httpx.HTTPError:
                pass  # the connection closed without reading it: refused too
            else:
                assert refused.status_code in (400, 431)
