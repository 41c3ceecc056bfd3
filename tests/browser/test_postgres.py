"""The same browser tests on PostgreSQL: the axe sweep of every page (steward and partner)
and the keyboard-only approve-and-correct flow, against a fresh database on the test server
(HEALTHAI_TEST_POSTGRES_URL, see tests/conftest.py). The tests are test_dashboard's own
functions, collected here a second time; only the `dashboard_engine` fixture differs."""

from __future__ import annotations

import pytest

from tests.browser.test_dashboard import (  # noqa: F401 - collected here on PostgreSQL
    test_every_page,
    test_keyboard_only_sign_in_approve_and_correct,
)

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


@pytest.fixture(scope="module")
def dashboard_engine() -> str:
    return "postgresql"


def test_the_dashboard_runs_on_postgresql(dashboard_db: dict[str, str]) -> None:
    """The server under test in this module really is PostgreSQL."""
    assert dashboard_db["DATABASE_URL"].startswith("postgresql")
