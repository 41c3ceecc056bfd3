"""The platform's numbers, computed once here for the API and the dashboard.

Every function takes a session and an optional `organisation_id` (a partner's tenant: only
its members count) and returns plain dicts and lists, ready for JSON or a DataFrame. Those
about dated facts also take an optional period, `date_from` / `date_to` (inclusive days; for
timestamps, the UTC day): only the facts of the period count.
Date arithmetic is done in Python so that SQLite and PostgreSQL give the same figures.

The figures over the large fact tables are read from the aggregates maintained at publication
(`healthai.pipeline.aggregates`: user_metric_spans, user_session_spans, daily_user_sessions,
daily_user_nutrition; over a period, daily_user_workouts, daily_user_plans; always
daily_user_surveys), never by scanning the facts per request; over the whole history,
progression, engagement and conversion read one row of their rollup (`healthai.pipeline.
rollups`, per scope: every user or one organisation). They equal what a scan would give
(tests/test_aggregates.py compares both).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Float, Select, and_, case, cast, extract, func, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from healthai.models import (
    Batch,
    BiometricReading,
    ConversionRollup,
    DailyUserNutrition,
    DailyUserPlans,
    DailyUserSessions,
    DailyUserSurveys,
    DailyUserWorkouts,
    EngagementRollup,
    ProgressionRollup,
    QuarantinedRow,
    Source,
    User,
    UserMetricSpan,
    UserSessionSpan,
    UserWorkouts,
)
from healthai.pipeline.rollups import (
    ALL,
    WEEK_S,
    Engagement,
    Progression,
    aware,
    converted,
)
from healthai.queries import cohorts
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
    return stmt.where(*tenant_clause(model, organisation_id), *cohorts.clause(model))


def _days(column: Any, date_from: date | None, date_to: date | None) -> list[Any]:
    """WHERE clauses keeping the days of `column` within the period (inclusive)."""
    return [
        *([column >= date_from] if date_from else []),
        *([column <= date_to] if date_to else []),
    ]


def _instants(column: Any, date_from: date | None, date_to: date | None) -> list[Any]:
    """WHERE clauses keeping the timestamps of `column` whose UTC day is within the period."""

    def midnight(d: date) -> datetime:
        return datetime(d.year, d.month, d.day, tzinfo=UTC)

    return [
        *([column >= midnight(date_from)] if date_from else []),
        *([column < midnight(date_to + timedelta(days=1))] if date_to else []),
    ]


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


def _count_by(  # noqa: ANN202
    session: Session,
    column: Any,
    model: type,
    organisation_id: int | None,
    where: list[Any] | None = None,
):
    stmt = _scoped(
        select(column, func.count()).where(*(where or [])).group_by(column), model, organisation_id
    )
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
    session: Session,
    metric: str = "weight_kg",
    organisation_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[str, Any]:
    """Per user with at least two measurements of `metric`: first and last value, change and
    change per week; summarised as the users measured, mean change, mean weekly rate and the
    share whose value went down. Over the whole history, one row of `progression_rollups`.
    Over a period, for the users whose span (`user_metric_spans`) meets the period, each
    user's first and last measurement of the period: the span's own when it lies in the
    period, otherwise looked up in the readings' (user, time) index (a probe), instead of
    reading every measurement of the period. On PostgreSQL one LATERAL probe per end gives
    both the time and the value, runs only for the users whose span's end is outside the
    period, and the sums are taken in the database (one row read); on SQLite two scalar
    probes per end, summed here. The cost grows with the users measured, not with the
    measurements."""
    if date_from is None and date_to is None and cohorts.current() is None:
        r = ProgressionRollup
        row = session.execute(
            select(
                r.users_measured,
                r.users_with_progression,
                r.change_sum,
                r.rated_users,
                r.rate_sum,
                r.decreasing_users,
            ).where(r.scope == (organisation_id or ALL), r.metric == metric)
        ).one_or_none()
        return (Progression(*row) if row else Progression()).answer(metric)
    # probed in the wide readings, not through the long view: on PostgreSQL an ordered scan
    # of the (user, time) index of each partition, merged and stopped at the first row of the
    # metric (the view's union would read every reading of the user in the period)
    readings, span = BiometricReading.__table__, UserMetricSpan
    at, measure = readings.c.measured_at, readings.c[metric]
    own = select().where(
        readings.c.user_id == span.user_id, measure.is_not(None), *_instants(at, date_from, date_to)
    )
    postgres = session.get_bind().dialect.name == "postgresql"
    # a user's first measurement of the period is the span's first if that one is in the
    # period, else the first one after the period's start (a probe); likewise the last
    inside = {
        "first": (_instants(span.first_at, date_from, None), at),
        "last": (_instants(span.last_at, None, date_to), at.desc()),
    }
    columns = []
    joins = []
    for end, (own_end_inside, order) in inside.items():
        known_at, known_value = getattr(span, f"{end}_at"), getattr(span, f"{end}_value")
        if not own_end_inside:  # no bound on this side: the span's own end
            columns += [known_at.label(f"{end}_at"), known_value.label(f"{end}_value")]
            continue
        inner = and_(*own_end_inside)
        if postgres:
            # one probe per end giving both the time and the value (LATERAL), run only for
            # the users whose span's end lies outside the period (a one-time filter)
            probe = (
                own.add_columns(at.label("at"), measure.label("value"))
                .where(~inner)
                .order_by(order)
                .limit(1)
                .lateral(f"{end}_probe")
            )
            joins.append(probe)
            probed: tuple[Any, ...] = (probe.c.at, probe.c.value)
        else:
            probed = tuple(
                own.add_columns(c).order_by(order).limit(1).scalar_subquery() for c in (at, measure)
            )
        for name, known, found in (("at", known_at, probed[0]), ("value", known_value, probed[1])):
            columns.append(case((inner, known), else_=found).label(f"{end}_{name}"))
    picked = select(span.user_id, *columns)
    for probe in joins:
        picked = picked.outerjoin(probe, true())
    ends = _scoped(
        picked.where(
            span.metric == metric,
            *_instants(span.last_at, date_from, None),
            *_instants(span.first_at, None, date_to),
        ),
        span,
        organisation_id,
    )
    if postgres:
        # materialised: each user's probes run once, however often the sums refer to them
        e = ends.cte("ends").prefix_with("MATERIALIZED").c
        # summed in the database, in user id order as the loop below does: the same floats
        moved = e.last_at > e.first_at  # (user, metric, time) is unique: two measurements
        change = e.last_value - e.first_value
        weeks = cast(extract("epoch", e.last_at - e.first_at), Float) / WEEK_S

        def ordered_sum(x: Any) -> Any:
            return func.coalesce(func.sum(aggregate_order_by(x, e.user_id)).filter(moved), 0.0)

        row = session.execute(
            select(
                func.count(e.first_at),
                func.count().filter(moved),
                ordered_sum(change),
                func.count().filter(moved),
                ordered_sum(change / weeks),
                func.count().filter(moved & (change < 0)),
            )
        ).one()
        return Progression(*row).answer(metric)
    summary = Progression()
    e = ends.subquery("ends").c
    stmt = select(e.first_at, e.first_value, e.last_at, e.last_value).order_by(e.user_id)
    for t0, v0, t1, v1 in session.execute(stmt):
        if t0 is None:  # no measurement in the period
            continue
        # (user, metric, time) is unique: one measurement in the period iff first is last
        summary.add(1 if t0 == t1 else 2, t0, v0, t1, v1)
    return summary.answer(metric)


# ----------------------------------------------------------------------------- nutrition
def _daily_intakes(
    session: Session, organisation_id: int | None, since: date | None, until: date | None
) -> Select:
    """Per user and day with meals: the day's total of each nutrient (daily_user_nutrition)."""
    day = DailyUserNutrition
    stmt = select(
        day.user_id, day.day.label("eaten_on"), *[getattr(day, n).label(n) for n in NUTRIENTS]
    ).where(*_days(day.day, since, until))
    return _scoped(stmt, DailyUserNutrition, organisation_id)


