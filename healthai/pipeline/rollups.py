"""The rollups (healthai.models.rollups): whole-history analytics answers per scope.

They are derived from the per-user aggregates (user_metric_spans, user_session_spans), the
plan history (subscriptions) and the users' current organisation, never from the large fact
tables, so a refresh costs a pass over one row per user. `healthai.pipeline.aggregates`
refreshes the parts a change touches: at publication, rollback, rebuild and after the API's
writes (CRUD, erasure of a user, a user moving to another organisation), each called explicitly
where the data change.

The per-user arithmetic lives here once (`Progression`, `Engagement`, `converted`) and is
used both to fill the rollups and by the analytics over a period, so both give the same
figures; sums are taken in user id order, as a scan in that order would.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, delete, func, insert, select

from healthai.models import (
    ConversionRollup,
    EngagementRollup,
    ProgressionRollup,
    Subscription,
    User,
    UserMetricSpan,
    UserSessionSpan,
)

ROLLUPS = (ProgressionRollup, EngagementRollup, ConversionRollup)
ALL = 0  # the scope of every user
LOCK_KEY = 0x524F4C4C  # PostgreSQL advisory lock serialising rollup refreshes
PAID = ("premium", "premium_plus")
WEEK_S = 7 * 86400


def aware(value: datetime) -> datetime:
    """A timestamp read back from the database, in UTC (SQLite returns it naive)."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


# ------------------------------------------------------------------ per-user arithmetic
@dataclass
class Progression:
    """Running sums over users of one metric: each user's first and last measurement."""

    users_measured: int = 0
    users_with_progression: int = 0
    change_sum: float = 0.0
    rated_users: int = 0
    rate_sum: float = 0.0
    decreasing_users: int = 0

    def add(self, measurements: int, t0: datetime, v0: float, t1: datetime, v1: float) -> None:
        self.users_measured += 1
        if measurements < 2:
            return
        change = v1 - v0
        self.users_with_progression += 1
        self.change_sum += change
        self.decreasing_users += change < 0
        weeks = (aware(t1) - aware(t0)).total_seconds() / WEEK_S
        if weeks > 0:
            self.rated_users += 1
            self.rate_sum += change / weeks

    def answer(self, metric: str) -> dict[str, Any]:
        n, rated = self.users_with_progression, self.rated_users
        return {
            "metric": metric,
            "users_measured": self.users_measured,
            "users_with_progression": n,
            "mean_change": round(self.change_sum / n, 3) if n else None,
            "mean_change_per_week": round(self.rate_sum / rated, 3) if rated else None,
            "share_decreasing": round(self.decreasing_users / n, 3) if n else None,
        }


@dataclass
class Engagement:
    """Per user with sessions: first and last session start (a scope's users, in id order)."""

    spans: list[tuple[datetime, datetime]] = field(default_factory=list)

    def add(self, first_at: datetime, last_at: datetime) -> None:
        self.spans.append((aware(first_at), aware(last_at)))

    def retained(self, days: int) -> int:
        return sum(b - a >= timedelta(days=days) for a, b in self.spans)

    def active_before_latest(self, days: int) -> int:
        """Users whose last session is within `days` before the latest one."""
        as_of = max(b for _a, b in self.spans)
        return sum(b > as_of - timedelta(days=days) for _a, b in self.spans)


def converted(first_free: date | None, last_paid: date | None) -> bool | None:
    """None: the user never had the free plan; otherwise whether a paid plan came later."""
    if first_free is None:
        return None
    return last_paid is not None and last_paid >= first_free


def plan_ends(where: Iterable[Any] = ()) -> Any:
    """Per user among the plan periods matching `where`: first free start, last paid start."""
    s = Subscription
    return (
        select(
            s.user_id,
            func.min(case((s.plan_tier == "free", s.started_on))),
            func.max(case((s.plan_tier.in_(PAID), s.started_on))),
        )
        .where(*where)
        .group_by(s.user_id)
    )


