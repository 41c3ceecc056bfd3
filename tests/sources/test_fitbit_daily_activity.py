"""Fitbit daily activity: US dates parsed with their exact format, one row per user and day,
minutes within a day. Counted here with plain csv."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from healthai.models import DailyActivity
from tests.conftest import ENGINES
from tests.pipeline_helpers import count, session_for
from tests.sources.helpers import RAW, only_landing, run_source

FILE = RAW / "fitbit_daily_activity" / "dailyActivity_merged.csv"
MINUTES = ["VeryActiveMinutes", "FairlyActiveMinutes", "LightlyActiveMinutes", "SedentaryMinutes"]


def expectations(path: Path) -> dict[str, int]:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    seen, bad = set(), 0
    for r in rows:
        day = (r["Id"], datetime.strptime(r["ActivityDate"], "%m/%d/%Y").date())
        if day in seen or sum(int(r[m]) for m in MINUTES) > 1440:
            bad += 1
        seen.add(day)
    return {"rows": len(rows), "quarantined": bad, "users": len({r["Id"] for r in rows})}


@pytest.mark.parametrize("engine", ENGINES)
def test_real_file(engine: str, platform: str) -> None:
    want = expectations(FILE)
    assert (want["rows"], want["users"]) == (940, 33)  # SOURCES.md
    out = run_source(platform, "fitbit_daily_activity")
    assert out.rows_in == want["rows"]
    assert out.quarantined == want["quarantined"]
    assert out.duplicates == 0
    assert out.published == want["rows"] - want["quarantined"]
    assert count(platform, "daily_activity") == out.published
    assert count(platform, "users") == want["users"]
    with session_for(platform) as session:
        first = session.scalar(select(DailyActivity).where(DailyActivity.source_record == "1"))
        assert str(first.activity_date) == "2016-04-12" and first.steps == 13162


@pytest.mark.parametrize("engine", ["sqlite"])
def test_defects(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = FILE.read_text().splitlines()
    good = lines[1].split(",")
    iso = list(good)
    iso[1] = "2016-04-13"  # not the source's US format
    too_long = list(good)
    too_long[1], too_long[13] = "4/14/2016", "1400"  # minutes add up to more than a day
    negative = list(good)
    negative[1], negative[2] = "4/15/2016", "-5"
    rows = [good, iso, too_long, negative, good]  # the last: same user and day again
    folder = only_landing(monkeypatch, tmp_path, "fitbit_daily_activity")
    (folder / "days.csv").write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n")
    out = run_source(platform, "fitbit_daily_activity")
    assert (out.rows_in, out.published, out.quarantined, out.duplicates) == (5, 1, 4, 0)
    assert out.reasons["minutes_within_day"] == 1
    assert out.reasons["one_row_per_user_and_day"] == 1
    assert out.reasons["not_a_date"] == 1  # the ISO date, not the file's format
    assert out.reasons["out_of_range"] == 1
