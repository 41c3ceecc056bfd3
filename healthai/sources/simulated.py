"""The simulated sources, written into the landing zone by `healthai simulate`
(healthai.simulate): profiles (CSV), daily biometrics (CSV), app sessions (JSON), plan
changes and satisfaction surveys (XLSX). Ingested like any other source.

Fact sources reference users by `user_key` (users.external_key) and are staged after
sim_users (`after=`). Their references must resolve to published users: a fact batch staged
before its users are published fails its audit's `references_resolve` check and is audited
again by the publication job once they are. B2B users reference organisations by slug: the
simulated ones are created by `healthai simulate --seed-organisations`
(healthai.simulate.seed_organisations).

Fact tables have no natural key of their own, so fact sources declare no primary table:
duplicates inside a file are caught by the contract (one row per user and day, per session
start, per survey), the same file twice by its SHA-256, and overlapping facts from another
file by the database's unique constraints
at the audit's `publishable` check.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from healthai.models.vocab import ACTIVITY_LEVELS, BOUNDS, GOALS, PLAN_TIERS, SEXES
from healthai.pipeline.contract import cross_field, in_bounds, measure, unique_rows
from healthai.pipeline.normalise import strip_text
from healthai.pipeline.readers import RECORD
from healthai.pipeline.spec import CleanContext, SourceSpec
from healthai.sources.common import column_key

OWNER = "data-team@healthai-coach.fr"
LICENCE = "Simulated by HealthAI Coach (healthai.simulate); no personal data."
ORIGIN = "healthai simulate --users N --days D --seed S (deterministic generator)"
USER_KEY = pa.Column(str, pa.Check.str_matches(r"^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$"))


def _unique(columns: list[str], name: str, error: str) -> pa.Check:
    """The first row per `columns` passes; a later one is quarantined (reported once), in
    whichever chunk of the file it comes."""
    return unique_rows(columns, name, error)


def _utc(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values)
    return stamps.dt.tz_localize("UTC") if stamps.dt.tz is None else stamps.dt.tz_convert("UTC")


# ------------------------------------------------------------------ users
USERS_CONTRACT = pa.DataFrameSchema(
    {
        RECORD: pa.Column(int, coerce=True),
        "external_key": pa.Column(
            str, pa.Check.str_matches(r"^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$"), unique=True
        ),
        "birth_year": measure(BOUNDS["birth_year"], kind=int),
        "sex": pa.Column(str, pa.Check.isin(SEXES)),
        "height_cm": measure(BOUNDS["height_cm"]),
        "goal": pa.Column(str, pa.Check.isin(GOALS), nullable=True),
        "activity_level": pa.Column(str, pa.Check.isin(ACTIVITY_LEVELS), nullable=True),
        "experience_level": measure(BOUNDS["experience_level"], nullable=True),
        "workouts_per_week": measure(BOUNDS["workouts_per_week"], nullable=True),
        "plan_tier": pa.Column(str, pa.Check.isin(PLAN_TIERS)),
        "organisation": pa.Column(str, nullable=True),
    },
    checks=[
        cross_field(
            "b2b_iff_organisation",
            ["plan_tier"],
            lambda df: (df["plan_tier"] == "b2b") == df["organisation"].notna(),
            "a B2B user needs an organisation, and only B2B users have one",
        )
    ],
    strict=False,
    name="sim_users",
)


def users_transform(valid: pd.DataFrame, ctx: CleanContext) -> dict[str, pd.DataFrame]:
    users = pd.DataFrame(
        {
            RECORD: valid[RECORD],
            "external_key": valid["external_key"],
            "birth_year": valid["birth_year"].astype(int),
            "sex": valid["sex"],
            "height_cm": valid["height_cm"],
            "goal": valid["goal"],
            "activity_level": valid["activity_level"],
            "experience_level": valid["experience_level"].astype("Int64"),
            "workouts_per_week": valid["workouts_per_week"].astype("Int64"),
            "plan_tier": valid["plan_tier"],
            "organisation_key": valid["organisation"],
        }
    )
    return {"users": users}


# ------------------------------------------------------------------ biometrics
METRIC_COLUMNS = ["weight_kg", "body_fat_pct", "bmi", "sleep_hours", "resting_hr_bpm", "steps"]

BIOMETRICS_CONTRACT = pa.DataFrameSchema(
    {
        RECORD: pa.Column(int, coerce=True),
        "user_key": USER_KEY,
        "date": pa.Column(pa.DateTime, coerce=True),
        **{m: measure(BOUNDS[m], nullable=True) for m in METRIC_COLUMNS},
    },
    checks=[
        _unique(
            ["user_key", "date"],
            "one_row_per_user_and_day",
            "a second row for the same user and day",
        ),
        cross_field(
            "has_a_measurement",
            ["user_key", "date"],
            lambda df: df[METRIC_COLUMNS].notna().any(axis=1),
            "no measurement in the biometrics row",
        ),
        cross_field(
            "bmi_needs_weight",
            ["bmi"],
            lambda df: df["weight_kg"].notna(),
            "a BMI without the weight it comes from",
        ),
    ],
    strict=False,
    name="sim_biometrics",
)


def biometrics_transform(valid: pd.DataFrame, ctx: CleanContext) -> dict[str, pd.DataFrame]:
    """One reading per record: the file's wide row as it is (biometric_readings is wide)."""
    readings = pd.DataFrame(
        {
            RECORD: valid[RECORD],
            "user_key": valid["user_key"],
            "measured_at": _utc(valid["date"]),
            **{m: valid[m].astype(float) for m in METRIC_COLUMNS},
        }
    )
    return {"biometric_readings": readings}


