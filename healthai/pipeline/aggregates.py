"""The analytics' aggregates, kept in step with the published fact tables.

- `user_metric_spans` (biometric_measurements): per user and metric, count, first, last;
- `user_session_spans` and `daily_user_sessions` (app_sessions): per user, and per user and
  UTC day, count, first and last start;
- `daily_user_nutrition` (meal_logs): per user and day, meals and the day's nutrient totals;
- `daily_user_workouts` (workout_sessions): per user, day, type and intensity, sessions and
  minutes; `user_workouts` (workout_sessions): per user, type and intensity, every session
  (with or without a day) and minutes; `daily_user_surveys` (satisfaction_surveys): per user
  and day, answers, score sum, promoters and detractors; `daily_user_plans` (subscriptions):
  per user and day, free and paid plan periods started.

Publication merges the batch's own rows into them (`apply_batch`, in the publication's
transaction): counts add, first/last are kept or replaced, and the per-day rows (nutrition,
workouts, surveys, plans) of the (user, day) pairs the batch touched, and the per-user
workouts of the users it touched, are recomputed from the facts. A rollback recomputes every
aggregate of the users whose rows it removed (`refresh_users`). Rows written one at a time
(the API's CRUD) are followed by an explicit call of the writer, in its transaction
(`rows_written`; measurements: healthai.pipeline.measurements; erasure: `user_erased`).
There is no ORM event hook: a write that does not call one of these leaves the aggregates
behind, and the tests of each path (tests/test_aggregates_paths.py) fail without the call.
Every figure is therefore the same as a scan of the fact tables would give.

The rollups (`healthai.pipeline.rollups`: whole-history answers per scope) are derived from
these per-user aggregates and refreshed at the same moments, for the parts a change touches:
progression for the metrics of the measurements written, engagement for app sessions,
conversion for plan periods, all of them when users are erased (RGPD) or moved to another
organisation.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Insert,
    Select,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import Session

from healthai.db import insert_on_conflict
from healthai.models import (
    AppSession,
    BatchMetricSpan,
    BiometricMeasurement,
    BiometricReading,
    DailyUserNutrition,
    DailyUserPlans,
    DailyUserSessions,
    DailyUserSurveys,
    DailyUserWorkouts,
    MealLog,
    SatisfactionSurvey,
    Subscription,
    User,
    UserMetricSpan,
    UserSessionSpan,
    UserWorkouts,
    WorkoutSession,
)
from healthai.models.vocab import METRICS
from healthai.pipeline import rollups

NUTRIENTS = (
    "energy_kcal",
    "protein_g",
    "carbohydrate_g",
    "fat_g",
    "fibre_g",
    "sugars_g",
    "sodium_mg",
)
AGGREGATES = (
    UserMetricSpan,
    UserSessionSpan,
    DailyUserSessions,
    DailyUserNutrition,
    DailyUserWorkouts,
    DailyUserSurveys,
    DailyUserPlans,
    UserWorkouts,
)
FACTS = (
    BiometricMeasurement,
    AppSession,
    MealLog,
    WorkoutSession,
    SatisfactionSurvey,
    Subscription,
)
CHUNK = 500

bm = BiometricMeasurement.__table__
ses = AppSession.__table__
meals = MealLog.__table__
subs = Subscription.__table__
users = User.__table__
wos = WorkoutSession.__table__
surveys = SatisfactionSurvey.__table__


def utc_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp, the same on both engines."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


# ------------------------------------------------------------------ sources
def metric_spans(where: ColumnElement[bool]) -> Select:
    """Per (user, metric) among the measurements matching `where`: count, first and last
    (time and value), read in one pass with window functions ((user, metric, time) is
    unique, so first and last are single rows)."""
    key = [bm.c.user_id, bm.c.metric]
    whole = {"partition_by": key, "order_by": bm.c.measured_at, "rows": (None, None)}
    ranked = (
        select(
            bm.c.user_id,
            bm.c.metric,
            func.count().over(partition_by=key).label("measurements"),
            func.first_value(bm.c.measured_at).over(**whole).label("first_at"),
            func.first_value(bm.c.value).over(**whole).label("first_value"),
            func.last_value(bm.c.measured_at).over(**whole).label("last_at"),
            func.last_value(bm.c.value).over(**whole).label("last_value"),
            func.row_number().over(partition_by=key, order_by=bm.c.measured_at).label("rank"),
        )
        .where(where)
        .subquery("ranked")
    )
    return select(*(ranked.c[c] for c in SPAN_COLUMNS)).where(ranked.c.rank == 1)


def session_days(where: ColumnElement[bool], dialect: str) -> Select:
    day = utc_day(ses.c.started_at, dialect)
    return (
        select(
            ses.c.user_id,
            day.label("day"),
            func.count(),
            func.min(ses.c.started_at),
            func.max(ses.c.started_at),
        )
        .where(where)
        .group_by(ses.c.user_id, day)
    )


def session_spans(where: ColumnElement[bool]) -> Select:
    return (
        select(ses.c.user_id, func.count(), func.min(ses.c.started_at), func.max(ses.c.started_at))
        .where(where)
        .group_by(ses.c.user_id)
    )


def nutrition_days(where: ColumnElement[bool]) -> Select:
    return (
        select(
            meals.c.user_id,
            meals.c.eaten_on,
            func.count(),
            *(func.sum(meals.c[n]) for n in NUTRIENTS),
        )
        .where(where)
        .group_by(meals.c.user_id, meals.c.eaten_on)
    )


def workout_days(where: ColumnElement[bool]) -> Select:
    """Per user, day, type and intensity ('' when not recorded): sessions and minutes (the
    sessions without a day are left out: every period excludes them)."""
    intensity = func.coalesce(wos.c.intensity, "")
    return (
        select(
            wos.c.user_id,
            wos.c.performed_on,
            wos.c.workout_type,
            intensity,
            func.count(),
            func.sum(wos.c.duration_min),
        )
        .where(wos.c.performed_on.is_not(None), where)
        .group_by(wos.c.user_id, wos.c.performed_on, wos.c.workout_type, intensity)
    )


def user_workouts(where: ColumnElement[bool]) -> Select:
    """Per user, type and intensity ('' when not recorded): every session, dated or not, and
    minutes (the whole history's fitness figures)."""
    intensity = func.coalesce(wos.c.intensity, "")
    return (
        select(
            wos.c.user_id,
            wos.c.workout_type,
            intensity,
            func.count(),
            func.sum(wos.c.duration_min),
        )
        .where(where)
        .group_by(wos.c.user_id, wos.c.workout_type, intensity)
    )


def survey_days(where: ColumnElement[bool]) -> Select:
    score = surveys.c.score
    return (
        select(
            surveys.c.user_id,
            surveys.c.answered_on,
            func.count(),
            func.sum(score),
            func.sum(case((score >= 9, 1), else_=0)),
            func.sum(case((score <= 6, 1), else_=0)),
        )
        .where(where)
        .group_by(surveys.c.user_id, surveys.c.answered_on)
    )


def plan_days(where: ColumnElement[bool]) -> Select:
    tier = subs.c.plan_tier
    return (
        select(
            subs.c.user_id,
            subs.c.started_on,
            func.sum(case((tier == "free", 1), else_=0)),
            func.sum(case((tier.in_(rollups.PAID), 1), else_=0)),
        )
        .where(where)
        .group_by(subs.c.user_id, subs.c.started_on)
    )


# per-day aggregates recomputed (not added to) for the (user, day) pairs a batch touches
DAY_FACTS: list[tuple[Any, Any, Any, list[str], Any]] = [
    (
        DailyUserNutrition.__table__,
        meals,
        meals.c.eaten_on,
        ["user_id", "day", "meals", *NUTRIENTS],
        nutrition_days,
    ),
    (
        DailyUserWorkouts.__table__,
        wos,
        wos.c.performed_on,
        ["user_id", "day", "workout_type", "intensity", "sessions", "minutes"],
        workout_days,
    ),
    (
        DailyUserSurveys.__table__,
        surveys,
        surveys.c.answered_on,
        ["user_id", "day", "answers", "score_sum", "promoters", "detractors"],
        survey_days,
    ),
    (
        DailyUserPlans.__table__,
        subs,
        subs.c.started_on,
        ["user_id", "day", "free_periods", "paid_periods"],
        plan_days,
    ),
]


# per-user aggregates recomputed (not added to) for the users a batch touches
USER_FACTS: list[tuple[Any, Any, list[str], Any]] = [
    (
        UserWorkouts.__table__,
        wos,
        ["user_id", "workout_type", "intensity", "sessions", "minutes"],
        user_workouts,
    ),
]


SPAN_COLUMNS = [
    "user_id",
    "metric",
    "measurements",
    "first_at",
    "first_value",
    "last_at",
    "last_value",
]
SESSION_DAY_COLUMNS = ["user_id", "day", "sessions", "first_at", "last_at"]
SESSION_SPAN_COLUMNS = ["user_id", "sessions", "first_at", "last_at"]
NUTRITION_COLUMNS = ["user_id", "day", "meals", *NUTRIENTS]


def rebuild_statements(dialect: str, where: Any = None) -> list[Insert]:
    """INSERT ... SELECT statements filling every aggregate from the fact tables (`where`: a
    function of the fact table giving the rows to take, default all)."""
    pick = where or (lambda _t: true())
    return [
        insert(UserMetricSpan.__table__).from_select(SPAN_COLUMNS, metric_spans(pick(bm))),
        insert(DailyUserSessions.__table__).from_select(
            SESSION_DAY_COLUMNS, session_days(pick(ses), dialect)
        ),
        insert(UserSessionSpan.__table__).from_select(
            SESSION_SPAN_COLUMNS, session_spans(pick(ses))
        ),
        *(
            insert(table).from_select(columns, source(pick(fact)))
            for table, fact, _day, columns, source in DAY_FACTS
        ),
        *(
            insert(table).from_select(columns, source(pick(fact)))
            for table, fact, columns, source in USER_FACTS
        ),
    ]


# ------------------------------------------------------------------ maintenance
def _earlier(new: Any, old: Any) -> Any:
    return case((new < old, new), else_=old)


def _later(new: Any, old: Any) -> Any:
    return case((new > old, new), else_=old)


def apply_batch(session: Session, batch_id: int) -> None:
    """Merge the rows a batch just published into the aggregates (publication's transaction)."""
    conn = session.connection()
    dialect = conn.dialect.name

    t = UserMetricSpan.__table__
    # a batch built by the fast path (healthai.pipeline.fastload) brings its spans, computed
    # at its audit: its rows are not read again here
    bms = BatchMetricSpan.__table__
    built = bool(conn.scalar(select(exists().where(bms.c.batch_id == batch_id))))
    spans = (
        select(*(bms.c[c] for c in SPAN_COLUMNS)).where(bms.c.batch_id == batch_id)
        if built
        else metric_spans(bm.c.batch_id == batch_id)
    )
    stmt = insert_on_conflict(dialect, t).from_select(SPAN_COLUMNS, spans)
    ex = stmt.excluded
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.c.user_id, t.c.metric],
            set_={
                "measurements": t.c.measurements + ex.measurements,
                "first_at": _earlier(ex.first_at, t.c.first_at),
                "first_value": case(
                    (ex.first_at < t.c.first_at, ex.first_value), else_=t.c.first_value
                ),
                "last_at": _later(ex.last_at, t.c.last_at),
                "last_value": case((ex.last_at > t.c.last_at, ex.last_value), else_=t.c.last_value),
            },
        )
    )
    for table, columns, source, keys in (
        (
            DailyUserSessions.__table__,
            SESSION_DAY_COLUMNS,
            session_days(ses.c.batch_id == batch_id, dialect),
            ["user_id", "day"],
        ),
        (
            UserSessionSpan.__table__,
            SESSION_SPAN_COLUMNS,
            session_spans(ses.c.batch_id == batch_id),
            ["user_id"],
        ),
    ):
        stmt = insert_on_conflict(dialect, table).from_select(columns, source.where(true()))
        ex = stmt.excluded
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[table.c[k] for k in keys],
                set_={
                    "sessions": table.c.sessions + ex.sessions,
                    "first_at": _earlier(ex.first_at, table.c.first_at),
                    "last_at": _later(ex.last_at, table.c.last_at),
                },
            )
        )
    # per-day totals (nutrients are sums of floats): the (user, day) pairs the batch touched
    # are recomputed from the facts, not added to
    for table, fact, day, columns, source in DAY_FACTS:
        if not conn.scalar(select(exists().where(fact.c.batch_id == batch_id))):
            continue
        touched = select(fact.c.user_id, day).where(fact.c.batch_id == batch_id)
        conn.execute(delete(table).where(tuple_(table.c.user_id, table.c.day).in_(touched)))
        conn.execute(
            insert(table).from_select(
                columns, source(tuple_(fact.c.user_id, day).in_(touched.distinct()))
            )
        )
    # per-user totals: the users the batch touched are recomputed from the facts
    for table, fact, columns, source in USER_FACTS:
        if not conn.scalar(select(exists().where(fact.c.batch_id == batch_id))):
            continue
        touched = select(fact.c.user_id).where(fact.c.batch_id == batch_id).distinct()
        conn.execute(delete(table).where(table.c.user_id.in_(touched)))
        conn.execute(insert(table).from_select(columns, source(fact.c.user_id.in_(touched))))

    # the rollups the batch's rows feed (a users batch may move users between organisations)
    def has_rows(table: Any) -> bool:
        return bool(conn.scalar(select(exists().where(table.c.batch_id == batch_id))))

    if built:
        metrics = set(conn.scalars(select(bms.c.metric).where(bms.c.batch_id == batch_id)))
        conn.execute(delete(bms).where(bms.c.batch_id == batch_id))
    else:
        metrics = set(conn.scalars(select(bm.c.metric).where(bm.c.batch_id == batch_id).distinct()))
    if has_rows(users):
        rollups.refresh(conn)
    else:
        rollups.refresh(
            conn,
            metrics=metrics,
            sessions=has_rows(ses),
            plans=has_rows(subs),
        )


