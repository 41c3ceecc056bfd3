"""The approval flow through the API: a staged, audited batch approved (four eyes), published
into the tables, visible in lists and exports, then rolled back; quarantine discard."""

from __future__ import annotations

import hashlib

from sqlalchemy import insert, select

from healthai.models import STAGING, AuditLog, Batch, IngestionRun, QuarantinedRow, Source
from healthai.pipeline.batches import audit
from tests.api.conftest import Env
from tests.api.helpers import assert_problem, uid


def stage_foods(env: Env, key: str, n: int = 3) -> int:
    """A batch of `n` foods staged and audited the way the pipeline does it."""
    with env.session() as s:
        source = s.scalar(select(Source).where(Source.name == "fixture"))
        run = IngestionRun(source_id=source.id, status="succeeded", rows_in=n, rows_pending=n)
        s.add(run)
        s.flush()
        batch = Batch(
            source_id=source.id,
            run_id=run.id,
            source_sha256=hashlib.sha256(key.encode()).hexdigest(),
            status="staged",
            rows_staged=n,
            rows_by_table={"foods": n},
        )
        s.add(batch)
        s.flush()
        s.execute(
            insert(STAGING["foods"]),
            [
                {
                    "batch_id": batch.id,
                    "source_record": str(i),
                    "code": f"fx:{key}-{i}",
                    "source": "fx",
                    "source_code": f"{key}-{i}",
                    "name": f"Staged {key} {i}",
                    "energy_kcal": 10.0 * i,
                }
                for i in range(1, n + 1)
            ],
        )
        audit(s, batch)
        assert batch.status == "audited", [c.observed for c in batch.checks]
        s.commit()
        return batch.id


def test_staged_batch_to_published_rows_and_back(env: Env) -> None:
    c, h = env.client, env.headers
    key = uid()
    batch_id = stage_foods(env, key)

    detail = c.get(f"/batches/{batch_id}", headers=h["analyst"]).json()
    assert detail["status"] == "audited"
    assert {ch["name"] for ch in detail["checks"]} >= {"references_resolve", "publishable"}
    assert all(ch["passed"] for ch in detail["checks"])
    assert len(detail["samples"]["foods"]) == 3
    listed = c.get("/batches", params={"status": "audited"}, headers=h["analyst"]).json()
    assert batch_id in [b["id"] for b in listed["data"]]

    assert_problem(c.post(f"/batches/{batch_id}/approve", headers=h["analyst"]), 403)
    assert_problem(c.post(f"/batches/{batch_id}/publish", headers=h["steward"]), 409)
    r = c.post(f"/batches/{batch_id}/approve", json={"comment": "checked"}, headers=h["steward"])
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    assert r.json()["decided_by"] == "steward"
    assert c.get("/foods", params={"name_contains": key}, headers=h["analyst"]).json()["count"] == 0

    r = c.post(f"/batches/{batch_id}/publish", headers=h["steward"])
    assert r.status_code == 200 and r.json()["status"] == "published", r.text
    foods = c.get(
        "/foods", params={"name_contains": key, "sort": "energy_kcal"}, headers=h["analyst"]
    ).json()
    assert [f["energy_kcal"] for f in foods["data"]] == [10.0, 20.0, 30.0]
    assert {f["batch_id"] for f in foods["data"]} == {batch_id}
    # the export gives exactly the published rows
    exported = c.get(
        "/exports/foods",
        params={"format": "json", "name_contains": key, "sort": "energy_kcal"},
        headers=h["analyst"],
    )
    assert [(e["id"], e["name"], e["energy_kcal"]) for e in exported.json()] == [
        (f["id"], f["name"], f["energy_kcal"]) for f in foods["data"]
    ]
    assert_problem(c.post(f"/batches/{batch_id}/publish", headers=h["steward"]), 409)

    r = c.post(f"/batches/{batch_id}/rollback", json={"comment": "wrong file"}, headers=h["admin"])
    assert r.status_code == 200 and r.json()["status"] == "rolled_back", r.text
    assert c.get("/foods", params={"name_contains": key}, headers=h["analyst"]).json()["count"] == 0
    with env.session() as s:
        actions = s.scalars(
            select(AuditLog.action).where(
                AuditLog.entity == "batches", AuditLog.entity_id == batch_id
            )
        ).all()
    assert {"approve", "publish", "rollback"} <= set(actions)


def test_reject_needs_a_comment(env: Env) -> None:
    c, h = env.client, env.headers["steward"]
    batch_id = stage_foods(env, uid(), n=1)
    assert_problem(c.post(f"/batches/{batch_id}/reject", json={}, headers=h), 422)
    assert_problem(c.post(f"/batches/{batch_id}/reject", json={"comment": "  "}, headers=h), 422)
    r = c.post(f"/batches/{batch_id}/reject", json={"comment": "bad delivery"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "rejected", r.text
    assert r.json()["decision_comment"] == "bad delivery"


def test_quarantine_list_detail_and_discard(env: Env) -> None:
    c, h = env.client, env.headers["steward"]
    with env.session() as s:
        source = s.scalar(select(Source).where(Source.name == "fixture"))
        run = IngestionRun(source_id=source.id, status="running")
        s.add(run)
        s.flush()
        row = QuarantinedRow(
            source_id=source.id,
            run_id=run.id,
            source_sha256="0" * 64,
            source_record="7",
            raw={"age": "-3"},
            reasons=[{"rule": "age >= 0", "column": "age", "value": "-3"}],
        )
        s.add(row)
        s.commit()
        row_id = row.id
    listed = c.get("/quarantine", params={"status": "open", "run_id": run.id}, headers=h).json()
    assert [r["id"] for r in listed["data"]] == [row_id]
    detail = c.get(f"/quarantine/{row_id}", headers=h).json()
    assert detail["raw"] == {"age": "-3"} and detail["reasons"][0]["column"] == "age"
    r = c.post(f"/quarantine/{row_id}/discard", json={"comment": "test row"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "discarded", r.text
    assert r.json()["resolved_by"] == "steward"
    assert_problem(c.post(f"/quarantine/{row_id}/discard", headers=h), 409)
    assert_problem(
        c.post(f"/quarantine/{row_id}/correct", json={"changes": {"age": "3"}}, headers=h), 409
    )
    assert_problem(c.get(f"/quarantine/{row_id}", headers=env.headers["analyst"]), 403)
