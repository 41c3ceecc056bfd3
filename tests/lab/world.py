"""A small published world for the lab's tests: a simulated population ingested by the real
pipeline (simulate -> landing zone -> Dagster assets -> auto-approved publication), and one
account per role, on the test database of the engine under test."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from healthai import access, migrate
from healthai.db import get_engine, session_scope
from healthai.models import ApiAccount, ApiKey, DatasetVersion, User
from healthai.pipeline import versions
from healthai.settings import Settings, get_settings
from healthai.simulate import SimConfig, seed_organisations, simulate
from tests.conftest import fresh_database
from tests.pipeline_helpers import materialize_sources

SIM_SOURCES = (
    "sim_users",
    "sim_biometrics",
    "sim_app_sessions",
    "sim_subscriptions",
    "sim_surveys",
)
START = date(2025, 1, 1)
PASSWORD = "lab test password 0123456789"
API_KEY = "hak_lab-test-analyst-key-0123456789abcdef"


@dataclass
class World:
    url: str
    landing: Path
    settings: Settings
    accounts: dict[str, access.Principal] = field(default_factory=dict)
    partner_org: int = 0

    def session(self) -> Session:
        return Session(get_engine(self.url), expire_on_commit=False)

    def version(self) -> int:
        with self.session() as s:
            return versions.current(s)

    def members(self, organisation_id: int) -> set[int]:
        with self.session() as s:
            return set(s.scalars(select(User.id).where(User.organisation_id == organisation_id)))

    def backdate(self, version: int, at: str) -> None:
        """Say that `version` was made at `at` (UTC): the tests' time machine, since the
        pipeline stamps versions with the clock."""
        with session_scope(get_engine(self.url)) as s:
            s.execute(
                update(DatasetVersion)
                .where(DatasetVersion.version == version)
                .values(at=datetime.fromisoformat(at))
            )


@contextmanager
def shared_world(
    engine: str, folder: Path, pg_available: bool, users: int = 40, days: int = 20
) -> Iterator[World]:
    """A world for every test of a module (tests that only read it): its own database and
    folders, the platform's settings pointed at them (as the `platform` fixture does)."""
    with pytest.MonkeyPatch.context() as mp, fresh_database(engine, folder, pg_available) as url:
        migrate.upgrade(url)
        mp.setenv("DATABASE_URL", url)
        mp.setenv("VAR_DIR", str(folder / "var"))
        mp.setenv("RAW_STORE_DIR", str(folder / "raw_store"))
        mp.setenv("LANDING_DIR", str(folder / "landing"))
        get_settings.cache_clear()
        try:
            yield make_world(url, mp, users=users, days=days)
        finally:
            get_settings.cache_clear()


def publish(url: str, *sources: str) -> dg.ExecuteInProcessResult:
    result = materialize_sources(url, *(sources or SIM_SOURCES))
    assert result.success
    return result


def make_world(url: str, monkeypatch: pytest.MonkeyPatch, users: int = 30, days: int = 60) -> World:
    monkeypatch.setenv("AUTO_APPROVE_SOURCES", ",".join(SIM_SOURCES))
    get_settings.cache_clear()
    settings = get_settings()
    with session_scope(get_engine(url)) as s:
        seed_organisations(s)
    simulate(SimConfig(users=users, days=days, seed=7, start=START), settings.landing_dir)
    publish(url)
    world = World(url, settings.landing_dir, settings)
    with session_scope(get_engine(url)) as s:
        counts = s.execute(
            select(User.organisation_id, func.count())
            .where(User.organisation_id.is_not(None))
            .group_by(User.organisation_id)
            .order_by(func.count().desc(), User.organisation_id)
        ).first()
        assert counts is not None, "the simulation made no B2B member: raise `users`"
        world.partner_org = counts[0]
        hashed = access.hash_password(PASSWORD)
        roles = {
            "admin": None,
            "steward": None,
            "analyst": None,
            "partner": world.partner_org,
        }
        for role, org in roles.items():
            account = ApiAccount(
                username=f"lab-{role}", password_hash=hashed, role=role, organisation_id=org
            )
            s.add(account)
            s.flush()
            world.accounts[role] = access.state_of(account).principal()
        s.add(
            ApiKey(
                name="lab-analyst-key",
                prefix=API_KEY[:12],
                key_hash=access.hash_api_key(API_KEY),
                account_id=world.accounts["analyst"].account_id,
            )
        )
    return world


def late_biometrics(world: World, days: list[str], shift_days: int, name: str = "late.csv") -> Path:
    """A late file of the simulated biometrics: the readings of `days` (YYYY-MM-DD) again,
    `shift_days` later (new days, so new readings), landed as a new file."""
    folder = world.landing / "sim_biometrics"
    source = sorted(p for p in folder.glob("*.csv") if p.name != name)[0]
    with source.open(newline="") as fh:
        reader = csv.DictReader(fh)
        columns = reader.fieldnames or []
        rows = [r for r in reader if r["date"] in days]
    assert rows, f"no reading on {days}"
    for row in rows:
        row["date"] = (date.fromisoformat(row["date"]) + timedelta(days=shift_days)).isoformat()
    out = folder / name
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return out
