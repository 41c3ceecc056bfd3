"""Real servers for the security suite: the API under uvicorn (the command `healthai serve`
runs, or plain uvicorn with N workers) and the web interface, as subprocesses on free ports,
with the test's own database and secrets; and accounts written straight into a database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from pwdlib import PasswordHash
from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session

from healthai.models import ApiAccount

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
SECRETS = {
    "JWT_SECRET": "security-suite-jwt-secret-" + "s" * 32,
    "PSEUDONYM_SECRET": "security-suite-pseudonym-secret-" + "q" * 32,
}
_hasher = PasswordHash.recommended()
PASSWORD_HASH = _hasher.hash(PASSWORD)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a server of the suite: its database, private folders, its own
    secrets, nothing inherited that would loosen a limit."""
    env = {k: v for k, v in os.environ.items() if k not in ("LOGIN_ADDRESS_RATE_LIMIT",)}
    env.update(
        {
            "DATABASE_URL": database_url,
            "VAR_DIR": str(tmp / "var"),
            "RAW_STORE_DIR": str(tmp / "raw_store"),
            "LANDING_DIR": str(tmp / "landing"),
            "PYTHONUNBUFFERED": "1",
            **SECRETS,
        }
    )
    env.update(extra)
    return env


def _wait(proc: subprocess.Popen, url: str, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                _stop(proc)
                raise RuntimeError(f"server did not start: {log.read_text()[-3000:]}") from None
            time.sleep(0.3)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def serve(command: list[str], env: dict[str, str], probe: str, log: Path) -> Iterator[None]:
    """Run `command` (its own process group), wait until `probe` answers, stop it after."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait(proc, probe, log)
            yield
        finally:
            _stop(proc)


@contextmanager
def api_server(
    env: dict[str, str], tmp: Path, workers: int = 1, command: list[str] | None = None
) -> Iterator[str]:
    """The API under uvicorn (`command`: a full command line with `{port}` in it, e.g. the one
    `healthai serve` runs); yields its base URL."""
    port = free_port()
    if command is None:
        command = [
            sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1",
            "--port", "{port}", "--workers", str(workers),
        ]  # fmt: skip
    command = [part.replace("{port}", str(port)) for part in command]
    base = f"http://127.0.0.1:{port}"
    with serve(command, env, base + "/health", tmp / f"api-{port}.log"):
        yield base


@contextmanager
def dashboard_server(env: dict[str, str], tmp: Path) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable, "-m", "dashboard.serve", "--address", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with serve(command, env, base + "/connexion", tmp / f"dashboard-{port}.log"):
        yield base


def add_account(url: str, username: str, role: str, organisation_id: int | None = None) -> int:
    """An active account with PASSWORD, written straight into the database; its id."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            session.execute(
                insert(ApiAccount).values(
                    username=username,
                    password_hash=PASSWORD_HASH,
                    role=role,
                    organisation_id=organisation_id,
                    is_active=True,
                )
            )
            session.commit()
            return session.scalar(select(ApiAccount.id).where(ApiAccount.username == username))
    finally:
        engine.dispose()


def sign_in(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    return client.post("/auth/token", data={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def at_once(base: str, calls: int, path: str, **body: Any) -> list[httpx.Response]:
    """`calls` POSTs of `body` (httpx's json= or data=) to `path`, each on its own connection,
    released together by a barrier once every connection is open."""
    clients = [httpx.Client(base_url=base, timeout=60) for _ in range(calls)]
    for client in clients:  # connect first, so that the requests leave together
        client.get("/health")
    gate = threading.Barrier(calls)
    answers: list[httpx.Response | None] = [None] * calls

    def send(i: int) -> None:
        gate.wait()
        answers[i] = clients[i].post(path, **body)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    assert all(answer is not None for answer in answers)
    return answers  # type: ignore[return-value]
