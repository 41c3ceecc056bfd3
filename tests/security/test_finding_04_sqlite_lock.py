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

LOCK_TIMEOUT_S = "2"
# A request blocked by the other process would wait for it: the clients give up after this
# (the report's requests waited 60 s); no answer is timed otherwise.
PATIENCE_S = 45


@contextmanager
def held(db: Path, statements: str) -> Iterator[subprocess.Popen]:
    """Another process (plain sqlite3, as a notebook or shell would) runs `statements` inside
    BEGIN and holds the transaction until the block ends (75 s in the report: here, for as
    long as the requests take)."""
    code = (
        "import sqlite3, sys\n"
        f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
        f"c.executescript({statements!r})\n"
        "print('held', flush=True)\n"
        "sys.stdin.readline()\n"
        "c.execute('ROLLBACK')\n"
        "print('released', flush=True)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    try:
        yield proc
        assert proc.poll() is None, "the other process let go before the requests were answered"
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "released"
    finally:
        proc.kill()
        proc.wait()


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
        held(db, "BEGIN; SELECT count(*) FROM api_accounts;"),
        httpx.Client(base_url=api, timeout=PATIENCE_S) as client,
        httpx.Client(base_url=web, timeout=PATIENCE_S) as browser,
    ):
        r = sign_in(client, "lock-admin")  # writes the rate limit's rows, then a token
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        r = client.get("/users", headers=bearer(token))  # a read that writes the access log
        assert r.status_code == 200, r.text
        assert web_sign_in(browser, "lock-steward").status_code == 302
        r = browser.get("/telechargement?table=users&format=csv&limit=100")
        assert r.status_code == 200, r.text
    both_answer_normally(api, web)


def test_a_held_write_lock_costs_one_quick_503_and_nothing_stays_locked(
    platform: tuple[Path, str, str],
) -> None:
    db, api, web = platform
    with httpx.Client(base_url=api, timeout=30) as client:
        token = sign_in(client, "lock-admin").json()["access_token"]
    grab = "BEGIN IMMEDIATE; INSERT INTO login_attempts (key, at) VALUES ('x', '2000-01-01');"
    with (
        held(db, grab),
        httpx.Client(base_url=api, timeout=PATIENCE_S) as client,
        httpx.Client(base_url=web, timeout=PATIENCE_S) as browser,
    ):
        r = sign_in(client, "lock-admin")  # answered while the lock is still held
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert int(r.headers["retry-after"]) >= 1
        assert client.get("/foods", headers=bearer(token)).status_code == 200  # reads go on
        r = web_sign_in(browser, "lock-steward")
        assert r.status_code == 503 and "occupée" in r.text, r.text
        assert "retry-after" in r.headers
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
