"""healthai.lab reads under the API's rules: an analyst gets pseudonyms and no identities, a
partner only its members, every read of a table about people is logged; and the reader is
always someone (an API key, a `healthai lab login` session, or the pipeline)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from api.main import create_app
from healthai import access, lab, privacy
from healthai.lab import identity
from healthai.models import ApiAccount, AppSession, Organisation, PersonalDataAccess, User
from healthai.settings import get_settings
from tests.conftest import ENGINES
from tests.lab.world import API_KEY, PASSWORD, World, shared_world


@pytest.fixture(scope="module", params=ENGINES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_available: bool
) -> Iterator[World]:
    """One world per engine for the module: the tests read it (the ones that change an
    account use one of their own)."""
    with shared_world(request.param, tmp_path_factory.mktemp("world"), pg_available) as world:
        yield world


def _ids(world: World, model: type, column: str = "id") -> list[int]:
    with world.session() as s:
        return list(s.scalars(select(getattr(model, column))))


def test_an_analyst_reads_pseudonyms_and_no_identity(world: World) -> None:
    db = lab.connect(world.accounts["analyst"], world.url)
    users = db.table("users")
    real = _ids(world, User)
    assert sorted(users["id"]) == sorted(privacy.pseudonym(world.settings, i) for i in real)
    assert not {"external_key", "batch_id", "source_sha256", "source_record"} & set(users)
    sessions = db.table("app_sessions")
    assert set(sessions["user_id"]) <= set(users["id"])
    assert len(sessions) == len(_ids(world, AppSession))
    with pytest.raises(lab.LabAccessDenied, match="identities"):
        db.table("users", identified=True)
    # catalogue tables are not about people: as they are
    assert len(db.table("organisations")) == len(_ids(world, Organisation))


def test_identities_only_for_roles_that_may_see_them(world: World) -> None:
    admin = lab.connect(world.accounts["admin"], world.url)
    users = admin.table("users", identified=True)
    assert sorted(users["id"]) == sorted(_ids(world, User))
    assert "external_key" in users
    # the default stays pseudonymised, whoever reads
    assert set(admin.table("users")["id"]).isdisjoint(set(map(str, _ids(world, User))))


def test_a_partner_sees_only_its_members(world: World) -> None:
    members = world.members(world.partner_org)
    everyone = set(_ids(world, User))
    assert members and members < everyone
    db = lab.connect(world.accounts["partner"], world.url)
    users = db.table("users", identified=True)
    assert set(users["id"]) == members
    sessions = db.table("app_sessions", identified=True)
    with world.session() as s:
        expected = s.scalars(select(AppSession.id).where(AppSession.user_id.in_(members))).all()
    assert sorted(sessions["id"]) == sorted(expected)
    assert set(db.table("organisations")["id"]) == {world.partner_org}
    pseudonymised = db.table("users")
    assert sorted(pseudonymised["id"]) == sorted(
        privacy.pseudonym(world.settings, i) for i in members
    )
    everything = db.consolidated()
    assert set(everything["users"]["id"]) == set(pseudonymised["id"])
    features = db.features(identified=True)
    assert set(features["user_id"]) <= members


def test_lab_and_api_agree(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same account reads the same people through the API and through healthai.lab."""
    app = create_app(get_settings())
    with TestClient(app) as client:
        exported = client.get(
            "/exports/users", params={"format": "json"}, headers={"X-API-Key": API_KEY}
        )
        assert exported.status_code == 200
        monkeypatch.setenv(identity.API_KEY_ENV, API_KEY)
        db = lab.connect(database_url=world.url)
        assert db.principal.username == "lab-analyst"
        assert sorted(r["id"] for r in exported.json()) == sorted(db.table("users")["id"])
        token = client.post(
            "/auth/token", data={"username": "lab-partner", "password": PASSWORD}
        ).json()["access_token"]
        listed = client.get(
            "/users", params={"limit": 500}, headers={"Authorization": f"Bearer {token}"}
        ).json()
        partner = lab.connect(world.accounts["partner"], world.url)
        assert sorted(u["id"] for u in listed["data"]) == sorted(
            partner.table("users", identified=True)["id"]
        )


