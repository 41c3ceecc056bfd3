"""EXPLAIN ANALYZE of the analytics over a period that read the per-day aggregates of
workouts, satisfaction answers and plan periods, against the same figures scanned from the
fact tables, on a scratch PostgreSQL database filled with synthetic facts.

    python -m benchmarks.explain_period_facts [ADMIN_URL] [WORKOUTS ANSWERS PLANS]

ADMIN_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres) is where the
scratch database `perf_period_facts` is created (dropped first, left for inspection)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from healthai.models import Batch, Source
from healthai.pipeline import aggregates
from healthai.queries import analytics

USERS = 5000
PERIOD = (date(2025, 3, 1), date(2025, 5, 31))
FACT_SCANS = {
    "top_workouts": "SELECT workout_type, count(*), count(DISTINCT user_id), sum(duration_min)"
    " FROM workout_sessions WHERE performed_on >= :lo AND performed_on <= :hi"
    " GROUP BY workout_type ORDER BY count(*) DESC, workout_type LIMIT 10",
    "satisfaction": "SELECT count(*), avg(score), sum(CASE WHEN score >= 9 THEN 1 ELSE 0 END),"
    " sum(CASE WHEN score <= 6 THEN 1 ELSE 0 END) FROM satisfaction_surveys"
    " WHERE answered_on >= :lo AND answered_on <= :hi",
    "premium_conversion": "SELECT user_id, min(CASE WHEN plan_tier = 'free' THEN started_on END),"
    " max(CASE WHEN plan_tier IN ('premium', 'premium_plus') THEN started_on END)"
    " FROM subscriptions WHERE started_on >= :lo AND started_on <= :hi GROUP BY user_id",
}


def fill(url: str, workouts: int, answers: int, plans: int) -> None:
    subprocess.run(
        [str(Path(sys.executable).with_name("healthai")), "db", "upgrade"],
        env={**os.environ, "DATABASE_URL": url},
        check=True,
    )
    engine = create_engine(url)
    first = "(SELECT min(id) FROM users)"
    with engine.begin() as c:
        source = c.execute(
            insert(Source)
            .values(
                name="synthetic",
                title="t",
                format="csv",
                location="t",
                owner="t",
                licence="t",
                update_frequency="never",
                auto_approve=False,
            )
            .returning(Source.id)
        ).scalar_one()
        b = c.execute(
            insert(Batch)
            .values(source_id=source, status="published", rows_by_table={})
            .returning(Batch.id)
        ).scalar_one()
        lineage = f"{b}, repeat('0', 64), g::text FROM generate_series(1, "
        c.execute(
            text(
                "INSERT INTO users (created_at, external_key, plan_tier, batch_id, source_sha256,"
                f" source_record) SELECT now(), 'u' || g, 'free', {lineage}{USERS}) g"
            )
        )
        c.execute(
            text(
                "INSERT INTO workout_sessions (user_id, workout_type, performed_on, duration_min,"
                f" intensity, batch_id, source_sha256, source_record) SELECT {first} + g % {USERS},"
                " (ARRAY['running', 'yoga', 'cycling', 'strength', 'hiit'])[1 + g % 5],"
                " date '2025-01-01' + g * 7 % 365, 10 + g % 80,"
                f" (ARRAY['low', 'moderate', 'high', NULL])[1 + g % 4], {lineage}{workouts}) g"
            )
        )
        c.execute(
            text(
                "INSERT INTO satisfaction_surveys (user_id, answered_on, score, batch_id,"
                f" source_sha256, source_record) SELECT {first} + g % {USERS},"
                f" date '2025-01-01' + g * 11 % 365, g % 11, {lineage}{answers}) g"
            )
        )
        c.execute(
            text(
                "INSERT INTO subscriptions (user_id, plan_tier, started_on, batch_id,"
                f" source_sha256, source_record) SELECT {first} + g % {USERS},"
                " (ARRAY['free', 'premium', 'premium_plus'])[1 + g % 3],"
                f" date '2025-01-01' + g * 13 % 365, {lineage}{plans}) g"
            )
        )
    with Session(engine) as s:
        aggregates.rebuild(s)
        s.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))


def explain(session: Session, sql: str, params: Any) -> list[str]:
    rows = session.connection().exec_driver_sql("EXPLAIN (ANALYZE) " + sql, params)
    return [line for (line,) in rows]


def main() -> None:
    admin_url = (
        sys.argv[1]
        if len(sys.argv) > 1
        else "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    sizes = [int(a) for a in sys.argv[2:5]] or [1_000_000, 400_000, 100_000]
    url = make_url(admin_url).set(database="perf_period_facts").render_as_string(False)
    with create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as c:
        c.execute(text("DROP DATABASE IF EXISTS perf_period_facts"))
        c.execute(text("CREATE DATABASE perf_period_facts"))
    fill(url, *sizes)
    engine = create_engine(url)
    lo, hi = PERIOD
    calls = {
        "top_workouts": lambda s: analytics.top_workouts(s, None, 10, lo, hi),
        "intensity_levels": lambda s: analytics.intensity_levels(s, None, lo, hi),
        "satisfaction": lambda s: analytics.satisfaction(s, None, lo, hi),
        "premium_conversion": lambda s: analytics.premium_conversion(s, None, lo, hi),
    }
    with Session(engine) as s:
        for name, call in calls.items():
            seen: list[tuple[str, Any]] = []

            def grab(*args: Any, seen: list[tuple[str, Any]] = seen) -> None:
                seen.append((args[2], args[3]))

            event.listen(engine, "before_cursor_execute", grab)
            call(s)
            event.remove(engine, "before_cursor_execute", grab)
            for sql, params in seen:
                print(f"== {name} (aggregates): {sql.split(chr(10))[0][:80]}")
                print("\n".join("   " + line for line in explain(s, sql, params)))
            if name in FACT_SCANS:
                print(f"== {name} (fact scan)")
                stmt = text(FACT_SCANS[name]).bindparams(lo=lo, hi=hi)
                compiled = stmt.compile(engine, compile_kwargs={"literal_binds": True})
                print("\n".join("   " + line for line in explain(s, str(compiled), None)))


if __name__ == "__main__":
    main()