def batch_users(session: Session, batch_id: int) -> set[int]:
    """Users with fact rows from this batch (call before the rows are deleted)."""
    users: set[int] = set()
    for fact in FACTS:
        t = fact.__table__
        users |= set(
            session.scalars(select(t.c.user_id).where(t.c.batch_id == batch_id).distinct())
        )
    return users


def refresh_users(
    session: Session | Any,
    user_ids: Iterable[int],
    metrics: Collection[str] | None = None,
    sessions: bool = True,
    plans: bool = True,
) -> None:
    """Recompute every aggregate of these users from the fact tables, then the rollups (by
    default all of them; see `rollups.refresh` for the parts)."""
    conn = session.connection() if isinstance(session, Session) else session
    dialect = conn.dialect.name
    ids = sorted(set(user_ids))
    for lo in range(0, len(ids), CHUNK):
        chunk = ids[lo : lo + CHUNK]
        for model in AGGREGATES:
            t = model.__table__
            conn.execute(delete(t).where(t.c.user_id.in_(chunk)))
        for stmt in rebuild_statements(dialect, lambda fact, c=chunk: fact.c.user_id.in_(c)):
            conn.execute(stmt)
    rollups.refresh(conn, metrics=metrics, sessions=sessions, plans=plans)


def rebuild(session: Session) -> None:
    """Recompute every aggregate from scratch."""
    conn = session.connection()
    for model in AGGREGATES:
        conn.execute(delete(model.__table__))
    for stmt in rebuild_statements(conn.dialect.name):
        conn.execute(stmt)
    rollups.refresh(conn)


