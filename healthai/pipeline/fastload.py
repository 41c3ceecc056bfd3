"""The fast path of a batch's biometric readings on PostgreSQL: loaded as the partition it
will become, keys and checks added after the load.

1. Staging (`write`): each cleaned part's user keys are resolved against the published users
   in one query; the rows whose user is published are written with binary COPY (Arrow
   columns encoded by pgpq, no Python object per value) into `biometric_readings_b<batch>`, a
   standalone table created LIKE the partitioned parent, without index, key or check: the
   load touches nothing but the heap. Rows whose user is not published yet (a user staged in
   the same batch, or one still pending) go to the classic staging table with their natural
   key, as before; the audit and publication handle both.
2. Audit (`prepare`, from `publication_violations`): set-based, once per batch, inside a
   SAVEPOINT: the parent's CHECK constraints plus `batch_id = <batch>` (one scan for all), the
   primary key and the unique (user, time, batch) index (sorted builds), the foreign key to
   users added NOT VALID then validated (one anti-join). A violation rolls the savepoint back
   and is counted for the audit's report instead. The batch's per-user spans are computed here
   too (`batch_metric_spans`, one aggregate pass), so publication does not read its rows.
3. Publication (healthai.pipeline.partitions.ensure_partition): `ATTACH PARTITION`; the
   checks prove the partition bound, the indexes and the foreign key are adopted as the
   parent's: no row is read or copied, whatever the batch's size.
"""

from __future__ import annotations

from typing import Any, cast

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import CheckConstraint, Table, func, select, text
from sqlalchemy.orm import Session

from healthai.models import BatchMetricSpan, BiometricReading, User
from healthai.models.vocab import METRICS
from healthai.pipeline import partitions
from healthai.pipeline.readers import RECORD

readings = cast(Table, BiometricReading.__table__)
COLUMNS = ["batch_id", "record", "user_id", "measured_at", *METRICS]
READY = "ready"  # a constraint name suffix marking a prepared table
_COPY_ROWS = 65_536


def enabled(session: Session, table: str) -> bool:
    return partitions.partitioned(session, table)


def table_name(batch_id: int) -> str:
    return partitions.partition_name(readings.name, batch_id)


def has_rows(session: Session, batch_id: int) -> bool:
    """Whether the batch's readings were loaded by the fast path (its table exists)."""
    return partitions.exists(session, table_name(batch_id))


def _arrow(frame: pd.DataFrame | pa.Table) -> pa.Table:
    if isinstance(frame, pd.DataFrame):
        return pa.Table.from_pandas(frame, preserve_index=False)
    return frame


def _user_ids(session: Session, keys: pa.Array) -> pa.Array:
    """The published user id of each key (null where none)."""
    unique = pc.unique(keys.drop_null()) if keys.null_count else pc.unique(keys)
    found = session.execute(
        select(User.external_key, User.id).where(User.external_key.in_(unique.to_pylist()))
    ).all()
    if not found:
        return pa.nulls(len(keys), pa.int32())
    known = pa.array([k for k, _ in found], pa.string())
    ids = pa.array([i for _, i in found], pa.int32())
    return pc.take(ids, pc.index_in(keys.cast(pa.string()), value_set=known))


def write(session: Session, frame: pd.DataFrame | pa.Table, batch_id: int) -> pa.Table | None:
    """Load a cleaned part of a batch's readings; returns the rows left for the classic
    staging (users not published), or None."""
    data = _arrow(frame)
    if not data.num_rows:
        return None
    ids = _user_ids(session, data.column("user_key"))
    resolved = pc.is_valid(ids)
    leftover = None if pc.all(resolved).as_py() else data.filter(pc.invert(resolved))
    rows = data.filter(resolved)
    ids = ids.filter(resolved)
    if not rows.num_rows:
        return leftover
    n = rows.num_rows
    when = rows.column("measured_at")
    if pa.types.is_timestamp(when.type) and when.type.tz is None:
        when = pc.assume_timezone(when, "UTC")
    columns: dict[str, Any] = {
        "batch_id": pa.repeat(pa.scalar(batch_id, pa.int32()), n),
        "record": rows.column(RECORD).cast(pa.int32()),
        "user_id": ids,
        "measured_at": when.cast(pa.timestamp("us", tz="UTC")),
    }
    for metric in METRICS:
        columns[metric] = (
            rows.column(metric).cast(pa.float64())
            if metric in rows.column_names
            else pa.nulls(n, pa.float64())
        )
    _copy(session, batch_id, pa.table(columns))
    return leftover


def _copy(session: Session, batch_id: int, data: pa.Table) -> None:
    import pgpq  # type: ignore[import-not-found]

    name = table_name(batch_id)
    session.execute(
        text(f'CREATE TABLE IF NOT EXISTS "{name}" (LIKE "{readings.name}" INCLUDING DEFAULTS)')
    )
    encoder = pgpq.ArrowToPostgresBinaryEncoder(data.schema)
    columns = ", ".join(f'"{c}"' for c in data.column_names)
    cursor = session.connection().connection.cursor()
    try:
        with cursor.copy(f'COPY "{name}" ({columns}) FROM STDIN (FORMAT binary)') as copy:
            copy.write(encoder.write_header())
            for part in data.to_batches(max_chunksize=_COPY_ROWS):
                copy.write(encoder.write_batch(part))
            copy.write(encoder.finish())
    finally:
        cursor.close()


