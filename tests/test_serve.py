"""`healthai serve` (make run) starts the API with `API_WORKERS` uvicorn processes, as
docker-compose.yml does, and one on the embedded SQLite default."""

from __future__ import annotations

import pytest

from healthai import cli
from healthai.settings import get_settings


@pytest.mark.parametrize(
    ("database", "workers", "expected"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:5432/x", "1", "1"),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/x", "3", "3"),
        ("sqlite:///var/healthai.db", "3", "1"),  # one writer at a time
    ],
)
def test_api_runs_api_workers_processes(
    database: str, workers: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database)
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
        expected,
        "--no-proxy-headers",  # X-Forwarded-For is the application's, from TRUSTED_PROXIES only
    ]
    assert command[0].endswith("uvicorn")
