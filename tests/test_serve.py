"""`healthai serve` (make run) starts the API with `API_WORKERS` uvicorn processes, as
docker-compose.yml does."""

from __future__ import annotations

import pytest

from healthai import cli
from healthai.settings import get_settings


@pytest.mark.parametrize("workers", ["1", "3"])
def test_api_runs_api_workers_processes(workers: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_WORKERS", workers)
    get_settings.cache_clear()
    try:
        command = cli.api_command("127.0.0.1", 8000)
    finally:
        get_settings.cache_clear()
    assert command[1:] == [
        "api.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        "8000",
        "--workers",
        workers,
    ]
    assert command[0].endswith("uvicorn")
