"""A PostgreSQL cluster of the test's own (initdb / pg_ctl in a temporary folder, on a free
port, trust auth), to stop, restart and make read-only under a running API: the shared server
is never touched."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tests.security.live import free_port

BINARIES = ("initdb", "pg_ctl", "psql")


def available() -> bool:
    return all(shutil.which(name) for name in BINARIES)


def _as_postgres() -> list[str]:
    """initdb refuses to run as root: run the cluster as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@dataclass
class Cluster:
    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        subprocess.run([*_as_postgres(), *command], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w",
            "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1",
            "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def sql(self, statement: str, database: str = "postgres") -> None:
        self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
            "-v", "ON_ERROR_STOP=1", "-c", statement,
        )  # fmt: skip

    def read_only(self, on: bool) -> None:
        """Every new and running session's transactions read-only (or writable again)."""
        value = "on" if on else "off"
        self.sql(f"ALTER SYSTEM SET default_transaction_read_only = {value}")
        self.sql("SELECT pg_reload_conf()")


@contextmanager
def cluster() -> Iterator[Cluster]:
    folder = Path(tempfile.mkdtemp(prefix="healthai-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    made = Cluster(folder, free_port())
    try:
        made._run("initdb", "-D", str(made.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        made.start()
        yield made
    finally:
        with suppress(subprocess.CalledProcessError):  # already stopped
            made.stop()
        shutil.rmtree(folder, ignore_errors=True)