def test_every_read_of_people_is_logged(world: World) -> None:
    with world.session() as s:
        before = s.scalar(select(func.max(PersonalDataAccess.id))) or 0
    db = lab.connect(world.accounts["analyst"], world.url)
    db.table("users")
    db.table("foods")  # not about people: not logged
    db.consolidated()
    with world.session() as s:
        rows = s.scalars(
            select(PersonalDataAccess)
            .where(PersonalDataAccess.id > before)
            .order_by(PersonalDataAccess.id)
        ).all()
    assert [(r.actor, r.role, r.action, r.path) for r in rows] == [
        ("lab-analyst", "analyst", "export", "lab:users"),
        ("lab-analyst", "analyst", "export", "lab:consolidated"),
    ]
    assert rows[0].detail["as_of"] == world.version()
    assert rows[0].detail["identified"] is False


def test_the_reader_comes_from_a_key_a_login_or_the_pipeline(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(identity.CREDENTIALS_ENV, str(tmp_path / "lab-token"))
    monkeypatch.delenv(identity.API_KEY_ENV, raising=False)
    with pytest.raises(lab.NotSignedIn, match="healthai lab login"):
        lab.connect(database_url=world.url)

    monkeypatch.setenv(identity.API_KEY_ENV, "hak_not-a-key")
    with pytest.raises(lab.NotSignedIn, match="refused"):
        lab.connect(database_url=world.url)
    monkeypatch.delenv(identity.API_KEY_ENV)

    with world.session() as s:
        who = identity.login(s, world.settings, world.url, "lab-steward", PASSWORD)
    assert who.role == "steward"
    assert stat.S_IMODE(os.stat(tmp_path / "lab-token").st_mode) == 0o600
    first = (tmp_path / "lab-token").read_text()
    assert lab.connect(database_url=world.url).principal.username == "lab-steward"
    # each connect trades the refresh token for a new one: an old copy is worthless
    assert (tmp_path / "lab-token").read_text() != first
    assert lab.connect(database_url=world.url).principal.role == "steward"
    (tmp_path / "stolen").write_text(first)
    monkeypatch.setenv(identity.CREDENTIALS_ENV, str(tmp_path / "stolen"))
    with pytest.raises(lab.NotSignedIn, match="ended"):
        lab.connect(database_url=world.url)
    monkeypatch.setenv(identity.CREDENTIALS_ENV, str(tmp_path / "lab-token"))

    with world.session() as s:
        assert identity.logout(s, world.settings, world.url)
    with pytest.raises(lab.NotSignedIn):
        lab.connect(database_url=world.url)

    monkeypatch.setenv("HEALTHAI_LAB_PIPELINE", "lab/some_output")
    pipeline = lab.connect(database_url=world.url)
    assert (pipeline.principal.username, pipeline.principal.role) == (
        "pipeline:lab/some_output",
        "analyst",
    )
    with pytest.raises(lab.LabAccessDenied):
        pipeline.table("users", identified=True)


def test_a_disabled_account_stops_reading_at_once(world: World) -> None:
    with world.session() as s:
        account = ApiAccount(
            username="lab-leaving",
            password_hash=access.hash_password(PASSWORD),
            role="admin",
        )
        s.add(account)
        s.commit()
        leaving = access.state_of(account).principal()
    db = lab.connect(leaving, world.url)
    assert len(db.table("users"))
    with world.session() as s:
        s.execute(
            update(ApiAccount).where(ApiAccount.id == leaving.account_id).values(is_active=False)
        )
        s.commit()
    with pytest.raises(lab.NotSignedIn, match="disabled"):
        db.table("users")
