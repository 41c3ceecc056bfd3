"""Helpers for the write-path tests: a source with one published user, and batches of
biometric readings staged by hand (the rows the pipeline would stage), then audited,
approved and published through healthai.pipeline.batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from healthai.models import STAGING, Batch, IngestionRun, Source, User
from healthai.models.vocab import METRICS
from healthai.pipeline import batches, versions

Reading = tuple[str, datetime, dict[str, float]]  # user key, time, metric values


def published_user(session: Session, key: str = "w:1") -> tuple[int, int]:
    """A source and one user published in a batch of its own: (source id, user id)."""
    source = Source(
        name="write_test", title="t", format="csv", location="t", owner="t", licence="t",
        update_frequency="never",
    )  # fmt: skip
    session.add(source)
    session.flush()
    users = Batch(source_id=source.id, status="published", rows_by_table={}, source_sha256="0" * 64)
    session.add(users)
    session.flush()
    users.published_version = versions.bump(session, "publication", batch_id=users.id)
    user = User(
        external_key=key, plan_tier="free", batch_id=users.id, source_sha256="0" * 64,
        source_record="1",
    )  # fmt: skip
    session.add(user)
    session.flush()
    return source.id, user.id


def stage_readings(session: Session, source_id: int, rows: list[Reading]) -> Batch:
    """A staged batch of readings (record numbers from 1), with its ingestion run."""
    run = IngestionRun(
        source_id=source_id, status="succeeded", rows_in=len(rows), rows_pending=len(rows)
    )
    session.add(run)
    session.flush()
    batch = Batch(
        source_id=source_id, run_id=run.id, status="staged", rows_by_table={},
        source_sha256="a" * 64, rows_staged=len(rows),
    )  # fmt: skip
    session.add(batch)
    session.flush()
    session.execute(
        insert(STAGING["biometric_readings"]),
        [
            {"batch_id": batch.id, "record": i, "user_key": user, "measured_at": at}
            | {m: values.get(m) for m in METRICS}
            for i, (user, at, values) in enumerate(rows, 1)
        ],
    )
    return batch


def publish_readings(session: Session, source_id: int, rows: list[Reading]) -> Batch:
    batch = stage_readings(session, source_id, rows)
    checks = batches.audit(session, batch, {})
    assert batch.status == "audited", {c.name: c.observed for c in checks}
    batches.approve(session, batch.id, "steward")
    return batches.publish(session, batch.id, "steward")


def rows_of(session: Session, stmt: Any) -> list[tuple]:
    """A query's rows, sorted, as plain tuples (comparable across reads)."""
    return sorted(tuple(r) for r in session.execute(stmt))
