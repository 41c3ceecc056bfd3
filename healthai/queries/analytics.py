"""The platform's numbers, computed once here for the API and the dashboard.

Every function takes a session and an optional `organisation_id` (a partner's tenant: only
its members count) and returns plain dicts and lists, ready for JSON or a DataFrame.
Date arithmetic is done in Python so that SQLite and PostgreSQL give the same figures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from healthai.models import (
    AppSession,
    Batch,
    BiometricMeasurement,
    MealLog,
    QuarantinedRow,
    SatisfactionSurvey,
    Source,
    Subscription,
    User,
    WorkoutSession,
)
from healthai.queries.listing import tenant_clause

# Reference daily intakes for adults (EFSA dietary reference values, rounded; sugars and
# sodium are upper limits). Deficit: below 80 % of the reference; excess: above 120 % (for
# upper limits: above 100 %).
REFERENCE_INTAKES: dict[str, dict[str, float]] = {
    "female": {
        "energy_kcal": 2000,
        "protein_g": 50,
        "fibre_g": 25,
        "fat_g": 70,
        "carbohydrate_g": 260,
        "sugars_g": 50,
        "sodium_mg": 2000,
    },
    "male": {
        "energy_kcal": 2500,
        "protein_g": 60,
        "fibre_g": 30,
        "fat_g": 90,
        "carbohydrate_g": 310,
        "sugars_g": 60,
        "sodium_mg": 2000,
    },
}
REFERENCE_INTAKES["other"] = {
    k: (REFERENCE_INTAKES["female"][k] + REFERENCE_INTAKES["male"][k]) / 2
    for k in REFERENCE_INTAKES["female"]
}
UPPER_LIMITS = frozenset({"sugars_g", "sodium_mg"})
NUTRIENTS = (
    "energy_kcal",
    "protein_g",
    "carbohydrate_g",
    "fat_g",
    "fibre_g",
    "sugars_g",
    "sodium_mg",
)
AGE_BANDS = ((0, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 200))


def _scoped(stmt: Select, model: type, organisation_id: int | None) -> Select:
    return stmt.where(*tenant_clause(model, organisation_id))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ----------------------------------------------------------------------------- users
def age_distribution(
    session: Session, organisation_id: int | None = None, as_of: date | None = None
) -> list[dict[str, Any]]:
    """Users per age band (age = as_of year - birth year); unknown ages counted apart."""
    year = (as_of or date.today()).year
    stmt = _scoped(
        select(User.birth_year, func.count()).group_by(User.birth_year), User, organisation_id
    )
    bands: Counter[str] = Counter()
    for birth_year, n in session.execute(stmt):
        if birth_year is None:
            bands["unknown"] += n
            continue
        age = year - birth_year
        label = next(
            (f"{lo}-{hi}" if hi < 200 else f"{lo}+" for lo, hi in AGE_BANDS if lo <= age <= hi),
            "unknown",
        )
        bands[label] += n
    order = [f"{lo}-{hi}" if hi < 200 else f"{lo}+" for lo, hi in AGE_BANDS] + ["unknown"]
    return [{"band": b, "users": bands[b]} for b in order]


def _count_by(session: Session, column: Any, model: type, organisation_id: int | None):  # noqa: ANN202
    stmt = _scoped(select(column, func.count()).group_by(column), model, organisation_id)
    return sorted(
        ({"value": v, "count": n} for v, n in session.execute(stmt)),
        key=lambda r: (-r["count"], str(r["value"])),
    )


def goals(session: Session, organisation_id: int | None = None) -> list[dict[str, Any]]:
    """Users per declared goal (None: not stated)."""
    return [
        {"goal": r["value"], "users": r["count"]}
        for r in _count_by(session, User.goal, User, organisation_id)
    ]


def progression(
    session: Session, metric: str = "weight_kg", organisation_id: int | None = None
) -> dict[str, Any]:
    """Per user with at least two measurements of `metric`: first and last value, change and
    change per week; summarised as the users measured, mean change, mean weekly rate and the
    share whose value went down."""
    stmt = _scoped(
        select(
            BiometricMeasurement.user_id,
            BiometricMeasurement.measured_at,
            BiometricMeasurement.value,
        )
        .where(BiometricMeasurement.metric == metric)
        .order_by(BiometricMeasurement.user_id, BiometricMeasurement.measured_at),
        BiometricMeasurement,
        organisation_id,
    )
    series: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    for user_id, at, value in session.execute(stmt):
        series[user_id].append((_aware(at), value))
    changes, rates = [], []
    for points in series.values():
        if len(points) < 2:
            continue
        (t0, v0), (t1, v1) = points[0], points[-1]
        changes.append(v1 - v0)
        weeks = (t1 - t0).total_seconds() / (7 * 86400)
        if weeks > 0:
            rates.append((v1 - v0) / weeks)
    n = len(changes)
    return {
        "metric": metric,
        "users_measured": len(series),
        "users_with_progression": n,
        "mean_change": round(sum(changes) / n, 3) if n else None,
        "mean_change_per_week": round(sum(rates) / len(rates), 3) if rates else None,
        "share_decreasing": round(sum(c < 0 for c in changes) / n, 3) if n else None,
    }


# ----------------------------------------------------------------------------- nutrition
def _daily_intakes(
    session: Session, organisation_id: int | None, since: date | None, until: date | None
) -> Select:
    cols = [func.sum(getattr(MealLog, n)).label(n) for n in NUTRIENTS]
    stmt = select(MealLog.user_id, MealLog.eaten_on, *cols).group_by(
        MealLog.user_id, MealLog.eaten_on
    )
    if since:
        stmt = stmt.where(MealLog.eaten_on >= since)
    if until:
        stmt = stmt.where(MealLog.eaten_on <= until)
    return _scoped(stmt, MealLog, organisation_id)


def nutrition_trends(
    session: Session,
    organisation_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[dict[str, Any]]:
    """Per day: users who logged meals and their mean daily intake of each nutrient."""
    daily = _daily_intakes(session, organisation_id, since, until).subquery()
    stmt = (
        select(daily.c.eaten_on, func.count(), *[func.avg(daily.c[n]).label(n) for n in NUTRIENTS])
        .group_by(daily.c.eaten_on)
        .order_by(daily.c.eaten_on)
    )
    return [
        {
            "date": row[0],
            "users": row[1],
            **{
                n: round(float(v), 2) if v is not None else None
                for n, v in zip(NUTRIENTS, row[2:], strict=True)
            },
        }
        for row in session.execute(stmt)
    ]


def nutrition_vs_reference(
    session: Session,
    organisation_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[dict[str, Any]]:
    """Per profile (sex x goal) and nutrient: users whose mean daily intake is in deficit,
    within range, or in excess of the reference intake for their sex."""
    daily = _daily_intakes(session, organisation_id, since, until).subquery()
    per_user = (
        select(daily.c.user_id, *[func.avg(daily.c[n]).label(n) for n in NUTRIENTS])
        .group_by(daily.c.user_id)
        .subquery()
    )
    stmt = select(User.sex, User.goal, *[per_user.c[n] for n in NUTRIENTS]).join(
        per_user, per_user.c.user_id == User.id
    )
    tally: dict[tuple, Counter] = defaultdict(Counter)
    users: Counter[tuple] = Counter()
    for sex, goal, *values in session.execute(stmt):
        ref = REFERENCE_INTAKES.get(sex or "other", REFERENCE_INTAKES["other"])
        profile = (sex or "unknown", goal or "unknown")
        users[profile] += 1
        for nutrient, value in zip(NUTRIENTS, values, strict=True):
            if value is None:
                continue
            ratio = float(value) / ref[nutrient]
            high = 1.0 if nutrient in UPPER_LIMITS else 1.2
            status = (
                "deficit"
                if ratio < 0.8 and nutrient not in UPPER_LIMITS
                else ("excess" if ratio > high else "within")
            )
            tally[(*profile, nutrient)][status] += 1
    return [
        {
            "sex": sex,
            "goal": goal,
            "nutrient": nutrient,
            "users": users[(sex, goal)],
            "deficit": c["deficit"],
            "within": c["within"],
            "excess": c["excess"],
            "reference": REFERENCE_INTAKES.get(sex, REFERENCE_INTAKES["other"])[nutrient],
        }
        for (sex, goal, nutrient), c in sorted(tally.items())
    ]


# ----------------------------------------------------------------------------- fitness
def top_workouts(
    session: Session, organisation_id: int | None = None, limit: int = 10
) -> list[dict[str, Any]]:
    """The most practised workout types: sessions, users and total minutes."""
    stmt = _scoped(
        select(
            WorkoutSession.workout_type,
            func.count(),
            func.count(func.distinct(WorkoutSession.user_id)),
            func.sum(WorkoutSession.duration_min),
        )
        .group_by(WorkoutSession.workout_type)
        .order_by(func.count().desc(), WorkoutSession.workout_type)
        .limit(limit),
        WorkoutSession,
        organisation_id,
    )
    return [
        {"workout_type": t, "sessions": n, "users": u, "minutes": round(float(m or 0), 1)}
        for t, n, u, m in session.execute(stmt)
    ]


def intensity_levels(session: Session, organisation_id: int | None = None) -> list[dict]:
    """Sessions per intensity level (None: not recorded)."""
    return [
        {"intensity": r["value"], "sessions": r["count"]}
        for r in _count_by(session, WorkoutSession.intensity, WorkoutSession, organisation_id)
    ]


# ----------------------------------------------------------------------------- business
def engagement(
    session: Session, organisation_id: int | None = None, as_of: datetime | None = None
) -> dict[str, Any]:
    """DAU, WAU and MAU (distinct users with an app session in the last 1, 7, 30 days up to
    `as_of`, default: the latest session), stickiness (DAU/MAU) and retention (share of users
    seen again at least 7 and 30 days after their first session)."""
    if as_of is None:
        latest = session.scalar(
            _scoped(select(func.max(AppSession.started_at)), AppSession, organisation_id)
        )
        as_of = _aware(latest) if latest else datetime.now(UTC)
    as_of = _aware(as_of)

    def active(days: int) -> int:
        stmt = _scoped(
            select(func.count(func.distinct(AppSession.user_id))).where(
                AppSession.started_at > as_of - timedelta(days=days),
                AppSession.started_at <= as_of,
            ),
            AppSession,
            organisation_id,
        )
        return int(session.scalar(stmt) or 0)

    dau, wau, mau = active(1), active(7), active(30)
    spans = _scoped(
        select(func.min(AppSession.started_at), func.max(AppSession.started_at)).group_by(
            AppSession.user_id
        ),
        AppSession,
        organisation_id,
    )
    firsts = [(_aware(a), _aware(b)) for a, b in session.execute(spans)]
    n = len(firsts)
    return {
        "as_of": as_of,
        "dau": dau,
        "wau": wau,
        "mau": mau,
        "stickiness": round(dau / mau, 3) if mau else None,
        "users_with_sessions": n,
        "retention_d7": round(sum(b - a >= timedelta(days=7) for a, b in firsts) / n, 3)
        if n
        else None,
        "retention_d30": round(sum(b - a >= timedelta(days=30) for a, b in firsts) / n, 3)
        if n
        else None,
    }


def premium_conversion(session: Session, organisation_id: int | None = None) -> dict[str, Any]:
    """Users per current plan, and conversion: of the users who ever had the free plan, the
    share who later had a paid one (premium or premium_plus)."""
    plans = {
        r["value"]: r["count"] for r in _count_by(session, User.plan_tier, User, organisation_id)
    }
    stmt = _scoped(
        select(
            Subscription.user_id,
            func.min(case((Subscription.plan_tier == "free", Subscription.started_on))),
            func.max(
                case(
                    (
                        Subscription.plan_tier.in_(("premium", "premium_plus")),
                        Subscription.started_on,
                    )
                )
            ),
        ).group_by(Subscription.user_id),
        Subscription,
        organisation_id,
    )
    free_users = converted = 0
    for _user, first_free, last_paid in session.execute(stmt):
        if first_free is None:
            continue
        free_users += 1
        converted += last_paid is not None and last_paid >= first_free
    total = sum(plans.values())
    paying = plans.get("premium", 0) + plans.get("premium_plus", 0)
    return {
        "users": total,
        "by_plan": plans,
        "premium_share": round(paying / total, 3) if total else None,
        "free_users_with_history": free_users,
        "converted": converted,
        "conversion_rate": round(converted / free_users, 3) if free_users else None,
    }


def satisfaction(session: Session, organisation_id: int | None = None) -> dict[str, Any]:
    """Answers, mean score (0-10) and Net Promoter Score (% 9-10 minus % 0-6)."""
    s = SatisfactionSurvey.score
    stmt = _scoped(
        select(
            func.count(),
            func.avg(s),
            func.sum(case((s >= 9, 1), else_=0)),
            func.sum(case((s <= 6, 1), else_=0)),
        ),
        SatisfactionSurvey,
        organisation_id,
    )
    n, mean, promoters, detractors = session.execute(stmt).one()
    n = int(n or 0)
    return {
        "answers": n,
        "mean_score": round(float(mean), 2) if n else None,
        "nps": round(100 * (int(promoters or 0) - int(detractors or 0)) / n, 1) if n else None,
    }


# ----------------------------------------------------------------------------- quality
def quality(session: Session) -> dict[str, Any]:
    """Batches per status and quarantined rows per source and status (not tenant data)."""
    batches = {
        s: n for s, n in session.execute(select(Batch.status, func.count()).group_by(Batch.status))
    }
    stmt = (
        select(Source.name, QuarantinedRow.status, func.count())
        .join(Source, Source.id == QuarantinedRow.source_id)
        .group_by(Source.name, QuarantinedRow.status)
        .order_by(Source.name, QuarantinedRow.status)
    )
    quarantine = [{"source": s, "status": st, "rows": n} for s, st, n in session.execute(stmt)]
    return {"batches_by_status": batches, "quarantine": quarantine}
