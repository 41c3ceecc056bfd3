"""Every read of personal data is in the access log, committed; on PostgreSQL the read's commit
skips the WAL flush for that transaction only, never for the connection's later writes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from healthai import access
from healthai.db import make_engine
from healthai.models import PersonalDataAccess
from tests.api.conftest import Env


def _entries(env: Env, path: str) -> list[PersonalDataAccess]:
    with env.session() as s:
        return list(
            s.scalars(select(PersonalDataAccess).where(PersonalDataAccess.path == path)).all()
        )


def test_list_and_detail_reads_are_logged(env: Env) -> None:
    c, h = env.client, env.headers["steward"]
    metric_id = c.get("/metrics", params={"limit": 1}, headers=h).json()["data"][0]["id"]
    before = len(_entries(env, "/metrics"))
    r = c.get("/metrics", params={"user_id": env.ids["user_a"], "limit": 2}, headers=h)
    assert r.status_code == 200
    listed = _entries(env, "/metrics")
    assert len(listed) == before + 1
    newest = max(listed, key=lambda e: e.id)
    assert newest.action == "read" and newest.resource == "biometric_measurements"
    assert newest.detail["filters"]["user_id"] == env.ids["user_a"]
    assert newest.detail["rows"] == len(r.json()["data"])
    assert c.get(f"/metrics/{metric_id}", headers=h).status_code == 200
    got = _entries(env, f"/metrics/{metric_id}")
    assert any(e.detail == {"id": metric_id} and e.actor == "steward" for e in got)


def test_read_log_commit_is_durable_and_leaves_the_connection_synchronous(env: Env) -> None:
    # one connection, so that what the read's transaction set could leak to the next one
    engine = make_engine(env.url, pool_size=1, max_overflow=0)
    try:
        marker = f"/test-read-log/{datetime.now(UTC).timestamp()}"
        principal = access.Principal(1, "tests", "admin", None)
        with Session(engine) as session:
            access.log_personal_read(session, principal, "biometric_measurements", marker)
        # committed: another connection sees it
        with env.session() as other:
            count = other.scalar(select(func.count()).where(PersonalDataAccess.path == marker))
        assert count == 1
        if env.engine_name == "postgresql":
            with engine.connect() as conn:
                assert conn.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
    finally:
        engine.dispose()
