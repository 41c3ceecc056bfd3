"""The RGAA findings' browser tests on PostgreSQL (issue #15): those that read or write the
database through the pages (refresh, French wording of checks and reasons, confirmed approval
and focus after the last decision, refused correction kept out of the history) run here a
second time against a fresh database on the test server; only `dashboard_engine` differs."""

from __future__ import annotations

import pytest

from tests.browser.test_rgaa import (  # noqa: F401 - collected here on PostgreSQL
    test_approval_is_confirmed_and_focus_stays_meaningful,
    test_no_code_nor_english_phrase_shown,
    test_quality_refresh_keeps_focus_and_pause_button,
    test_refused_correction_in_plain_words_and_not_in_history,
)

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


@pytest.fixture(scope="module")
def dashboard_engine() -> str:
    return "postgresql"
