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


def _reexport(day_first: bool, keep: int | None = None) -> str:
    """The real file with its dates rewritten day-first (as a French phone exports them) or
    left month-first; `keep` rows only."""
    lines = FILE.read_text().splitlines()
    out = [lines[0]]
    for line in lines[1 : (keep + 1) if keep else None]:
        cells = line.split(",")
        when = datetime.strptime(cells[1], "%m/%d/%Y")
        cells[1] = when.strftime("%d/%m/%Y" if day_first else "%m/%d/%Y")
        out.append(",".join(cells))
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("engine", ["sqlite"])
def test_a_day_first_export_is_read_day_first(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #13 (4): in a day-first export every date whose day is 12 or less was staged with
    day and month swapped. 13/04/2016 proves the file day-first: every date is read so."""
    folder = only_landing(monkeypatch, tmp_path, "fitbit_daily_activity")
    (folder / "export.csv").write_text(_reexport(day_first=True))
    out = run_source(platform, "fitbit_daily_activity")
    want = expectations(FILE)
    assert out.published == want["rows"] - want["quarantined"]
    with session_for(platform) as session:
        days = {
            (d.source_record, str(d.activity_date)) for d in session.scalars(select(DailyActivity))
        }
    assert ("1", "2016-04-12") in days  # 12/04/2016
    with FILE.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    first_of_may = next(i for i, r in enumerate(rows, 1) if r["ActivityDate"] == "5/1/2016")
    assert (str(first_of_may), "2016-05-01") in days  # written 01/05/2016: not 5 January


@pytest.mark.parametrize("engine", ["sqlite"])
def test_a_file_that_cannot_tell_day_from_month_is_quarantined_not_guessed(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first user's first 19 days of May: every day and month is 12 or less, or equal
    (05/05): nothing proves an order. Ambiguous dates are quarantined with their raw value;
    05/05/2016 reads the same either way and is published."""
    with FILE.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        may = [r for r in reader if r[1].startswith("5/") and int(r[1].split("/")[1]) <= 12]
    may = [r for r in may if r[0] == may[0][0]]
    folder = only_landing(monkeypatch, tmp_path, "fitbit_daily_activity")
    with (folder / "may.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *may])
    out = run_source(platform, "fitbit_daily_activity")
    assert out.rows_in == len(may) == 12
    assert out.reasons["ambiguous_date"] == 11
    assert out.published == 1  # 5/5/2016
    with session_for(platform) as session:
        from healthai.models import QuarantinedRow

        row = session.scalar(select(QuarantinedRow).where(QuarantinedRow.source_record == "1"))
        reason = row.reasons[0]
        assert (reason["rule"], reason["column"], reason["value"]) == (
            "ambiguous_date",
            "ActivityDate",
            "5/1/2016",
        )
        assert reason["message"] == (
            "ActivityDate: '5/1/2016' can be read day-first or month-first and nothing in the "
            "file tells which; write it as YYYY-MM-DD."
        )
