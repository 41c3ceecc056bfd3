"""The API's connection pool is sized by the settings (DB_POOL_SIZE, DB_MAX_OVERFLOW)."""

from __future__ import annotations

import pytest

from api.main import create_app
from tests.api.conftest import Env


def test_api_pool_follows_the_settings(env: Env) -> None:
    if env.engine_name != "postgresql":
        pytest.skip("SQLite has no server connections to pool")
    settings = env.settings.model_copy(update={"db_pool_size": 7, "db_max_overflow": 3})
    app = create_app(settings)
    try:
        pool = app.state.engine.pool
        assert pool.size() == 7 and pool._max_overflow == 3
    finally:
        app.state.engine.dispose()
