"""Diet recommendations: `None` kept as a category, restrictions and allergies published as
rows, label inconsistencies flagged, not quarantined. Counted here with plain csv."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from healthai.models import BatchCheck
from tests.conftest import ENGINES
from tests.pipeline_helpers import count, session_for
from tests.sources.helpers import RAW, only_landing, run_source

FILE = RAW / "diet_recommendations" / "diet_recommendations_dataset.csv"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("engine", ENGINES)
def test_real_file(engine: str, platform: str) -> None:
    data = rows(FILE)
    ids = [r["Patient_ID"] for r in data]
    bad_bmi = sum(
        abs(float(r["BMI"]) - float(r["Weight_kg"]) / (float(r["Height_cm"]) / 100) ** 2) > 0.5
        for r in data
    )
    out = run_source(platform, "diet_recommendations")
    assert out.rows_in == len(data) == 1000
    assert out.quarantined == bad_bmi
    assert out.duplicates == len(ids) - len(set(ids))
    assert out.published == len(data) - bad_bmi - out.duplicates
    assert count(platform, "users") == out.published
    assert count(platform, "user_dietary_restrictions") == sum(
        r["Dietary_Restrictions"] != "None" for r in data
    )
    assert count(platform, "user_allergies") == sum(r["Allergies"] != "None" for r in data)
    assert count(platform, "biometric_measurements") == 2 * out.published
    obese_low_bmi = sum(r["Disease_Type"] == "Obesity" and float(r["BMI"]) < 30 for r in data)
    assert obese_low_bmi == 140  # SOURCES.md
    with session_for(platform) as session:
        check = session.scalar(
            select(BatchCheck).where(BatchCheck.name == "soft:obesity_label_without_bmi_30")
        )
        assert check.observed["rows_flagged"] == obese_low_bmi and not check.blocking


@pytest.mark.parametrize("engine", ["sqlite"])
def test_defects(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = FILE.read_bytes().decode().split("\r\n")
    header, first = lines[0], lines[1].split(",")
    empty_allergy = list(first)
    empty_allergy[0], empty_allergy[14] = "P9001", ""  # a real null, not the category None
    wrong_bmi = list(first)
    wrong_bmi[0], wrong_bmi[5] = "P9002", "45.0"
    unknown = list(first)
    unknown[0], unknown[6] = "P9003", "Flu"
    body = [first, empty_allergy, wrong_bmi, unknown, first]
    folder = only_landing(monkeypatch, tmp_path, "diet_recommendations")
    (folder / "diet.csv").write_text("\r\n".join([header, *(",".join(r) for r in body)]) + "\r\n")
    out = run_source(platform, "diet_recommendations")
    assert (out.rows_in, out.published, out.quarantined, out.duplicates) == (5, 1, 3, 1)
    assert out.reasons["missing_value"] == 1
    assert out.reasons["bmi_matches_weight_and_height_cm"] == 1
    assert out.reasons["not_allowed"] == 1
