"""The feature table on the real pipeline: a batch that arrives late, and its rollback, change
only the features of the days that began after them; the dictionary covers every column."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import select

from healthai import lab
from healthai.db import get_engine, session_scope
from healthai.docs_gen import FEATURES_PATH
from healthai.lab import features
from healthai.models import Batch, DatasetVersion, Source
from healthai.pipeline import batches
from tests.conftest import ENGINES
from tests.lab.world import World, late_biometrics, make_world, publish

pytestmark = pytest.mark.timeout(600)
DAYS = (date(2025, 1, 2), date(2025, 3, 20))


@pytest.fixture
def world(platform: str, monkeypatch: pytest.MonkeyPatch) -> World:
    return make_world(platform, monkeypatch, users=30, days=40)


def _versions(world: World) -> list[int]:
    with world.session() as s:
        return list(s.scalars(select(DatasetVersion.version).order_by(DatasetVersion.version)))


def _by_day(table: pd.DataFrame) -> dict[date, pd.DataFrame]:
    return {d: f.reset_index(drop=True) for d, f in table.groupby("day")}


def _same_until(a: pd.DataFrame, b: pd.DataFrame, last: date) -> None:
    left, right = _by_day(a), _by_day(b)
    for day in sorted(d for d in left.keys() | right.keys() if d <= last):
        pd.testing.assert_frame_equal(left[day], right[day], obj=str(day))


def _differs_on(a: pd.DataFrame, b: pd.DataFrame, day: date) -> bool:
    return not _by_day(a)[day].equals(_by_day(b)[day])


@pytest.mark.parametrize("engine", ENGINES)
def test_a_late_batch_does_not_change_the_features_of_earlier_days(
    engine: str, world: World
) -> None:
    # The simulated history (from 2025-01-01) as if it had been published as it happened:
    # every version so far made on 2025-01-01.
    for version in _versions(world):
        world.backdate(version, "2025-01-01 00:00:00+00:00")
    db = lab.connect(world.accounts["admin"], world.url)
    v1 = db.version()
    on_time = db.features(as_of=v1, days=DAYS)

    # Readings of 18 and 19 February arrive late: published on 25 February at 10:00.
    late_biometrics(world, ["2025-02-08", "2025-02-09"], shift_days=10)
    publish(world.url, "sim_biometrics")
    v2 = db.version()
    world.backdate(v2, "2025-02-25 10:00:00+00:00")
    with_late = db.features(as_of=v2, days=DAYS)

    _same_until(on_time, with_late, date(2025, 2, 25))  # days begun before the publication
    assert _differs_on(on_time, with_late, date(2025, 2, 26))  # the first day after it
    # the version read is what decides, not the day the question is asked
    pd.testing.assert_frame_equal(db.features(as_of=v1, days=DAYS), on_time)

    # without point in time, the late readings leak into the days before their publication
    leaky_before = db.features(as_of=v1, days=DAYS, point_in_time=False)
    leaky_after = db.features(as_of=v2, days=DAYS, point_in_time=False)
    assert _differs_on(leaky_before, leaky_after, date(2025, 2, 20))

    # The late batch is rolled back on 5 March at 12:00: it counted until then, not after.
    with session_scope(get_engine(world.url)) as s:
        late = s.scalars(
            select(Batch.id)
            .join(Source, Source.id == Batch.source_id)
            .where(Source.name == "sim_biometrics")
            .order_by(Batch.id.desc())
        ).first()
        batches.rollback(s, late, "lab-test", "late readings withdrawn")
    v3 = db.version()
    world.backdate(v3, "2025-03-05 12:00:00+00:00")
    withdrawn = db.features(as_of=v3, days=DAYS)
    _same_until(with_late, withdrawn, date(2025, 3, 5))
    after = date(2025, 3, 6)
    assert _differs_on(with_late, withdrawn, after)
    pd.testing.assert_frame_equal(_by_day(withdrawn)[after], _by_day(on_time)[after])


@pytest.mark.parametrize("engine", ["sqlite"])
def test_the_feature_table_has_one_row_per_person_and_day(engine: str, world: World) -> None:
    db = lab.connect(world.accounts["analyst"], world.url)
    table = db.features()
    assert list(table.columns) == [*features.KEYS, *features.NAMES]
    assert not table.duplicated(features.KEYS).any()
    assert table["user_id"].str.fullmatch(r"[0-9a-f]{16}").all()  # pseudonyms
    assert table.attrs["dataset_version"] == world.version()
    # history loaded today: point in time, only the day after the publication has rows
    made = pd.Timestamp(db.versions()["at"].max()).date()
    assert set(table["day"]) == {made + pd.Timedelta(days=1)}
    # the snapshot's features count every row from its own day: the whole history
    history = features.from_tables(db.snapshot())
    assert history["day"].nunique() > 30
    assert history["weight_kg_last"].notna().any() and history["app_sessions_7d"].gt(0).any()


def test_every_feature_is_in_the_dictionary() -> None:
    text = FEATURES_PATH.read_text()
    for feature in features.FEATURES:
        assert f"| `{feature.name}` | `{feature.table}` |" in text
