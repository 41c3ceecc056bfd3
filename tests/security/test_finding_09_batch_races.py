"""Finding 9 (medium): batch decisions raced. 12 concurrent `approve` calls gave two 200s and
two audit entries; 12 concurrent `rollback`s gave 10-12 successes; a second `publish` was
stopped only by unique-key errors. Every decision is now one conditional update on the
batch's state (healthai.pipeline.lifecycle): exactly one 200, the others 409 naming the state
the batch is in, one audit entry per decision, through two uvicorn workers on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.orm import Session

from healthai.models import STAGING, AuditLog, Batch, IngestionRun, Source, User
from tests.security.conftest import Served
from tests.security.live import add_account, at_once, bearer, sign_in

pytestmark = pytest.mark.postgres
SIMULTANEOUS = 12
USERS = 5


def _audited_batch(url: str, name: str) -> int:
    """An audited batch of USERS staged users, its source created for it."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            source = Source(
                name=name, title=name, format="csv", location="-", owner="-", licence="-",
                update_frequency="never",
            )  # fmt: skip
            session.add(source)
            session.flush()
            run = IngestionRun(
                source_id=source.id, status="succeeded", rows_in=USERS, rows_pending=USERS
            )
            session.add(run)
            session.flush()
            batch = Batch(
                source_id=source.id, run_id=run.id, status="audited", rows_staged=USERS,
                rows_by_table={"users": USERS}, source_sha256="b" * 64,
            )  # fmt: skip
            session.add(batch)
            session.flush()
            session.execute(
                insert(STAGING["users"]),
                [
                    {
                        "batch_id": batch.id,
                        "source_record": str(i),
                        "external_key": f"{name}:{i}",
                        "plan_tier": "free",
                        "created_at": datetime.now(UTC),
                    }
                    for i in range(USERS)
                ],
            )
            session.commit()
            return batch.id
    finally:
        engine.dispose()


def _entries(url: str, batch_id: int, action: str) -> int:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(
                    AuditLog.entity == "batches",
                    AuditLog.entity_id == batch_id,
                    AuditLog.action == action,
                )
            )
    finally:
        engine.dispose()


def _published_users(url: str, name: str) -> int:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return session.scalar(
                select(func.count()).select_from(User).where(User.external_key.like(f"{name}:%"))
            )
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def token(pg_api: Served) -> str:
    add_account(pg_api.url, "race-decider", "steward")
    with httpx.Client(base_url=pg_api.base, timeout=60) as client:
        return sign_in(client, "race-decider").json()["access_token"]


def _race(pg_api: Served, token: str, batch_id: int, action: str, expected: str) -> None:
    body: dict = {"json": {"comment": "race"}} if action in ("reject", "rollback") else {}
    answers = at_once(
        pg_api.base, SIMULTANEOUS, f"/batches/{batch_id}/{action}", headers=bearer(token), **body
    )
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] + [409] * (SIMULTANEOUS - 1), [
        (r.status_code, r.text[:200]) for r in answers
    ]
    for answer in answers:
        if answer.status_code == 409:  # names the state the batch is in
            assert expected in answer.text, answer.text
    assert _entries(pg_api.url, batch_id, action) == 1


def test_twelve_simultaneous_decisions_one_success_each(pg_api: Served, token: str) -> None:
    batch_id = _audited_batch(pg_api.url, "race_flow")
    _race(pg_api, token, batch_id, "approve", "approved")
    _race(pg_api, token, batch_id, "publish", "published")
    assert _published_users(pg_api.url, "race_flow") == USERS
    _race(pg_api, token, batch_id, "rollback", "rolled_back")
    assert _published_users(pg_api.url, "race_flow") == 0


def test_twelve_simultaneous_rejections_one_success(pg_api: Served, token: str) -> None:
    batch_id = _audited_batch(pg_api.url, "race_reject")
    _race(pg_api, token, batch_id, "reject", "rejected")
