"""CIQUAL 2020: the ANSES .xls read with calamine, its cell conventions (decimal commas, `-`,
`< x`, `traces`) turned into numbers, the duplicated alim_code counted. Counted here with
pandas and plain parsing, not the pipeline."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from healthai.models import Food
from healthai.sources.ciqual import NUTRIENTS
from tests.conftest import ENGINES
from tests.pipeline_helpers import count, session_for
from tests.sources.helpers import RAW, only_landing, run_source

FILE = RAW / "ciqual" / "Table_Ciqual_2020_FR_2020_07_07.xls"
PROTEIN = "Protéines, N x facteur de Jones (g/100 g)"


def value(cell: object) -> float | None | str:
    if (
        cell is None
        or (isinstance(cell, float) and pd.isna(cell))
        or str(cell).strip() in ("", "-")
    ):
        return None
    text = str(cell).strip()
    if text == "traces" or text.startswith("<"):
        return 0.0
    if re.fullmatch(r"\d+(,\d+)?", text):
        return float(text.replace(",", "."))
    return text  # anything else is a defect


def expectations(path: Path) -> dict[str, int]:
    sheet = pd.read_excel(path, sheet_name="compo", dtype=str, engine="calamine")
    bad = 0
    for _, row in sheet.iterrows():
        values = {c: value(row[c]) for c in NUTRIENTS}
        if any(isinstance(v, str) for v in values.values()) or any(
            isinstance(v, float) and not 0 <= v <= NUTRIENTS[c][1].max for c, v in values.items()
        ):
            bad += 1
    codes = sheet["alim_code"]
    return {"rows": len(sheet), "quarantined": bad, "duplicates": len(codes) - codes.nunique()}


# The real workbook takes ~15 s per engine: SQLite only; PostgreSQL runs the variant below.
@pytest.mark.parametrize("engine", ["sqlite"])
def test_real_file(engine: str, platform: str) -> None:
    want = expectations(FILE)
    assert (want["rows"], want["duplicates"]) == (3186, 1)  # SOURCES.md: 9621 twice
    out = run_source(platform, "ciqual")
    assert out.rows_in == want["rows"]
    assert out.quarantined == want["quarantined"]
    assert out.duplicates == want["duplicates"]
    assert out.published == want["rows"] - want["quarantined"] - want["duplicates"]
    assert count(platform, "foods") == out.published
    sheet = pd.read_excel(FILE, sheet_name="compo", dtype=str, engine="calamine")
    comma = sheet[sheet[PROTEIN].fillna("").str.fullmatch(r"\d+,\d+")].iloc[0]
    below = sheet[sheet[PROTEIN].fillna("").str.startswith("<")].iloc[0]
    with session_for(platform) as session:
        food = session.scalar(select(Food).where(Food.code == f"ciqual:{comma['alim_code']}"))
        assert food.protein_g == float(comma[PROTEIN].replace(",", "."))
        food = session.scalar(select(Food).where(Food.code == f"ciqual:{below['alim_code']}"))
        assert food.protein_g == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_defects(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sheet = pd.read_excel(FILE, sheet_name="compo", dtype=str, engine="calamine", nrows=40)
    sheet = sheet[sheet[PROTEIN].fillna("").str.fullmatch(r"\d+,\d+")].head(5).copy()
    first = sheet.index[0]
    rows = sheet.index.tolist()
    sheet.loc[rows[1], PROTEIN] = "n.d."  # unknown convention
    sheet.loc[rows[2], PROTEIN] = "120,5"  # above 100 g per 100 g
    sheet.loc[rows[3], "alim_nom_fr"] = None  # no name
    sheet = pd.concat([sheet, sheet.loc[[first]]])  # the same code twice
    folder = only_landing(monkeypatch, tmp_path, "ciqual")
    with pd.ExcelWriter(folder / "ciqual.xlsx") as writer:
        sheet.to_excel(writer, sheet_name="compo", index=False)
        sheet.to_excel(writer, sheet_name="other", index=False)
    out = run_source(platform, "ciqual")
    assert (out.rows_in, out.published, out.quarantined, out.duplicates) == (6, 2, 3, 1)
    assert out.reasons["missing_value"] == 1
    assert out.reasons["not_a_number"] == 1
    assert out.reasons["out_of_range"] == 1


@pytest.mark.parametrize("engine", ["sqlite"])
def test_wrong_sheet_is_refused(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = only_landing(monkeypatch, tmp_path, "ciqual")
    pd.DataFrame({"a": [1]}).to_excel(folder / "ciqual.xlsx", sheet_name="Feuil1", index=False)
    out = run_source(platform, "ciqual")
    assert out.rows_in == 0 and count(platform, "foods") == 0
    assert len(out.errors) == 1 and out.errors[0] == (
        "ciqual.xlsx: no sheet named 'compo' (sheets: Feuil1)."
    )
