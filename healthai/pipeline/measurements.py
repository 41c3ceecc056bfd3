"""Biometric measurements: natural keys across batches, and writes of single measurements.

Storage is wide (`biometric_readings`, one row per source record), the natural key is long:
(user, metric, time) over a reading's non-empty metrics. On PostgreSQL the readings are
partitioned by batch, and a unique index of a partitioned table must contain the partition
key, so no index can hold that key unique across batches. It is held instead by this rule:

    the rows of every batch that is audited, approved or published (and the API's rows)
    share no natural key,

made true by the audit (`key_violations`, part of `publication_violations`: the batch is
compared with itself, the published readings and the other claimed batches' staged rows) and
by API writes (`create`, `update`), each under one transaction-scoped advisory lock
(`claim_keys`) held until its commit, so two audits or writes cannot both pass on the same
keys. Publication and rollback only move batches that already hold the rule. SQLite has one
writer at a time, which serialises them the same way. tests/test_keys.py proves it,
concurrent audits included.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, and_, case, delete, exists, func, literal, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from healthai.models import STAGING, Batch, BiometricMeasurement, BiometricReading, User
from healthai.models.views import ID_FACTOR, METRIC_RANK, measurement_key
from healthai.models.vocab import METRICS
from healthai.pipeline import aggregates, fastload, partitions, versions

KEYS_LOCK = 0x4B455953  # PostgreSQL advisory lock: natural keys of measurements ("KEYS")
CLAIMED = fastload.CLAIMED
TABLE = "biometric_readings"
readings = cast(Table, BiometricReading.__table__)
staged = STAGING[TABLE]


class KeyConflict(Exception):
    """A measurement with this user, metric and time exists already."""


def claim_keys(session: Session) -> None:
    """Serialise the checks of measurement keys until the caller's commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(KEYS_LOCK)))


def _both(a: Any, b: Any, metric: str) -> Any:
    return case((and_(a.c[metric].is_not(None), b.c[metric].is_not(None)), 1))


def _repeated(session: Session, batch_id: int, key: str) -> dict[str, int]:
    """Measurements whose (user, metric, time) repeats inside the batch's staged rows."""
    mine = staged.alias("mine")
    groups = (
        select(*(func.count(mine.c[m]).label(m) for m in METRICS))
        .where(mine.c.batch_id == batch_id)
        .group_by(mine.c.user_key, mine.c.measured_at)
        .having(func.count() > 1)
        .subquery()
    )
    row = session.execute(
        select(*(func.sum(case((groups.c[m] > 1, 1), else_=0)) for m in METRICS))
    ).one()
    n = sum(int(v or 0) for v in row)
    return {f"{key} repeated in the batch": n} if n else {}


def key_violations(session: Session, batch_id: int, built: bool = False) -> dict[str, int]:
    """Measurements of the batch (staged rows) whose (user, metric, time) repeats inside the
    batch, is already published, or is held by another audited or approved batch; per
    metric, {label: rows}. Takes the keys lock (the caller's transaction keeps it).

    `built`: the batch's readings were built as their partition-to-be
    (healthai.pipeline.fastload), whose unique (user, time, batch) index the database
    proved: no (user, time) repeats inside the batch, so that pass over its rows is left out
    (a user key names one user: the staged keys repeat exactly when the user ids do)."""
    mine = staged.alias("mine")
    if not session.scalar(select(exists().where(mine.c.batch_id == batch_id))):
        return {}
    claim_keys(session)
    found: dict[str, int] = {}
    key = "biometric_readings(user_id, metric, measured_at)"
    if not built:
        found |= _repeated(session, batch_id, key)
    # already published: the staged user keys resolved as publication resolves them
    users = User.__table__
    live = readings.alias("live")
    published = (
        select(*(func.count(_both(mine, live, m)) for m in METRICS))
        .select_from(
            mine.join(users, users.c.external_key == mine.c.user_key).join(
                live,
                and_(live.c.user_id == users.c.id, live.c.measured_at == mine.c.measured_at),
            )
        )
        .where(mine.c.batch_id == batch_id)
    )
    if n := sum(int(v or 0) for v in session.execute(published).one()):
        found[f"{key} already published"] = n
    # held by another batch waiting for publication (when one has staged readings: a loose
    # index scan tells, instead of a join of this batch's rows with none)
    if not fastload.others_staged(session, batch_id, CLAIMED):
        return found
    other = staged.alias("other")
    pending = (
        select(*(func.count(_both(mine, other, m)) for m in METRICS))
        .select_from(fastload.same_readings_elsewhere(mine, other, batch_id))
        .where(mine.c.batch_id == batch_id, Batch.status.in_(CLAIMED))
    )
    if n := sum(int(v or 0) for v in session.execute(pending).one()):
        found[f"{key} held by another pending batch"] = n
    return found


def taken(
    session: Session, user_id: int, metric: str, at: datetime, but: int | None = None
) -> bool:
    """Whether a published or claimed measurement has this key (`but`: a reading to ignore)."""
    live = select(readings.c.id).where(
        readings.c.user_id == user_id,
        readings.c.measured_at == at,
        readings.c[metric].is_not(None),
        *([readings.c.id != but] if but is not None else []),
    )
    key = select(User.external_key).where(User.id == user_id).scalar_subquery()
    waiting = (
        select(staged.c.staging_id)
        .join(Batch, Batch.id == staged.c.batch_id)
        .where(
            staged.c.user_key == key,
            staged.c.measured_at == at,
            staged.c[metric].is_not(None),
            Batch.status.in_(CLAIMED),
        )
    )
    return bool(session.scalar(select(live.exists())) or session.scalar(select(waiting.exists())))


