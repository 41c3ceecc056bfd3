"""The food catalogue: malformed lines quarantined, names repeated counted as duplicates,
per-100 g values only where the portion is a mass. Counted here with plain csv."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from healthai.models import Food
from tests.conftest import ENGINES
from tests.pipeline_helpers import session_for
from tests.sources.helpers import RAW, only_landing, run_source

FILE = RAW / "daily_food_nutrition" / "daily_food_nutrition_dataset.csv"


def expectations(path: Path) -> dict[str, int]:
    with path.open(newline="", encoding="utf-8") as fh:
        lines = list(csv.reader(fh))
    header, rows = lines[0], lines[1:]
    good = [r for r in rows if len(r) == len(header)]
    names = [r[0].strip() for r in good]
    unique = dict.fromkeys(names)
    firsts = {}
    for r in good:
        firsts.setdefault(r[0].strip(), r)
    in_grams = [
        n for n, r in firsts.items() if re.search(r"\d\s*oz\b", n) and "Beverage" not in r[1]
    ]
    return {
        "rows": len(rows),
        "malformed": len(rows) - len(good),
        "duplicates": len(names) - len(unique),
        "with_grams": len(in_grams),
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_real_file(engine: str, platform: str) -> None:
    want = expectations(FILE)
    assert (want["rows"], want["malformed"], want["duplicates"]) == (651, 6, 58)  # SOURCES.md
    out = run_source(platform, "daily_food_nutrition")
    assert out.rows_in == want["rows"]
    assert out.quarantined == want["malformed"]
    assert dict(out.reasons) == {"malformed_line": want["malformed"]}
    assert out.duplicates == want["duplicates"]
    assert out.published == want["rows"] - want["malformed"] - want["duplicates"]
    with session_for(platform) as session:
        assert session.scalar(select(func.count(Food.id))) == out.published
        with_values = session.scalar(
            select(func.count(Food.id)).where(Food.energy_kcal.is_not(None))
        )
        assert (
            with_values
            == session.scalar(select(func.count(Food.id)).where(Food.portion_g.is_not(None)))
            == want["with_grams"]
        )
        almonds = session.scalar(select(Food).where(Food.name == "Almonds (1 oz)"))
        raw = next(r for r in csv.reader(FILE.open()) if r[0] == "Almonds (1 oz)")
        assert almonds.energy_kcal == pytest.approx(float(raw[2]) * 100 / 28.3495, abs=0.01)
        eggs = session.scalar(select(Food).where(Food.name == "Scrambled Eggs (2 large)"))
        assert eggs.energy_kcal is None and eggs.portion_g is None


@pytest.mark.parametrize("engine", ["sqlite"])
def test_defects(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = FILE.read_text().splitlines()[0]
    rows = [
        "Almonds (1 oz),Nut,160,6.0,6.0,14.0,3.5,1.0,0,0,Snack,0",  # good, per 100 g
        "Milk (2%, 1 cup),Dairy,120,8.0,12.0,5.0,0.0,12.0,100,20,Breakfast,240",  # malformed
        "Sugar Cube (1 oz),Snack,110,0.0,5.0,0.0,0.0,9.0,0,0,Snack,0",  # sugars > carbs
        "Lard (1 oz),Condiment,900,0.0,0.0,100.0,0.0,0.0,0,0,Snack,0",  # > 950 kcal / 100 g
        "Soup (1 bowl),Meal,abc,1.0,1.0,1.0,0.0,0.0,0,0,Lunch,0",  # not a number
        "Cake (1 slice),Dessert,300,4.0,40.0,12.0,1.0,25.0,200,40,Brunch,0",  # unknown meal
        "Almonds (1 oz),Nut,160,6.0,6.0,14.0,3.5,1.0,0,0,Snack,0",  # duplicate
    ]
    folder = only_landing(monkeypatch, tmp_path, "daily_food_nutrition")
    (folder / "catalogue.csv").write_text("\n".join([header, *rows]) + "\n")
    out = run_source(platform, "daily_food_nutrition")
    assert (out.rows_in, out.published, out.quarantined, out.duplicates) == (7, 1, 5, 1)
    assert set(out.reasons) == {
        "malformed_line",
        "sugars_not_above_carbohydrates",
        "per_100g_within_food_bounds",
        "not_a_number",
        "not_allowed",
    }
