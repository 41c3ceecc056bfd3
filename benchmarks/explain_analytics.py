"""`python -m benchmarks.explain_analytics DATABASE_URL`: the plan of every statement the
analytics functions (healthai.queries.analytics) run on a PostgreSQL database, for everyone
and the largest organisation, over the whole history and over the last 30 days of sessions:
one line per statement with its execution time and the scans it makes, so that a scan of a
fact table shows (docs/performance.md, issue 16)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session

from healthai.queries import analytics as q

SCAN = re.compile(r"Seq Scan|Index Scan|Index Only Scan|Bitmap Heap Scan")


def main(url: str) -> None:
    engine = create_engine(url)
    captured: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: Any) -> None:
        if not statement.lstrip().upper().startswith("EXPLAIN"):
            captured.append((statement, params))

    with Session(engine) as s:
        hi = s.execute(text("SELECT max(day) FROM daily_user_sessions")).scalar()
        hi = hi or date.today()
        period = (hi - timedelta(days=30), hi)
        org = s.scalar(
            text(
                "SELECT organisation_id FROM users WHERE organisation_id IS NOT NULL "
                "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
            )
        )
        calls: dict[str, Callable[[Any, Any, Any], Any]] = {
            "age": lambda o, a, b: q.age_distribution(s, o),
            "goals": lambda o, a, b: q.goals(s, o),
            "progression": lambda o, a, b: q.progression(s, "weight_kg", o, a, b),
            "trends": lambda o, a, b: q.nutrition_trends(s, o, a, b),
            "gaps": lambda o, a, b: q.nutrition_vs_reference(s, o, a, b),
            "workouts": lambda o, a, b: q.top_workouts(s, o, 10, a, b),
            "intensity": lambda o, a, b: q.intensity_levels(s, o, a, b),
            "engagement": lambda o, a, b: q.engagement(s, o, None, a, b),
            "conversion": lambda o, a, b: q.premium_conversion(s, o, a, b),
            "satisfaction": lambda o, a, b: q.satisfaction(s, o, a, b),
        }
        for name, call in calls.items():
            for o in (None, org):
                for a, b in ((None, None), period):
                    captured.clear()
                    call(o, a, b)
                    for statement, params in list(captured):
                        plan = [
                            str(r[0])
                            for r in s.connection().exec_driver_sql(
                                "EXPLAIN ANALYZE " + statement, params
                            )
                        ]
                        scans = [
                            re.sub(r"\s+\(cost.*", "", x).strip() for x in plan if SCAN.search(x)
                        ]
                        took = next(x for x in plan if "Execution Time" in x).split(":")[1].strip()
                        print(
                            f"{name:12} org={o is not None!s:5} period={a is not None!s:5} "
                            f"{took:>12}  " + " | ".join(scans)
                        )


if __name__ == "__main__":
    main(sys.argv[1])