# ------------------------------------------------------------------ single writes (the API)
def measurement(session: Session, measurement_id: int) -> Select:
    """SELECT of one measurement by id, served by the readings' primary key."""
    key = measurement_key(measurement_id)
    m = BiometricMeasurement
    if key is None:
        return select(m).where(literal(False))
    reading_id, metric = key
    return select(m).where(m.reading_id == reading_id, m.metric == metric)


def _id(reading_id: int, metric: str) -> int:
    return reading_id * ID_FACTOR + METRIC_RANK[metric]


def _insert(
    session: Session, batch: Batch, user_id: int, metric: str, at: datetime, value: float, v: int
) -> int:
    """Put a measurement into the API's batch: into its reading of that user and time when
    there is one (a batch holds one reading per user and time; its previous state is kept),
    else into a new reading."""
    partitions.ensure_partition(session, readings, batch.id)
    same = (
        readings.c.batch_id == batch.id,
        readings.c.user_id == user_id,
        readings.c.measured_at == at,
    )
    existing = session.scalar(select(readings.c.id).where(*same))
    if existing is not None:
        versions.keep_history(session, readings, readings.c.id == existing, v)
        session.execute(
            sql_update(readings)
            .where(readings.c.id == existing)
            .values({metric: value, "since_version": v})
        )
        return existing
    row = BiometricReading(
        batch_id=batch.id, record=0, since_version=v, user_id=user_id, measured_at=at
    )
    setattr(row, metric, value)
    session.add(row)
    session.flush()
    return row.id


def create(session: Session, batch: Batch, values: dict[str, Any], actor: str) -> int:
    """Write one measurement into the API's standing batch; returns its id. Raises
    KeyConflict when its (user, metric, time) exists already."""
    claim_keys(session)
    user_id, metric, at = values["user_id"], values["metric"], values["measured_at"]
    if taken(session, user_id, metric, at):
        raise KeyConflict(f"{metric} of user {user_id} at {at} exists already")
    v = versions.bump(session, "api_write", actor=actor, detail={"table": TABLE, "op": "insert"})
    reading_id = _insert(session, batch, user_id, metric, at, values["value"], v)
    _refresh(session, {user_id}, metric)
    return _id(reading_id, metric)


def _others(reading: BiometricReading, metric: str) -> list[str]:
    return [m for m in METRICS if m != metric and getattr(reading, m) is not None]


def _reading(session: Session, measurement_id: int) -> tuple[BiometricReading, str] | None:
    key = measurement_key(measurement_id)
    if key is None:
        return None
    reading = session.scalar(select(BiometricReading).where(BiometricReading.id == key[0]))
    if reading is None or getattr(reading, key[1]) is None:
        return None
    return reading, key[1]


def change(
    session: Session, batch: Batch, measurement_id: int, changes: dict[str, Any], actor: str
) -> int:
    """Change a measurement's value or time; returns its id (a new one when its time moves
    out of a reading that holds other metrics: it then becomes a reading of the API's
    batch). The previous state stays readable as of earlier versions."""
    found = _reading(session, measurement_id)
    if found is None:
        raise LookupError(measurement_id)
    reading, metric = found
    claim_keys(session)
    at = changes.get("measured_at") or reading.measured_at
    value = changes.get("value", getattr(reading, metric))
    moved = at != reading.measured_at
    if moved and taken(session, reading.user_id, metric, at, but=reading.id):
        raise KeyConflict(f"{metric} of user {reading.user_id} at {at} exists already")
    v = versions.bump(session, "api_write", actor=actor, detail={"table": TABLE, "op": "update"})
    versions.keep_history(session, readings, readings.c.id == reading.id, v)
    if moved and _others(reading, metric):
        session.execute(
            sql_update(readings)
            .where(readings.c.id == reading.id)
            .values({metric: None, "since_version": v})
        )
        new_id = _insert(session, batch, reading.user_id, metric, at, value, v)
        result = _id(new_id, metric)
    else:
        session.execute(
            sql_update(readings)
            .where(readings.c.id == reading.id)
            .values({metric: value, "measured_at": at, "since_version": v})
        )
        result = measurement_id
    session.expire(reading)
    _refresh(session, {reading.user_id}, metric)
    return result


def delete_measurement(session: Session, measurement_id: int, actor: str) -> bool:
    """Remove a measurement (its reading too when it held no other metric); False when it
    does not exist. It stays readable as of earlier versions."""
    found = _reading(session, measurement_id)
    if found is None:
        return False
    reading, metric = found
    v = versions.bump(session, "api_write", actor=actor, detail={"table": TABLE, "op": "delete"})
    versions.keep_history(session, readings, readings.c.id == reading.id, v)
    if _others(reading, metric):
        session.execute(
            sql_update(readings)
            .where(readings.c.id == reading.id)
            .values({metric: None, "since_version": v})
        )
    else:
        session.execute(delete(readings).where(readings.c.id == reading.id))
    user_id = reading.user_id
    session.expire(reading)
    _refresh(session, {user_id}, metric)
    return True


def _refresh(session: Session, users: set[int], metric: str) -> None:
    """The aggregates and rollups the written measurement feeds (explicitly, where the data
    changes)."""
    aggregates.refresh_users(session, users, metrics={metric}, sessions=False, plans=False)


def any_metric(row: Any) -> Any:
    return or_(*(row.c[m].is_not(None) for m in METRICS))
