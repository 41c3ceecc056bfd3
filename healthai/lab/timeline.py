"""When each published row was part of the data: the inputs of the point-in-time features.

A row holds from the dataset version that brought it (its batch's publication, or the API
write that made it: `since_version`) until the version that took it away (its batch's
rollback, or the API write that changed or deleted it: `until_version` in the history twin).
Seen from version V, a row made after V does not exist and a row taken away after V is still
there. Versions become times through `dataset_versions.at`, so every row gets
`[_from, _until)`: the instants it was published.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Select, func, null, or_, select, union_all
from sqlalchemy.orm import Session

from healthai.lab import features
from healthai.lab.reading import frame_of
from healthai.models import HISTORY, Batch, DatasetVersion, metadata
from healthai.pipeline import versions

READINGS = "biometric_readings"


def _with_versions(name: str, version: int) -> Select:
    """The table's rows (live and history) that existed at some version up to `version`,
    with the versions that made them (`_from_v`) and took them away (`_until_v`, NULL when
    still there at `version`)."""
    live, hist, b = metadata.tables[name], HISTORY[name], Batch.__table__
    names = [c.name for c in live.columns]
    start_live = func.coalesce(live.c.since_version, b.c.published_version)
    now = (
        select(*live.c, start_live.label("_from_v"), null().label("_until_v"))
        .join(b, b.c.id == live.c.batch_id)
        .where(b.c.published_version.is_not(None))
    )
    start_hist = func.coalesce(hist.c.since_version, b.c.published_version)
    end_hist = func.coalesce(hist.c.until_version, b.c.rolled_back_version)
    before = (
        select(*(hist.c[n] for n in names), start_hist.label("_from_v"), end_hist.label("_until_v"))
        .join(b, b.c.id == hist.c.batch_id)
        .where(b.c.published_version.is_not(None))
    )
    rows = union_all(now, before).subquery("rows")
    return select(*(rows.c[n] for n in names), rows.c._from_v, rows.c._until_v).where(
        rows.c._from_v <= version,
        or_(rows.c._until_v.is_(None), rows.c._until_v > rows.c._from_v),
    )


def intervals(session: Session, name: str, version: int) -> pd.DataFrame:
    """Every row of `name` that was published at some version up to `version`, with `_from`
    and `_until` (timestamps; `_until` NaT: still there at `version`)."""
    frame = frame_of(session, _with_versions(name, version))
    times = dict(session.execute(select(DatasetVersion.version, DatasetVersion.at)).all())
    until = frame["_until_v"].where(frame["_until_v"] <= version)
    frame["_from"] = pd.to_datetime(frame["_from_v"].map(times), utc=True)
    frame["_until"] = pd.to_datetime(until.map(times), utc=True)
    return frame.drop(columns=["_from_v", "_until_v"])


def _at_version(session: Session, name: str, version: int) -> pd.DataFrame:
    """The rows of `version`, counted from always (no publication time)."""
    frame = frame_of(session, versions.as_of(session, name, version))
    frame["_from"] = pd.NaT
    frame["_until"] = pd.NaT
    return frame


def feature_inputs(session: Session, version: int, point_in_time: bool) -> dict[str, pd.DataFrame]:
    """The frames `features.build` reads, as of `version`: with their publication intervals
    (point in time), or every row of the version counted from always."""
    read = intervals if point_in_time else _at_version
    frames = {}
    for name in features.INPUTS:
        source = READINGS if name == "biometric_measurements" else name
        frame = read(session, source, version)
        frames[name] = features.long_measurements(frame) if source == READINGS else frame
    return frames


def feature_days(
    session: Session, version: int, frames: dict[str, pd.DataFrame], point_in_time: bool
) -> tuple[date, date]:
    """The days of the feature table of `version`: from the day after the first event to,
    point in time, the day after the version was made (the day the AI modules serve next:
    its row can still change until that day starts), else the day after the last event."""
    span = features.event_days(frames)
    made = versions.made_at(session, version)
    made_day = pd.to_datetime(made if made is not None else pd.Timestamp.now(), utc=True).date()
    if span is None:
        return made_day, made_day
    first, last = span
    if point_in_time and made is not None:
        last = made_day + timedelta(days=1)
    return first, max(first, last)