# ------------------------------------------------------------------ audit
def _checks() -> list[CheckConstraint]:
    return [c for c in readings.constraints if isinstance(c, CheckConstraint)]


def _constraint_sql(check: CheckConstraint) -> str:
    name = readings.name
    return f'ADD CONSTRAINT "{check.name}" CHECK ({check.sqltext})'.replace(f"{name}.", "")


def is_prepared(session: Session, batch_id: int) -> bool:
    sql = "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = :n)"
    return bool(session.scalar(text(sql), {"n": f"{table_name(batch_id)}_{READY}"}))


def prepare(session: Session, batch_id: int) -> dict[str, int]:
    """Add the partition's checks, keys and foreign key to the batch's loaded readings, set
    based; returns {violation: rows} when one cannot be added (then nothing is added)."""
    if not has_rows(session, batch_id) or is_prepared(session, batch_id):
        return {}
    name = table_name(batch_id)
    q = f'"{name}"'
    fk = readings.c.user_id.foreign_keys
    fk_name = next(iter(fk)).constraint.name  # type: ignore[union-attr]
    pk_name = readings.primary_key.name
    unique = next(i for i in readings.indexes if i.unique)
    savepoint = session.begin_nested()
    try:
        session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        session.execute(
            text(
                f"ALTER TABLE {q} "
                + ", ".join(
                    [
                        f'ADD CONSTRAINT "{name}_{READY}" CHECK (batch_id = {int(batch_id)})',
                        *(_constraint_sql(c) for c in _checks()),
                    ]
                )
            )
        )
        pkey = f'ALTER TABLE {q} ADD CONSTRAINT "{name}_pkey" PRIMARY KEY (id, batch_id)'
        session.execute(text(pkey))
        session.execute(
            text(
                f'CREATE UNIQUE INDEX "{name}_{unique.name}" ON {q} '
                f"({', '.join(c.name for c in unique.columns)})"
            )
        )
        session.execute(
            text(
                f'ALTER TABLE {q} ADD CONSTRAINT "{fk_name}" FOREIGN KEY (user_id) '
                "REFERENCES users (id) ON DELETE CASCADE NOT VALID"
            )
        )
        session.execute(text(f'ALTER TABLE {q} VALIDATE CONSTRAINT "{fk_name}"'))
        session.execute(text(f"ANALYZE {q}"))
        _spans(session, batch_id)
    except Exception:  # noqa: BLE001 - a violation: counted below, nothing kept
        savepoint.rollback()
        return violations(session, batch_id) or {f"{readings.name} could not be prepared": 1}
    savepoint.commit()
    del pk_name
    return {}


def violations(session: Session, batch_id: int) -> dict[str, int]:
    """What keeps the loaded readings from becoming a partition, counted row by row."""
    name = f'"{table_name(batch_id)}"'
    found: dict[str, int] = {}
    checks = _checks()
    counts = session.execute(
        text(
            "SELECT "
            + ", ".join(f"count(*) FILTER (WHERE NOT ({c.sqltext}))" for c in checks)
            + f" FROM {name}"
        )
    ).one()
    found |= {f"{readings.name}.{c.name}": int(n) for c, n in zip(checks, counts, strict=True) if n}
    repeated = session.scalar(
        text(
            f"SELECT count(*) FROM (SELECT 1 FROM {name} GROUP BY user_id, measured_at "
            "HAVING count(*) > 1) d"
        )
    )
    if repeated:
        found[f"{readings.name}(user_id, measured_at, batch_id) repeated in the batch"] = int(
            repeated
        )
    return found


def _spans(session: Session, batch_id: int) -> None:
    """The batch's per-user spans of each metric (count, first, last): one aggregate pass
    over its readings for every metric at once, then one probe per user and metric through
    the unique (user, time) index for the first and last values."""
    name = f'"{table_name(batch_id)}"'
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
            f"CREATE TEMPORARY TABLE batch_spans ON COMMIT DROP AS "
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


def staged_readings(session: Session, batch_id: int) -> Any:
    """The loaded readings of a batch, as a SQLAlchemy selectable (user ids resolved)."""
    from sqlalchemy import column
    from sqlalchemy import table as sql_table

    return sql_table(table_name(batch_id), *(column(c) for c in ["id", *COLUMNS]))


def records(session: Session, batch_id: int) -> list[int]:
    return list(session.scalars(text(f'SELECT record FROM "{table_name(batch_id)}"')))


def drop(session: Session, batch_id: int) -> None:
    session.execute(text(f'DROP TABLE IF EXISTS "{table_name(batch_id)}"'))


def count(session: Session, batch_id: int) -> int:
    if not has_rows(session, batch_id):
        return 0
    return int(session.scalar(text(f'SELECT count(*) FROM "{table_name(batch_id)}"')) or 0)


__all__ = ["enabled", "write", "prepare", "violations", "has_rows", "func"]
