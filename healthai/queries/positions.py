"""Where the measurements of the unfiltered measurements list lie among the readings, per
dataset version, so that a page by offset reads only its own readings.

A measurement's id is its reading's id * 8 + its metric's rank, so the long view in id order
is the readings in id order, each unpivoted into its non-empty metrics (one to seven). Finding
the readings of the page at offset N means counting the measurements of the readings before
it: a running count over N readings on every request (10 to 20 ms of database time for a page
10,000 measurements deep at 1 M rows). `PositionCache` keeps that running count for the first
readings (at most `MAX_READINGS`) of one dataset version in the process: a page is then a
bisection and the unpivot of its own readings. Every change of the published data makes a new
version (healthai.pipeline.versions), and the cache is read again for it, so nothing outlives a
change: two workers or replicas hold the same positions for the same version. A version that
moves while the positions are read is not kept (read again by the next request), and a page
deeper than `MAX_READINGS` readings is found in SQL (`span_in_sql`).
"""

from __future__ import annotations

import operator
import threading
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import reduce
from itertools import accumulate
from typing import NamedTuple

from sqlalchemy import Connection, case, func, select
from sqlalchemy.orm import Session

from healthai.models import BiometricMeasurement, BiometricReading
from healthai.models.views import ID_FACTOR, METRIC_RANK
from healthai.pipeline import versions

MAX_READINGS = 250_000  # about 4 MB of positions per process
MIN_READINGS = 20_000  # read at least this many at once (the first 200 pages and their count)

readings = BiometricReading.__table__
HELD = reduce(
    operator.add, (case((readings.c[m].is_not(None), 1), else_=0) for m in METRIC_RANK)
).label("n")  # measurements a reading holds


class Span(NamedTuple):
    """Where a page lies: its first and last reading, the measurements before the first, and
    the measurements counted (more than the bound asked when more exist)."""

    start: int | None  # None: fewer measurements than the offset
    last: int | None  # None: no upper bound (after a key, fewer readings are left than asked)
    before: int
    total: int


@dataclass(frozen=True)
class Positions:
    version: int
    ids: array  # reading ids, the first len(ids) readings in id order
    upto: array  # measurements of the readings up to and including each one
    complete: bool  # these are all the readings

    def covers(self, needed: int) -> bool:
        return self.complete or len(self.ids) >= needed

    def span(self, offset: int, limit: int, bound: int) -> Span:
        total = (self.upto[-1] if self.upto else 0) if self.complete else bound + 1
        first = bisect_right(self.upto, offset)  # the first reading past the offset
        if first == len(self.ids):
            return Span(None, None, 0, total)
        full = min(bisect_left(self.upto, offset + limit), len(self.ids) - 1)
        before = self.upto[first - 1] if first else 0
        return Span(self.ids[first], self.ids[full], before, total)


class PositionCache:
    """The positions of one dataset version, in this process."""

    def __init__(self, max_readings: int = MAX_READINGS) -> None:
        self.max_readings = max_readings
        self._held: Positions | None = None
        self._lock = threading.Lock()

    def span(
        self, session: Session | Connection, offset: int, limit: int, bound: int
    ) -> Span | None:
        """The page's span, or None when it lies deeper than the cache goes or the data
        changed while the positions were read (the caller finds it in SQL)."""
        needed = max(offset + limit, bound + 1)
        if needed > self.max_readings:
            return None
        version = versions.current(session)  # type: ignore[arg-type]
        held = self._held
        if held is None or held.version != version or not held.covers(needed):
            with self._lock:  # one read per version and size, not one per waiting request
                held = self._held
                if held is None or held.version != version or not held.covers(needed):
                    held = self._read(session, version, needed)
                    if held is None:
                        return None
                    self._held = held
        return held.span(offset, limit, bound)

    def forget(self) -> None:
        self._held = None

    def _read(self, session: Session | Connection, version: int, needed: int) -> Positions | None:
        size = min(self.max_readings, max(needed * 2, MIN_READINGS))
        rows = session.execute(select(readings.c.id, HELD).order_by(readings.c.id).limit(size))
        ids, counts = array("q"), array("q")
        for reading_id, n in rows:
            ids.append(reading_id)
            counts.append(n)
        if versions.current(session) != version:  # type: ignore[arg-type]
            return None
        return Positions(version, ids, array("q", accumulate(counts)), len(ids) < size)


POSITIONS = PositionCache()


def span_in_sql(session: Session | Connection, offset: int, limit: int, bound: int) -> Span:
    """The same span from the database alone: a running count of measurements over the
    first offset + limit readings; the count from whether bound + 1 readings exist."""
    some = select(readings.c.id).limit(bound + 1).subquery()
    if int(session.scalar(select(func.count()).select_from(some)) or 0) > bound:
        total = bound + 1
    else:
        total = int(session.scalar(select(func.coalesce(func.sum(HELD), 0))) or 0)
    first = select(readings.c.id, HELD).order_by(readings.c.id).limit(offset + limit).subquery()
    upto = select(
        first.c.id, first.c.n, func.sum(first.c.n).over(order_by=first.c.id).label("upto")
    ).subquery()
    inside = upto.c.upto > offset  # holds a measurement of the page or a later one
    start, before, full, last = session.execute(
        select(
            func.min(upto.c.id).filter(inside),
            func.min(upto.c.upto - upto.c.n).filter(inside),
            func.min(upto.c.id).filter(upto.c.upto >= offset + limit),
            func.max(upto.c.id),
        )
    ).one()
    return Span(start, full if full is not None else last, int(before or 0), total)


def span_after(
    session: Session | Connection, after: int, offset: int, limit: int, bound: int
) -> Span:
    """The span of a page after the measurement id `after` (paging by key): it starts in that
    measurement's reading (id // 8) and, each reading holding at least one measurement, lies
    within the next offset + limit readings, found on the readings' primary key (no upper
    bound when fewer are left). The count: bound + 1 readings after it hold more than bound
    measurements; otherwise the measurements after the key are counted."""
    start = after // ID_FACTOR
    # in key order, so that the primary key starts at `start`: unordered, a generic plan
    # scanned the table from its beginning (10 s at 10 M rows)
    later = select(readings.c.id).where(readings.c.id > start).order_by(readings.c.id)
    some = later.limit(bound + 1).subquery()
    if int(session.scalar(select(func.count()).select_from(some)) or 0) > bound:
        total = bound + 1
    else:
        m = BiometricMeasurement
        counted = select(func.count()).where(m.reading_id >= start, m.id > after)
        total = int(session.scalar(counted) or 0)
    last = session.scalar(later.offset(offset + limit - 1).limit(1))
    return Span(start, last, 0, total)


def span(session: Session | Connection, offset: int, limit: int, bound: int) -> Span:
    found = POSITIONS.span(session, offset, limit, bound)
    return found if found is not None else span_in_sql(session, offset, limit, bound)
