"""DATABASE_READ_URL: the API's read-only routes read the replica, while writes and the
personal-data access log go to the primary (docs/scaling.md, "Read replicas"). The replica
here is a copy of the primary that then diverges, so where each answer comes from shows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.main import create_app
from healthai import migrate
from healthai.access import create_token
from healthai.db import make_engine
from healthai.models import Food, PersonalDataAccess
from healthai.settings import Settings
from tests.api.conftest import lineage, seed
from tests.conftest import PG_ADMIN_URL, _pg_available

pytestmark = pytest.mark.postgres


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    if not _pg_available():
        pytest.skip("PostgreSQL does not answer (outside CI)")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    names = [f"healthai_{role}_{uuid.uuid4().hex[:10]}" for role in ("primary", "replica")]
    urls = [make_url(PG_ADMIN_URL).set(database=n).render_as_string(False) for n in names]
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{names[0]}"'))
    try:
        migrate.upgrade(urls[0])
        engine = create_engine(urls[0])
        with Session(engine) as session:
            seed(session)
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{names[1]}" TEMPLATE "{names[0]}"'))
        yield urls[0], urls[1]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _count(engine: Engine, stmt) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return int(conn.scalar(stmt) or 0)


def test_reads_come_from_the_replica_and_writes_and_access_log_go_to_the_primary(
    databases: tuple[str, str],
) -> None:
    primary_url, replica_url = databases
    primary, replica = make_engine(primary_url), make_engine(replica_url)
    with Session(replica) as session:  # a row only the replica has
        batch = session.scalar(select(Food.batch_id).limit(1))
        session.add(Food(code="fx:replica", source="fx", source_code="replica",
                         name="Replica only", **lineage(batch, "r1")))  # fmt: skip
        session.commit()
    settings = Settings(
        database_url=primary_url,
        database_read_url=replica_url,
        environment="test",
        jwt_secret="test-secret-" + "x" * 32,
        pseudonym_secret="test-pseudonym-" + "y" * 32,
    )
    with Session(primary) as session:
        admin_id = session.scalar(text("SELECT id FROM api_accounts WHERE role = 'admin' LIMIT 1"))
    token, _, _ = create_token(settings, int(admin_id), 0)
    auth = {"Authorization": f"Bearer {token}"}
    logged = select(func.count()).select_from(PersonalDataAccess)
    before = _count(primary, logged), _count(replica, logged)
    with TestClient(create_app(settings, primary)) as client:
        names = [f["name"] for f in client.get("/foods?limit=500", headers=auth).json()["data"]]
        assert "Replica only" in names  # read from the replica
        users = client.get("/users", headers=auth)  # a personal read: logged on the primary
        assert users.status_code == 200, users.text
        created = client.post(
            "/foods", json={"source_code": "written", "name": "Written"}, headers=auth
        )
        assert created.status_code == 201, created.text
    assert (_count(primary, logged), _count(replica, logged)) == (before[0] + 1, before[1])
    written = select(func.count()).select_from(Food).where(Food.name == "Written")
    assert (_count(primary, written), _count(replica, written)) == (1, 0)
    primary.dispose()
    replica.dispose()
