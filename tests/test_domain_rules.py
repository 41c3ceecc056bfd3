"""Domain rules declared once (healthai.models.vocab.BOUNDS): the database's CHECK, the API's
schema and every source contract refuse the same values, because they read the same range;
and a file whose values are in another unit (a weight in pounds) is caught by that range as a
whole, not only row by row by a consistency rule."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
import pytest
from pydantic import ValidationError
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from api.schemas import resources as api
from healthai.db import make_engine
from healthai.models import BiometricReading, Food, MealLog, User, WorkoutSession
from healthai.models.vocab import BOUNDS, Bound
from healthai.pipeline.contract import validate
from healthai.pipeline.readers import RECORD
from healthai.settings import PROJECT_ROOT
from healthai.sources import SOURCES
from tests.conftest import ENGINES
from tests.sources.helpers import only_landing, run_source

GYM = PROJECT_ROOT / "raw" / "gym_members" / "gym_members_exercise_tracking.csv"
WHEN = datetime(2024, 1, 1, tzinfo=UTC)

# bound -> (table and the row to insert with the value, API schema and field(s), source
# contract columns holding the quantity in the bound's unit)
LAYERS: dict[str, dict[str, Any]] = {
    "workouts_per_week": {
        "db": (User, {"external_key": "t:1", "plan_tier": "free"}, "workouts_per_week"),
        "api": (api.UserCreate, {}, "workouts_per_week"),
        "contracts": [
            ("gym_members", "Workout_Frequency (days/week)"),
            ("sim_users", "workouts_per_week"),
        ],
    },
    "height_cm": {
        "db": (User, {"external_key": "t:1", "plan_tier": "free"}, "height_cm"),
        "api": (api.UserCreate, {}, "height_cm"),
        "contracts": [("diet_recommendations", "Height_cm"), ("sim_users", "height_cm")],
    },
    "weight_kg": {
        "db": (BiometricReading, {"measured_at": WHEN, "user_id": None, "record": 1}, "weight_kg"),
        "api": (
            api.MetricCreate,
            {"user_id": 1, "metric": "weight_kg", "measured_at": WHEN},
            "value",
        ),
        "contracts": [
            ("gym_members", "Weight (kg)"),
            ("diet_recommendations", "Weight_kg"),
            ("sim_biometrics", "weight_kg"),
        ],
    },
    "heart_rate_bpm": {
        "db": (WorkoutSession, {"workout_type": "yoga", "duration_min": 30}, "max_hr_bpm"),
        "api": (
            api.WorkoutSessionCreate,
            {"user_id": 1, "workout_type": "yoga", "duration_min": 30},
            "max_hr_bpm",
        ),
        "contracts": [("gym_members", "Max_BPM"), ("gym_members", "Avg_BPM")],
    },
    "energy_kcal_per_100g": {
        "db": (
            Food,
            {"code": "t:1", "source": "t", "source_code": "1", "name": "x"},
            "energy_kcal",
        ),
        "api": (api.FoodCreate, {"source_code": "x", "name": "x"}, "energy_kcal"),
        "contracts": [("ciqual", "Energie, Règlement UE N° 1169/2011 (kcal/100 g)")],
    },
    "meal_energy_kcal": {
        "db": (
            MealLog,
            {"eaten_on": WHEN.date(), "meal_type": "lunch", "user_id": None},
            "energy_kcal",
        ),
        "api": (
            api.MealLogCreate,
            {"user_id": 1, "eaten_on": "2024-01-01", "meal_type": "lunch"},
            "energy_kcal",
        ),
        "contracts": [("daily_food_nutrition_v1_log", "Calories (kcal)")],
    },
}


def _edges(bound: Bound) -> tuple[float, float]:
    """The largest value allowed and the smallest one above it."""
    return bound.max, bound.max + (1 if float(bound.max).is_integer() else 0.01)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_the_api_and_the_contracts_refuse_what_the_declared_range_refuses(name: str) -> None:
    bound = BOUNDS[name]
    ok, above = _edges(bound)
    schema, base, field = LAYERS[name]["api"]
    schema(**base, **{field: ok})
    with pytest.raises(ValidationError):
        schema(**base, **{field: above})
    for source, column in LAYERS[name]["contracts"]:
        contract = SOURCES[source].contract
        frame = pd.DataFrame({RECORD: [1, 2], column: [str(ok), str(above)]})
        only = pa.DataFrameSchema({c: contract.columns[c] for c in (RECORD, column)})
        result = validate(frame.copy(), only, frame)
        reasons = {r.record: [x["rule"] for x in r.reasons] for r in result.rejected}
        assert reasons == {2: ["out_of_range"]}, (source, column)
        assert result.rejected[0].reasons[0]["params"] == {"min": bound.min, "max": bound.max}


# users' CHECKs take their declared range at the schema squash (wt-write's baseline)
DB_LATER = {"workouts_per_week", "height_cm"}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", sorted(set(LAYERS) - DB_LATER))
def test_the_database_refuses_what_the_declared_range_refuses(
    engine: str, db_url: str, name: str
) -> None:
    from tests.test_constraints import LINEAGE, seed

    bound = BOUNDS[name]
    ok, above = _edges(bound)
    model, base, column = LAYERS[name]["db"]
    eng = make_engine(db_url)
    with eng.connect() as conn:
        from sqlalchemy.orm import Session

        with Session(conn) as session:
            ids = seed(session)
            session.commit()
        for i, value in enumerate((ok, above)):
            lineage = {k: v for k, v in LINEAGE.items() if k in model.__table__.c}
            row = {**base, column: value, "batch_id": ids["batch"], **lineage}
            if "user_id" in row or model is not User and "user_id" in model.__table__.c:
                row["user_id"] = ids["user"]
            if model is User:
                row["external_key"] = f"t:new{i}"
            if model is Food:
                row["code"] = f"t:new{i}"
            trans = conn.begin()
            if value == ok:
                conn.execute(insert(model), row)
                trans.rollback()
            else:
                with pytest.raises(IntegrityError):
                    conn.execute(insert(model), row)
                trans.rollback()
    eng.dispose()


@pytest.mark.parametrize("engine", ["sqlite"])
def test_a_gym_file_in_pounds_is_refused_by_the_weight_range(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #13 (5): weights in pounds were caught only by the BMI consistency rule, row by
    row. Most of them lie outside the weights most people have (35-140 kg), so the file is
    refused as a whole: converted, it can be dropped again."""
    with GYM.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, data = rows[0], rows[1:]
    weight = header.index("Weight (kg)")
    for row in data:
        row[weight] = f"{float(row[weight]) * 2.20462:.1f}"
    folder = only_landing(monkeypatch, tmp_path, "gym_members")
    with (folder / "members-lb.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([header, *data])
    out = run_source(platform, "gym_members")
    assert (out.published, out.quarantined) == (0, 0)
    assert len(out.errors) == 1
    error = out.errors[0]
    assert error.startswith("members-lb.csv: Weight (kg) does not look like kg: ")
    assert "lie outside 35-140 kg, where most values lie (pounds?)" in error


def test_loose_rules_are_tightened() -> None:
    """Issue #13 (5): 9 workouts a week was accepted (0-14); it is a number of training days."""
    with pytest.raises(ValidationError):
        api.UserCreate(workouts_per_week=9)
    contract = SOURCES["gym_members"].contract
    only = pa.DataFrameSchema(
        {c: contract.columns[c] for c in (RECORD, "Workout_Frequency (days/week)")}
    )
    frame = pd.DataFrame({RECORD: [1, 2], "Workout_Frequency (days/week)": ["7", "9"]})
    result = validate(frame.copy(), only, frame)
    assert [r.record for r in result.rejected] == [2]
