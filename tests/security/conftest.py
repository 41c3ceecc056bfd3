"""Fixtures of the security suite: a seeded app per engine (the API suite's), and the API
served by uvicorn with two workers on PostgreSQL (for the races)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from healthai import migrate
from tests.api.conftest import env  # noqa: F401 - the API suite's app and accounts, per engine
from tests.conftest import fresh_database
from tests.security.live import api_server, server_env


@dataclass(frozen=True)
class Served:
    base: str  # the API's address
    url: str  # its database


@pytest.fixture(scope="session")
def pg_api(tmp_path_factory: pytest.TempPathFactory, pg_available: bool) -> Iterator[Served]:
    """`uvicorn api.main:app --workers 2` on a PostgreSQL database of its own."""
    tmp = tmp_path_factory.mktemp("pg-api")
    with fresh_database("postgresql", tmp, pg_available) as url:
        migrate.upgrade(url)
        with api_server(server_env(url, tmp), tmp, workers=2) as base:
            yield Served(base, url)
