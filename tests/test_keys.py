"""Natural keys of measurements stay unique across batches although no unique index can hold
them on a table partitioned by batch (healthai.pipeline.measurements): a batch whose keys are
published, or held by another audited batch, fails its audit; two audits at the same time
cannot both pass (PostgreSQL, real concurrent transactions); the API refuses a taken key."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from healthai.models import Batch, BiometricMeasurement
from healthai.pipeline import batches, measurements
from tests.conftest import ENGINES
from tests.pipeline_helpers import session_for
from tests.write_helpers import publish_readings, published_user, stage_readings

T0 = datetime(2025, 3, 1, 7, tzinfo=UTC)
PENDING = "biometric_readings(user_id, metric, measured_at) held by another pending batch"
PUBLISHED = "biometric_readings(user_id, metric, measured_at) already published"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_key_published_or_claimed_by_another_batch_fails_the_audit(
    engine: str, db_url: str
) -> None:
    with session_for(db_url) as s:
        source, _ = published_user(s)
        publish_readings(s, source, [("w:1", T0, {"weight_kg": 80.0})])
        a = stage_readings(s, source, [("w:1", T0 + timedelta(days=1), {"sleep_hours": 7.0})])
        b = stage_readings(
            s,
            source,
            [
                ("w:1", T0 + timedelta(days=1), {"sleep_hours": 7.5}),  # a's key
                # weight published already; bmi at the same time is another key: free
                ("w:1", T0, {"weight_kg": 81.0, "bmi": 24.0}),
            ],
        )
        batches.audit(s, a, {})
        checks = {c.name: c for c in batches.audit(s, b, {})}
        assert a.status == "audited" and b.status == "audit_failed"
        assert checks["publishable"].observed["violations"] == {PENDING: 1, PUBLISHED: 1}
        # once a is rejected, its key is free: only the published one still blocks b
        batches.reject(s, a.id, "steward", "duplicate export")
        checks = {c.name: c for c in batches.audit(s, b, {})}
        assert checks["publishable"].observed["violations"] == {PUBLISHED: 1}


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"])
def test_two_audits_at_the_same_time_cannot_both_claim_a_key(engine: str, db_url: str) -> None:
    """Two batches with the same measurement, audited in two transactions at once: the
    second audit waits for the first one's commit, then sees its claim. Without the keys lock
    both would pass (each sees the other still `staged`), and both could be published."""
    with session_for(db_url) as s:
        source, _ = published_user(s)
        ids = [stage_readings(s, source, [("w:1", T0, {"weight_kg": w})]).id for w in (80, 81)]
    started = threading.Barrier(2)
    errors: list[BaseException] = []

    def audit(batch_id: int, hold: float) -> None:
        try:
            with session_for(db_url) as s:
                started.wait()
                batches.audit(s, s.get(Batch, batch_id), {})
                time.sleep(hold)  # the claim is visible only at commit
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=audit, args=(ids[0], 1.0)),
        threading.Thread(target=audit, args=(ids[1], 0.0)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    with session_for(db_url) as s:
        statuses = sorted(s.get(Batch, i).status for i in ids)
    assert statuses == ["audit_failed", "audited"]


@pytest.mark.parametrize("engine", ENGINES)
def test_api_writes_respect_the_keys_of_batches(engine: str, db_url: str) -> None:
    with session_for(db_url) as s:
        source, user = published_user(s)
        publish_readings(s, source, [("w:1", T0, {"weight_kg": 80.0})])
        pending = stage_readings(s, source, [("w:1", T0, {"sleep_hours": 7.0})])
        batches.audit(s, pending, {})
        manual = Batch(source_id=source, status="published", rows_by_table={}, published_version=0)
        s.add(manual)
        s.flush()
        for metric in ("weight_kg", "sleep_hours"):  # published, claimed by an audited batch
            with pytest.raises(measurements.KeyConflict):
                measurements.create(
                    s,
                    manual,
                    {"user_id": user, "metric": metric, "measured_at": T0, "value": 70.0},
                    "api",
                )
        new = measurements.create(
            s, manual, {"user_id": user, "metric": "bmi", "measured_at": T0, "value": 24.0}, "api"
        )
        row = s.scalar(measurements.measurement(s, new))
        assert (row.metric, row.value, row.batch_id) == ("bmi", 24.0, manual.id)
        # and a batch bringing the API's key fails its audit
        late = stage_readings(s, source, [("w:1", T0, {"bmi": 25.0})])
        checks = {c.name: c for c in batches.audit(s, late, {})}
        assert checks["publishable"].observed["violations"] == {PUBLISHED: 1}
        assert s.scalar(select(BiometricMeasurement.value).where(BiometricMeasurement.id == new))
