"""Dataset versions a model can be reproduced from: reading `as_of` a version and writing its
snapshot give the same rows and the same files before and after later publications and
rollbacks; the manifest and the datasheet say what the snapshot holds; an erased person
leaves every stored snapshot, and the manifest says so."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from sqlalchemy import select

from healthai import lab, privacy, quality
from healthai.db import get_engine, session_scope
from healthai.lab import snapshots
from healthai.models import Batch, Source, User
from healthai.pipeline import batches
from healthai.sources import SOURCES
from tests.conftest import ENGINES
from tests.lab.world import World, late_biometrics, make_world, publish

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def world(platform: str, monkeypatch: pytest.MonkeyPatch) -> World:
    return make_world(platform, monkeypatch, users=30, days=30)


def _batch_of(world: World, source: str) -> list[int]:
    with world.session() as s:
        return list(
            s.scalars(
                select(Batch.id)
                .join(Source, Source.id == Batch.source_id)
                .where(Source.name == source, Batch.status == "published")
                .order_by(Batch.id)
            )
        )


def _rollback(world: World, batch_id: int) -> None:
    with session_scope(get_engine(world.url)) as s:
        batches.rollback(s, batch_id, "lab-test", "a later change")


def _equal(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


@pytest.mark.parametrize("engine", ENGINES)
def test_as_of_reads_and_snapshots_do_not_move(engine: str, world: World) -> None:
    with session_scope(get_engine(world.url)) as s:
        quality.evaluate(s, SOURCES["sim_users"])
    db = lab.connect(world.accounts["admin"], world.url)
    v1 = db.version()
    before = db.consolidated(as_of=v1)
    identified = db.table("biometric_measurements", as_of=v1, identified=True)
    with world.session() as s:
        first = snapshots.write(s, world.settings, v1)

    # later: a new batch published, then rolled back; another original batch rolled back
    late_biometrics(world, ["2025-01-10", "2025-01-11"], shift_days=40)
    publish(world.url, "sim_biometrics")
    v2 = db.version()
    late = _batch_of(world, "sim_biometrics")[-1]
    grown = db.table("biometric_readings", as_of=v2)
    assert len(grown) > len(before["biometric_readings"])
    _rollback(world, late)
    plans = _batch_of(world, "sim_subscriptions")[0]
    _rollback(world, plans)
    v4 = db.version()
    assert v4 == v2 + 2
    assert db.table("subscriptions").empty  # the latest version: rolled back
    assert len(db.table("subscriptions", as_of=v1)) == len(before["subscriptions"]) > 0

    # version 1 reads exactly as before, identified or not
    _equal(db.consolidated(as_of=v1), before)
    pd.testing.assert_frame_equal(
        db.table("biometric_measurements", as_of=v1, identified=True), identified
    )
    # and its snapshot, written again from scratch, is the same files
    shutil.rmtree(snapshots.folder(world.settings, v1))
    with world.session() as s:
        again = snapshots.write(s, world.settings, v1)
    assert {n: t["sha256"] for n, t in again["tables"].items()} == {
        n: t["sha256"] for n, t in first["tables"].items()
    }
    assert again["batches"] == first["batches"]
    _equal(db.snapshot(as_of=v1), {n: f.assign() for n, f in before.items()})

    # version 2 has the late batch, in its rows and in its manifest
    with world.session() as s:
        second = snapshots.write(s, world.settings, v2)
    assert late in {b["batch"] for b in second["batches"]}
    assert late not in {b["batch"] for b in first["batches"]}
    assert second["tables"]["biometric_readings"]["rows"] == len(grown)


@pytest.mark.parametrize("engine", ["sqlite"])
def test_the_manifest_and_the_datasheet_describe_the_snapshot(engine: str, world: World) -> None:
    with session_scope(get_engine(world.url)) as s:
        quality.evaluate(s, SOURCES["sim_biometrics"])
    version = world.version()
    with world.session() as s:
        manifest = snapshots.write(s, world.settings, version)
    folder = snapshots.folder(world.settings, version)
    assert manifest == snapshots.manifest(world.settings, version)
    assert manifest["dataset_version"] == version and manifest["pseudonymised"] is True
    users = manifest["tables"]["users"]
    with world.session() as s:
        assert users["rows"] == len(s.scalars(select(User.id)).all())
    assert {"name": "id", "type": "string"} in users["columns"]
    assert "external_key" not in {c["name"] for c in users["columns"]}
    assert {b["source"] for b in manifest["batches"]} >= {
        "sim_users",
        "sim_biometrics",
        "sim_app_sessions",
        "sim_subscriptions",
    }
    assert manifest["quality"]["sim_biometrics"]["score"] is not None
    sheet = (folder / snapshots.DATASHEET).read_text()
    for expected in (
        f"version {version}",
        SOURCES["sim_users"].title,
        SOURCES["sim_users"].licence,
        "Simulated data",
        "## Known gaps and biases",
        "## Licences",
        f"consolidated(as_of={version})",
    ):
        assert expected in sheet, expected
    # the checksums are those of the files
    tables = snapshots.read(world.settings, version)
    assert len(tables["users"]) == users["rows"]
    (folder / "users.parquet").write_bytes(b"tampered")
    with pytest.raises(ValueError, match="checksum"):
        snapshots.read(world.settings, version)


@pytest.mark.parametrize("engine", ["sqlite"])
def test_an_erased_person_leaves_every_stored_snapshot(engine: str, world: World) -> None:
    v1 = world.version()
    with world.session() as s:
        snapshots.write(s, world.settings, v1)
        user_id = s.scalars(select(User.id).order_by(User.id)).first()
    assert user_id is not None
    gone = privacy.pseudonym(world.settings, user_id)
    assert gone in set(snapshots.read(world.settings, v1)["users"]["id"])

    removed = snapshots.forget_user(world.settings, user_id)
    assert removed[v1]["users"] == 1
    assert removed[v1]["biometric_readings"] > 0
    tables = snapshots.read(world.settings, v1)  # checksums rewritten with the files
    for name, frame in tables.items():
        for column in ("id", "user_id"):
            if column in frame and privacy.is_personal(snapshots.table_of(name)):
                assert gone not in set(frame[column]), (name, column)
    manifest = snapshots.manifest(world.settings, v1)
    assert manifest["erased_from_files"][0]["rows_removed"] == removed[v1]
    assert manifest["tables"]["users"]["rows"] == len(tables["users"])
