"""The fast path of a batch's biometric readings on PostgreSQL: built at its audit as the
partition it will become, made visible at publication by `ATTACH PARTITION`.

Staging is unchanged: the cleaned rows go to `staging_biometric_readings` (binary COPY,
healthai.pipeline.bulk), where the duplicate checks, the natural-key rule across batches
(healthai.pipeline.measurements) and a rejection's quarantine find them by natural key. Then:

1. Audit (`build`, called by the audit before its publishability check, which then leaves
   the built readings out; a failed audit drops the table): when every staged reading's
   user is published, one set-based `INSERT … SELECT` (user keys resolved by a hash join)
   writes the readings into `biometric_readings_b<batch>`, a standalone table created LIKE
   the partitioned parent with its CHECK constraints plus `batch_id = <batch>` (evaluated
   per row as it is written) and without index or key: the load touches nothing but the
   heap. Then, set-based, once: the primary key and the unique (user, time, batch) index
   (sorted builds), the foreign key to users added NOT VALID then validated (one
   anti-join), and the batch's per-user spans of each metric (`batch_metric_spans`, one
   aggregate pass) so that publication does not read its rows. A batch whose users are not
   all published yet (users staged in the same batch) keeps the classic path: publication
   inserts it from staging.
2. Publication (`publish`): `ATTACH PARTITION` (the checks prove the partition bound, the
   indexes and the foreign key are adopted as the parent's: no row is read or copied,
   whatever the batch's size); the aggregates merge the precomputed spans; the batch's staged
   rows are released (`release_staging`): the staging table is truncated when it holds no
   other pending batch's rows (never waiting for a lock), else the rows stay, inert (every
   reader of staging filters on pending batches), until the next build deletes them.
3. Rollback (healthai.pipeline.partitions.drop_batch): `DETACH PARTITION`, then `DROP`.
   Rejection drops the built table (`drop`).

On SQLite (the embedded default) none of this runs: staging and publication are the classic
INSERT … SELECT, with the same published rows (tests/test_fastload.py compares both engines).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Join, Table, and_, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from healthai.models import STAGING, Batch, BatchMetricSpan, BiometricReading
from healthai.models.vocab import METRICS
from healthai.pipeline import partitions

readings = cast(Table, BiometricReading.__table__)
staging = STAGING[readings.name]
READY = "ready"  # the suffix of the check constraint that marks a built table
PENDING = ("staged", "audited", "audit_failed", "approved")  # batches whose staging is needed
CLAIMED = ("audited", "approved")  # pending batches whose natural keys an audit has claimed


def table_name(batch_id: int) -> str:
    return partitions.partition_name(readings.name, batch_id)


def _q(name: str) -> str:
    return f'"{name}"'


def is_built(session: Session, batch_id: int) -> bool:
    """Whether the batch's readings wait as a built table (keys and checks in place)."""
    if not partitions.partitioned(session, readings):
        return False
    sql = "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = :n)"
    return bool(session.scalar(text(sql), {"n": f"{table_name(batch_id)}_{READY}"}))


def staged_batches(session: Session) -> dict[int, str]:
    """The batches with staged readings, with their status: the distinct batch ids read from
    the staging table's batch index by a loose index scan (one probe per batch, not a pass
    over the staged rows: the table may hold a million rows of the batch being audited).
    Plain SQL that SQLite runs too."""
    sql = f"""
        WITH RECURSIVE ids(batch_id) AS (
            SELECT min(batch_id) FROM {staging.name}
            UNION ALL
            SELECT (SELECT min(s.batch_id) FROM {staging.name} s
                    WHERE s.batch_id > ids.batch_id)
            FROM ids WHERE ids.batch_id IS NOT NULL
        )
        SELECT b.id, b.status FROM ids JOIN batches b ON b.id = ids.batch_id
    """
    return {int(i): str(status) for i, status in session.execute(text(sql))}


def others_staged(session: Session, batch_id: int, statuses: tuple[str, ...]) -> bool:
    """Whether a batch other than `batch_id`, in one of `statuses`, has staged readings (so
    that comparing this batch's readings with theirs is worth a join)."""
    return any(i != batch_id and s in statuses for i, s in staged_batches(session).items())


