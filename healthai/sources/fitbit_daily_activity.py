"""Fitbit daily activity (Furberg et al. 2016, Zenodo 53894; Kaggle `arashnic/fitbit`): real
tracker days of 33 users, 2016-04-12 to 2016-05-12: steps, distance, active minutes by
intensity, calories.

Published: users (`fitbit:<Id>`, key only, one per user from their first valid day) and
`daily_activity` (one row per user and day). Dates are written `M/D/YYYY` in Fitbit's US
exports, `D/M/YYYY` in others: the order is decided per file from its values (a date whose
first number is above 12 proves day-first, one whose second is, month-first), never assumed
(`healthai.pipeline.dates`); a date the file cannot decide is quarantined. Non-wear days
(0 steps, a whole day sedentary, 0 calories) are possible: soft rules. A fact source: no
primary table; a second row for the same user and day is quarantined by the contract.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from healthai.models.vocab import BOUNDS
from healthai.pipeline.contract import cross_field, measure, unique_rows
from healthai.pipeline.readers import RECORD
from healthai.pipeline.spec import CleanContext, SourceSpec
from healthai.sources.common import column_key, strip_text

USER_PREFIX = "fitbit"
MINUTES = ["VeryActiveMinutes", "FairlyActiveMinutes", "LightlyActiveMinutes", "SedentaryMinutes"]
DISTANCES = [
    "TotalDistance",
    "TrackerDistance",
    "LoggedActivitiesDistance",
    "VeryActiveDistance",
    "ModeratelyActiveDistance",
    "LightActiveDistance",
    "SedentaryActiveDistance",
]


CONTRACT = pa.DataFrameSchema(
    {
        RECORD: pa.Column(int, coerce=True),
        "Id": pa.Column(str, pa.Check.str_matches(r"^\d{1,20}$"), nullable=False),
        "ActivityDate": pa.Column(
            pa.DateTime,
            pa.Check.in_range(pd.Timestamp("2000-01-01"), pd.Timestamp("2100-01-01")),
            coerce=True,
            nullable=False,
        ),
        "TotalSteps": measure(BOUNDS["steps"], kind=int),
        **{column: measure(BOUNDS["distance_km_per_day"]) for column in DISTANCES},
        **{column: measure(BOUNDS["minutes_per_day"], kind=int) for column in MINUTES},
        "Calories": measure(BOUNDS["daily_calories_kcal"]),
    },
    checks=[
        cross_field(
            "minutes_within_day",
            MINUTES,
            lambda df: df[MINUTES].sum(axis=1) <= 1440,
            "the four activity-minute columns add up to more than 1,440 minutes",
        ),
        unique_rows(
            ["Id", "ActivityDate"],
            "one_row_per_user_and_day",
            "a second row for the same user and day",
        ),
    ],
    strict=False,
    name="fitbit_daily_activity",
)


def transform(valid: pd.DataFrame, ctx: CleanContext) -> dict[str, pd.DataFrame]:
    user_key = USER_PREFIX + ":" + valid["Id"]
    firsts = valid.assign(user_key=user_key).drop_duplicates("user_key", keep="first")
    users = pd.DataFrame(
        {RECORD: firsts[RECORD], "external_key": firsts["user_key"], "plan_tier": "free"}
    )
    days = pd.DataFrame(
        {
            RECORD: valid[RECORD],
            "user_key": user_key,
            "activity_date": valid["ActivityDate"].dt.date,
            "steps": valid["TotalSteps"].astype(int),
            "distance_km": valid["TotalDistance"].round(3),
            "very_active_min": valid["VeryActiveMinutes"].astype(int),
            "fairly_active_min": valid["FairlyActiveMinutes"].astype(int),
            "lightly_active_min": valid["LightlyActiveMinutes"].astype(int),
            "sedentary_min": valid["SedentaryMinutes"].astype(int),
            "calories_kcal": valid["Calories"],
        }
    )
    return {"users": users, "daily_activity": days}


SPEC = SourceSpec(
    person_key=column_key("Id", USER_PREFIX),
    name="fitbit_daily_activity",
    title="Fitbit daily activity (33 users, 2016)",
    format="csv",
    accepts=("xlsx",),  # spreadsheet exports of the same table
    location="fitbit_daily_activity/*.csv",
    contract=CONTRACT,
    normalise=strip_text,
    transform=transform,
    soft_rules={
        "no_steps": (
            "0 steps all day: the tracker was probably not worn.",
            lambda df: df["TotalSteps"] == 0,
        ),
        "whole_day_sedentary": (
            "1,440 sedentary minutes: a non-wear day.",
            lambda df: df["SedentaryMinutes"] >= 1440,
        ),
        "no_calories": (
            "0 calories: impossible for a living person, a non-wear export.",
            lambda df: df["Calories"] == 0,
        ),
        "tracker_distance_differs": (
            "TrackerDistance differs from TotalDistance (manually logged activities).",
            lambda df: (df["TrackerDistance"] - df["TotalDistance"]).abs() > 0.01,
        ),
    },
    update_frequency="yearly",
    cron="0 5 1 1 *",
    owner="data-team@healthai-coach.fr",
    licence="CC0: Public Domain as quoted from the Kaggle card (arashnic/fitbit); the Zenodo "
    "original's licence is unchecked. Cite Furberg et al. either way.",
    citation="Furberg, R., Brinton, J., Keating, M., & Ortiz, A. (2016). Crowd-sourced Fitbit "
    "datasets 03.12.2016-05.12.2016 [Data set]. Zenodo. https://doi.org/10.5281/zenodo.53894",
    origin="Zenodo record 53894 / Kaggle arashnic/fitbit, dailyActivity_merged.csv (copy from "
    "quaesito/ml-fitbit data/dailyActivity_merged.csv, commit 26991470, blob 019c6e8f).",
    description="940 tracker days of 33 Fitbit users (April-May 2016): steps, distances, "
    "very/fairly/lightly active and sedentary minutes, calories.",
    defects=(
        "US dates M/D/YYYY (other exports write D/M/YYYY): the order is decided per file.",
        "Non-wear days: 77 with 0 steps, 79 wholly sedentary, 4 with 0 calories (flagged).",
        "Minutes add up to less than 1,440 on 462 days (sleep or non-wear not counted).",
        "Float artefacts (1.879999995); TrackerDistance differs from TotalDistance in 15 rows "
        "(flagged).",
        "User ids match no other dataset.",
    ),
)
