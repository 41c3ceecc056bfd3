"""The fast write path of biometric readings on PostgreSQL (healthai.pipeline.fastload): the
batch is built at its audit as the partition it will become and attached at publication.
The same file gives the same published rows, counts and quarantine as the classic path of
the embedded SQLite default; nothing is visible before approval; a rollback after ATTACH
removes exactly its batch; a rejection leaves no built table behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from healthai import migrate
from healthai.models import (
    Batch,
    BiometricMeasurement,
    BiometricReading,
    IngestionRun,
    QuarantinedRow,
    UserMetricSpan,
)
from healthai.pipeline import batches, fastload, partitions
from healthai.settings import get_settings
from tests.conftest import fresh_database
from tests.pipeline_helpers import materialize_sources, session_for
from tests.write_helpers import publish_readings, published_user, stage_readings

USERS = (
    "external_key,birth_year,sex,height_cm,goal,activity_level,experience_level,"
    "workouts_per_week,plan_tier,organisation\n"
    "sim:u1,1980,female,165,maintain,light,1,2,free,\n"
    "sim:u2,1975,male,180,maintain,light,1,2,free,\n"
)
HEAD = "user_key,date,weight_kg,body_fat_pct,bmi,sleep_hours,resting_hr_bpm,steps\n"
READINGS = HEAD + (
    "sim:u1,2025-05-01,70.5,21,25.9,7.5,61,8000\n"
    "sim:u2,2025-05-01,80,,,7,,\n"
    "sim:u1,2025-05-02,70.4,,,,,9100\n"
    "sim:u1,2025-05-03,900,,,,,\n"  # weight out of range: quarantined
    "sim:u2,2025-05-02,,,,,,\n"  # no measurement: quarantined
    "bad key,2025-05-02,80,,,,,\n"  # malformed user key: quarantined
    "sim:u2,2025-05-03,79.5,,,6.5,58,12000\n"
    "sim:u2,2025-05-03,79.5,,,6.5,58,12000\n"  # a second row for the day: quarantined
)
T0 = datetime(2025, 3, 1, 7, tzinfo=UTC)


def _publish_audited(db: str) -> None:
    with session_for(db) as session:
        for batch_id in session.scalars(select(Batch.id).where(Batch.status == "audited")):
            batches.approve(session, batch_id, "steward@test")
            batches.publish(session, batch_id, "steward@test")


def _ingest(db: str, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The users then the readings file through the real assets; what became of them."""
    for name, value in {
        "DATABASE_URL": db, "VAR_DIR": tmp / "var", "RAW_STORE_DIR": tmp / "raw_store",
        "LANDING_DIR": tmp / "landing", "RAW_DIR": tmp / "no_raw", "AUTO_APPROVE_SOURCES": "",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, str(value))
    (tmp / "no_raw").mkdir(parents=True)
    get_settings.cache_clear()
    migrate.upgrade(db)
    for source, name, content in (
        ("sim_users", "users.csv", USERS),
        ("sim_biometrics", "may.csv", READINGS),
    ):
        folder = tmp / "landing" / source
        folder.mkdir(parents=True)
        (folder / name).write_text(content)
        assert materialize_sources(db, source).success
        with session_for(db) as session:  # nothing visible before approval
            pending = select(Batch.id).where(Batch.status == "audited")
            assert session.scalar(select(func.count()).select_from(pending.subquery())) == 1
            if source == "sim_biometrics":
                assert session.scalar(select(func.count()).select_from(BiometricReading)) == 0
                built = fastload.is_built(session, session.scalar(pending))
        _publish_audited(db)
    r = BiometricReading
    m = BiometricMeasurement
    with session_for(db) as session:
        from healthai.models import User

        readings = session.execute(
            select(User.external_key, r.record, r.measured_at, *(r.__table__.c[k] for k in
                   ("weight_kg", "body_fat_pct", "bmi", "sleep_hours", "resting_hr_bpm",
                    "steps", "water_l")))
            .join(User, User.id == r.user_id)
        ).all()  # fmt: skip
        run = session.scalars(select(IngestionRun).order_by(IngestionRun.id.desc())).first()
        quarantine = session.execute(select(QuarantinedRow.source_record, QuarantinedRow.reasons))
        spans = session.execute(
            select(UserMetricSpan.metric, UserMetricSpan.measurements, UserMetricSpan.last_value)
        ).all()
        return {
            "built": built,
            "readings": sorted(
                (k, rec, at.astimezone(UTC).isoformat(), *v) for k, rec, at, *v in readings
            ),
            "measurements": session.scalar(select(func.count()).select_from(m)),
            "counts": (
                run.rows_in,
                run.rows_published,
                run.rows_quarantined,
                run.rows_duplicate,
                run.rows_pending,
            ),  # fmt: skip
            "quarantine": sorted(
                (rec, sorted(x["rule"] for x in reasons)) for rec, reasons in quarantine
            ),
            "spans": sorted(spans),
        }


