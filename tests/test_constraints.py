"""The database itself refuses impossible values, on both engines (CHECK, NOT NULL, UNIQUE,
FOREIGN KEY), whatever the code in front of it does."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthai.db import make_engine
from healthai.models import (
    Batch,
    BiometricReading,
    DailyActivity,
    IngestionRun,
    MealLog,
    SatisfactionSurvey,
    Source,
    User,
    WorkoutSession,
)
from healthai.pipeline import partitions
from tests.conftest import ENGINES

LINEAGE = {"source_sha256": "0" * 64, "source_record": "1"}


def seed(session: Session) -> dict[str, int]:
    source = Source(
        name="t",
        title="t",
        format="csv",
        location="x",
        owner="o",
        licence="l",
        update_frequency="daily",
    )
    session.add(source)
    session.flush()
    batch = Batch(source_id=source.id, status="published", rows_staged=0, rows_by_table={})
    session.add(batch)
    session.flush()
    user = User(external_key="t:1", plan_tier="free", batch_id=batch.id, **LINEAGE)
    session.add(user)
    session.flush()
    partitions.ensure_partition(session, BiometricReading.__table__, batch.id)
    return {"source": source.id, "batch": batch.id, "user": user.id}


IMPOSSIBLE: list[tuple[str, Any, dict[str, Any]]] = [
    ("height of 5 m", User, {"external_key": "t:2", "plan_tier": "free", "height_cm": 500}),
    ("unknown plan", User, {"external_key": "t:3", "plan_tier": "gold"}),
    ("same natural key twice", User, {"external_key": "t:1", "plan_tier": "free"}),
    (
        "weight of 1 t",
        BiometricReading,
        {"weight_kg": 1000.0, "measured_at": datetime(2024, 1, 1, tzinfo=UTC)},
    ),
    (
        "a reading without any measurement",
        BiometricReading,
        {"measured_at": datetime(2024, 1, 1, tzinfo=UTC)},
    ),
    (
        "average heart rate above maximum",
        WorkoutSession,
        {"workout_type": "yoga", "duration_min": 30, "avg_hr_bpm": 170, "max_hr_bpm": 150},
    ),
    ("negative duration", WorkoutSession, {"workout_type": "yoga", "duration_min": -5}),
    (
        "unknown meal type",
        MealLog,
        {"eaten_on": date(2024, 1, 1), "meal_type": "brunch", "energy_kcal": 300},
    ),
    (
        "more minutes than a day",
        DailyActivity,
        {
            "activity_date": date(2024, 1, 1),
            "steps": 10,
            "very_active_min": 1000,
            "fairly_active_min": 300,
            "lightly_active_min": 200,
            "sedentary_min": 0,
            "calories_kcal": 2000,
        },
    ),
    ("score above 10", SatisfactionSurvey, {"answered_on": date(2024, 1, 1), "score": 11}),
    (
        "user that does not exist",
        SatisfactionSurvey,
        {"answered_on": date(2024, 1, 1), "score": 5, "user_id": 999_999},
    ),
]


# What the database's refusal names, per case (constraint names differ only in wording).
REFUSAL: dict[str, tuple[str, ...]] = {
    "height of 5 m": ("height_plausible",),
    "unknown plan": ("plan_tier_known",),
    "same natural key twice": ("external_key",),
    "weight of 1 t": ("weight_kg_range",),
    "a reading without any measurement": ("has_a_measurement",),
    "average heart rate above maximum": ("avg_le_max_hr",),
    "negative duration": ("duration",),
    "unknown meal type": ("meal_type_known",),
    "more minutes than a day": ("minutes_within_day",),
    "score above 10": ("score_range",),
    "user that does not exist": ("foreign key",),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("case", "model", "values"), IMPOSSIBLE, ids=[c[0] for c in IMPOSSIBLE])
def test_impossible_values_are_refused(
    engine: str, db_url: str, case: str, model: Any, values: dict[str, Any]
) -> None:
    eng = make_engine(db_url)
    with Session(eng) as session:
        ids = seed(session)
        session.commit()
        row = {**values}
        if "user_id" in model.__table__.c and "user_id" not in row:
            row["user_id"] = ids["user"]
        lineage = {"batch_id": ids["batch"], "record": 1, **LINEAGE}
        row.update({k: v for k, v in lineage.items() if k in model.__table__.c})
        with pytest.raises(IntegrityError) as refused:
            session.execute(insert(model), [row])
        session.rollback()
    eng.dispose()
    message = str(refused.value.orig).lower()
    assert any(name in message for name in REFUSAL[case]), message


@pytest.mark.parametrize("engine", ENGINES)
def test_a_finished_run_must_account_for_every_row(engine: str, db_url: str) -> None:
    eng = make_engine(db_url)
    with Session(eng) as session:
        ids = seed(session)
        session.commit()
        session.add(
            IngestionRun(
                source_id=ids["source"],
                status="succeeded",
                rows_in=10,
                rows_published=5,
                rows_quarantined=2,
                rows_duplicate=1,
                rows_pending=0,
            )
        )
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
        session.add(
            IngestionRun(
                source_id=ids["source"],
                status="succeeded",
                rows_in=10,
                rows_published=5,
                rows_quarantined=2,
                rows_duplicate=1,
                rows_pending=2,
            )
        )
        session.flush()  # this one adds up
    eng.dispose()