def same_readings_elsewhere(mine: Any, other: Any, batch_id: int) -> Join:
    """Staged readings `mine` joined to the readings of the same user and time that other
    batches staged (`other`, another alias of the staging table), and to those batches."""
    same = and_(
        other.c.user_key == mine.c.user_key,
        other.c.measured_at == mine.c.measured_at,
        other.c.batch_id != batch_id,
    )
    return mine.join(other, same).join(Batch, Batch.id == other.c.batch_id)


def sweep(session: Session) -> int:
    """Delete the staged readings of batches no longer pending (left inert by a publication
    that could not truncate staging); returns the rows deleted."""
    done = [i for i, status in staged_batches(session).items() if status not in PENDING]
    if not done:
        return 0
    deleted = session.execute(
        text(f"DELETE FROM {staging.name} WHERE batch_id = ANY(:done)"), {"done": done}
    )
    return int(getattr(deleted, "rowcount", 0) or 0)


def build(session: Session, batch_id: int) -> bool:
    """Build the batch's partition-to-be from its staged readings (see the module's text);
    returns whether it was built. The audit calls it before its publishability check, which
    then leaves the built readings out (the database proved their checks and keys); a
    violation leaves nothing built, and the check counts it row by row; a failed audit drops
    the built table."""
    if not partitions.partitioned(session, readings) or is_built(session, batch_id):
        return False
    sweep(session)
    savepoint = session.begin_nested()
    try:
        if not _load(session, batch_id):  # nothing staged: nothing to build
            savepoint.rollback()
            return False
        _constraints(session, batch_id)
        _spans(session, batch_id)
    except DBAPIError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def _load(session: Session, batch_id: int) -> int:
    """The batch's staged readings into its new bare table, users resolved by a hash join;
    returns the rows loaded. A reading whose user is not published (yet) resolves to NULL,
    which the table's NOT NULL refuses: the load fails as a whole (the caller's savepoint
    rolls back and the batch keeps the classic path). One pass, no separate check: the
    parent's CHECK constraints and the partition bound (`batch_id = <batch>`) are on the
    table before the load, evaluated on each row as it is written, instead of a scan of the
    loaded table to add them (a row breaking one fails the load the same way)."""
    name = _q(table_name(batch_id))
    session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    session.execute(text(f'CREATE TABLE {name} (LIKE "{readings.name}" INCLUDING DEFAULTS)'))
    bare = table_name(batch_id)
    adds = [
        f'ADD CONSTRAINT "{bare}_{READY}" CHECK (batch_id = {int(batch_id)})',
        *(f'ADD CONSTRAINT "{n}" {definition}' for n, definition in _checks(session)),
    ]
    session.execute(text(f"ALTER TABLE {name} " + ", ".join(adds)))
    metrics = ", ".join(METRICS)
    picked = ", ".join(f"s.{m}" for m in METRICS)
    done = session.execute(
        text(
            f"INSERT INTO {name} (batch_id, record, user_id, measured_at, {metrics}) "
            f"SELECT s.batch_id, s.record, u.id, s.measured_at, {picked} "
            f"FROM {staging.name} s LEFT JOIN users u ON u.external_key = s.user_key "
            "WHERE s.batch_id = :b"
        ),
        {"b": batch_id},
    )
    return int(getattr(done, "rowcount", 0) or 0)


def _checks(session: Session) -> list[tuple[str, str]]:
    """The parent's CHECK constraints as the database holds them (name, definition): a
    partition must carry each under the same name."""
    sql = (
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = CAST(:t AS regclass) AND contype = 'c' ORDER BY conname"
    )
    return [(str(n), str(d)) for n, d in session.execute(text(sql), {"t": readings.name})]


def _constraints(session: Session, batch_id: int) -> None:
    """Keys, unique index and foreign key of the parent, added set-based after the load (the
    checks are there from the start: `_load`)."""
    name = table_name(batch_id)
    q = _q(name)
    fk = next(iter(readings.c.user_id.foreign_keys)).constraint
    unique = next(i for i in readings.indexes if i.unique)
    session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    session.execute(
        text(f'ALTER TABLE {q} ADD CONSTRAINT "{name}_pkey" PRIMARY KEY (id, batch_id)')
    )
    columns = ", ".join(c.name for c in unique.columns)
    session.execute(text(f'CREATE UNIQUE INDEX "{name}_{unique.name}" ON {q} ({columns})'))
    fk_name = f"{name}_{fk.name}"  # type: ignore[union-attr]
    session.execute(
        text(
            f'ALTER TABLE {q} ADD CONSTRAINT "{fk_name}" FOREIGN KEY (user_id) '
            "REFERENCES users (id) ON DELETE CASCADE NOT VALID"
        )
    )
    session.execute(text(f'ALTER TABLE {q} VALIDATE CONSTRAINT "{fk_name}"'))
    session.execute(text(f"ANALYZE {q}"))


