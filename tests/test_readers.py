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