# ------------------------------------------------------------------ rows written one at a time
# What each fact table's rows feed: the per-user aggregates are recomputed for the users
# written, then only these rollups (see `rollups.refresh`).
FEEDS: dict[Any, dict[str, Any]] = {
    MealLog: {"metrics": (), "sessions": False, "plans": False},  # daily_user_nutrition only
    WorkoutSession: {"metrics": (), "sessions": False, "plans": False},  # *user_workouts
    SatisfactionSurvey: {"metrics": (), "sessions": False, "plans": False},  # daily_user_surveys
    AppSession: {"metrics": (), "sessions": True, "plans": False},
    Subscription: {"metrics": (), "sessions": False, "plans": True},
    BiometricMeasurement: {"metrics": tuple(METRICS), "sessions": False, "plans": False},
    BiometricReading: {"metrics": tuple(METRICS), "sessions": False, "plans": False},
}


def rows_written(
    session: Session, model: Any, user_ids: Iterable[int | None], *, moved: bool = False
) -> None:
    """Keep the aggregates in step after rows of `model` were added, changed or deleted one
    at a time (the API's CRUD), in the writer's transaction, once the rows are flushed:
    called explicitly where the data change. `user_ids`: the users the rows belong to,
    before and after the change. For `User`, `moved` says a user changed organisation (every
    rollup's scopes change); a user created or with other columns changed feeds nothing.
    A table no aggregate reads is a no-op. Publication (`apply_batch`), rollback
    (`refresh_users`), measurement writes (healthai.pipeline.measurements) and erasure
    (`user_erased`) have their own calls."""
    users = {u for u in user_ids if u is not None}
    if not users:
        return
    if model is User:
        if moved:
            refresh_users(session, users)
        return
    parts = FEEDS.get(model)
    if parts is not None:
        refresh_users(session, users, **parts)


def user_erased(session: Session, user_id: int) -> None:
    """After a user and, by cascade, every row about them were deleted (flushed): their
    aggregate rows are gone with them, every rollup is recomputed without them."""
    refresh_users(session, [user_id])
