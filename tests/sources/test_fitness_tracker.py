"""fitness_tracker on the real file and on defective variants, counted here with plain csv."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from tests.conftest import ENGINES
from tests.pipeline_helpers import count
from tests.sources.helpers import RAW, only_landing, run_source

FILE = RAW / "fitness_tracker" / "gym_members_exercise_tracking_synthetic_data.csv"
ESCAPES = re.compile(r"^(\\[tnr])+|(\\[tnr])+$")


def clean(value: str) -> str:
    return ESCAPES.sub("", value.strip()).strip()


def expectations(path: Path) -> dict[str, int]:
    with path.open(newline="") as fh:
        rows = [{k: clean(v) for k, v in r.items()} for r in csv.DictReader(fh)]
    nulls = bmi = hr = 0
    good = []
    for r in rows:
        if any(v == "" for v in r.values()):
            nulls += 1
            continue
        w, h, b = float(r["Weight (kg)"]), float(r["Height (m)"]), float(r["BMI"])
        bad_bmi = abs(b - w / h**2) > 0.5
        bad_hr = float(r["Avg_BPM"]) > float(r["Max_BPM"])
        bmi += bad_bmi
        hr += bad_hr
        if not (bad_bmi or bad_hr):
            good.append(tuple(float(v) if re.match(r"^[\d.]+$", v) else v for v in r.values()))
    return {
        "rows": len(rows),
        "quarantined": len(rows) - len(good),
        "duplicates": len(good) - len(set(good)),
        "nulls": nulls,
        "bmi": bmi,
        "hr": hr,
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_real_file(engine: str, platform: str) -> None:
    want = expectations(FILE)
    out = run_source(platform, "fitness_tracker")
    assert out.rows_in == want["rows"] == 1800  # SOURCES.md: 1,800 rows
    assert out.quarantined == want["quarantined"]
    assert out.duplicates == want["duplicates"]
    published = want["rows"] - want["quarantined"] - want["duplicates"]
    assert out.published == published > 0
    assert count(platform, "users") == published
    assert count(platform, "biometric_measurements") == 5 * published
    assert out.reasons["missing_value"] == want["nulls"]
    assert out.reasons["avg_bpm_not_above_max_bpm"] > 0
    assert set(out.reasons) == {
        "missing_value",
        "bmi_matches_weight_and_height",
        "avg_bpm_not_above_max_bpm",
    }


@pytest.mark.parametrize("engine", ["sqlite"])
def test_escapes_stripped_and_keys_differ_from_gym_members(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clean gym row, its Max_BPM and Workout_Type wrapped in literal escapes, published once
    under each source: two users, two namespaces; a row at a clipping bound is only flagged."""
    header = (RAW / "gym_members" / "gym_members_exercise_tracking.csv").read_text().splitlines()
    row = header[1].split(",")
    row[4] = "\\t" + row[4]
    row[9] = "\\n" + row[9]
    clipped = header[1].split(",")
    clipped[2] = "40.0"
    clipped[14] = f"{40.0 / float(clipped[3]) ** 2:.2f}"
    folder = only_landing(monkeypatch, tmp_path, "fitness_tracker")
    (folder / "dirty.csv").write_text("\n".join([header[0], ",".join(row), ",".join(clipped)]))
    (only_landing(monkeypatch, tmp_path, "gym_members") / "gym.csv").write_text(
        "\n".join(header[:2])
    )
    out = run_source(platform, "fitness_tracker")
    assert (out.published, out.quarantined) == (2, 0)
    run_source(platform, "gym_members")
    assert count(platform, "users") == 3  # same row in two sources: two keys
    from sqlalchemy import select

    from healthai.models import BatchCheck
    from tests.pipeline_helpers import session_for

    with session_for(platform) as session:
        flagged = session.scalar(
            select(BatchCheck).where(BatchCheck.name == "soft:value_at_clipping_bound")
        )
        assert flagged.observed["rows_flagged"] == 1 and flagged.blocking is False


@pytest.mark.parametrize("engine", ["sqlite"])
def test_defects_quarantined_with_their_reasons(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = (RAW / "gym_members" / "gym_members_exercise_tracking.csv").read_text().splitlines()
    good = lines[1].split(",")
    null = list(good)
    null[1] = ""
    bmi = list(good)
    bmi[14] = str(float(good[14]) + 5)
    text = list(good)
    text[0] = "thirty"
    folder = only_landing(monkeypatch, tmp_path, "fitness_tracker")
    (folder / "defects.csv").write_text(
        "\n".join([lines[0], *(",".join(r) for r in (good, null, bmi, text, good))]) + "\n"
    )
    out = run_source(platform, "fitness_tracker")
    assert (out.rows_in, out.published, out.quarantined, out.duplicates) == (5, 1, 3, 1)
    assert out.reasons["missing_value"] == 1
    assert out.reasons["bmi_matches_weight_and_height"] == 1
    assert out.reasons["not_a_number"] == 1