# ------------------------------------------------------------------ refresh
def _organisations(conn: Connection) -> dict[int, int]:
    stmt = select(User.id, User.organisation_id).where(User.organisation_id.is_not(None))
    return {user_id: org for user_id, org in conn.execute(stmt)}


def _scopes(user_id: int, orgs: dict[int, int]) -> tuple[int, ...]:
    org = orgs.get(user_id)
    return (ALL,) if org is None else (ALL, org)


def refresh_progression(
    conn: Connection, orgs: dict[int, int], metrics: Collection[str] | None
) -> None:
    t, span = ProgressionRollup.__table__, UserMetricSpan
    only = [] if metrics is None else [span.metric.in_(sorted(metrics))]
    conn.execute(delete(t).where(*([] if metrics is None else [t.c.metric.in_(sorted(metrics))])))
    sums: dict[tuple[int, str], Progression] = defaultdict(Progression)
    rows = conn.execute(
        select(
            span.user_id,
            span.metric,
            span.measurements,
            span.first_at,
            span.first_value,
            span.last_at,
            span.last_value,
        )
        .where(*only)
        .order_by(span.metric, span.user_id)
    )
    for user_id, metric, n, t0, v0, t1, v1 in rows:
        for scope in _scopes(user_id, orgs):
            sums[(scope, metric)].add(n, t0, v0, t1, v1)
    if sums:
        conn.execute(
            insert(t),
            [
                {"scope": scope, "metric": metric, **vars(p)}
                for (scope, metric), p in sorted(sums.items())
            ],
        )


def refresh_engagement(conn: Connection, orgs: dict[int, int]) -> None:
    t, span = EngagementRollup.__table__, UserSessionSpan
    conn.execute(delete(t))
    scopes: dict[int, Engagement] = defaultdict(Engagement)
    rows = conn.execute(select(span.user_id, span.first_at, span.last_at).order_by(span.user_id))
    for user_id, first_at, last_at in rows:
        for scope in _scopes(user_id, orgs):
            scopes[scope].add(first_at, last_at)
    if scopes:
        conn.execute(
            insert(t),
            [
                {
                    "scope": scope,
                    "as_of": max(b for _a, b in e.spans),
                    "dau": e.active_before_latest(1),
                    "wau": e.active_before_latest(7),
                    "mau": e.active_before_latest(30),
                    "users_with_sessions": len(e.spans),
                    "retained_d7": e.retained(7),
                    "retained_d30": e.retained(30),
                }
                for scope, e in sorted(scopes.items())
            ],
        )


def refresh_conversion(conn: Connection, orgs: dict[int, int]) -> None:
    t = ConversionRollup.__table__
    conn.execute(delete(t))
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for user_id, first_free, last_paid in conn.execute(plan_ends()):
        done = converted(first_free, last_paid)
        if done is None:
            continue
        for scope in _scopes(user_id, orgs):
            counts[scope][0] += 1
            counts[scope][1] += done
    if counts:
        conn.execute(
            insert(t),
            [
                {"scope": scope, "free_users_with_history": n, "converted": c}
                for scope, (n, c) in sorted(counts.items())
            ],
        )


def refresh(
    conn: Connection,
    metrics: Collection[str] | None = None,
    sessions: bool = True,
    plans: bool = True,
) -> None:
    """Recompute rollups from the per-user aggregates: progression for `metrics` (None: every
    metric; empty: none), engagement if `sessions`, conversion if `plans`."""
    if metrics is not None and not metrics and not sessions and not plans:
        return
    if conn.dialect.name == "postgresql":
        # one refresh at a time until commit: two publications refreshing at once would each
        # delete the rows they see and insert the same keys (SQLite has one writer anyway)
        conn.execute(select(func.pg_advisory_xact_lock(LOCK_KEY)))
    orgs = _organisations(conn)
    if metrics is None or metrics:
        refresh_progression(conn, orgs, metrics)
    if sessions:
        refresh_engagement(conn, orgs)
    if plans:
        refresh_conversion(conn, orgs)
