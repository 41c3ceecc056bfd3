"""Gym members exercise tracking (Kaggle `valakhorasani/gym-members-exercise-dataset`).

One row is one member's profile and a typical session. No identifier: the user key is a
fingerprint of the row, so the same member twice counts as a duplicate, never twice published.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from healthai.models.vocab import BOUNDS
from healthai.pipeline.contract import cross_field, measure
from healthai.pipeline.readers import RECORD
from healthai.pipeline.spec import CleanContext, SourceSpec
from healthai.sources.common import row_fingerprint, strip_text

# The dataset (2024) states ages, not birth years.
AGE_REFERENCE_YEAR = 2024

COLUMNS = {
    "Age": "age",
    "Gender": "gender",
    "Weight (kg)": "weight_kg",
    "Height (m)": "height_m",
    "Max_BPM": "max_bpm",
    "Avg_BPM": "avg_bpm",
    "Resting_BPM": "resting_bpm",
    "Session_Duration (hours)": "session_hours",
    "Calories_Burned": "calories",
    "Workout_Type": "workout_type",
    "Fat_Percentage": "fat_pct",
    "Water_Intake (liters)": "water_l",
    "Workout_Frequency (days/week)": "workouts_per_week",
    "Experience_Level": "experience_level",
    "BMI": "bmi",
}
WORKOUT_TYPES = ["Strength", "Cardio", "Yoga", "HIIT"]


CONTRACT = pa.DataFrameSchema(
    {
        RECORD: pa.Column(int, coerce=True),
        "Age": measure(BOUNDS["age_years"]),
        "Gender": pa.Column(str, pa.Check.isin(["Male", "Female"]), nullable=False),
        "Weight (kg)": measure(BOUNDS["weight_kg"]),
        "Height (m)": measure(BOUNDS["height_cm"].scaled(0.01, "m")),
        "Max_BPM": measure(BOUNDS["heart_rate_bpm"]),
        "Avg_BPM": measure(BOUNDS["heart_rate_bpm"]),
        "Resting_BPM": measure(BOUNDS["resting_hr_bpm"]),
        "Session_Duration (hours)": measure(BOUNDS["workout_duration_min"].scaled(1 / 60, "h")),
        "Calories_Burned": measure(BOUNDS["session_calories_kcal"]),
        "Workout_Type": pa.Column(str, pa.Check.isin(WORKOUT_TYPES), nullable=False),
        "Fat_Percentage": measure(BOUNDS["body_fat_pct"]),
        "Water_Intake (liters)": measure(BOUNDS["water_l"]),
        "Workout_Frequency (days/week)": measure(BOUNDS["workouts_per_week"]),
        "Experience_Level": pa.Column(float, pa.Check.isin([1, 2, 3]), coerce=True, nullable=False),
        "BMI": measure(BOUNDS["bmi"]),
    },
    checks=[
        cross_field(
            "avg_bpm_not_above_max_bpm",
            ["Avg_BPM", "Max_BPM"],
            lambda df: df["Avg_BPM"] <= df["Max_BPM"],
            "average heart rate above the maximum",
        ),
        cross_field(
            "bmi_matches_weight_and_height",
            ["BMI", "Weight (kg)", "Height (m)"],
            lambda df: (df["BMI"] - df["Weight (kg)"] / df["Height (m)"] ** 2).abs() <= 0.5,
            "BMI differs from weight / height² by more than 0.5",
        ),
    ],
    strict=False,
    name="gym_members",
)


def activity_level(workouts_per_week: pd.Series) -> pd.Series:
    bins = [-1, 0, 2, 3, 4, 14]
    labels = ["sedentary", "light", "moderate", "active", "very_active"]
    return pd.cut(workouts_per_week, bins=bins, labels=labels).astype(str)


def intensity(avg_bpm: pd.Series, max_bpm: pd.Series) -> pd.Series:
    """Share of the maximum heart rate: < 64 % low, < 77 % moderate, else high (ACSM zones)."""
    share = avg_bpm / max_bpm
    return pd.cut(
        share, bins=[0, 0.64, 0.77, 10], labels=["low", "moderate", "high"], right=False
    ).astype(str)


def transform(valid: pd.DataFrame, ctx: CleanContext) -> dict[str, pd.DataFrame]:
    df = valid.rename(columns=COLUMNS)
    key = ctx.source + ":" + row_fingerprint(df, list(COLUMNS.values()))
    users = pd.DataFrame(
        {
            RECORD: df[RECORD],
            "external_key": key,
            "birth_year": (AGE_REFERENCE_YEAR - df["age"]).astype(int),
            "sex": df["gender"].str.lower(),
            "height_cm": (df["height_m"] * 100).round(1),
            "experience_level": df["experience_level"].astype(int),
            "workouts_per_week": df["workouts_per_week"].astype(int),
            "activity_level": activity_level(df["workouts_per_week"]),
            "plan_tier": "free",
        }
    )
    sessions = pd.DataFrame(
        {
            RECORD: df[RECORD],
            "user_key": key,
            "workout_type": df["workout_type"].str.lower(),
            "duration_min": (df["session_hours"] * 60).round(1),
            "calories_kcal": df["calories"],
            "avg_hr_bpm": df["avg_bpm"].astype(int),
            "max_hr_bpm": df["max_bpm"].astype(int),
            "intensity": intensity(df["avg_bpm"], df["max_bpm"]),
        }
    )
    measured_at = pd.Timestamp(ctx.received_at).normalize()
    metrics = {
        "weight_kg": "weight_kg",
        "body_fat_pct": "fat_pct",
        "bmi": "bmi",
        "resting_hr_bpm": "resting_bpm",
        "water_l": "water_l",
    }
    readings = pd.DataFrame(
        {
            RECORD: df[RECORD],
            "user_key": key,
            "measured_at": measured_at,
            **{metric: df[column].astype(float) for metric, column in metrics.items()},
        }
    )
    return {"users": users, "workout_sessions": sessions, "biometric_readings": readings}


SPEC = SourceSpec(
    name="gym_members",
    title="Gym members exercise tracking",
    format="csv",
    accepts=("xlsx",),  # spreadsheet exports of the same table
    location="gym_members/*.csv",
    contract=CONTRACT,
    normalise=strip_text,
    transform=transform,
    primary_table="users",
    primary_key="external_key",
    soft_rules={
        "bmi_extreme": (
            "BMI below 16 or above 40: possible but rare, worth a look.",
            lambda df: (df["BMI"] < 16) | (df["BMI"] > 40),
        ),
        "max_bpm_above_age_maximum": (
            "Max_BPM above 220 − age (the usual estimate of a maximum heart rate).",
            lambda df: df["Max_BPM"] > 220 - df["Age"],
        ),
    },
    update_frequency="weekly",
    cron="0 2 * * 1",
    owner="data-team@healthai-coach.fr",
    licence="Not stated in the file; the Kaggle card is quoted as Apache 2.0 (unverified).",
    citation="Vala Khorasani, Gym Members Exercise Dataset, Kaggle, 2024.",
    origin="Kaggle valakhorasani/gym-members-exercise-dataset (copy from "
    "bsp41/gym-database-star-schema, blob 4a5e26b6).",
    description="Profiles (age, sex, weight, height, BMI, fat %) and a typical session "
    "(type, duration, calories, heart rates) of 973 gym members; synthetic teaching data.",
    defects=(
        "No identifier column: a pseudonymous key is derived from the row's content.",
        "Avg_BPM above Max_BPM in 23 rows (quarantined).",
        "BMI below 16 in 68 rows and above 40 in 34 (flagged, not quarantined).",
        "Max_BPM above 220 − age in 434 rows (flagged).",
        "No date: measurements are stamped with the day the file was received.",
    ),
)
