"""Finding 4 (high): one slow reader wedged the whole platform on the SQLite default. A read
transaction held in another process (a notebook, a `sqlite3` shell inside `BEGIN`) made the web
interface's sign-in fail after 60 s at the rate limiter's commit; that failed COMMIT left its
transaction open in a pooled connection, which then held SQLite's locks until a restart: every
API sign-in and read answered 500 after 60 s.

Now SQLite runs in WAL mode (readers never block the writer), statements wait at most
DB_LOCK_TIMEOUT_S for a lock and then cost one request a 503 with Retry-After, and no
connection goes back to a pool inside a transaction."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthai import migrate
from healthai.db import make_engine
from tests.security.live import (
    PASSWORD,
    add_account,
    api_server,
    bearer,
    dashboard_server,
    server_env,
    sign_in,
)

HOLD_S = 12  # how long the other process holds its transaction (75 s in the report)
FAST_S = 3.0  # an answer during the hold comes within this
LOCK_TIMEOUT_S = "2"


@contextmanager
def held(db: Path, statements: str, seconds: float) -> Iterator[subprocess.Popen]:
    """Another process (plain sqlite3, as a notebook or shell would) runs `statements` inside
    BEGIN and holds the transaction for `seconds`."""
    code = (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
        f"c.executescript({statements!r})\n"
        "print('held', flush=True)\n"
        f"time.sleep({seconds})\n"
        "c.execute('ROLLBACK')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def timed(call) -> tuple[httpx.Response, float]:  # noqa: ANN001
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, str]]:
    """The API (as `healthai serve` runs it) and the web interface on one SQLite file."""
    tmp = tmp_path_factory.mktemp("sqlite-lock")
    db = tmp / "healthai.db"
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    for name in ("lock-admin", "lock-steward"):
        add_account(url, name, "admin" if name == "lock-admin" else "steward")
    env = server_env(url, tmp, DB_LOCK_TIMEOUT_S=LOCK_TIMEOUT_S)
    with api_server(env, tmp) as api, dashboard_server(env, tmp) as web:
        yield db, api, web


def web_sign_in(client: httpx.Client, username: str) -> httpx.Response:
    return client.post(
        "/connexion",
        data={"username": username, "password": PASSWORD, "next": "/vue-ensemble"},
        follow_redirects=False,
    )


def both_answer_normally(api: str, web: str) -> None:
    with httpx.Client(base_url=api, timeout=30) as client:
        r = sign_in(client, "lock-admin")
        assert r.status_code == 200, r.text
        assert client.get("/users", headers=bearer(r.json()["access_token"])).status_code == 200
        assert client.get("/ready").status_code == 200
    with httpx.Client(base_url=web, timeout=30) as client:
        r = web_sign_in(client, "lock-steward")
        assert r.status_code == 302, r.text
        assert client.get("/telechargement?table=foods&format=csv&limit=100").status_code == 200


def test_a_long_reader_blocks_neither_sign_ins_nor_reads(platform: tuple[Path, str, str]) -> None:
    db, api, web = platform
    with (
        held(db, "BEGIN; SELECT count(*) FROM api_accounts;", HOLD_S),
        httpx.Client(base_url=api, timeout=HOLD_S * 6) as client,
        httpx.Client(base_url=web, timeout=HOLD_S * 6) as browser,
    ):
        r, seconds = timed(lambda: sign_in(client, "lock-admin"))
        assert r.status_code == 200 and seconds < FAST_S, (r.status_code, seconds)
        token = r.json()["access_token"]
        r, seconds = timed(lambda: client.get("/users", headers=bearer(token)))  # logged read
        assert r.status_code == 200 and seconds < FAST_S, (r.status_code, seconds)
        r, seconds = timed(lambda: web_sign_in(browser, "lock-steward"))
        assert r.status_code == 302 and seconds < FAST_S, (r.status_code, seconds)
        r, seconds = timed(lambda: browser.get("/telechargement?table=users&format=csv&limit=100"))
        assert r.status_code == 200 and seconds < FAST_S, (r.status_code, seconds)
    both_answer_normally(api, web)


def test_a_held_write_lock_costs_one_quick_503_and_nothing_stays_locked(
    platform: tuple[Path, str, str],
) -> None:
    db, api, web = platform
    with httpx.Client(base_url=api, timeout=30) as client:
        token = sign_in(client, "lock-admin").json()["access_token"]
    grab = "BEGIN IMMEDIATE; INSERT INTO login_attempts (key, at) VALUES ('x', '2000-01-01');"
    with (
        held(db, grab, HOLD_S),
        httpx.Client(base_url=api, timeout=HOLD_S * 6) as client,
        httpx.Client(base_url=web, timeout=HOLD_S * 6) as browser,
    ):
        r, seconds = timed(lambda: sign_in(client, "lock-admin"))
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert int(r.headers["retry-after"]) >= 1
        assert seconds < float(LOCK_TIMEOUT_S) + FAST_S
        assert client.get("/foods", headers=bearer(token)).status_code == 200  # reads go on
        r, seconds = timed(lambda: web_sign_in(browser, "lock-steward"))
        assert r.status_code == 503 and "occupée" in r.text, r.text
        assert "retry-after" in r.headers and seconds < float(LOCK_TIMEOUT_S) + FAST_S
    both_answer_normally(api, web)  # no restart


def test_a_failed_commit_leaves_no_lock_behind(tmp_path: Path) -> None:
    """SQLite keeps a transaction open when its COMMIT fails (busy, as in the report; here, by
    a deferred foreign key, which fails the same way every time) and SQLAlchemy then returns
    the connection to its pool without rolling back: every other writer was locked out."""
    db = tmp_path / "pool.db"
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE TABLE p (id INTEGER PRIMARY KEY)"))
            conn.execute(
                text(
                    "CREATE TABLE c (id INTEGER PRIMARY KEY, "
                    "p INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)"
                )
            )
            conn.commit()
        with Session(engine) as session:
            session.execute(text("INSERT INTO c (id, p) VALUES (1, 42)"))
            with pytest.raises(IntegrityError):
                session.commit()  # fails, and SQLite's transaction stays open
        other = sqlite3.connect(db, timeout=1, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # 'database is locked' while the pool holds it
        other.execute("INSERT INTO p VALUES (1)")
        other.execute("COMMIT")
        other.close()
    finally:
        engine.dispose()