# ------------------------------------------------------------------ app sessions
SESSIONS_CONTRACT = pa.DataFrameSchema(
    {
        RECORD: pa.Column(int, coerce=True),
        "user_key": USER_KEY,
        "started_at": pa.Column(pd.DatetimeTZDtype("ns", "UTC"), coerce=True),
        "duration_s": measure(BOUNDS["app_session_s"], kind=int),
        "platform": pa.Column(str, pa.Check.isin(["ios", "android", "web"])),
    },
    checks=[
        _unique(
            ["user_key", "started_at"],
            "one_session_per_start",
            "a second app session for this user and start",
        )
    ],
    strict=False,
    name="sim_app_sessions",
)


def sessions_transform(valid: pd.DataFrame, ctx: CleanContext) -> dict[str, pd.DataFrame]:
    sessions = valid[[RECORD, "user_key", "started_at", "duration_s", "platform"]].copy()
    sessions["duration_s"] = sessions["duration_s"].astype(int)
    return {"app_sessions": sessions}


# ------------------------------------------------------------------ subscriptions
SUBSCRIPTIONS_CONTRACT = pa.DataFrameSchema(
    {
        RECORD: pa.Column(int, coerce=True),
        "user_key": USER_KEY,
        "plan_tier": pa.Column(str, pa.Check.isin(PLAN_TIERS)),
        "started_on": pa.Column(pa.DateTime, coerce=True),
        "ended_on": pa.Column(pa.DateTime, coerce=True, nullable=True),
    },
    checks=[
        cross_field(
            "period_ordered",
            ["started_on", "ended_on"],
            lambda df: df["ended_on"] >= df["started_on"],
            "a plan period that ends before it starts",
        ),
        _unique(
            ["user_key", "started_on", "plan_tier"],
            "one_period_per_start",
            "a second plan period for this user, start and tier",
        ),
    ],
    strict=False,
    name="sim_subscriptions",
)


def subscriptions_transform(valid: pd.DataFrame, ctx: CleanContext) -> dict[str, pd.DataFrame]:
    periods = pd.DataFrame(
        {
            RECORD: valid[RECORD],
            "user_key": valid["user_key"],
            "plan_tier": valid["plan_tier"],
            "started_on": valid["started_on"].dt.date,
            "ended_on": valid["ended_on"].dt.date.where(valid["ended_on"].notna(), None),
        }
    )
    return {"subscriptions": periods}


