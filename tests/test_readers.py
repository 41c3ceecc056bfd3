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
    ("name", "content", "fmt", "message"),
    [
        ("empty.csv", b"", "csv", "empty"),
        ("blank.csv", b"\n\n  \n", "csv", "empty"),
        ("notjson.json", b"a,b\n1,2\n", "json", "not valid JSON"),
        ("object.json", b'{"x": 1}', "json", "expected a JSON array"),
        ("none.json", b"[]", "json", "holds no record"),
        ("fake.xlsx", b"a,b\n1,2\n", "xlsx", "not a readable spreadsheet"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused(
    tmp_path: Path, name: str, content: bytes, fmt: str, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ContractError, match=message):
        read_file(path, fmt)