def _spans(session: Session, batch_id: int) -> None:
    """The batch's per-user spans of each metric (count, first, last): one aggregate pass
    over its readings for every metric at once, then the first and last values through the
    unique (user, time) index."""
    name = _q(table_name(batch_id))
    t = cast(Table, BatchMetricSpan.__table__)
    session.execute(t.delete().where(t.c.batch_id == batch_id))
    aggregates = ", ".join(
        f"count({m}) AS {m}_n, "
        f"min(measured_at) FILTER (WHERE {m} IS NOT NULL) AS {m}_first, "
        f"max(measured_at) FILTER (WHERE {m} IS NOT NULL) AS {m}_last"
        for m in METRICS
    )
    session.execute(text("DROP TABLE IF EXISTS pg_temp.batch_spans"))
    session.execute(
        text(
            "CREATE TEMPORARY TABLE batch_spans ON COMMIT DROP AS "
            f"SELECT user_id, {aggregates} FROM {name} GROUP BY user_id"
        )
    )
    for metric in METRICS:
        session.execute(
            text(
                f"""
                INSERT INTO batch_metric_spans
                    (batch_id, user_id, metric, measurements, first_at, first_value, last_at,
                     last_value)
                SELECT :b, g.user_id, :m, g.{metric}_n, g.{metric}_first, f.{metric},
                       g.{metric}_last, l.{metric}
                FROM batch_spans g
                JOIN {name} f ON f.user_id = g.user_id AND f.measured_at = g.{metric}_first
                JOIN {name} l ON l.user_id = g.user_id AND l.measured_at = g.{metric}_last
                WHERE g.{metric}_n > 0
                """
            ),
            {"b": batch_id, "m": metric},
        )
    session.execute(text("DROP TABLE pg_temp.batch_spans"))


def has_spans(session: Session, batch_id: int) -> bool:
    """Whether the batch's spans were precomputed (by `build`), for the aggregates."""
    t = cast(Table, BatchMetricSpan.__table__)
    sql = f"SELECT EXISTS (SELECT 1 FROM {t.name} WHERE batch_id = :b)"
    return bool(session.scalar(text(sql), {"b": batch_id}))


def publish(session: Session, batch_id: int) -> bool:
    """Make a built batch's readings visible (`ATTACH PARTITION`) and release its staged
    rows; returns False (nothing done) when the batch was not built."""
    if not is_built(session, batch_id):
        return False
    partitions.attach(session, readings, batch_id)
    release_staging(session, batch_id)
    return True


def release_staging(session: Session, batch_id: int) -> None:
    """The batch's staged readings are published: truncate staging when no other pending
    batch has rows there (without waiting: `NOWAIT`, a writer holding the table keeps it),
    else leave them inert for the next `sweep`."""
    savepoint = session.begin_nested()
    try:
        session.execute(text(f"LOCK TABLE {staging.name} IN ACCESS EXCLUSIVE MODE NOWAIT"))
        others = any(
            i != batch_id and status in PENDING for i, status in staged_batches(session).items()
        )
        if others:
            savepoint.rollback()
            return
        session.execute(text(f"TRUNCATE {staging.name}"))
    except DBAPIError:  # the lock is held by a writer: the rows stay inert
        savepoint.rollback()
        return
    savepoint.commit()


def drop(session: Session, batch_id: int) -> None:
    """Forget a built table (the batch was rejected): nothing of it stays."""
    if not partitions.partitioned(session, readings):
        return
    if not partitions.is_attached(session, readings.name, batch_id):
        session.execute(text(f"DROP TABLE IF EXISTS {_q(table_name(batch_id))}"))
    t = cast(Table, BatchMetricSpan.__table__)
    session.execute(t.delete().where(t.c.batch_id == batch_id))


__all__ = [
    "build",
    "publish",
    "drop",
    "is_built",
    "has_spans",
    "release_staging",
    "staged_batches",
    "sweep",
]
