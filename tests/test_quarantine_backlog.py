"""The quality page's quarantine backlog is counted in the database (it grows with the data),
and says what a scan of the open rows says: per source and rule, a row breaking two rules
counted under both, a rule repeated in one row counted once, a row without a rule under "?"."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select, update

from healthai.models import QuarantinedRow, Source
from healthai.queries.dashboard_support import quarantine_backlog
from tests.conftest import ENGINES
from tests.pipeline_helpers import materialize_sources, session_for


def scan(session) -> list[dict]:  # noqa: ANN001
    counts: Counter[tuple[str, str]] = Counter()
    rows = session.execute(
        select(Source.name, QuarantinedRow.reasons)
        .join(Source, Source.id == QuarantinedRow.source_id)
        .where(QuarantinedRow.status == "open")
    )
    for name, reasons in rows:
        for rule in {str(r.get("rule")) for r in reasons or []} or {"?"}:
            counts[(name, rule)] += 1
    return [{"source": s, "rule": r, "rows": n} for (s, r), n in sorted(counts.items())]


@pytest.mark.parametrize("engine", ENGINES)
def test_backlog_counts_open_rows_per_source_and_rule(engine: str, platform: str) -> None:
    assert materialize_sources(platform, "gym_members", "fitness_tracker").success
    with session_for(platform) as session:
        ids = session.scalars(select(QuarantinedRow.id).order_by(QuarantinedRow.id)).all()
        first, second, third = ids[:3]
        twice = {"rule": "twice", "column": "a", "value": "1", "message": "m"}
        session.execute(update(QuarantinedRow).where(QuarantinedRow.id == first).values(reasons=[]))
        session.execute(
            update(QuarantinedRow)
            .where(QuarantinedRow.id == second)
            .values(reasons=[twice, {**twice, "column": "b"}])
        )
        session.execute(
            update(QuarantinedRow).where(QuarantinedRow.id == third).values(status="discarded")
        )
    with session_for(platform) as session:
        backlog = quarantine_backlog(session)
        assert backlog == scan(session)
    rules = {(b["source"], b["rule"]): b["rows"] for b in backlog}
    assert any(rule == "?" for _source, rule in rules) and ("twice" in {r for _, r in rules})
    assert sum(1 for _source, rule in rules if rule == "twice") == 1
    assert len({s for s, _ in rules}) == 2
