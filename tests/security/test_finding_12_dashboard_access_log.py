"""Finding 12 (#14): the web interface shows quarantined raw rows and batch samples, and each of
those reads must be in the personal-data access log as the API's reads of the same data are
(healthai.access.log_personal_read). The pages are built in-process for a signed-in steward,
as the server builds them for a session, on both engines."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from healthai.access import Principal
from healthai.models import ApiAccount, Batch, PersonalDataAccess, QuarantinedRow
from tests.pipeline_helpers import materialize_sources, session_for

pytestmark = pytest.mark.parametrize("engine", ["sqlite", "postgresql"])


def _steward(url: str) -> Principal:
    from healthai.access import hash_password

    with session_for(url) as session:
        account = ApiAccount(
            username="steward-log", password_hash=hash_password("x" * 16), role="steward"
        )
        session.add(account)
        session.flush()
        return Principal(account.id, account.username, account.role, None)


def _context(slug: str, user: Principal) -> Any:
    from dashboard.components import Announcer
    from dashboard.shell import Context

    return Context(lang="fr", user=user, announcer=Announcer(), slug=slug)


def _entries(url: str) -> list[PersonalDataAccess]:
    with session_for(url) as session:
        rows = session.scalars(select(PersonalDataAccess).order_by(PersonalDataAccess.id)).all()
        session.expunge_all()
        return list(rows)


def test_dashboard_reads_of_personal_data_are_logged(platform: str, engine: str) -> None:
    url = platform
    assert materialize_sources(url, "gym_members").success
    with session_for(url) as session:
        open_rows = session.scalar(select(func.count()).select_from(QuarantinedRow))
        waiting = session.scalar(select(func.count()).select_from(Batch))
    assert open_rows and waiting, "the test needs quarantined rows and a batch to review"
    steward = _steward(url)

    from dashboard.pages import corrections, review

    before = len(_entries(url))
    corrections.build(_context("corrections", steward))
    logged = _entries(url)[before:]
    quarantine = [e for e in logged if e.resource == "quarantined_rows"]
    assert quarantine, "the corrections page showed quarantined rows without logging the read"
    assert all(e.actor == "steward-log" and e.role == "steward" for e in quarantine)
    assert all(e.action == "read" and e.path == "/corrections" for e in quarantine)
    assert all(e.detail.get("via") == "dashboard" for e in quarantine)
    assert any(e.detail.get("rows") for e in quarantine)  # the page read
    assert any(e.detail.get("id") for e in quarantine)  # the raw row shown in full

    before = len(_entries(url))
    review.build(_context("validation", steward))
    logged = _entries(url)[before:]
    samples = [e for e in logged if e.resource == "batches"]
    assert samples, "the review page showed a batch's sample rows without logging the read"
    assert all(e.path == "/validation" and e.detail.get("tables") for e in samples)


def test_no_log_entry_without_personal_data(platform: str, engine: str) -> None:
    """An analyst (no people:read) sees a batch's checks without its people's rows: nothing
    personal was read, nothing is logged for the samples."""
    url = platform
    assert materialize_sources(url, "gym_members").success
    with session_for(url) as session:
        account = ApiAccount(username="analyst-log", password_hash="-", role="analyst")
        session.add(account)
        session.flush()
        analyst = Principal(account.id, account.username, account.role, None)
    from dashboard.pages import review

    before = len(_entries(url))
    review.build(_context("validation", analyst))
    assert [e for e in _entries(url)[before:] if e.resource == "batches"] == []
