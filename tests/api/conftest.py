"""One migrated database and one app per engine for the whole API suite (tests create their
own rows with unique keys, so they do not depend on each other), with an account per role."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.main import create_app
from healthai import migrate
from healthai.access import create_token, hash_api_key, hash_password
from healthai.db import make_engine
from healthai.models import (
    ApiAccount,
    ApiKey,
    AppSession,
    Batch,
    BiometricReading,
    Food,
    MealLog,
    Organisation,
    SatisfactionSurvey,
    Source,
    Subscription,
    User,
    WorkoutSession,
)
from healthai.pipeline import aggregates, partitions
from healthai.settings import Settings
from tests.conftest import ENGINES, PG_ADMIN_URL, _pg_available

PASSWORD = "correct horse battery staple"
API_KEY = "hak_test-analyst-key-0123456789abcdef"


@dataclass
class Env:
    engine_name: str
    url: str
    app: object
    client: TestClient
    settings: Settings
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    batch_id: int = 0

    def session(self) -> Session:
        return Session(self.app.state.engine, expire_on_commit=False)


def lineage(batch_id: int, record: str) -> dict[str, object]:
    return {
        "batch_id": batch_id,
        "source_sha256": hashlib.sha256(record.encode()).hexdigest(),
        "source_record": record,
    }


def seed(session: Session) -> dict[str, int]:
    """Two organisations with one member each, a food, logs and measurements."""
    src = Source(
        name="fixture",
        title="Test fixture",
        format="csv",
        location="tests",
        owner="tests",
        licence="none",
        update_frequency="never",
    )
    session.add(src)
    session.flush()
    batch = Batch(source_id=src.id, status="published", rows_by_table={}, source_sha256="f" * 64)
    session.add(batch)
    session.flush()
    b = batch.id
    org_a = Organisation(slug="org-a", name="Org A", kind="gym")
    org_b = Organisation(slug="org-b", name="Org B", kind="insurer")
    session.add_all([org_a, org_b])
    session.flush()
    user_a = User(
        external_key="fx:a",
        birth_year=1985,
        sex="female",
        goal="lose_weight",
        plan_tier="premium",
        organisation_id=org_a.id,
        **lineage(b, "ua"),
    )
    user_b = User(
        external_key="fx:b",
        birth_year=1999,
        sex="male",
        goal="gain_muscle",
        plan_tier="free",
        organisation_id=org_b.id,
        **lineage(b, "ub"),
    )
    session.add_all([user_a, user_b])
    session.flush()
    food = Food(
        code="fx:apple",
        source="fx",
        source_code="apple",
        name="Apple",
        energy_kcal=52,
        protein_g=0.3,
        **lineage(b, "f1"),
    )
    session.add(food)
    session.flush()
    rows = []
    for u in (user_a, user_b):
        for day in (1, 2):
            rows.append(
                MealLog(
                    user_id=u.id,
                    eaten_on=date(2026, 1, day),
                    meal_type="lunch",
                    food_id=food.id,
                    energy_kcal=600 + day,
                    protein_g=30,
                    **lineage(b, f"m{u.id}{day}"),
                )
            )
        rows.append(
            WorkoutSession(
                user_id=u.id,
                workout_type="running",
                duration_min=30,
                performed_on=date(2026, 1, 1),
                intensity="high",
                **lineage(b, f"w{u.id}"),
            )
        )
        partitions.ensure_partition(session, BiometricReading.__table__, b)
        for day, kg in ((1, 80.0), (20, 78.5)):
            rows.append(
                BiometricReading(
                    user_id=u.id,
                    measured_at=datetime(2026, 1, day, 7, tzinfo=UTC),
                    weight_kg=kg,
                    batch_id=b,
                    record=day,
                )
            )
        rows.append(
            AppSession(
                user_id=u.id,
                started_at=datetime(2026, 1, 1, 8, tzinfo=UTC),
                duration_s=300,
                platform="ios",
                **lineage(b, f"s{u.id}"),
            )
        )
        rows.append(
            SatisfactionSurvey(
                user_id=u.id, answered_on=date(2026, 1, 3), score=9, **lineage(b, f"q{u.id}")
            )
        )
        rows.append(
            Subscription(
                user_id=u.id,
                plan_tier="free",
                started_on=date(2025, 1, 1),
                **lineage(b, f"sub{u.id}"),
            )
        )
    session.add_all(rows)
    session.flush()
    aggregates.rebuild(session)  # rows written directly: the aggregates made explicitly
    accounts = {
        "admin": ApiAccount(username="admin", role="admin"),
        "steward": ApiAccount(username="steward", role="steward"),
        "steward2": ApiAccount(username="steward2", role="steward"),
        "analyst": ApiAccount(username="analyst", role="analyst"),
        "partner": ApiAccount(username="partner-a", role="partner", organisation_id=org_a.id),
        "partner_b": ApiAccount(username="partner-b", role="partner", organisation_id=org_b.id),
    }
    hashed = hash_password(PASSWORD)
    for acc in accounts.values():
        acc.password_hash = hashed
    session.add_all(accounts.values())
    session.flush()
    session.add(
        ApiKey(
            name="bi",
            prefix=API_KEY[:12],
            key_hash=hash_api_key(API_KEY),
            account_id=accounts["analyst"].id,
        )
    )
    session.flush()
    ids = {f"account_{k}": a.id for k, a in accounts.items()}
    ids.update(
        org_a=org_a.id, org_b=org_b.id, user_a=user_a.id, user_b=user_b.id, food=food.id, batch=b
    )
    session.commit()
    return ids


@contextmanager
def make_env(engine_name: str, folder: Path) -> Iterator[Env]:
    """A fresh migrated database of `engine_name`, seeded, and an app over it."""
    admin_engine = None
    if engine_name == "sqlite":
        url = f"sqlite:///{folder / 'api.db'}"
    else:
        if not _pg_available():
            pytest.skip("PostgreSQL does not answer (outside CI)")
        name = f"healthai_api_{uuid.uuid4().hex[:12]}"
        admin_engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    settings = Settings(
        database_url=url,
        environment="test",
        jwt_secret="test-secret-" + "x" * 32,
        pseudonym_secret="test-pseudonym-" + "y" * 32,
        login_rate_limit=1000,
        login_address_rate_limit=100000,
        four_eyes=True,
    )
    engine = make_engine(url)
    app = create_app(settings, engine)
    with Session(engine) as session:
        ids = seed(session)
    client = TestClient(app)
    env = Env(engine_name, url, app, client, settings, ids=ids, batch_id=ids["batch"])
    for role in ("admin", "steward", "steward2", "analyst", "partner", "partner_b"):
        token, _, _ = create_token(settings, ids[f"account_{role}"], 0)
        env.headers[role] = {"Authorization": f"Bearer {token}"}
    env.headers["api_key"] = {"X-API-Key": API_KEY}
    env.headers["anonymous"] = {}
    try:
        yield env
    finally:
        client.close()
        engine.dispose()
        if admin_engine is not None:
            with admin_engine.connect() as conn:
                db = make_url(url).database
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            admin_engine.dispose()


@pytest.fixture(scope="session", params=ENGINES)
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """The shared app of the API tests (tests add rows, never remove others')."""
    with make_env(request.param, tmp_path_factory.mktemp("api")) as e:
        yield e


@pytest.fixture(scope="session", params=ENGINES)
def fuzz_env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Env]:
    """An app of its own for schemathesis, which may change or delete anything."""
    with make_env(request.param, tmp_path_factory.mktemp("fuzz")) as e:
        yield e
