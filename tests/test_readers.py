"""Reading anything, losing nothing: encodings, delimiters and decimal separators are detected,
malformed lines are kept for quarantine, and files that are not what they claim are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthai.pipeline.errors import ContractError
from healthai.pipeline.readers import RECORD, read_file


def test_french_export_with_semicolons_decimal_commas_and_latin1(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        "Aliment;Énergie (kcal);Protéines (g)\nPâtes cuites;131,5;5,1\nCrème brûlée;275;4\n".encode(
            "latin-1"
        )
    )
    result = read_file(path, "csv")
    assert (result.delimiter, result.decimal) == (";", ",")
    assert result.encoding == "cp1252"
    assert list(result.frame.columns) == [RECORD, "Aliment", "Énergie (kcal)", "Protéines (g)"]
    assert result.frame["Aliment"].tolist() == ["Pâtes cuites", "Crème brûlée"]
    assert result.frame["Énergie (kcal)"].tolist() == ["131.5", "275"]
    assert result.frame[RECORD].tolist() == [1, 2]


def test_malformed_lines_are_kept_with_their_line_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n")
    result = read_file(path, "csv")
    assert result.frame[RECORD].tolist() == [1, 4]
    assert [m[RECORD] for m in result.malformed] == [2, 3]
    assert all(m["reason"]["rule"] == "malformed_line" for m in result.malformed)
    assert result.malformed[0]["raw"] == {"line": "4,5"}
    assert result.rows_in == 4  # nothing silently dropped


@pytest.mark.parametrize("chunk_rows", [None, 1, 2])
def test_record_numbers_skip_empty_lines_whatever_the_chunks(
    tmp_path: Path, chunk_rows: int | None
) -> None:
    """A record's number counts the lines after the header that hold anything: a completely
    empty line is no record and takes no number (Arrow's CSV parser cannot tell it from a line
    of empty fields otherwise), a line of blanks does. The numbers do not depend on chunks, so
    a rejected batch finds its rows again by reading the file in chunks."""
    from healthai.pipeline.readers import iter_file

    path = tmp_path / "gaps.csv"
    path.write_text("a,b\n1,2\n\n3,4\n   \n5\n\n6,7\n")
    parts = list(iter_file(path, "csv", chunk_rows=chunk_rows))
    assert [r for p in parts for r in p.frame[RECORD].tolist()] == [1, 2, 5]
    assert [r for p in parts for r in p.frame["a"].tolist()] == ["1", "3", "6"]
    assert [m[RECORD] for p in parts for m in p.malformed] == [4]  # "5": one field of two
    assert sum(p.rows_in for p in parts) == 4  # the line of blanks is not a row either


def test_single_column_blank_lines_are_not_rows(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("name\nx\n\n  \ny\n")
    result = read_file(path, "csv")
    assert result.frame["name"].tolist() == ["x", "y"]
    assert result.frame[RECORD].tolist() == [1, 3]


@pytest.mark.parametrize(
    ("name", "content", "fmt", "rule", "message"),
    [
        ("empty.csv", b"", "csv", "file_empty", "empty.csv: the file is empty."),
        ("blank.csv", b"\n\n  \n", "csv", "file_empty", "blank.csv: the file is empty."),
        ("empty.json", b"", "json", "file_empty", "empty.json: the file is empty."),
        ("blank.json", b" \n", "json", "file_empty", "blank.json: the file is empty."),
        (
            "object.json",
            b'{"x": 1}',
            "json",
            "json_not_records",
            "object.json: expected a JSON array of records (or an object with a 'data' or "
            "'items' array).",
        ),
        ("no.json", b"[]", "json", "json_no_record", "no.json: the JSON array holds no record."),
        (
            "cut.json",
            b'[{"a": 1},\n {"a": 2},\n {"a": "thr',
            "json",
            "json_truncated",
            "cut.json: the JSON stops before its end (cut at line 3, column 12, byte 33); the "
            "file was probably not copied whole.",
        ),
        (
            "cut2.json",
            b'[{"a": 1},\n {"a": 2}',
            "json",
            "json_truncated",
            "cut2.json: the JSON stops before its end (cut at line 2, column 10, byte 20); the "
            "file was probably not copied whole.",
        ),
        (
            "typo.json",
            b'[{"a": 1} {"a": 2}]',
            "json",
            "json_invalid",
            "typo.json: not valid JSON at line 1, column 11 (byte 10): Expecting ',' delimiter.",
        ),
        (
            "notjson.json",
            b"a,b\n1,2\n",
            "json",
            "format_not_accepted",
            "notjson.json: this is a CSV (text) file, but source this source accepts JSON only.",
        ),
        (
            "fake.xlsx",
            b"a,b\n1,2\n",
            "xlsx",
            "format_not_accepted",
            "fake.xlsx: this is a CSV (text) file, but source this source accepts XLSX only.",
        ),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused_with_a_steward_message(
    tmp_path: Path, name: str, content: bytes, fmt: str, rule: str, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ContractError) as caught:
        read_file(path, fmt)
    assert caught.value.rule == rule
    assert str(caught.value.for_file(name)) == message


def _workbook(path: Path, rows: list[list[object]], sheet: str = "Sheet1") -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_the_format_is_read_from_the_content_not_the_name(tmp_path: Path) -> None:
    """A workbook named .csv is read as a workbook by a source that accepts spreadsheets, and
    refused with a clear message (never a UnicodeDecodeError) by one that does not; a CSV
    named .xlsx likewise."""
    book = _workbook(tmp_path / "export.csv", [["a", "b"], [1, "x"], [2.5, "y"]])
    result = read_file(book, "csv", formats=("csv", "xlsx"))
    assert result.format == "xlsx"
    assert result.frame[["a", "b"]].values.tolist() == [["1", "x"], ["2.5", "y"]]
    with pytest.raises(ContractError) as caught:
        read_file(book, "csv", source="gym_members")
    assert str(caught.value.for_file("export.csv")) == (
        "export.csv: this is an Excel workbook (XLSX), but source gym_members accepts CSV only."
    )
    text = tmp_path / "sheet.xlsx"
    text.write_text("a,b\n1,x\n")
    assert read_file(text, "xlsx", formats=("xlsx", "csv")).frame["b"].tolist() == ["x"]
    odd = tmp_path / "photo.csv"
    odd.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ContractError, match="binary file of an unknown kind"):
        read_file(odd, "csv")


def test_spreadsheet_csv_export_leftovers_are_handled(tmp_path: Path) -> None:
    """A CSV saved by a spreadsheet: a title and an empty line above the header, trailing
    separators on every line (unnamed empty columns), lines of separators only. The header is
    found by the expected column names; none of the leftovers becomes a row or a column."""
    path = tmp_path / "export.csv"
    path.write_text(
        "Gym members - export of 2024-05-01,,,,\n"
        ",,,,\n"
        "Age,Gender,Weight (kg),,\n"
        "56,Male,88.3,,\n"
        ",,,,\n"
        "46,Female,74.9,,\n"
        "32,Female,68.1\n"  # this line lost its trailing separators
        "40,Male,70.0,,x\n"  # a value in an unnamed column: not a leftover, kept visible
    )
    result = read_file(path, "csv", columns=["Age", "Gender", "Weight (kg)"])
    frame = result.frame
    assert list(frame.columns[:4]) == [RECORD, "Age", "Gender", "Weight (kg)"]
    assert frame["Age"].tolist() == ["56", "46", "32", "40"]
    assert frame[RECORD].tolist() == [1, 3, 4, 5]  # numbered below the header
    assert frame["Unnamed: 4"].tolist() == ["", "", "", "x"]
    assert not result.malformed


def test_spreadsheet_workbook_leftovers_are_handled(tmp_path: Path) -> None:
    book = _workbook(
        tmp_path / "export.xlsx",
        [
            ["Gym members", None, None, None],
            [],
            ["Age", "Gender", "Weight (kg)", None],
            [56, "Male", 88.3, None],
            [None, None, None, None],
            [46, "Female", 74.9, None],
        ],
    )
    result = read_file(book, "xlsx", columns=["Age", "Gender", "Weight (kg)"])
    assert list(result.frame.columns) == [RECORD, "Age", "Gender", "Weight (kg)"]
    assert result.frame.values.tolist() == [[1, "56", "Male", "88.3"], [3, "46", "Female", "74.9"]]
