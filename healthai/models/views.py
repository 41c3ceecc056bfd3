"""Views: shapes kept for readers while the storage underneath changed.

`biometric_measurements` is the long shape (one row per user, metric and time) that the API's
`/metrics`, the analytics and the aggregates read, over the wide `biometric_readings` (one
row per source record). A measurement's id is `reading id * 8 + the metric's rank` (ranks
below), so it stays an integer the API can address; `reading_id` and `metric` are the columns
a lookup by id filters on (`measurement_key`), which the indexes serve.

The view is created by the migrations from the SQL below (frozen there;
tests/test_migrations.py checks that the database's view gives what this module declares).
Its ORM model is read-only: writes go through `healthai.pipeline.measurements`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from healthai.models.vocab import METRICS

# A metric's rank: the last three bits of a measurement id (7 of 8 values used).
METRIC_RANK: dict[str, int] = {m: i for i, m in enumerate(METRICS)}
ID_FACTOR = 8


def measurement_key(measurement_id: int) -> tuple[int, str] | None:
    """(reading id, metric) of a measurement id; None when no metric has that rank."""
    reading_id, rank = divmod(measurement_id, ID_FACTOR)
    names = list(METRICS)
    return (reading_id, names[rank]) if rank < len(names) else None


def measurements_view_sql() -> str:
    """The SELECT behind `biometric_measurements` (portable: PostgreSQL and SQLite)."""
    arms = [
        f"SELECT r.id * {ID_FACTOR} + {rank} AS id, r.id AS reading_id, r.user_id, "
        f"'{metric}' AS metric, r.measured_at, r.{metric} AS value, r.batch_id, "
        "r.since_version, b.source_sha256, CAST(r.record AS VARCHAR(200)) AS source_record "
        "FROM biometric_readings r LEFT OUTER JOIN batches b ON b.id = r.batch_id "
        f"WHERE r.{metric} IS NOT NULL"
        for metric, rank in METRIC_RANK.items()
    ]
    return "\nUNION ALL\n".join(arms)


class ViewBase(DeclarativeBase):
    """Models over views: kept out of the tables' metadata (Alembic creates tables from it)."""

    metadata = MetaData()


class BiometricMeasurement(ViewBase):
    """One measurement of one metric for one user at one time (long format, a view)."""

    __tablename__ = "biometric_measurements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reading_id: Mapped[int] = mapped_column(Integer)
    # a view has no foreign keys: `references` tells healthai.privacy this is a user id
    user_id: Mapped[int] = mapped_column(Integer, info={"references": "users.id"})
    metric: Mapped[str] = mapped_column(String(20))
    measured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    value: Mapped[float] = mapped_column(Float)
    batch_id: Mapped[int] = mapped_column(Integer)
    since_version: Mapped[int | None] = mapped_column(Integer)
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    source_record: Mapped[str] = mapped_column(String(200))


VIEWS: dict[str, str] = {"biometric_measurements": measurements_view_sql()}