@pytest.mark.postgres
def test_both_engines_publish_the_same_rows_counts_and_quarantine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_available: bool
) -> None:
    found = {}
    for engine in ("sqlite", "postgresql"):
        with fresh_database(engine, tmp_path / engine, pg_available) as db:
            (tmp_path / engine).mkdir(exist_ok=True)
            found[engine] = _ingest(db, tmp_path / engine, monkeypatch)
            if engine == "postgresql":  # attached as a partition, not inserted
                with session_for(db) as session:
                    batch = session.scalar(select(func.max(BiometricReading.batch_id)))
                    assert partitions.is_attached(session, "biometric_readings", batch)
    get_settings.cache_clear()
    lite, pg = found["sqlite"], found["postgresql"]
    assert pg["built"] and not lite["built"]
    assert pg["counts"] == lite["counts"] == (8, 4, 4, 0, 0)
    assert len(pg["readings"]) == 4 and pg["readings"] == lite["readings"]
    assert pg["measurements"] == lite["measurements"] == 14
    assert pg["quarantine"] == lite["quarantine"] and len(pg["quarantine"]) == 4
    assert pg["spans"] == lite["spans"]


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"])
def test_a_rollback_after_attach_removes_exactly_its_batch(engine: str, db_url: str) -> None:
    with session_for(db_url) as s:
        source, user = published_user(s)
        first = publish_readings(s, source, [("w:1", T0, {"weight_kg": 80.0, "steps": 9000.0})])
        second = publish_readings(
            s, source, [("w:1", T0 + timedelta(days=d), {"weight_kg": 79.0 + d}) for d in (1, 2)]
        )
        for batch in (first, second):
            assert partitions.is_attached(s, "biometric_readings", batch.id)
            assert s.scalar(
                text("SELECT count(*) FROM pg_constraint WHERE conname = :n"),
                {"n": f"{fastload.table_name(batch.id)}_{fastload.READY}"},
            )  # built at the audit, then attached
        batches.rollback(s, second.id, "steward", "wrong device")
        assert not partitions.exists(s, fastload.table_name(second.id))
        kept = s.execute(select(BiometricReading.batch_id, BiometricReading.weight_kg)).all()
        assert kept == [(first.id, 80.0)]
        history = s.scalar(
            text("SELECT count(*) FROM biometric_readings_history WHERE batch_id = :b"),
            {"b": second.id},
        )
        assert history == 2
        span = s.scalar(
            select(UserMetricSpan).where(
                UserMetricSpan.user_id == user, UserMetricSpan.metric == "weight_kg"
            )
        )
        assert (span.measurements, span.last_value) == (1, 80.0)


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"])
def test_a_rejected_batch_leaves_no_built_table(engine: str, db_url: str) -> None:
    with session_for(db_url) as s:
        source, _ = published_user(s)
        batch = stage_readings(s, source, [("w:1", T0, {"weight_kg": 80.0})])
        batches.audit(s, batch, {})
        assert fastload.is_built(s, batch.id)
        batches.reject(s, batch.id, "steward", "wrong scale")
        assert not partitions.exists(s, fastload.table_name(batch.id))
        assert s.scalar(select(func.count()).select_from(BiometricReading)) == 0


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"])
def test_a_failed_audit_counts_the_violation_and_keeps_no_built_table(
    engine: str, db_url: str
) -> None:
    """A reading the database refuses (staged by hand past the contract) is counted by the
    audit as on SQLite; a batch failing its audit for another reason (a key published
    already) does not keep the table built for it."""
    with session_for(db_url) as s:
        source, _ = published_user(s)
        publish_readings(s, source, [("w:1", T0, {"weight_kg": 80.0})])
        wrong = stage_readings(s, source, [("w:1", T0 + timedelta(days=1), {"weight_kg": 900.0})])
        checks = {c.name: c for c in batches.audit(s, wrong, {})}
        assert wrong.status == "audit_failed"
        violations = checks["publishable"].observed["violations"]
        assert list(violations.values()) == [1], violations
        assert next(iter(violations)).endswith("weight_kg_range"), violations
        again = stage_readings(s, source, [("w:1", T0, {"weight_kg": 80.5})])
        batches.audit(s, again, {})
        assert again.status == "audit_failed"
        for batch in (wrong, again):
            assert not partitions.exists(s, fastload.table_name(batch.id))


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"])
def test_a_batch_with_a_reading_of_an_unknown_user_is_not_built(engine: str, db_url: str) -> None:
    """One reading whose user is not published keeps the whole batch off the fast path (the
    load resolving users refuses it in one pass): no table is left, and the audit names the
    unresolved reference; the same batch without it is built."""
    with session_for(db_url) as s:
        source, _ = published_user(s)
        rows = [("w:1", T0, {"weight_kg": 80.0}), ("w:1", T0 + timedelta(days=1), {"bmi": 24.0})]
        unknown = stage_readings(s, source, [*rows, ("w:nobody", T0, {"weight_kg": 70.0})])
        checks = {c.name: c for c in batches.audit(s, unknown, {})}
        assert unknown.status == "audit_failed"
        assert not checks["references_resolve"].passed
        assert not partitions.exists(s, fastload.table_name(unknown.id))
        batches.reject(s, unknown.id, "steward", "unknown user")
        known = stage_readings(s, source, rows)
        batches.audit(s, known, {})
        assert known.status == "audited"
        assert fastload.is_built(s, known.id)


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"])
def test_a_key_repeated_inside_a_batch_fails_its_audit(engine: str, db_url: str) -> None:
    """Two staged readings of one user and time (past the contract): the built table's unique
    index refuses them, so the batch is not built and the audit counts the repeat."""
    with session_for(db_url) as s:
        source, _ = published_user(s)
        batch = stage_readings(
            s, source, [("w:1", T0, {"weight_kg": 80.0}), ("w:1", T0, {"weight_kg": 81.0})]
        )
        checks = {c.name: c for c in batches.audit(s, batch, {})}
        assert batch.status == "audit_failed"
        assert not fastload.is_built(s, batch.id)
        violations = checks["publishable"].observed["violations"]
        assert any("repeated in the batch" in label for label in violations), violations


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"])
def test_publication_keeps_the_staged_rows_of_other_pending_batches(
    engine: str, db_url: str
) -> None:
    """Publishing a built batch truncates staging only when no other pending batch has rows
    there; otherwise its own rows stay, inert, until the next build's sweep deletes exactly
    them."""
    from healthai.models import STAGING

    stg = STAGING["biometric_readings"]
    with session_for(db_url) as s:
        source, _ = published_user(s)
        first = stage_readings(s, source, [("w:1", T0, {"weight_kg": 80.0})])
        batches.audit(s, first, {})
        second = stage_readings(s, source, [("w:1", T0 + timedelta(days=1), {"bmi": 24.0})])
        batches.audit(s, second, {})
        assert fastload.staged_batches(s) == {first.id: "audited", second.id: "audited"}
        batches.approve(s, first.id, "steward")
        batches.publish(s, first.id, "steward")
        assert fastload.staged_batches(s) == {first.id: "published", second.id: "audited"}
        assert fastload.sweep(s) == 1  # the published batch's inert row, nothing else
        assert set(s.scalars(select(stg.c.batch_id))) == {second.id}
        batches.approve(s, second.id, "steward")
        batches.publish(s, second.id, "steward")
        assert fastload.staged_batches(s) == {}
        assert s.scalar(select(func.count()).select_from(stg)) == 0
        assert s.scalar(select(func.count()).select_from(BiometricReading)) == 2
