"""The API's side of cleaning at scale, on a real ingestion (gym members and the food
catalogue, run by the Dagster assets): rows selected by source, defect and file a page at a
time, facets, a bulk fix previewed (nothing written) then applied with the number of rows the
preview showed (409 when it changed), and a malformed CSV line corrected by its text; the
same functions as the web interface (healthai.pipeline.corrections)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.main import create_app
from healthai.access import create_token, hash_password
from healthai.db import make_engine
from healthai.models import ApiAccount, AuditLog, Batch, PersonalDataAccess
from healthai.settings import get_settings
from tests.api.helpers import assert_problem
from tests.conftest import ENGINES
from tests.pipeline_helpers import materialize_sources

SEL = {"source": "gym_members", "rule": "avg_bpm_not_above_max_bpm"}


def corrections_logged(s: Session) -> int:
    stmt = select(func.count()).select_from(AuditLog).where(AuditLog.action == "correct")
    return s.scalar(stmt) or 0


@pytest.mark.parametrize("engine", ENGINES)
def test_select_preview_bulk_correct_and_line(engine: str, platform: str) -> None:
    assert materialize_sources(platform, "gym_members", "daily_food_nutrition").success
    db = make_engine(platform)
    with Session(db) as s:
        for name, role in (("ana", "steward"), ("zoe", "analyst")):
            s.add(ApiAccount(username=name, role=role, password_hash=hash_password("x" * 12)))
        s.commit()
        accounts = {a.username: (a.id, a.role) for a in s.scalars(select(ApiAccount))}
    settings = get_settings()
    c = TestClient(create_app(settings, db))
    auth = {
        n: {"Authorization": f"Bearer {create_token(settings, i, 0)[0]}"}
        for n, (i, role) in accounts.items()
    }

    r = c.get("/quarantine/selection", params={**SEL, "limit": 20}, headers=auth["ana"])
    assert r.status_code == 200, r.text
    assert r.json()["count"] == 23 and len(r.json()["data"]) == 20
    page2 = c.get("/quarantine/selection", params={**SEL, "offset": 20}, headers=auth["ana"])
    assert [x["row_id"] for x in page2.json()["data"]] == sorted(
        x["row_id"] for x in page2.json()["data"]
    )
    assert len(page2.json()["data"]) == 3
    f = c.get("/quarantine/facets", params={"source": "gym_members"}, headers=auth["ana"])
    assert f.status_code == 200 and f.json()["defects"][0]["rows"] == 23

    fix = {"column": "Avg_BPM", "mode": "set", "value": "100"}
    p = c.post("/quarantine/bulk/preview", json={"selection": SEL, "fix": fix}, headers=auth["ana"])
    assert p.status_code == 200, p.text
    assert (p.json()["touched"], p.json()["would_pass"]) == (23, 23)
    with Session(db) as s:
        assert corrections_logged(s) == 0  # nothing written
        # but the preview showed people's raw values: its read is in the access log
        read = s.scalars(
            select(PersonalDataAccess).where(PersonalDataAccess.path == "/quarantine/bulk/preview")
        ).all()
        assert [(e.actor, e.resource, e.detail["rows"]) for e in read] == [
            ("ana", "quarantined_rows", len(p.json()["rows"]))
        ]

    body = {"selection": SEL, "fix": fix, "comment": "fréquence ressaisie", "expected": 22}
    assert_problem(c.post("/quarantine/bulk/correct", json=body, headers=auth["ana"]), 409)
    assert_problem(
        c.post("/quarantine/bulk/correct", json={**body, "expected": 23}, headers=auth["zoe"]),
        403,
    )
    r = c.post("/quarantine/bulk/correct", json={**body, "expected": 23}, headers=auth["ana"])
    assert r.status_code == 200, r.text
    assert r.json()["valid"] and len(r.json()["accepted"]) == 23
    (batch_id,) = r.json()["requeued_batch_ids"]
    with Session(db) as s:
        batch = s.get(Batch, batch_id)
        assert (batch.status, batch.rows_staged) == ("audited", 23)
        assert corrections_logged(s) == 23
    left = c.get("/quarantine/selection", params=SEL, headers=auth["ana"]).json()
    assert left["count"] == 0

    lines = c.get(
        "/quarantine/selection", params={"rule": "malformed_line"}, headers=auth["ana"]
    ).json()["data"]
    row_id = lines[0]["row_id"]
    text = c.get(f"/quarantine/{row_id}/line", headers=auth["ana"]).json()["line"]
    assert_problem(
        c.post(f"/quarantine/{row_id}/correct-line", json={"line": text}, headers=auth["ana"]),
        422,
    )
    name, rest = text.split(")", 1)
    r = c.post(
        f"/quarantine/{row_id}/correct-line",
        json={"line": f'"{name})"{rest}', "comment": "guillemets"},
        headers=auth["ana"],
    )
    assert r.status_code == 200 and r.json()["valid"], r.text
    assert r.json()["requeued_batch_id"] is not None
    c.close()
    db.dispose()
