"""Lists count the matching rows up to a bound past the page, and say when they stopped."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from healthai.db import get_engine
from healthai.models import AuditLog
from healthai.queries.listing import page
from tests.conftest import ENGINES


@pytest.mark.parametrize("engine", ENGINES)
def test_page_count_is_exact_under_the_bound_and_a_lower_bound_beyond(
    engine: str, platform: str
) -> None:
    with Session(get_engine(platform)) as session:
        session.add_all(
            AuditLog(actor="t", action="edit", entity="users", entity_id=i) for i in range(30)
        )
        session.commit()
        whole = page(session, AuditLog, {"actor": "t"}, "id", limit=5, count_beyond=100)
        assert (len(whole.rows), whole.count, whole.exact) == (5, 30, True)
        capped = page(session, AuditLog, {"actor": "t"}, "id", limit=5, count_beyond=10)
        assert (len(capped.rows), capped.count, capped.exact) == (5, 15, False)
        deep = page(session, AuditLog, {"actor": "t"}, "id", limit=5, offset=20, count_beyond=5)
        assert (deep.count, deep.exact) == (30, True)
        assert [r.entity_id for r in deep.rows] == [20, 21, 22, 23, 24]
