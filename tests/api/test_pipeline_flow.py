"""Through the API on a real ingestion (the gym members file, run by the Dagster assets):
a quarantined row corrected (revalidated on the spot, re-queued), four eyes on approval,
then publication of the corrected row and of the file's own staged batch."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.main import create_app
from healthai.access import create_token, hash_password
from healthai.db import make_engine
from healthai.models import ApiAccount, Batch, QuarantinedRow
from healthai.settings import get_settings
from tests.api.helpers import assert_problem
from tests.conftest import ENGINES
from tests.pipeline_helpers import count, materialize_sources


@pytest.mark.parametrize("engine", ENGINES)
def test_correct_approve_publish_through_the_api(engine: str, platform: str) -> None:
    assert materialize_sources(platform, "gym_members").success
    db = make_engine(platform)
    with Session(db) as s:
        for name in ("ana", "bruno"):
            s.add(ApiAccount(username=name, role="steward", password_hash=hash_password("x" * 12)))
        s.commit()
        ids = {a.username: a.id for a in s.scalars(select(ApiAccount))}
        row = s.scalar(select(QuarantinedRow).where(QuarantinedRow.status == "open"))
        staged = s.scalar(select(Batch).where(Batch.status == "audited"))
    settings = get_settings()
    app = create_app(settings, db)
    c = TestClient(app)
    auth = {
        n: {"Authorization": f"Bearer {create_token(settings, i, 0)[0]}"} for n, i in ids.items()
    }

    max_bpm = float(row.raw["Max_BPM"])
    r = c.post(
        f"/quarantine/{row.id}/correct",
        json={"changes": {"Avg_BPM": str(max_bpm + 5)}},
        headers=auth["ana"],
    )
    assert r.status_code == 200, r.text
    assert r.json()["valid"] is False and r.json()["requeued_batch_id"] is None
    assert r.json()["reasons"][0]["rule"] == "avg_bpm_not_above_max_bpm"

    r = c.post(
        f"/quarantine/{row.id}/correct",
        headers=auth["ana"],
        json={"changes": {"Avg_BPM": str(max_bpm - 10)}, "comment": "typo"},
    )
    assert r.status_code == 200 and r.json()["valid"] is True, r.text
    requeued = r.json()["requeued_batch_id"]
    assert c.get(f"/quarantine/{row.id}", headers=auth["ana"]).json()["status"] == "requeued"

    # four eyes: who corrected may not approve
    body = assert_problem(c.post(f"/batches/{requeued}/approve", headers=auth["ana"]), 403)
    assert "four eyes" in body["detail"]
    users = count(platform, "users")
    assert c.post(f"/batches/{requeued}/approve", headers=auth["bruno"]).status_code == 200
    assert c.post(f"/batches/{requeued}/publish", headers=auth["bruno"]).status_code == 200
    assert count(platform, "users") == users + 1

    # and the file's own batch, staged by the pipeline, published through the API
    assert staged is not None
    detail = c.get(f"/batches/{staged.id}", headers=auth["ana"]).json()
    assert detail["samples"] and all(ch["passed"] for ch in detail["checks"] if ch["blocking"])
    assert c.post(f"/batches/{staged.id}/approve", headers=auth["ana"]).status_code == 200
    r = c.post(f"/batches/{staged.id}/publish", headers=auth["ana"])
    assert r.status_code == 200, r.text
    assert count(platform, "users") == users + 1 + staged.rows_by_table["users"]
    c.close()
    db.dispose()
