"""The analytics' aggregates, kept in step with the published fact tables.

- `user_metric_spans` (biometric_measurements): per user and metric, count, first, last;
- `user_session_spans` and `daily_user_sessions` (app_sessions): per user, and per user and
  UTC day, count, first and last start;
- `daily_user_nutrition` (meal_logs): per user and day, meals and the day's nutrient totals.

Publication merges the batch's own rows into them (`apply_batch`, in the publication's
transaction): counts add, first/last are kept or replaced, and the nutrition days the batch
touched are recomputed from the meal logs. A rollback recomputes every aggregate of the users
whose rows it removed (`refresh_users`). Rows written one at a time through the ORM (the
API's CRUD) are caught by a flush hook that recomputes their users' aggregates. Every figure is
therefore the same as a scan of the fact tables would give.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Insert,
    Select,
    case,
    cast,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from healthai.models import (
    AppSession,
    BiometricMeasurement,
    DailyUserNutrition,
    DailyUserSessions,
    MealLog,
    UserMetricSpan,
    UserSessionSpan,
)

NUTRIENTS = (
    "energy_kcal",
    "protein_g",
    "carbohydrate_g",
    "fat_g",
    "fibre_g",
    "sugars_g",
    "sodium_mg",
)
AGGREGATES = (UserMetricSpan, UserSessionSpan, DailyUserSessions, DailyUserNutrition)
FACTS = (BiometricMeasurement, AppSession, MealLog)
CHUNK = 500

bm = BiometricMeasurement.__table__
ses = AppSession.__table__
meals = MealLog.__table__


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
        insert(DailyUserNutrition.__table__).from_select(
            NUTRITION_COLUMNS, nutrition_days(pick(meals))
        ),
    ]


# ------------------------------------------------------------------ maintenance
def _upsert(dialect: str, table: Any) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _earlier(new: Any, old: Any) -> Any:
    return case((new < old, new), else_=old)


def _later(new: Any, old: Any) -> Any:
    return case((new > old, new), else_=old)


def apply_batch(session: Session, batch_id: int) -> None:
    """Merge the rows a batch just published into the aggregates (publication's transaction)."""
    conn = session.connection()
    dialect = conn.dialect.name

    t = UserMetricSpan.__table__
    stmt = _upsert(dialect, t).from_select(SPAN_COLUMNS, metric_spans(bm.c.batch_id == batch_id))
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
        stmt = _upsert(dialect, table).from_select(columns, source.where(true()))
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
    # nutrition totals are sums of floats: the touched days are recomputed, not added to
    nt = DailyUserNutrition.__table__
    touched = select(meals.c.user_id, meals.c.eaten_on).where(meals.c.batch_id == batch_id)
    conn.execute(delete(nt).where(tuple_(nt.c.user_id, nt.c.day).in_(touched)))
    conn.execute(
        insert(nt).from_select(
            NUTRITION_COLUMNS,
            nutrition_days(tuple_(meals.c.user_id, meals.c.eaten_on).in_(touched.distinct())),
        )
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


def refresh_users(session: Session | Any, user_ids: Iterable[int]) -> None:
    """Recompute every aggregate of these users from the fact tables."""
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


def rebuild(session: Session) -> None:
    """Recompute every aggregate from scratch."""
    conn = session.connection()
    for model in AGGREGATES:
        conn.execute(delete(model.__table__))
    for stmt in rebuild_statements(conn.dialect.name):
        conn.execute(stmt)


# ------------------------------------------------------------------ ORM writes
def _touched_by_flush(session: Session) -> set[int]:
    users: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, FACTS):
            continue
        if obj.user_id is not None:
            users.add(obj.user_id)
        history = inspect(obj).attrs.user_id.history
        users |= {u for u in history.deleted or () if u is not None}
    return users


@event.listens_for(Session, "after_flush")
def _recompute(session: Session, _context: Any) -> None:
    """Fact rows added, changed or deleted through the ORM (the API's CRUD, fixtures):
    their users' aggregates are recomputed in the same transaction, once the rows are
    written."""
    touched = _touched_by_flush(session)
    if touched:
        refresh_users(session.connection(), touched)
