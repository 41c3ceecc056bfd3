"""Files as people export them from a spreadsheet, dropped into the landing zone: the format is
read from the content (a workbook named .csv is still a workbook), a source that accepts
spreadsheets reads them, one that does not refuses the file with a message naming it, and
the leftovers of an export (title lines, trailing separators, empty lines) change nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from healthai.models import IngestionRun, QuarantinedRow
from healthai.settings import PROJECT_ROOT
from tests.pipeline_helpers import count, session_for
from tests.sources.helpers import only_landing, run_source

GYM = PROJECT_ROOT / "raw" / "gym_members" / "gym_members_exercise_tracking.csv"


def _gym_rows(n: int) -> tuple[list[str], list[list[str]]]:
    """The gym file's header and its first `n` rows whose average heart rate is not above
    the maximum (all valid)."""
    with GYM.open(newline="") as fh:
        rows = list(csv.reader(fh))
    good = [r for r in rows[1:] if float(r[5]) <= float(r[4])]
    return rows[0], good[:n]


def _number(cell: str) -> object:
    try:
        return float(cell)
    except ValueError:
        return cell


@pytest.mark.parametrize("engine", ["sqlite"])
def test_a_workbook_named_csv_with_a_title_row_is_read_by_a_source_that_accepts_xlsx(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header, rows = _gym_rows(8)
    book = Workbook()
    sheet = book.active
    sheet.append(["Members - export of May 2024"])
    sheet.append([])
    sheet.append([*header, None])
    for row in rows:
        sheet.append([*map(_number, row), None])
    sheet.append([None] * (len(header) + 1))  # an empty line at the end
    folder = only_landing(monkeypatch, tmp_path, "gym_members")
    book.save(folder / "members.csv")  # the wrong extension: the content decides
    out = run_source(platform, "gym_members")
    assert (out.rows_in, out.published, out.quarantined, out.errors) == (8, 8, 0, [])
    assert count(platform, "users") == 8


@pytest.mark.parametrize("engine", ["sqlite"])
def test_a_csv_exported_by_a_spreadsheet_publishes_its_rows_only(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header, rows = _gym_rows(6)
    sep = "," * 3
    lines = [
        "Gym members" + "," * (len(header) + 2),
        "," * (len(header) + 2),
        ",".join(header) + sep,
        *(",".join(r) + sep for r in rows[:3]),
        "," * (len(header) + 2),  # a line of separators between blocks
        *(",".join(r) + sep for r in rows[3:]),
    ]
    folder = only_landing(monkeypatch, tmp_path, "gym_members")
    (folder / "export.csv").write_text("\r\n".join(lines) + "\r\n")
    out = run_source(platform, "gym_members")
    assert (out.rows_in, out.published, out.quarantined, out.errors) == (6, 6, 0, [])


@pytest.mark.parametrize(
    ("source", "name", "actual", "accepted"),
    [
        ("sim_biometrics", "bio.csv", "an Excel workbook (XLSX)", "CSV"),
        ("sim_surveys", "surveys.xlsx", "a CSV (text) file", "XLSX"),
    ],
)
@pytest.mark.parametrize("engine", ["sqlite"])
def test_a_file_in_a_format_the_source_does_not_accept_is_refused_with_its_name(
    engine: str,
    platform: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    name: str,
    actual: str,
    accepted: str,
) -> None:
    """Issue #13 (2): an .xlsx dropped into a CSV source raised UnicodeDecodeError."""
    folder = only_landing(monkeypatch, tmp_path, source)
    if accepted == "CSV":
        book = Workbook()
        book.active.append(["user_key", "date", "weight_kg"])
        book.active.append(["sim:u1", "2025-01-01", 70])
        book.save(folder / name)
    else:
        (folder / name).write_text("user_key,answered_on,score,comment\nsim:u1,2025-01-01,7,\n")
    out = run_source(platform, source)
    assert out.errors == [f"{name}: this is {actual}, but source {source} accepts {accepted} only."]
    with session_for(platform) as session:
        assert session.scalar(select(IngestionRun.status)) == "failed"
        assert session.scalar(select(QuarantinedRow.id)) is None