def nutrition_trends(
    session: Session,
    organisation_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[dict[str, Any]]:
    """Per day: users who logged meals and their mean daily intake of each nutrient."""
    daily = _daily_intakes(session, organisation_id, date_from, date_to).subquery()
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


def intake_status(nutrient: str, ratio: float) -> str:
    """A mean daily intake against its reference: a deficit under 80 % (not for nutrients with
    an upper limit), an excess over 100 % of an upper limit or 120 % of a reference."""
    if ratio < 0.8 and nutrient not in UPPER_LIMITS:
        return "deficit"
    return "excess" if ratio > (1.0 if nutrient in UPPER_LIMITS else 1.2) else "within"


def gap_rows(users: Counter[tuple], tally: dict[tuple, Counter]) -> list[dict[str, Any]]:
    """One row per (sex, goal, nutrient): users of the profile and how many fall in each status."""
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


def nutrition_vs_reference(
    session: Session,
    organisation_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[dict[str, Any]]:
    """Per profile (sex x goal) and nutrient: users whose mean daily intake is in deficit,
    within range, or in excess of the reference intake for their sex."""
    daily = _daily_intakes(session, organisation_id, date_from, date_to).subquery()
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
            tally[(*profile, nutrient)][intake_status(nutrient, ratio)] += 1
    return gap_rows(users, tally)


# ----------------------------------------------------------------------------- fitness
def _workouts(date_from: date | None, date_to: date | None) -> tuple[Any, list[Any]]:
    """The workouts aggregate answering a period (`daily_user_workouts`, the sessions
    performed on its days) or the whole history (`user_workouts`, which counts the sessions
    without a day too), and the WHERE clauses of the period."""
    if date_from is None and date_to is None:
        return UserWorkouts, []
    return DailyUserWorkouts, _days(DailyUserWorkouts.day, date_from, date_to)


def top_workouts(
    session: Session,
    organisation_id: int | None = None,
    limit: int = 10,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[dict[str, Any]]:
    """The most practised workout types: sessions, users and total minutes (over a period:
    the sessions performed on a day of the period, read from `daily_user_workouts`; over the
    whole history, sessions without a day included, from `user_workouts`)."""
    w, period = _workouts(date_from, date_to)
    sessions = func.sum(w.sessions)
    stmt = _scoped(
        select(w.workout_type, sessions, func.count(func.distinct(w.user_id)), func.sum(w.minutes))
        .where(*period)
        .group_by(w.workout_type)
        .order_by(sessions.desc(), w.workout_type)
        .limit(limit),
        w,
        organisation_id,
    )
    return [
        {"workout_type": t, "sessions": int(n), "users": u, "minutes": round(float(m or 0), 1)}
        for t, n, u, m in session.execute(stmt)
    ]


def intensity_levels(
    session: Session,
    organisation_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[dict]:
    """Sessions per intensity level (None: not recorded), from `daily_user_workouts` over a
    period, `user_workouts` over the whole history (intensity '' there: not recorded)."""
    w, period = _workouts(date_from, date_to)
    stmt = _scoped(
        select(w.intensity, func.sum(w.sessions)).where(*period).group_by(w.intensity),
        w,
        organisation_id,
    )
    rows = sorted(
        ((level or None, int(n)) for level, n in session.execute(stmt)),
        key=lambda r: (-r[1], str(r[0])),
    )
    return [{"intensity": level, "sessions": n} for level, n in rows]


# ----------------------------------------------------------------------------- business
def engagement(
    session: Session,
    organisation_id: int | None = None,
    as_of: datetime | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[str, Any]:
    """DAU, WAU and MAU (distinct users with an app session in the last 1, 7, 30 days up to
    `as_of`, default: the latest session), stickiness (DAU/MAU) and retention (share of users
    seen again at least 7 and 30 days after their first session). Over a period, only the
    sessions started on a day of the period count.

    Over the whole history up to the latest session, one row of `engagement_rollups`;
    otherwise read from `user_session_spans` (per user: first and last session) and
    `daily_user_sessions` (per user and UTC day: first and last session that day)."""
    days = DailyUserSessions
    period = _days(days.day, date_from, date_to)
    dated = bool(period)
    if as_of is None and not dated and cohorts.current() is None:
        r = EngagementRollup
        row = session.execute(
            select(
                r.as_of, r.dau, r.wau, r.mau, r.users_with_sessions, r.retained_d7, r.retained_d30
            ).where(r.scope == (organisation_id or ALL))
        ).one_or_none()
        if row is None:  # no session in scope
            return _engagement_answer(datetime.now(UTC), 0, 0, 0, 0, 0, 0)
        return _engagement_answer(aware(row[0]), *row[1:])
    if as_of is None:
        latest = session.scalar(
            _scoped(select(func.max(days.last_at)).where(*period), days, organisation_id)
        )
        as_of = latest or datetime.now(UTC)
    as_of = aware(as_of)

    def active(n_days: int) -> int:
        lo = as_of - timedelta(days=n_days)
        # whole days inside the window count; on its first day a session must start after
        # lo (the day's last start), on its last day at or before as_of (the day's first)
        stmt = select(func.count(func.distinct(days.user_id))).where(
            days.day >= lo.date(),
            days.day <= as_of.date(),
            ~and_(days.day == lo.date(), days.last_at <= lo),
            ~and_(days.day == as_of.date(), days.first_at > as_of),
            *period,
        )
        return int(session.scalar(_scoped(stmt, days, organisation_id)) or 0)

    dau, wau, mau = active(1), active(7), active(30)
    if dated:
        spans = _scoped(
            select(func.min(days.first_at), func.max(days.last_at))
            .where(*period)
            .group_by(days.user_id),
            days,
            organisation_id,
        )
    else:
        spans = _scoped(
            select(UserSessionSpan.first_at, UserSessionSpan.last_at),
            UserSessionSpan,
            organisation_id,
        )
    users = Engagement()
    for first_at, last_at in session.execute(spans):
        users.add(first_at, last_at)
    n = len(users.spans)
    return _engagement_answer(as_of, dau, wau, mau, n, users.retained(7), users.retained(30))


def _engagement_answer(
    as_of: datetime, dau: int, wau: int, mau: int, n: int, retained_d7: int, retained_d30: int
) -> dict[str, Any]:
    return {
        "as_of": as_of,
        "dau": dau,
        "wau": wau,
        "mau": mau,
        "stickiness": round(dau / mau, 3) if mau else None,
        "users_with_sessions": n,
        "retention_d7": round(retained_d7 / n, 3) if n else None,
        "retention_d30": round(retained_d30 / n, 3) if n else None,
    }


def premium_conversion(
    session: Session,
    organisation_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[str, Any]:
    """Users per current plan, and conversion: of the users who ever had the free plan, the
    share who later had a paid one (premium or premium_plus). Over a period, conversion
    counts only the plan periods started on a day of the period (read from `daily_user_plans`);
    the users per plan are today's (a plan is a state, not a dated fact). Over the whole
    history, conversion is one row of `conversion_rollups`."""
    plans = {
        r["value"]: r["count"] for r in _count_by(session, User.plan_tier, User, organisation_id)
    }
    if date_from is None and date_to is None and cohorts.current() is None:
        row = session.execute(
            select(ConversionRollup.free_users_with_history, ConversionRollup.converted).where(
                ConversionRollup.scope == (organisation_id or ALL)
            )
        ).one_or_none()
        free_users, converted_users = row or (0, 0)
    else:
        p = DailyUserPlans  # first free and last paid start of the period, per user
        stmt = _scoped(
            select(
                p.user_id,
                func.min(case((p.free_periods > 0, p.day))),
                func.max(case((p.paid_periods > 0, p.day))),
            )
            .where(*_days(p.day, date_from, date_to))
            .group_by(p.user_id),
            p,
            organisation_id,
        )
        done = [
            converted(first_free, last_paid)
            for _user, first_free, last_paid in session.execute(stmt)
        ]
        free_users = sum(d is not None for d in done)
        converted_users = sum(d is True for d in done)
    total = sum(plans.values())
    paying = plans.get("premium", 0) + plans.get("premium_plus", 0)
    return {
        "users": total,
        "by_plan": plans,
        "premium_share": round(paying / total, 3) if total else None,
        "free_users_with_history": free_users,
        "converted": converted_users,
        "conversion_rate": round(converted_users / free_users, 3) if free_users else None,
    }


def satisfaction(
    session: Session,
    organisation_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[str, Any]:
    """Answers, mean score (0-10) and Net Promoter Score (% 9-10 minus % 0-6); over a period,
    the answers given on a day of the period. Read from `daily_user_surveys`."""
    d = DailyUserSurveys  # per user and day
    stmt = _scoped(
        select(
            func.sum(d.answers),
            func.sum(d.score_sum),
            func.sum(d.promoters),
            func.sum(d.detractors),
        ).where(*_days(d.day, date_from, date_to)),
        d,
        organisation_id,
    )
    n, total, promoters, detractors = session.execute(stmt).one()
    n = int(n or 0)
    return {
        "answers": n,
        "mean_score": round(int(total) / n, 2) if n else None,
        "nps": round(100 * (int(promoters or 0) - int(detractors or 0)) / n, 1) if n else None,
    }


# ----------------------------------------------------------------------------- quality
def quality(session: Session) -> dict[str, Any]:
    """Batches per status and quarantined rows per source and status (not tenant data). The
    quarantined rows are counted per (source id, status) first, an index-only scan of that
    index in its order, and only the counts are joined to the sources' names."""
    batches = {
        s: n for s, n in session.execute(select(Batch.status, func.count()).group_by(Batch.status))
    }
    q = QuarantinedRow
    counts = (
        select(q.source_id, q.status, func.count().label("n"))
        .group_by(q.source_id, q.status)
        .subquery("counts")
    )
    stmt = (
        select(Source.name, counts.c.status, counts.c.n)
        .join(Source, Source.id == counts.c.source_id)
        .order_by(Source.name, counts.c.status)
    )
    quarantine = [{"source": s, "status": st, "rows": n} for s, st, n in session.execute(stmt)]
    return {"batches_by_status": batches, "quarantine": quarantine}
