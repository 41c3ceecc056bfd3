"""The file's life cycle end to end, on both engines: a file whose reading crashes ends failed
with its error, is listed by GET /files and skipped by later runs until a steward retries it;
a rejected file is ingested again when a steward asks; a failed file is replaced by a later,
corrected file of its source. And the transition table itself."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.main import create_app
from healthai.access import create_token, hash_password
from healthai.db import make_engine
from healthai.models import ApiAccount, Batch, IngestionRun, QuarantinedRow, RawFile
from healthai.pipeline import batches
from healthai.pipeline.lifecycle_states import (
    BATCH_MOVES,
    FILE_MOVES,
    BatchState,
    FileState,
    mermaid,
)
from healthai.settings import PROJECT_ROOT, get_settings
from tests.conftest import ENGINES
from tests.pipeline_helpers import materialize_sources, session_for

SOURCE = "gym_members"


def _client(url: str) -> tuple[TestClient, dict[str, str]]:
    db = make_engine(url)
    with Session(db) as s:
        account = ApiAccount(
            username="keeper", role="steward", password_hash=hash_password("x" * 12)
        )
        s.add(account)
        s.commit()
        account_id = account.id
    settings = get_settings()
    token = create_token(settings, account_id, 0)[0]
    return TestClient(create_app(settings, db)), {"Authorization": f"Bearer {token}"}


def _ingest_with_a_crashing_reader(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """One run of the source whose reader crashes (a fault after its first chunk), then the
    cause is fixed: the file is left failed."""
    monkeypatch.setenv("HEALTHAI_FAULT", "check_chunk")
    monkeypatch.setenv("HEALTHAI_FAULT_ACTION", "raise")
    materialize_sources(url, SOURCE)
    monkeypatch.delenv("HEALTHAI_FAULT")


def _runs_add_up(url: str) -> None:
    with session_for(url) as s:
        for run in s.scalars(select(IngestionRun).where(IngestionRun.status != "failed")):
            assert run.status != "running"
            assert run.rows_in == (
                run.rows_published + run.rows_quarantined + run.rows_duplicate + run.rows_pending
            )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_crashed_reader_fails_the_file_until_a_steward_retries_it(
    engine: str, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest_with_a_crashing_reader(platform, monkeypatch)
    client, auth = _client(platform)
    listed = client.get("/files", params={"state": "failed"}, headers=auth)
    assert listed.status_code == 200, listed.text
    [failed] = listed.json()["data"]
    assert "fault injected at check_chunk" in failed["error"]
    assert failed["original_name"].endswith(".csv")
    with session_for(platform) as s:
        assert s.scalar(select(func.count()).select_from(QuarantinedRow)) == 0
        assert not s.scalars(select(IngestionRun).where(IngestionRun.status == "running")).all()

    materialize_sources(platform, SOURCE)  # the cause is fixed, but nobody asked yet
    assert client.get("/files?state=failed", headers=auth).json()["count"] == 1

    retried = client.post(f"/files/{failed['id']}/retry", headers=auth, json={"comment": "fixed"})
    assert retried.status_code == 200, retried.text
    assert retried.json()["state"] == "received"
    materialize_sources(platform, SOURCE)
    with session_for(platform) as s:
        rf = s.get(RawFile, failed["id"])
        assert rf.state == FileState.AUDITED and rf.error is None
        assert s.scalar(select(func.count()).select_from(Batch)) == 1
    _runs_add_up(platform)
    again = client.post(f"/files/{failed['id']}/retry", headers=auth)
    assert again.status_code == 409 and "audited" in again.text


@pytest.mark.parametrize("engine", ENGINES)
def test_a_rejected_file_is_ingested_again_when_asked(engine: str, platform: str) -> None:
    assert materialize_sources(platform, SOURCE).success
    with session_for(platform) as s:
        batch = s.scalars(select(Batch)).one()
        batches.reject(s, batch.id, "steward", "wrong delivery")
        rf = s.get(RawFile, batch.raw_file_id)
        assert rf.state == FileState.REJECTED
        file_id, staged = rf.id, batch.rows_staged
    materialize_sources(platform, SOURCE)  # not asked: stays rejected
    with session_for(platform) as s:
        assert s.get(RawFile, file_id).state == FileState.REJECTED
    client, auth = _client(platform)
    assert client.post(f"/files/{file_id}/retry", headers=auth).status_code == 200
    materialize_sources(platform, SOURCE)
    with session_for(platform) as s:
        assert s.get(RawFile, file_id).state == FileState.AUDITED
        fresh = s.scalars(select(Batch).where(Batch.status == "audited")).one()
        assert fresh.rows_staged == staged
        rejected_rows = s.scalars(
            select(QuarantinedRow).where(QuarantinedRow.status == "open")
        ).all()
        assert not any(r["rule"] == "batch_rejected" for q in rejected_rows for r in q.reasons)
    _runs_add_up(platform)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_failed_file_is_replaced_by_a_later_corrected_file_of_its_source(
    engine: str, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest_with_a_crashing_reader(platform, monkeypatch)
    client, auth = _client(platform)
    [failed] = client.get("/files?state=failed", headers=auth).json()["data"]
    # the corrected export, dropped in the landing zone: the same file without its last row
    shipped = PROJECT_ROOT / "raw" / SOURCE / "gym_members_exercise_tracking.csv"
    lines = shipped.read_text(encoding="utf-8").splitlines(keepends=True)
    landing = get_settings().landing_dir / SOURCE
    landing.mkdir(parents=True, exist_ok=True)
    (landing / "gym_members_corrected.csv").write_text("".join(lines[:-1]), encoding="utf-8")
    materialize_sources(platform, SOURCE)
    [corrected] = client.get("/files?state=audited", headers=auth).json()["data"]
    assert corrected["original_name"] == "gym_members_corrected.csv"

    url = f"/files/{failed['id']}/replace"
    itself = client.post(url, headers=auth, json={"by": failed["id"]})  # not a later file
    assert itself.status_code == 422 and "later file of the same source" in itself.text
    replaced = client.post(url, headers=auth, json={"by": corrected["id"], "comment": "fixed"})
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["state"], replaced.json()["replaced_by_id"]) == (
        "replaced",
        corrected["id"],
    )
    assert client.get("/files?state=failed", headers=auth).json()["count"] == 0
    assert client.post(f"/files/{failed['id']}/retry", headers=auth).status_code == 409
    audited = client.post(f"/files/{corrected['id']}/replace", headers=auth, json={"by": 10**6})
    assert audited.status_code == 404  # no such replacement
    materialize_sources(platform, SOURCE)  # the replaced file is done: not read again
    with session_for(platform) as s:
        assert s.get(RawFile, failed["id"]).state == FileState.REPLACED
        assert s.scalar(select(func.count()).select_from(Batch)) == 1
    _runs_add_up(platform)


def test_the_table_reaches_every_state_and_the_diagram_shows_every_move() -> None:
    for states, moves, first in (
        (FileState, FILE_MOVES, FileState.RECEIVED),
        (BatchState, BATCH_MOVES, BatchState.STAGED),
    ):
        reached, frontier = {first}, [first]
        while frontier:
            here = frontier.pop()
            for m in moves:
                if m.source == here and m.target not in reached:
                    reached.add(m.target)
                    frontier.append(m.target)
        assert reached == set(states)
    diagram = mermaid("raw_files")
    assert all(f"{m.source} --> {m.target}: {m.action}" in diagram for m in FILE_MOVES)
