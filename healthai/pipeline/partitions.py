"""Tables partitioned by batch (PostgreSQL): a batch's rows are one partition.

`biometric_readings` is `PARTITION BY LIST (batch_id)` on PostgreSQL. A batch's rows live in
the table `<table>_b<batch id>`:

- the fast path (healthai.pipeline.fastload) creates it standalone, LIKE the parent, loads it
  with binary COPY, then adds its checks, keys and indexes set-based after the load; at
  publication it becomes a partition (`ATTACH PARTITION`: no row is copied, its checks prove
  the partition bound, its indexes and foreign key are adopted as the parent's);
- the classic path (SQLite has no partitions; rows staged with natural keys) creates the
  partition empty at publication and inserts into it;
- a rollback detaches it (`DETACH PARTITION`) after copying its rows into the history twin,
  then drops it.

On SQLite every function here is a no-op and the table is a plain one.
"""

from __future__ import annotations

from sqlalchemy import Table, text
from sqlalchemy.orm import Session

PARTITIONED = frozenset({"biometric_readings"})


def partitioned(session: Session, table: Table | str) -> bool:
    name = table if isinstance(table, str) else table.name
    return name in PARTITIONED and session.get_bind().dialect.name == "postgresql"


def partition_name(table: str, batch_id: int) -> str:
    return f"{table}_b{int(batch_id)}"


def exists(session: Session, name: str) -> bool:
    return bool(session.scalar(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name}))


def is_attached(session: Session, table: str, batch_id: int) -> bool:
    sql = (
        "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = CAST(:parent AS regclass) "
        "AND inhrelid = to_regclass(:child))"
    )
    params = {"parent": table, "child": partition_name(table, batch_id)}
    return bool(session.scalar(text(sql), params))


def ensure_partition(session: Session, table: Table, batch_id: int) -> None:
    """The batch's partition, attached (created empty when the batch has none yet)."""
    if not partitioned(session, table) or is_attached(session, table.name, batch_id):
        return
    name = partition_name(table.name, batch_id)
    if exists(session, name):  # loaded by the fast path: becomes a partition now
        attach(session, table, batch_id)
        return
    session.execute(
        text(f'CREATE TABLE "{name}" PARTITION OF "{table.name}" FOR VALUES IN ({int(batch_id)})')
    )


def attach(session: Session, table: Table, batch_id: int) -> None:
    name = partition_name(table.name, batch_id)
    session.execute(
        text(
            f'ALTER TABLE "{table.name}" ATTACH PARTITION "{name}" FOR VALUES IN ({int(batch_id)})'
        )
    )


def drop_batch(session: Session, table: Table, batch_id: int) -> None:
    """Remove the batch's partition (after its rows were copied to history)."""
    name = partition_name(table.name, batch_id)
    if is_attached(session, table.name, batch_id):
        session.execute(text(f'ALTER TABLE "{table.name}" DETACH PARTITION "{name}"'))
    session.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
