"""Rollups: the whole-history analytics answers, kept per scope at publication.

Derived from the per-user aggregates (healthai.models.domain: user_metric_spans,
user_session_spans) and from the plan history, by healthai.pipeline.aggregates, whenever
those change (publication, rollback, the API's writes, erasure of a user, a user changing
organisation). A request over the whole history then reads one row per scope instead of one
row per user. `scope` is 0 for every user, otherwise an organisation's id (its current
members).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from healthai.models.base import Base

SCOPE_COMMENT = "0: every user; otherwise the id of an organisation (its current members)."


class ProgressionRollup(Base):
    """Per scope and biometric metric: the users measured and the sums behind the mean change,
    the mean weekly rate and the share decreasing (sums taken in user id order)."""

    __tablename__ = "progression_rollups"

    scope: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False, comment=SCOPE_COMMENT
    )
    metric: Mapped[str] = mapped_column(String(20), primary_key=True)
    users_measured: Mapped[int] = mapped_column(Integer)
    users_with_progression: Mapped[int] = mapped_column(
        Integer, comment="Users with at least two measurements."
    )
    change_sum: Mapped[float] = mapped_column(Float, comment="Sum of last minus first value.")
    rated_users: Mapped[int] = mapped_column(
        Integer, comment="Users whose first and last measurements differ in time."
    )
    rate_sum: Mapped[float] = mapped_column(Float, comment="Sum of the changes per week.")
    decreasing_users: Mapped[int] = mapped_column(Integer)


class EngagementRollup(Base):
    """Per scope with app sessions: the latest session, users active in the day, week and
    month before it, and users seen again at least 7 and 30 days after their first session."""

    __tablename__ = "engagement_rollups"

    scope: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False, comment=SCOPE_COMMENT
    )
    as_of: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), comment="Start of the scope's latest session."
    )
    dau: Mapped[int] = mapped_column(Integer)
    wau: Mapped[int] = mapped_column(Integer)
    mau: Mapped[int] = mapped_column(Integer)
    users_with_sessions: Mapped[int] = mapped_column(Integer)
    retained_d7: Mapped[int] = mapped_column(Integer)
    retained_d30: Mapped[int] = mapped_column(Integer)


class ConversionRollup(Base):
    """Per scope: users who ever had the free plan, and those of them who later had a paid one."""

    __tablename__ = "conversion_rollups"

    scope: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False, comment=SCOPE_COMMENT
    )
    free_users_with_history: Mapped[int] = mapped_column(Integer)
    converted: Mapped[int] = mapped_column(Integer)