# ------------------------------------------------------------------ surveys
SURVEYS_CONTRACT = pa.DataFrameSchema(
    {
        RECORD: pa.Column(int, coerce=True),
        "user_key": USER_KEY,
        "answered_on": pa.Column(pa.DateTime, coerce=True),
        "score": pa.Column(
            float,
            [
                in_bounds(BOUNDS["survey_score"]),
                pa.Check(lambda s: s % 1 == 0, name="whole_number", error="not a whole number"),
            ],
            coerce=True,
        ),
        "comment": pa.Column(str, nullable=True),
    },
    checks=[
        _unique(
            ["user_key", "answered_on"],
            "one_answer_per_day",
            "a second survey answer for this user and day",
        )
    ],
    strict=False,
    name="sim_surveys",
)


def surveys_transform(valid: pd.DataFrame, ctx: CleanContext) -> dict[str, pd.DataFrame]:
    answers = pd.DataFrame(
        {
            RECORD: valid[RECORD],
            "user_key": valid["user_key"],
            "answered_on": valid["answered_on"].dt.date,
            "score": valid["score"].astype(int),
            "comment": valid["comment"],
        }
    )
    return {"satisfaction_surveys": answers}


def _spec(name: str, title: str, fmt: str, **kwargs: object) -> SourceSpec:
    return SourceSpec(
        name=name,
        title=title,
        format=fmt,
        location=f"{name}/*.{fmt}",  # nothing under raw/: files land in <landing>/<name>/
        owner=OWNER,
        licence=LICENCE,
        origin=ORIGIN,
        citation="HealthAI Coach simulation (healthai/simulate.py).",
        update_frequency="daily",
        cron="30 3 * * *",
        **kwargs,  # type: ignore[arg-type]
    )


SPECS = (
    _spec(
        "sim_users",
        "Simulated user profiles",
        "csv",
        contract=USERS_CONTRACT,
        normalise=strip_text,
        transform=users_transform,
        person_key=column_key("external_key"),
        primary_table="users",
        primary_key="external_key",
        description="Profiles of simulated users: sex, birth year, height, goal, activity, "
        "current plan and, for B2B users, their organisation.",
        defects=("None by construction; the contract still checks every rule.",),
    ),
    _spec(
        "sim_biometrics",
        "Simulated daily biometrics",
        "csv",
        contract=BIOMETRICS_CONTRACT,
        normalise=strip_text,
        transform=biometrics_transform,
        person_key=column_key("user_key"),
        after=("sim_users",),
        soft_rules={
            "bmi_extreme": (
                "BMI below 16 or above 40: possible but rare.",
                lambda df: (df["bmi"] < 16) | (df["bmi"] > 40),
            )
        },
        description="One row per user and day: weight, body fat and BMI on weigh-in days; "
        "sleep hours, resting heart rate and steps when the tracker was worn.",
        defects=("Gaps by design: days without a weigh-in or without the tracker.",),
    ),
    _spec(
        "sim_app_sessions",
        "Simulated app sessions",
        "json",
        contract=SESSIONS_CONTRACT,
        transform=sessions_transform,
        person_key=column_key("user_key"),
        after=("sim_users",),
        description="Sessions in the mobile app: start (UTC), duration, platform.",
    ),
    _spec(
        "sim_subscriptions",
        "Simulated plan changes",
        "xlsx",
        contract=SUBSCRIPTIONS_CONTRACT,
        normalise=strip_text,
        transform=subscriptions_transform,
        person_key=column_key("user_key"),
        after=("sim_users",),
        read_options={"sheet": "subscriptions"},
        description="Plan periods per user: free -> Premium -> Premium+ (sometimes back to "
        "free), or B2B from the first day.",
        defects=("An XLSX sheet holds at most 1,048,575 rows: larger outputs are split.",),
    ),
    _spec(
        "sim_surveys",
        "Simulated satisfaction surveys",
        "xlsx",
        contract=SURVEYS_CONTRACT,
        normalise=strip_text,
        transform=surveys_transform,
        person_key=column_key("user_key"),
        after=("sim_users",),
        read_options={"sheet": "surveys"},
        description="Satisfaction answers on a 0-10 scale with an optional comment.",
    ),
)
