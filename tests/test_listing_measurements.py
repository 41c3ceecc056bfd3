"""Pages of measurements in the default order (healthai.queries.listing.page): bounded by the
readings they can come from (a reading holds 1 to 7 measurements), they are exactly the pages
of the whole view, counts included, on both engines, whether the page's place is found from
the positions kept per dataset version or in SQL (healthai.queries.positions); and the kept
positions follow every change of the published data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from healthai.models import BiometricMeasurement
from healthai.pipeline import batches
from healthai.queries import positions
from healthai.queries.listing import page
from tests.conftest import ENGINES
from tests.pipeline_helpers import session_for
from tests.write_helpers import publish_readings, published_user

T0 = datetime(2025, 1, 1, 7, tzinfo=UTC)
METRICS = ["weight_kg", "sleep_hours", "steps", "bmi", "resting_hr_bpm", "body_fat_pct"]
VALUES = {"weight_kg": 80.0, "sleep_hours": 7.0, "steps": 9000.0, "bmi": 24.0,
          "resting_hr_bpm": 60.0, "body_fat_pct": 20.0}  # fmt: skip


def _forty_readings(db_url: str) -> None:
    """Readings of 1 to 6 metrics each, so that page boundaries fall inside readings."""
    with session_for(db_url) as s:
        source, _user = published_user(s)
        rows = [
            ("w:1", T0 + timedelta(days=i), {m: VALUES[m] for m in METRICS[: 1 + i * 5 % 6]})
            for i in range(40)
        ]
        publish_readings(s, source, rows)


@pytest.fixture(autouse=True)
def _no_positions_from_another_test() -> None:
    positions.POSITIONS.forget()


@pytest.mark.parametrize("kept", [True, False], ids=["kept-positions", "sql"])
@pytest.mark.parametrize("engine", ENGINES)
def test_pages_in_id_order_are_the_views_pages(
    engine: str, db_url: str, kept: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not kept:  # every page deeper than the kept positions go: found in SQL
        monkeypatch.setattr(positions.POSITIONS, "max_readings", 0)
    _forty_readings(db_url)
    with session_for(db_url) as s:
        m = BiometricMeasurement
        whole = list(s.scalars(select(m.id).order_by(m.id)))
        assert len(whole) > 100
        cols = ("id", "user_id", "metric", "measured_at", "value")
        for offset in (0, 1, 7, 13, 50, 97, len(whole) - 3, len(whole) + 5):
            for limit in (1, 5, 50):
                got = page(s, m, {}, None, limit, offset, columns=cols, count_beyond=10)
                assert [r[0] for r in got.rows] == whole[offset : offset + limit], (offset, limit)
                bound = offset + limit + 10
                assert (got.count, got.exact) == (min(len(whole), bound), len(whole) <= bound)
            # filtered: not bounded (the first readings need not hold the filtered rows)
            got = page(s, m, {"metric": "steps"}, None, 5, offset, columns=cols)
            steps = list(s.scalars(select(m.id).where(m.metric == "steps").order_by(m.id)))
            assert [r[0] for r in got.rows] == steps[offset : offset + 5]


@pytest.mark.parametrize("engine", ENGINES)
def test_kept_positions_follow_a_publication_and_a_rollback(engine: str, db_url: str) -> None:
    cols = ("id", "user_id", "metric", "measured_at", "value")
    m = BiometricMeasurement

    def pages_match(s) -> int:  # noqa: ANN001
        whole = list(s.scalars(select(m.id).order_by(m.id)))
        for offset in (0, 3, len(whole) - 2):
            got = page(s, m, {}, None, 5, offset, columns=cols, count_beyond=1000)
            assert [r[0] for r in got.rows] == whole[offset : offset + 5]
            assert (got.count, got.exact) == (len(whole), True)
        return len(whole)

    with session_for(db_url) as s:
        source, _user = published_user(s)
        first = [("w:1", T0 + timedelta(days=i), {"weight_kg": 80.0}) for i in range(10)]
        publish_readings(s, source, first)
    with session_for(db_url) as s:
        assert pages_match(s) == 10
        # a reading of six metrics placed before the others (an earlier id is not possible,
        # so the change is a second batch: the kept positions of the first version are stale)
        more = [("w:1", T0 - timedelta(days=1), {k: VALUES[k] for k in METRICS})]
        later = publish_readings(s, source, more)
    with session_for(db_url) as s:
        assert pages_match(s) == 16
        batches.rollback(s, later.id, "steward", "test")
    with session_for(db_url) as s:
        assert pages_match(s) == 10


@pytest.mark.parametrize("engine", ENGINES)
def test_pages_after_a_key_are_the_views_rows_after_it(engine: str, db_url: str) -> None:
    _forty_readings(db_url)
    with session_for(db_url) as s:
        m = BiometricMeasurement
        whole = list(s.scalars(select(m.id).order_by(m.id)))
        cols = ("id", "user_id", "metric", "measured_at", "value")
        # before the first, inside a reading, at a reading's last, past the end, unknown ids
        for after in (0, whole[0], whole[3], whole[50] + 1, whole[-2], whole[-1], whole[-1] + 99):
            rest = [i for i in whole if i > after]
            for limit, offset in ((1, 0), (5, 0), (50, 0), (5, 3), (5, 60)):
                got = page(
                    s, m, {}, None, limit, offset, columns=cols, count_beyond=10, after=after
                )
                assert [r[0] for r in got.rows] == rest[offset : offset + limit], (after, limit)
                bound = offset + limit + 10
                assert (got.count, got.exact) == (min(len(rest), bound), len(rest) <= bound)
            steps = [i for i in s.scalars(select(m.id).where(m.metric == "steps").order_by(m.id))]
            got = page(s, m, {"metric": "steps"}, None, 5, 0, columns=cols, after=after)
            assert [r[0] for r in got.rows] == [i for i in steps if i > after][:5]
        # in another order, `after` is a filter on the id
        by_time = list(s.scalars(select(m.id).order_by(m.measured_at.desc(), m.id)))
        got = page(s, m, {}, "-measured_at", 5, 0, columns=cols, after=whole[10])
        assert [r[0] for r in got.rows] == [i for i in by_time if i > whole[10]][:5]
