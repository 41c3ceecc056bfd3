"""The analytics read aggregates maintained at publication; their answers must equal a direct
scan of the fact tables. A simulated population is ingested and published by the real
pipeline (biometrics and sessions split over several batches, so that batches merge into the
same users' aggregates), meals and workouts are added through the ORM (as the API does), then
every analytics function is compared with a scan written here, for everyone and one
organisation, over the whole history and over periods; again after rolling batches back,
after a quarantined row is corrected and published, after ORM writes (a fact changed and
deleted, a plan period added, a user moved to another organisation) and after a user is
erased (RGPD). The maintained aggregates and rollups must also equal ones rebuilt from
scratch."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from healthai.models import (
    AppSession,
    Batch,
    BiometricMeasurement,
    MealLog,
    Organisation,
    QuarantinedRow,
    SatisfactionSurvey,
    Source,
    Subscription,
    User,
    WorkoutSession,
)
from healthai.pipeline import aggregates, batches, measurements, quarantine, rollups
from healthai.queries import analytics
from healthai.queries.analytics import NUTRIENTS, REFERENCE_INTAKES
from healthai.settings import get_settings
from healthai.simulate import SimConfig, seed_organisations, simulate
from tests.conftest import ENGINES
from tests.pipeline_helpers import materialize_sources, session_for
from tests.test_publication import SIM, run_everything

START = date(2025, 1, 1)


# ------------------------------------------------------------------ scans (the reference)
def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _members(session: Session, org: int | None) -> set[int] | None:
    if org is None:
        return None
    return set(session.scalars(select(User.id).where(User.organisation_id == org)))


def _day(value: datetime) -> date:
    return _aware(value).astimezone(UTC).date()


def _in(d: date | None, lo: date | None, hi: date | None) -> bool:
    return d is not None and (lo is None or d >= lo) and (hi is None or d <= hi)


def scan_progression(s: Session, metric: str, org: int | None, lo: Any, hi: Any) -> dict:
    members = _members(s, org)
    series: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    rows = s.execute(
        select(
            BiometricMeasurement.user_id,
            BiometricMeasurement.measured_at,
            BiometricMeasurement.value,
        )
        .where(BiometricMeasurement.metric == metric)
        .order_by(BiometricMeasurement.user_id, BiometricMeasurement.measured_at)
    )
    for user, at, value in rows:
        if (members is None or user in members) and _in(_day(at), lo, hi):
            series[user].append((_aware(at), value))
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


def _daily(s: Session, org: int | None, lo: Any, hi: Any) -> dict[tuple[int, date], list]:
    """Per user and day: the sum of each nutrient over the meal logs (None if none states it)."""
    members = _members(s, org)
    days: dict[tuple[int, date], list] = {}
    for row in s.execute(
        select(MealLog.user_id, MealLog.eaten_on, *(getattr(MealLog, n) for n in NUTRIENTS))
    ):
        user, day, *values = row
        if (members is not None and user not in members) or not _in(day, lo, hi):
            continue
        acc = days.setdefault((user, day), [None] * len(NUTRIENTS))
        for i, v in enumerate(values):
            if v is not None:
                acc[i] = v if acc[i] is None else acc[i] + v
    return days


def _mean(values: list[float]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def scan_trends(s: Session, org: int | None, lo: Any, hi: Any) -> list[dict]:
    by_day: dict[date, list[list]] = defaultdict(list)
    for (_user, day), sums in _daily(s, org, lo, hi).items():
        by_day[day].append(sums)
    out = []
    for day in sorted(by_day):
        rows = by_day[day]
        means = [_mean([r[i] for r in rows]) for i in range(len(NUTRIENTS))]
        out.append(
            {
                "date": day,
                "users": len(rows),
                **{
                    n: round(m, 2) if m is not None else None
                    for n, m in zip(NUTRIENTS, means, strict=True)
                },
            }
        )
    return out


def scan_gaps(s: Session, org: int | None, lo: Any, hi: Any) -> list[dict]:
    per_user: dict[int, list[list]] = defaultdict(list)
    for (user, _day), sums in _daily(s, org, lo, hi).items():
        per_user[user].append(sums)
    profiles = {u: (sex, goal) for u, sex, goal in s.execute(select(User.id, User.sex, User.goal))}
    tally: dict[tuple, Counter] = defaultdict(Counter)
    users: Counter[tuple] = Counter()
    for user, days in per_user.items():
        sex, goal = profiles[user]
        ref = REFERENCE_INTAKES.get(sex or "other", REFERENCE_INTAKES["other"])
        profile = (sex or "unknown", goal or "unknown")
        users[profile] += 1
        for i, nutrient in enumerate(NUTRIENTS):
            value = _mean([d[i] for d in days])
            if value is None:
                continue
            ratio = value / ref[nutrient]
            tally[(*profile, nutrient)][analytics.intake_status(nutrient, ratio)] += 1
    return analytics.gap_rows(users, tally)


def scan_engagement(s: Session, org: int | None, as_of: Any, lo: Any, hi: Any) -> dict:
    members = _members(s, org)
    sessions = [
        (u, _aware(at))
        for u, at in s.execute(select(AppSession.user_id, AppSession.started_at))
        if (members is None or u in members) and _in(_day(at), lo, hi)
    ]
    if as_of is None:
        as_of = max((at for _u, at in sessions), default=None) or datetime.now(UTC)
    as_of = _aware(as_of)

    def active(days: int) -> int:
        return len({u for u, at in sessions if as_of - timedelta(days=days) < at <= as_of})

    spans: dict[int, list[datetime]] = {}
    for u, at in sessions:
        first, last = spans.get(u, [at, at])
        spans[u] = [min(first, at), max(last, at)]
    n = len(spans)
    dau, wau, mau = active(1), active(7), active(30)
    return {
        "as_of": as_of,
        "dau": dau,
        "wau": wau,
        "mau": mau,
        "stickiness": round(dau / mau, 3) if mau else None,
        "users_with_sessions": n,
        "retention_d7": round(sum(b - a >= timedelta(days=7) for a, b in spans.values()) / n, 3)
        if n
        else None,
        "retention_d30": round(sum(b - a >= timedelta(days=30) for a, b in spans.values()) / n, 3)
        if n
        else None,
    }


def scan_workouts(s: Session, org: int | None, lo: Any, hi: Any) -> tuple[list, list]:
    members = _members(s, org)
    rows = [
        r
        for r in s.execute(
            select(
                WorkoutSession.user_id,
                WorkoutSession.workout_type,
                WorkoutSession.duration_min,
                WorkoutSession.intensity,
                WorkoutSession.performed_on,
            )
        )
        if (members is None or r[0] in members)
        and ((lo is None and hi is None) or _in(r[4], lo, hi))
    ]
    by_type: dict[str, list] = defaultdict(list)
    for r in rows:
        by_type[r[1]].append(r)
    top = sorted(
        (
            {
                "workout_type": t,
                "sessions": len(rs),
                "users": len({r[0] for r in rs}),
                "minutes": round(sum(r[2] for r in rs), 1),
            }
            for t, rs in by_type.items()
        ),
        key=lambda d: (-d["sessions"], d["workout_type"]),
    )[:10]
    counts = Counter(r[3] for r in rows)
    intensity = sorted(
        ({"intensity": k, "sessions": v} for k, v in counts.items()),
        key=lambda d: (-d["sessions"], str(d["intensity"])),
    )
    return top, intensity


def scan_satisfaction(s: Session, org: int | None, lo: Any, hi: Any) -> dict:
    members = _members(s, org)
    scores = [
        score
        for u, day, score in s.execute(
            select(
                SatisfactionSurvey.user_id, SatisfactionSurvey.answered_on, SatisfactionSurvey.score
            )
        )
        if (members is None or u in members) and ((lo is None and hi is None) or _in(day, lo, hi))
    ]
    n = len(scores)
    return {
        "answers": n,
        "mean_score": round(sum(scores) / n, 2) if n else None,
        "nps": round(100 * (sum(x >= 9 for x in scores) - sum(x <= 6 for x in scores)) / n, 1)
        if n
        else None,
    }


def scan_conversion(s: Session, org: int | None, lo: Any, hi: Any) -> tuple[int, int]:
    members = _members(s, org)
    free: dict[int, date] = {}
    paid: dict[int, date] = {}
    for u, tier, started in s.execute(
        select(Subscription.user_id, Subscription.plan_tier, Subscription.started_on)
    ):
        if (members is not None and u not in members) or not (
            (lo is None and hi is None) or _in(started, lo, hi)
        ):
            continue
        if tier == "free":
            free[u] = min(free.get(u, started), started)
        elif tier in ("premium", "premium_plus"):
            paid[u] = max(paid.get(u, started), started)
    converted = sum(1 for u, first in free.items() if u in paid and paid[u] >= first)
    return len(free), converted


# ------------------------------------------------------------------ comparison
def assert_same_trends(got: list[dict], want: list[dict]) -> None:
    """Days and users exactly; mean intakes to their rounding (0.01): a sum of floats depends
    on the order of its terms in the last bit, which the database does not fix, and a mean
    that lands on a half-cent may round either way (seen on PostgreSQL)."""
    assert [(d["date"], d["users"]) for d in got] == [(d["date"], d["users"]) for d in want]
    for g, w in zip(got, want, strict=True):
        for n in NUTRIENTS:
            assert (g[n] is None) == (w[n] is None), (g, w)
            if g[n] is not None:
                assert abs(g[n] - w[n]) <= 0.01 + 1e-9, (n, g, w)


def compare_everything(s: Session) -> int:
    """Compare every analytics answer with its scan; returns how many comparisons were made."""
    busiest = s.scalar(
        select(User.organisation_id)
        .where(User.organisation_id.is_not(None))
        .group_by(User.organisation_id)
        .order_by(func.count().desc(), User.organisation_id)
        .limit(1)
    )
    assert busiest is not None
    orgs = [None, busiest]
    periods = [
        (None, None),
        (START + timedelta(days=20), None),
        (None, START + timedelta(days=60)),
        (START + timedelta(days=30), START + timedelta(days=75)),
        (START + timedelta(days=44), START + timedelta(days=44)),
    ]
    made = 0
    for org in orgs:
        for lo, hi in periods:
            for metric in ("weight_kg", "sleep_hours", "steps"):
                assert analytics.progression(s, metric, org, lo, hi) == scan_progression(
                    s, metric, org, lo, hi
                )
            assert_same_trends(
                analytics.nutrition_trends(s, org, lo, hi), scan_trends(s, org, lo, hi)
            )
            assert analytics.nutrition_vs_reference(s, org, lo, hi) == scan_gaps(s, org, lo, hi)
            got = analytics.engagement(s, org, None, lo, hi)
            want = scan_engagement(s, org, None, lo, hi)
            if not want["users_with_sessions"]:  # no session: as_of is "now", read twice
                got.pop("as_of"), want.pop("as_of")
            assert got == want
            for as_of in (
                datetime(2025, 2, 10, 12, 30, tzinfo=UTC),
                datetime(2025, 3, 31, 0, 0, tzinfo=UTC),
            ):
                assert analytics.engagement(s, org, as_of, lo, hi) == scan_engagement(
                    s, org, as_of, lo, hi
                )
            top, intensity = scan_workouts(s, org, lo, hi)
            assert analytics.top_workouts(s, org, 10, lo, hi) == top
            assert analytics.intensity_levels(s, org, lo, hi) == intensity
            assert analytics.satisfaction(s, org, lo, hi) == scan_satisfaction(s, org, lo, hi)
            conv = analytics.premium_conversion(s, org, lo, hi)
            assert (conv["free_users_with_history"], conv["converted"]) == scan_conversion(
                s, org, lo, hi
            )
            made += 12
    return made


def aggregate_rows(s: Session) -> dict[str, list[tuple]]:
    """Every row of the per-user aggregates and of the rollups."""
    return {
        m.__tablename__: sorted(tuple(r) for r in s.execute(select(*m.__table__.columns)))
        for m in (*aggregates.AGGREGATES, *rollups.ROLLUPS)
    }


def maintained_equals_rebuilt(s: Session) -> None:
    maintained = aggregate_rows(s)
    assert all(maintained.values()), {k: len(v) for k, v in maintained.items()}
    aggregates.rebuild(s)
    assert aggregate_rows(s) == maintained


def add_meals_and_workouts(s: Session) -> None:
    """Meal logs and workouts through the ORM (the way the API writes them), some with
    missing nutrients, several a day, some workouts without a date."""
    rng = random.Random(5)
    source = Source(
        name="orm_fixture",
        title="t",
        format="csv",
        location="t",
        owner="t",
        licence="t",
        update_frequency="never",
    )
    s.add(source)
    s.flush()
    batch = Batch(source_id=source.id, status="published", rows_by_table={})
    s.add(batch)
    s.flush()
    users = list(s.scalars(select(User.id).order_by(User.id)))
    n = 0
    for user in users[::2]:
        for day in rng.sample(range(100), 25):
            for meal in rng.sample(["breakfast", "lunch", "dinner", "snack"], rng.randint(1, 3)):
                n += 1
                s.add(
                    MealLog(
                        user_id=user,
                        eaten_on=START + timedelta(days=day),
                        meal_type=meal,
                        food_label="x",
                        energy_kcal=round(rng.uniform(100, 1400), 1),
                        protein_g=round(rng.uniform(0, 60), 1) if rng.random() > 0.1 else None,
                        carbohydrate_g=round(rng.uniform(0, 150), 1),
                        fat_g=round(rng.uniform(0, 60), 1),
                        fibre_g=round(rng.uniform(0, 15), 1) if rng.random() > 0.3 else None,
                        sugars_g=round(rng.uniform(0, 40), 1),
                        sodium_mg=round(rng.uniform(0, 1500), 1),
                        batch_id=batch.id,
                        source_sha256="0" * 64,
                        source_record=f"m{n}",
                    )
                )
    for user in users[1::2]:  # other people than the meals': their own call keeps them
        for _ in range(rng.randint(0, 6)):
            n += 1
            s.add(
                WorkoutSession(
                    user_id=user,
                    workout_type=rng.choice(["running", "yoga", "cycling", "strength"]),
                    performed_on=START + timedelta(days=rng.randint(0, 99))
                    if rng.random() > 0.1
                    else None,
                    duration_min=rng.randint(10, 90),
                    intensity=rng.choice(["low", "moderate", "high", None]),
                    batch_id=batch.id,
                    source_sha256="0" * 64,
                    source_record=f"w{n}",
                )
            )


def _published_batch(conn: Any) -> int:
    """A source and one published batch, written directly (rows for the batch come after)."""
    from sqlalchemy import insert

    source = conn.execute(
        insert(Source.__table__).values(
            name="pre",
            title="t",
            format="csv",
            location="t",
            owner="t",
            licence="t",
            update_frequency="never",
            auto_approve=False,
        )
    ).inserted_primary_key[0]
    return conn.execute(
        insert(Batch.__table__).values(source_id=source, status="published", rows_by_table={})
    ).inserted_primary_key[0]


@pytest.mark.parametrize("engine", ENGINES)
def test_aggregate_backed_analytics_equal_scans(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTO_APPROVE_SOURCES", ",".join(SIM))
    get_settings.cache_clear()
    cfg = SimConfig(users=60, days=100, seed=3, start=START, rows_per_file=4000)
    result = simulate(cfg, get_settings().landing_dir)
    with session_for(platform) as s:
        seed_organisations(s)
    assert run_everything(platform, tmp_path).success

    with session_for(platform) as s:
        published = list(
            s.scalars(select(Batch).where(Batch.status == "published").order_by(Batch.id))
        )
        by_source = Counter(b.source.name for b in published)
        # several batches per fact source: their rows merge into the same users' aggregates
        assert by_source["sim_biometrics"] >= 2 and by_source["sim_app_sessions"] >= 2, by_source
        assert s.scalar(select(func.count()).select_from(BiometricMeasurement)) == (
            s.scalar(select(func.sum(aggregates.UserMetricSpan.measurements)))
        )
        add_meals_and_workouts(s)
        s.flush()  # then what the API's writes call (tests/test_aggregates_paths.py)
        aggregates.rows_written(s, MealLog, s.scalars(select(MealLog.user_id).distinct()))
        written = s.scalars(select(WorkoutSession.user_id).distinct())
        aggregates.rows_written(s, WorkoutSession, written)
    assert result.rows["sim_biometrics"] > 0

    with session_for(platform) as s:
        assert compare_everything(s) > 0
        maintained = aggregate_rows(s)
        assert all(maintained.values()), {k: len(v) for k, v in maintained.items()}
        aggregates.rebuild(s)
        assert aggregate_rows(s) == maintained

    # roll back one batch of measurements and one of sessions: aggregates follow exactly
    with session_for(platform) as s:
        counts = Counter(
            s.scalars(
                select(Source.name)
                .join(Batch, Batch.source_id == Source.id)
                .where(Batch.status == "published")
            )
        )
        # sources with several batches (one stays published): measurements, sessions, and the
        # per-day workouts/surveys/plans when their source was split too
        names = [n for n in SIM if counts[n] >= 2 and n != "sim_users"]
        assert {"sim_biometrics", "sim_app_sessions"} <= set(names), counts
        for name in names:
            first = s.scalar(
                select(Batch)
                .where(Batch.status == "published", Batch.source.has(Source.name == name))
                .order_by(Batch.id)
            )
            batches.rollback(s, first.id, "tester", "aggregates test")
    with session_for(platform) as s:
        assert compare_everything(s) > 0
        maintained = aggregate_rows(s)
        aggregates.rebuild(s)
        assert aggregate_rows(s) == maintained

    # an ORM change of a fact row (the API's PATCH) and a deletion of a measurement are
    # followed too
    with session_for(platform) as s:
        meal = s.scalar(select(MealLog).order_by(MealLog.id).limit(1))
        meal.energy_kcal += 250
        meal.eaten_on = START + timedelta(days=99)
        s.flush()
        aggregates.rows_written(s, MealLog, [meal.user_id])
        measurement = s.scalar(
            select(BiometricMeasurement)
            .where(BiometricMeasurement.metric == "weight_kg")
            .order_by(BiometricMeasurement.measured_at.desc())
            .limit(1)
        )
        measurements.delete_measurement(s, measurement.id, "tester")
    with session_for(platform) as s:
        maintained_equals_rebuilt(s)
        assert compare_everything(s) > 0

    # a quarantined users row, corrected and published (a new member of an organisation)
    with session_for(platform) as s:
        slug = s.scalar(select(Organisation.slug).order_by(Organisation.id).limit(1))
    folder = get_settings().landing_dir / "sim_users"
    header = next(folder.glob("*.csv")).read_text().splitlines()[0]
    no_org = "sim:u0009999,1980,female,170.0,maintain,light,2,2,b2b,"  # B2B needs one
    (folder / "users-999.csv").write_text(f"{header}\n{no_org}\n")
    assert materialize_sources(platform, "sim_users").success
    with session_for(platform) as s:
        row = s.scalar(
            select(QuarantinedRow)
            .join(Source, Source.id == QuarantinedRow.source_id)
            .where(Source.name == "sim_users", QuarantinedRow.status == "open")
        )
        assert row is not None and row.raw["external_key"] == "sim:u0009999"
        fixed = quarantine.correct(s, row.id, {"organisation": slug}, "ana", "typo")
    assert fixed.valid and fixed.requeued_batch_id is not None
    with session_for(platform) as s:
        batches.approve(s, fixed.requeued_batch_id, "bruno")
        batches.publish(s, fixed.requeued_batch_id, "bruno")
    with session_for(platform) as s:
        assert s.scalar(select(User.organisation_id).where(User.external_key == "sim:u0009999"))
        assert compare_everything(s) > 0
        maintained_equals_rebuilt(s)

    # ORM writes: a plan period added, a user moved into the organisation the comparisons
    # scope to, then one of its members erased with all their data (RGPD: rows go by cascade)
    with session_for(platform) as s:
        busiest = s.scalar(
            select(User.organisation_id)
            .where(User.organisation_id.is_not(None))
            .group_by(User.organisation_id)
            .order_by(func.count().desc(), User.organisation_id)
            .limit(1)
        )
        active = select(AppSession.user_id)
        moved = s.scalar(
            select(User)
            .where(User.organisation_id.is_distinct_from(busiest), User.id.in_(active))
            .order_by(User.id)
            .limit(1)
        )
        s.add(
            Subscription(
                user_id=moved.id,
                plan_tier="premium",
                started_on=START + timedelta(days=98),
                batch_id=moved.batch_id,
                source_sha256="0" * 64,
                source_record="orm-plan",
            )
        )
        answered = s.scalar(select(User.id).where(User.id != moved.id).order_by(User.id).limit(1))
        s.add(
            SatisfactionSurvey(
                user_id=answered,
                answered_on=START + timedelta(days=44),
                score=10,
                batch_id=moved.batch_id,
                source_sha256="0" * 64,
                source_record="orm-survey",
            )
        )
        moved.organisation_id = busiest
        s.flush()
        aggregates.rows_written(s, Subscription, [moved.id])
        aggregates.rows_written(s, SatisfactionSurvey, [answered])
        aggregates.rows_written(s, User, [moved.id], moved=True)
        assert compare_everything(s) > 0
        maintained_equals_rebuilt(s)
        erased = s.scalar(
            select(User)
            .where(User.organisation_id == busiest, User.id.in_(active))
            .order_by(User.id.desc())
            .limit(1)
        )
        s.delete(erased)
        s.flush()
        aggregates.user_erased(s, erased.id)
        assert not s.scalar(select(func.count()).where(AppSession.user_id == erased.id))
        assert compare_everything(s) > 0
        maintained_equals_rebuilt(s)


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"])
def test_concurrent_rollup_refreshes_wait_for_each_other(engine: str, db_url: str) -> None:
    """Two transactions refreshing the rollups at once (two publications): the second waits
    for the first to commit, then replaces its rows, instead of inserting the same keys."""
    import threading

    from sqlalchemy import insert

    from healthai.db import make_engine

    db = make_engine(db_url)
    with db.begin() as conn:
        batch = _published_batch(conn)
        lineage = {"batch_id": batch, "source_sha256": "0" * 64, "source_record": "1"}
        user = conn.execute(
            insert(User.__table__).values(
                external_key="pre:1", plan_tier="free", created_at=START, **lineage
            )
        ).inserted_primary_key[0]
        at = datetime(2025, 1, 1, tzinfo=UTC)
        conn.execute(
            insert(AppSession.__table__),
            [
                {
                    "user_id": user,
                    "started_at": at + timedelta(days=d),
                    "duration_s": 60,
                    "platform": "ios",
                    **lineage,
                    "source_record": str(d),
                }  # fmt: skip
                for d in (0, 9)
            ],
        )
        aggregates.rebuild(Session(bind=conn))
    first = db.connect()
    first.begin()
    rollups.refresh(first)
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with db.begin() as conn:
                rollups.refresh(conn)
        except BaseException as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=2)
    assert thread.is_alive(), "the second refresh must wait for the first to commit"
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert not thread.is_alive() and errors == []
    with db.connect() as conn:
        rows = conn.execute(select(rollups.EngagementRollup.users_with_sessions)).all()
    assert rows == [(1,)]
    db.dispose()
