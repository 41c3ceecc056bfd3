"""Quality measurements with their history: one snapshot per source per evaluation (the overall
score and one score per dimension), and the detailed metrics behind it (one row per measured
column, table or rule). Computed by `healthai.quality`, read by the API and the dashboard."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthai.models.base import Base, pk, utcnow
from healthai.models.pipeline import Source
from healthai.models.vocab import in_

QUALITY_DIMENSIONS = (
    "completeness",
    "validity",
    "uniqueness",
    "consistency",
    "freshness",
    "volume",
    "backlog",
)


class QualitySnapshot(Base):
    """One evaluation of one source: overall score (0-100), dimension scores (0-1, null when
    the dimension could not be measured), freshness, volume and backlog figures, alerts."""

    __tablename__ = "quality_snapshots"
    __table_args__ = (
        Index("ix_quality_snapshots_source_id_measured_at", "source_id", "measured_at"),
    )

    id: Mapped[int] = pk()
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    measured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    dagster_run_id: Mapped[str | None] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("ingestion_runs.id"), comment="Latest ingestion run taken into account."
    )
    score: Mapped[float | None] = mapped_column(
        Float, comment="Overall score 0-100 (weighted mean of the measured dimensions)."
    )
    threshold: Mapped[float] = mapped_column(Float, comment="Score below which an alert fires.")
    completeness: Mapped[float | None] = mapped_column(Float)
    validity: Mapped[float | None] = mapped_column(Float)
    uniqueness: Mapped[float | None] = mapped_column(Float)
    consistency: Mapped[float | None] = mapped_column(Float)
    freshness: Mapped[float | None] = mapped_column(Float)
    volume: Mapped[float | None] = mapped_column(Float)
    backlog: Mapped[float | None] = mapped_column(Float)
    newest_data_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="When the newest file of the source arrived."
    )
    age_hours: Mapped[float | None] = mapped_column(Float)
    max_age_hours: Mapped[float | None] = mapped_column(
        Float, comment="Allowed age from the update frequency (null: no expectation)."
    )
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    rows_in: Mapped[int | None] = mapped_column(Integer, comment="Rows of the latest delivery.")
    rows_expected: Mapped[float | None] = mapped_column(
        Float, comment="Mean rows of the previous deliveries."
    )
    volume_anomaly: Mapped[bool] = mapped_column(Boolean, default=False)
    quarantine_open: Mapped[int] = mapped_column(Integer, default=0)
    alerts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    source: Mapped[Source] = relationship()
    metrics: Mapped[list[QualityMetric]] = relationship(
        cascade="all, delete-orphan", back_populates="snapshot"
    )


class QualityMetric(Base):
    """One measured figure: a share in [0, 1] of `numerator` over `denominator`, per source,
    table, column or rule, within a snapshot."""

    __tablename__ = "quality_metrics"
    __table_args__ = (
        in_("dimension", QUALITY_DIMENSIONS, "dimension_known"),
        Index(
            "ix_quality_metrics_source_id_dimension_measured_at",
            "source_id",
            "dimension",
            "measured_at",
        ),
    )

    id: Mapped[int] = pk()
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("quality_snapshots.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    measured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    dimension: Mapped[str] = mapped_column(String(20))
    table_name: Mapped[str | None] = mapped_column(
        String(80), comment="Published table, or 'raw' for the latest source file."
    )
    column_name: Mapped[str | None] = mapped_column(String(120))
    rule: Mapped[str] = mapped_column(String(120), comment="What was measured, as a short name.")
    description: Mapped[str | None] = mapped_column(String(300))
    value: Mapped[float | None] = mapped_column(Float, comment="Share in [0, 1] (1 is best).")
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    snapshot: Mapped[QualitySnapshot] = relationship(back_populates="metrics")
