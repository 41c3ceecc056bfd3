"""Dataset versions: one increasing integer for the published data, and exact as-of reads.

Every change of the published data makes the next version, in the transaction that makes the
change (`bump`): a publication (or the publication of a correction batch), a rollback, an
erasure, a write through the API. Versions are taken one at a time (a transaction-scoped
advisory lock on PostgreSQL, held until commit; SQLite has one writer), so their order is the
order of the commits and `current` never names a change a reader cannot see yet.

As-of reads. A published row belongs to a batch; the batch records the version its
publication made and the version its rollback made (`batches.published_version`,
`batches.rolled_back_version`). A row is part of version N when its batch was published at
or before N and not rolled back at or before N, and, for a row written or changed through the
API, when it holds since a version at or before N (`since_version`). Rows leave the live tables
into their `<table>_history` twin (healthai.models.staging.HISTORY) instead of vanishing: all
the rows of a rolled-back batch, and the previous state of a row changed or deleted through
the API (`until_version`: the version from which it no longer holds). `as_of` reads both.
Erasure is the exception: an erased person is removed from the live tables and the history
alike (`forget_user`), so from every version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from healthai.models import HISTORY, Batch, DatasetVersion, metadata
from healthai.models.views import ID_FACTOR, METRIC_RANK, BiometricMeasurement
from healthai.models.vocab import VERSION_KINDS

LOCK_KEY = 0x56455253  # PostgreSQL advisory lock serialising version bumps ("VERS")
MEASUREMENTS = "biometric_measurements"


def current(session: Session) -> int:
    """The latest version of the published data (0 before anything was published)."""
    return int(session.scalar(select(func.max(DatasetVersion.version))) or 0)


def bump(
    session: Session,
    kind: str,
    *,
    batch_id: int | None = None,
    actor: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Make the next version, in the caller's transaction, and return it. On PostgreSQL the
    lock taken here is held until the caller commits: concurrent changes get their versions
    in commit order."""
    if kind not in VERSION_KINDS:
        raise ValueError(f"unknown version kind {kind!r}")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
    version = current(session) + 1
    session.add(
        DatasetVersion(version=version, kind=kind, batch_id=batch_id, actor=actor, detail=detail)
    )
    session.flush()
    return version


def made_at(session: Session, version: int) -> datetime | None:
    """When a version was made (None for 0 or an unknown version)."""
    return session.scalar(select(DatasetVersion.at).where(DatasetVersion.version == version))


# ------------------------------------------------------------------ rows leaving
def keep_history(
    session: Session, table: Table, where: ColumnElement[bool], until: int | None
) -> int:
    """Copy the rows of `table` matching `where` into its history twin, ending at `until`
    (None: they leave with their batch's rollback). Call before deleting or changing them."""
    hist = HISTORY[table.name]
    names = [c.name for c in table.columns]
    source = select(*table.c, literal(until).label("until_version") if until else null()).where(
        where
    )
    result = session.execute(insert(hist).from_select([*names, "until_version"], source))
    return int(getattr(result, "rowcount", 0) or 0)


def forget_user(session: Session, user_id: int) -> None:
    """Erasure: remove a person's rows from every history twin (the live rows go with the
    user, by the foreign keys' cascade)."""
    for name, hist in HISTORY.items():
        if name == "users":
            session.execute(delete(hist).where(hist.c.id == user_id))
        elif "user_id" in hist.c:
            session.execute(delete(hist).where(hist.c.user_id == user_id))


# ------------------------------------------------------------------ as-of reads
def _in_version(batch_id: Any, version: int) -> ColumnElement[bool]:
    b = Batch.__table__
    published = select(b.c.id).where(
        b.c.published_version <= version,
        or_(b.c.rolled_back_version.is_(None), b.c.rolled_back_version > version),
    )
    return batch_id.in_(published)


def _since(row: Any, version: int) -> ColumnElement[bool]:
    return or_(row.c.since_version.is_(None), row.c.since_version <= version)


def as_of(session: Session, table_name: str, version: int) -> Select:
    """SELECT of the rows `table_name` held at `version`: the live table's columns, the same
    rows before and after any later publication, rollback or API write (an erased person
    excepted). `table_name` is a published table with lineage (a key of HISTORY) or the long
    view `biometric_measurements`."""
    if table_name == MEASUREMENTS:
        return _measurements_as_of(session, version)
    if table_name not in HISTORY:
        raise ValueError(f"{table_name!r} has no versions (tables: {sorted(HISTORY)})")
    live, hist = metadata.tables[table_name], HISTORY[table_name]
    names = [c.name for c in live.columns]
    now = select(*live.c).where(_in_version(live.c.batch_id, version), _since(live, version))
    before = select(*(hist.c[n] for n in names)).where(
        _in_version(hist.c.batch_id, version),
        _since(hist, version),
        or_(hist.c.until_version.is_(None), hist.c.until_version > version),
    )
    return select(*union_all(now, before).subquery(table_name).c)


def _measurements_as_of(session: Session, version: int) -> Select:
    readings = as_of(session, "biometric_readings", version).subquery("readings")
    b = Batch.__table__
    arms = [
        select(
            (readings.c.id * ID_FACTOR + rank).label("id"),
            readings.c.id.label("reading_id"),
            readings.c.user_id,
            literal(metric).label("metric"),
            readings.c.measured_at,
            readings.c[metric].label("value"),
            readings.c.batch_id,
            readings.c.since_version,
            b.c.source_sha256,
            func.cast(readings.c.record, BiometricMeasurement.source_record.type).label(
                "source_record"
            ),
        )
        .select_from(readings.outerjoin(b, b.c.id == readings.c.batch_id))
        .where(readings.c[metric].is_not(None))
        for metric, rank in METRIC_RANK.items()
    ]
    return select(*union_all(*arms).subquery(MEASUREMENTS).c)


def version_filter(batch_id: Any, version: int) -> ColumnElement[bool]:
    """The batch part of as-of (for readers that build their own query)."""
    return and_(_in_version(batch_id, version))
