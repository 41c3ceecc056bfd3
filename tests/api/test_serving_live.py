"""The API served as in production (uvicorn, two workers) on a PostgreSQL cluster of the
test's own, #16:

- Revocation within the stated delay: a worker authenticates a caller it has seen in the last
  AUTH_CACHE_TTL_S seconds without reading the database (healthai.access.cache); a change of
  password, active flag or role, or a revoked API key, is refused by EVERY worker once that
  delay is over (here 2 s), though each worker had cached the caller just before.
- The personal-data access log is complete and durable: every 200 answer that carried
  personal data has its entry in `personal_data_access`, after a burst of concurrent reads,
  after the API process is killed (SIGKILL) in the middle of one, and after the DATABASE
  server crashes in the middle of one (`pg_ctl stop -m immediate`, then restarted). The
  entries of concurrent reads are committed together (group commit,
  healthai.access.log_writer), each read answered only once its entry's COMMIT returned. The
  cluster runs with `wal_writer_delay` at 10 s: a commit that does not wait for the WAL flush
  (the former `synchronous_commit = off` of reads) is lost by the crash, and that test fails
  for it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from healthai import migrate
from healthai.models import PersonalDataAccess
from tests.api.conftest import PASSWORD, seed
from tests.security import cluster as pg
from tests.security.live import ROOT, add_account, bearer, free_port, server_env, sign_in

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not pg.available(), reason="PostgreSQL server binaries missing"),
]
CLIENTS = 16
TTL_S = 2.0


@dataclass
class Burst:
    """Concurrent reads `/users?offset=<i>` (each request's own offset, which its entry's
    detail names), from CLIENTS threads, until `stop` or `total` requests."""

    base: str
    headers: dict[str, str]
    total: int = 3000
    first: int = 1  # offsets first, first + 1, ... (each test its own range)
    answered: list[int] = field(default_factory=list)  # offsets answered 200
    failed: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    _next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _take(self) -> int | None:
        with self._lock:
            if self.stop.is_set() or self._next >= self.total:
                return None
            self._next += 1
            return self.first + self._next

    def _client(self) -> None:
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=30) as client:
            while (offset := self._take()) is not None:
                try:
                    r = client.get("/users", params={"offset": offset, "limit": 1})
                except httpx.HTTPError:
                    with self._lock:
                        self.failed += 1
                    continue
                with self._lock:
                    if r.status_code == 200:
                        self.answered.append(offset)
                    else:
                        self.failed += 1

    def run(self) -> threading.Thread:
        def all_clients() -> None:
            with ThreadPoolExecutor(CLIENTS) as pool:
                for _ in range(CLIENTS):
                    pool.submit(self._client)

        thread = threading.Thread(target=all_clients)
        thread.start()
        return thread

    def wait_for(self, answers: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while len(self.answered) < answers:
            assert time.monotonic() < deadline, f"only {len(self.answered)} answers"
            time.sleep(0.02)


def logged_offsets(url: str) -> set[int]:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            rows = session.scalars(
                select(PersonalDataAccess.detail).where(PersonalDataAccess.path == "/users")
            )
            return {d["filters"]["offset"] for d in rows if "offset" in d.get("filters", {})}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[pg.Cluster, str]]:
    with pg.cluster() as cluster:
        # a commit that skips the WAL flush stays unflushed for 10 s: a crash then loses it
        cluster.sql("ALTER SYSTEM SET wal_writer_delay = '10s'")
        cluster.sql("SELECT pg_reload_conf()")
        cluster.sql("CREATE DATABASE healthai")
        url = cluster.url("healthai")
        migrate.upgrade(url)
        engine = create_engine(url)
        with Session(engine) as session:
            seed(session)
        engine.dispose()
        yield cluster, url


@contextmanager
def uvicorn(url: str, tmp: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """Two API workers (own process group) with a 2 s authentication cache."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1",
        "--port", str(port), "--workers", "2",
    ]  # fmt: skip
    env = server_env(url, tmp, AUTH_CACHE_TTL_S=str(TTL_S))
    with (tmp / f"api-{port}.log").open("w") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    httpx.get(base + "/health", timeout=2)
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline and proc.poll() is None
                    time.sleep(0.3)
            yield base, proc
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def api(
    database: tuple[pg.Cluster, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with uvicorn(database[1], tmp_path_factory.mktemp("serving")) as (base, _proc):
        yield base


def token(base: str, username: str, password: str = PASSWORD) -> dict[str, str]:
    with httpx.Client(base_url=base, timeout=30) as client:
        r = sign_in(client, username, password)
        assert r.status_code == 200, r.text
        return bearer(r.json()["access_token"])


def everywhere(base: str, headers: dict[str, str], path: str = "/users?limit=1") -> set[int]:
    """The statuses of 24 requests, each on a new connection (so both workers answer)."""
    statuses = set()
    for _ in range(24):
        with httpx.Client(base_url=base, timeout=30) as client:
            statuses.add(client.get(path, headers=headers).status_code)
    return statuses


# ------------------------------------------------------------------ revocation within the TTL
@pytest.mark.parametrize("change", ["password", "is_active", "role"])
def test_a_change_of_the_account_is_refused_by_every_worker_within_the_ttl(
    api: str, database: tuple[pg.Cluster, str], change: str
) -> None:
    name = f"cache-{change}-{uuid.uuid4().hex[:8]}"
    account_id = add_account(database[1], name, "steward")
    caller = token(api, name)
    assert everywhere(api, caller) == {200}  # both workers have it cached now
    body: dict[str, object] = {
        "password": {"password": "another long passphrase"},
        "is_active": {"is_active": False},
        "role": {"role": "analyst"},
    }[change]
    r = httpx.patch(
        f"{api}/accounts/{account_id}", json=body, headers=token(api, "admin"), timeout=30
    )
    assert r.status_code == 200, r.text
    time.sleep(TTL_S + 0.5)
    assert everywhere(api, caller) == {401}


def test_a_revoked_or_demoted_api_key_is_refused_by_every_worker_within_the_ttl(
    api: str, database: tuple[pg.Cluster, str]
) -> None:
    admin = token(api, "admin")
    name = f"cache-key-{uuid.uuid4().hex[:8]}"
    owner = add_account(database[1], name, "steward")
    keys = []
    for label in ("revoked", "demoted"):
        r = httpx.post(
            f"{api}/api-keys", json={"name": f"{name}-{label}", "account_id": owner},
            headers=admin, timeout=30,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        keys.append(r.json())
    revoked, demoted = ({"X-API-Key": k["key"]} for k in keys)
    assert everywhere(api, revoked) == {200} and everywhere(api, demoted) == {200}
    assert httpx.delete(f"{api}/api-keys/{keys[0]['id']}", headers=admin).status_code == 204
    r = httpx.patch(f"{api}/accounts/{owner}", json={"role": "analyst"}, headers=admin)
    assert r.status_code == 200, r.text
    time.sleep(TTL_S + 0.5)
    assert everywhere(api, revoked) == {401}
    assert everywhere(api, demoted) == {403}  # the key acts as its owner, now an analyst


# ------------------------------------------------------------------ the access log
def test_a_burst_of_concurrent_reads_is_logged_entry_for_entry(
    api: str, database: tuple[pg.Cluster, str]
) -> None:
    burst = Burst(api, token(api, "steward"), total=300, first=100_000)
    burst.run().join()
    assert burst.failed == 0 and len(burst.answered) == 300
    assert set(burst.answered) <= logged_offsets(database[1])


def test_every_answered_read_is_logged_when_the_api_is_killed_mid_burst(
    database: tuple[pg.Cluster, str], tmp_path: Path
) -> None:
    url = database[1]
    with uvicorn(url, tmp_path) as (base, proc):
        burst = Burst(base, token(base, "steward"), first=200_000)
        thread = burst.run()
        burst.wait_for(150)
        os.killpg(proc.pid, signal.SIGKILL)  # the API and its workers, mid-burst
        burst.stop.set()
        thread.join()
    assert len(burst.answered) >= 150
    missing = set(burst.answered) - logged_offsets(url)
    assert not missing, f"{len(missing)} answered reads without their entry"


def test_every_answered_read_is_logged_when_the_database_crashes_mid_burst(
    api: str, database: tuple[pg.Cluster, str]
) -> None:
    cluster, url = database
    burst = Burst(api, token(api, "steward"), first=300_000)
    thread = burst.run()
    burst.wait_for(150)
    # a crash: every server process ends at once, nothing flushed on the way out
    cluster._run("pg_ctl", "-D", str(cluster.data), "-m", "immediate", "-w", "stop")
    time.sleep(0.5)
    burst.stop.set()
    thread.join()
    cluster.start()  # recovery replays the WAL that reached the disk
    assert len(burst.answered) >= 150
    missing = set(burst.answered) - logged_offsets(url)
    assert not missing, f"{len(missing)} answered reads lost their entry in the crash"
