"""The feature table for the AI modules: one row per user and day, point in time.

A row `(user_id, day = D)` describes a person as the platform knew them at the start of day D
(00:00 UTC), from the data of the days before D: what they ate, how active they were, how they
slept, their measurements, workouts, use of the app and plan. Point in time means that a
published row counts for day D only if it was published (its dataset version made) before D
began and not yet removed then (rolled back, changed through the API): a batch that arrives
late never changes the features of the days that had already started, and a correction
changes only the days after it. Erasure is the exception: an erased person is gone from
every day.

Every input frame carries the interval in which its row was part of the published data,
`_from` and `_until` (UTC timestamps; NaT = since always / still there). `build` is pure
pandas on those frames; `healthai.lab.reading` fills them from the dataset versions.

Days are UTC days. Windows end the day before D: a 7-day mean for D covers D-7 … D-1.
Every feature is declared once in FEATURES (name, source table, meaning, unit), from which the
features dictionary (docs/features.md) is generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

ONE_NS = pd.Timedelta(1, "ns")
DAY = pd.Timedelta(1, "D")
FAR_PAST = pd.Timestamp("1900-01-01")
FAR_FUTURE = pd.Timestamp("2200-01-01")
KEYS = ["user_id", "day"]
# The tables the features are built from (readable as of a version).
INPUTS = (
    "users",
    "meal_logs",
    "daily_activity",
    "biometric_measurements",
    "workout_sessions",
    "app_sessions",
    "subscriptions",
    "satisfaction_surveys",
)

# The day each fact happened on (timestamps are cut at UTC midnight).
EVENT_COLUMNS = {
    "meal_logs": "eaten_on",
    "daily_activity": "activity_date",
    "biometric_measurements": "measured_at",
    "workout_sessions": "performed_on",
    "app_sessions": "started_at",
    "satisfaction_surveys": "answered_on",
    "subscriptions": "started_on",
}


@dataclass(frozen=True)
class Feature:
    name: str
    table: str
    description: str
    unit: str = ""
    window_days: int | None = None


LAST = 28  # days looked back for a "latest" value
WEEK = 7

FEATURES: tuple[Feature, ...] = (
    # profile (users, as known at D)
    Feature("age", "users", "Age in years on day D (from the birth year).", "years"),
    Feature("sex", "users", "female, male or other."),
    Feature("height_cm", "users", "Height.", "cm"),
    Feature("goal", "users", "Coaching goal (lose_weight, gain_muscle, ...)."),
    Feature("activity_level", "users", "Declared activity level."),
    # intake
    Feature(
        "intake_kcal_1d", "meal_logs", "Energy logged on D-1 (no meal logged: empty).", "kcal", 1
    ),
    Feature(
        "intake_kcal_7d_mean",
        "meal_logs",
        "Mean daily energy over the days with a meal logged in the last 7 days.",
        "kcal",
        WEEK,
    ),
    Feature("protein_g_7d_mean", "meal_logs", "Same, protein.", "g", WEEK),
    Feature("carbohydrate_g_7d_mean", "meal_logs", "Same, carbohydrate.", "g", WEEK),
    Feature("fat_g_7d_mean", "meal_logs", "Same, fat.", "g", WEEK),
    Feature("meals_logged_7d", "meal_logs", "Meals logged in the last 7 days.", "meals", WEEK),
    # activity (tracker days)
    Feature("steps_1d", "daily_activity", "Steps on D-1 (tracker; no day: empty).", "steps", 1),
    Feature(
        "steps_7d_mean",
        "daily_activity",
        "Mean steps over the tracked days of the last 7 days.",
        "steps",
        WEEK,
    ),
    Feature(
        "active_min_7d_mean",
        "daily_activity",
        "Mean very + fairly active minutes per tracked day, last 7 days.",
        "min",
        WEEK,
    ),
    Feature(
        "sedentary_min_7d_mean",
        "daily_activity",
        "Mean sedentary minutes per tracked day, last 7 days.",
        "min",
        WEEK,
    ),
    Feature(
        "tracked_days_7d", "daily_activity", "Days with tracker data, last 7 days.", "days", WEEK
    ),
    # sleep and biometrics
    Feature(
        "sleep_hours_7d_mean",
        "biometric_measurements",
        "Mean sleep per night measured, last 7 days.",
        "h",
        WEEK,
    ),
    Feature(
        "weight_kg_last",
        "biometric_measurements",
        f"Latest weight measured in the last {LAST} days.",
        "kg",
        LAST,
    ),
    Feature(
        "weight_kg_change_28d",
        "biometric_measurements",
        f"Latest minus earliest weight measured in the last {LAST} days (one weigh-in: 0).",
        "kg",
        LAST,
    ),
    Feature("bmi_last", "biometric_measurements", f"Latest BMI in the last {LAST} days.", "", LAST),
    Feature(
        "body_fat_pct_last",
        "biometric_measurements",
        f"Latest body fat in the last {LAST} days.",
        "%",
        LAST,
    ),
    Feature(
        "resting_hr_bpm_last",
        "biometric_measurements",
        f"Latest resting heart rate in the last {LAST} days.",
        "bpm",
        LAST,
    ),
    Feature(
        "weigh_ins_28d",
        "biometric_measurements",
        f"Weigh-ins in the last {LAST} days.",
        "measurements",
        LAST,
    ),
    # workouts
    Feature("workouts_7d", "workout_sessions", "Workouts in the last 7 days.", "sessions", WEEK),
    Feature("workout_min_7d", "workout_sessions", "Workout minutes, last 7 days.", "min", WEEK),
    Feature(
        "workout_kcal_7d",
        "workout_sessions",
        "Calories burnt in workouts, last 7 days (unknown: 0).",
        "kcal",
        WEEK,
    ),
    # engagement
    Feature("app_sessions_7d", "app_sessions", "App sessions, last 7 days.", "sessions", WEEK),
    Feature("app_minutes_7d", "app_sessions", "Minutes in the app, last 7 days.", "min", WEEK),
    Feature(
        "days_since_last_session",
        "app_sessions",
        f"Days between D and the last app session (none in {LAST} days: empty).",
        "days",
        LAST,
    ),
    Feature(
        "nps_last",
        "satisfaction_surveys",
        "Latest satisfaction score (0-10) answered in the last 90 days.",
        "score",
        90,
    ),
    # plan
    Feature("plan_tier", "subscriptions", "Plan tier on D-1 (no period known: empty)."),
    Feature(
        "is_paying", "subscriptions", "1 when the plan on D-1 is premium, premium_plus or b2b."
    ),
    Feature("days_on_plan", "subscriptions", "Days since the plan period of D-1 started.", "days"),
)
NAMES = tuple(f.name for f in FEATURES)
PAYING = ("premium", "premium_plus", "b2b")


# ----------------------------------------------------------------------------- visibility
def _days(values: pd.Series) -> pd.Series:
    """Timestamps or dates as naive UTC midnight timestamps (the day they fall in)."""
    out = pd.to_datetime(values, utc=True)
    return out.dt.tz_convert(None).dt.floor("D")


def _known_days(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """First and last day D whose start (00:00 UTC) lies in the row's [_from, _until)."""
    start = pd.to_datetime(frame["_from"], utc=True).dt.tz_convert(None)
    until = pd.to_datetime(frame["_until"], utc=True).dt.tz_convert(None)
    first = ((start - ONE_NS).dt.floor("D") + DAY).fillna(FAR_PAST)
    last = (until - ONE_NS).dt.floor("D").fillna(FAR_FUTURE)
    return first, last


def pairs(
    frame: pd.DataFrame,
    event_day: pd.Series,
    window: int | pd.Series,
    days: tuple[date, date],
) -> pd.DataFrame:
    """Each row of `frame` repeated once for every day D of `days` (inclusive) it counts for:
    its event lies in D-window … D-1 (`window` in days, one for all rows or one per row) and
    it was published at D's start. Adds `day` and `event_day`."""
    first_known, last_known = _known_days(frame)
    lo = pd.concat([event_day + DAY, first_known], axis=1).max(axis=1)
    hi = pd.concat([event_day + pd.to_timedelta(window, "D"), last_known], axis=1).min(axis=1)
    lo = lo.clip(lower=pd.Timestamp(days[0]))
    hi = hi.clip(upper=pd.Timestamp(days[1]))
    count = ((hi - lo) // DAY + 1).clip(lower=0).fillna(0).astype("int64").to_numpy()
    positions = np.repeat(np.arange(len(frame)), count)
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    out = frame.iloc[positions].reset_index(drop=True)
    out["day"] = lo.to_numpy()[positions] + offsets * np.timedelta64(1, "D")
    out["event_day"] = event_day.to_numpy()[positions]
    return out


# ----------------------------------------------------------------------------- per table
def _intake(meals: pd.DataFrame, days: tuple[date, date]) -> pd.DataFrame:
    p = pairs(meals, _days(meals["eaten_on"]), WEEK, days)
    nutrients = ["energy_kcal", "protein_g", "carbohydrate_g", "fat_g"]
    daily = p.groupby([*KEYS, "event_day"])[nutrients].sum(min_count=1)
    daily["meals"] = p.groupby([*KEYS, "event_day"]).size()
    daily = daily.reset_index()
    out = daily.groupby(KEYS).agg(
        intake_kcal_7d_mean=("energy_kcal", "mean"),
        protein_g_7d_mean=("protein_g", "mean"),
        carbohydrate_g_7d_mean=("carbohydrate_g", "mean"),
        fat_g_7d_mean=("fat_g", "mean"),
        meals_logged_7d=("meals", "sum"),
    )
    yesterday = daily[daily["event_day"] == daily["day"] - DAY]
    out["intake_kcal_1d"] = yesterday.set_index(KEYS)["energy_kcal"]
    return out


def _activity(activity: pd.DataFrame, days: tuple[date, date]) -> pd.DataFrame:
    p = pairs(activity, _days(activity["activity_date"]), WEEK, days)
    p["active"] = p["very_active_min"] + p["fairly_active_min"]
    out = p.groupby(KEYS).agg(
        steps_7d_mean=("steps", "mean"),
        active_min_7d_mean=("active", "mean"),
        sedentary_min_7d_mean=("sedentary_min", "mean"),
        tracked_days_7d=("event_day", "nunique"),
    )
    yesterday = p[p["event_day"] == p["day"] - DAY]
    out["steps_1d"] = yesterday.groupby(KEYS)["steps"].last()
    return out


def _latest(p: pd.DataFrame, value: str, name: str) -> pd.Series:
    ordered = p.sort_values("measured_at")
    return ordered.groupby(KEYS)[value].last().rename(name)


def _biometrics(measurements: pd.DataFrame, days: tuple[date, date]) -> pd.DataFrame:
    m = measurements.copy()
    m["measured_at"] = pd.to_datetime(m["measured_at"], utc=True)
    event = _days(m["measured_at"])
    parts = []
    sleep = m["metric"] == "sleep_hours"
    if sleep.any():
        p = pairs(m[sleep].reset_index(drop=True), event[sleep].reset_index(drop=True), WEEK, days)
        parts.append(p.groupby(KEYS)["value"].mean().rename("sleep_hours_7d_mean"))
    for metric in ("weight_kg", "bmi", "body_fat_pct", "resting_hr_bpm"):
        rows = m["metric"] == metric
        if not rows.any():
            continue
        p = pairs(m[rows].reset_index(drop=True), event[rows].reset_index(drop=True), LAST, days)
        parts.append(_latest(p, "value", f"{metric}_last"))
        if metric == "weight_kg":
            first = p.sort_values("measured_at").groupby(KEYS)["value"].first()
            parts.append((parts[-1] - first).rename("weight_kg_change_28d"))
            parts.append(p.groupby(KEYS).size().rename("weigh_ins_28d"))
    return pd.concat(parts, axis=1) if parts else pd.DataFrame()


def _workouts(workouts: pd.DataFrame, days: tuple[date, date]) -> pd.DataFrame:
    w = workouts[workouts["performed_on"].notna()].reset_index(drop=True)
    p = pairs(w, _days(w["performed_on"]), WEEK, days)
    p["calories_kcal"] = p["calories_kcal"].fillna(0)
    return p.groupby(KEYS).agg(
        workouts_7d=("duration_min", "size"),
        workout_min_7d=("duration_min", "sum"),
        workout_kcal_7d=("calories_kcal", "sum"),
    )


def _sessions(sessions: pd.DataFrame, days: tuple[date, date]) -> pd.DataFrame:
    s = sessions.copy()
    s["started_at"] = pd.to_datetime(s["started_at"], utc=True)
    event = _days(s["started_at"])
    week = pairs(s, event, WEEK, days)
    week["minutes"] = week["duration_s"] / 60
    out = week.groupby(KEYS).agg(
        app_sessions_7d=("minutes", "size"), app_minutes_7d=("minutes", "sum")
    )
    month = pairs(s, event, LAST, days)
    last = month.groupby(KEYS)["event_day"].max()
    since = (last.index.get_level_values("day") - last.to_numpy()) // DAY
    return out.join(pd.Series(since, index=last.index, name="days_since_last_session"), how="outer")


def _surveys(surveys: pd.DataFrame, days: tuple[date, date]) -> pd.DataFrame:
    p = pairs(surveys, _days(surveys["answered_on"]), 90, days)
    p = p.sort_values(["event_day", "id"])
    return p.groupby(KEYS)["score"].last().rename("nps_last").to_frame()


def _plans(subs: pd.DataFrame, days: tuple[date, date]) -> pd.DataFrame:
    """The plan period covering D-1, among the periods known at D's start."""
    start = _days(subs["started_on"])
    end = _days(subs["ended_on"]).fillna(pd.Timestamp(days[1]))
    # a period counts for D when it covers D-1: started_on <= D-1 <= ended_on
    window = ((end - start) // DAY + 1).clip(lower=1)
    p = pairs(subs, start, window, days).sort_values(["event_day", "id"])
    last = p.groupby(KEYS).last()
    out = pd.DataFrame(index=last.index)
    out["plan_tier"] = last["plan_tier"]
    out["is_paying"] = last["plan_tier"].isin(PAYING).astype("int64")
    out["days_on_plan"] = (last.index.get_level_values("day") - last["event_day"]) // DAY
    return out


def _profiles(users: pd.DataFrame, days: tuple[date, date]) -> pd.DataFrame:
    """One row per user and day of `days` while the user is published at D's start."""
    u = users.rename(columns={"id": "user_id"})
    first, last = _known_days(u)
    lo = first.clip(lower=pd.Timestamp(days[0]))
    hi = last.clip(upper=pd.Timestamp(days[1]))
    count = ((hi - lo) // DAY + 1).clip(lower=0).fillna(0).astype("int64").to_numpy()
    positions = np.repeat(np.arange(len(u)), count)
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    out = u.iloc[positions].reset_index(drop=True)
    out["day"] = lo.to_numpy()[positions] + offsets * np.timedelta64(1, "D")
    out["age"] = (out["day"].dt.year - out["birth_year"]).astype("Float64")
    columns = ["age", "sex", "height_cm", "goal", "activity_level"]
    # a user changed through the API has two rows for different days; never two for one day
    return out.drop_duplicates(KEYS, keep="last").set_index(KEYS)[columns]


BUILDERS = {
    "meal_logs": _intake,
    "daily_activity": _activity,
    "biometric_measurements": _biometrics,
    "workout_sessions": _workouts,
    "app_sessions": _sessions,
    "satisfaction_surveys": _surveys,
    "subscriptions": _plans,
}


def build(frames: dict[str, pd.DataFrame], days: tuple[date, date]) -> pd.DataFrame:
    """The feature table for the days `days` (first, last, inclusive): one row per user
    published at the start of the day, every column of FEATURES (empty when nothing was
    known), ordered by user and day."""
    table = _profiles(frames["users"], days)
    for name, builder in BUILDERS.items():
        frame = frames.get(name)
        if frame is None or frame.empty:
            continue
        part = builder(frame.reset_index(drop=True), days)
        if not part.empty:
            table = table.join(part, how="left")
    for feature in FEATURES:
        if feature.name not in table:
            table[feature.name] = np.nan
    counts = ["meals_logged_7d", "tracked_days_7d", "workouts_7d", "app_sessions_7d"]
    counts += ["weigh_ins_28d", "workout_min_7d", "workout_kcal_7d", "app_minutes_7d"]
    table[counts] = table[counts].fillna(0)
    table = table[list(NAMES)].reset_index().sort_values(KEYS, ignore_index=True)
    table["day"] = table["day"].dt.date
    return table


# ----------------------------------------------------------------------------- from tables
def event_days(frames: dict[str, pd.DataFrame]) -> tuple[date, date] | None:
    """From the day after the first event to the day after the last one (None: no event)."""
    events = []
    for name, column in EVENT_COLUMNS.items():
        frame = frames.get(name)
        if frame is not None and not frame.empty and column in frame:
            values = pd.to_datetime(frame[column], utc=True, errors="coerce").dropna()
            if len(values):
                events += [values.min(), values.max()]
    if not events:
        return None
    return (min(events) + DAY).date(), (max(events) + DAY).date()


def long_measurements(readings: pd.DataFrame) -> pd.DataFrame:
    """Wide biometric readings (one column per metric) as one row per metric."""
    from healthai.models.vocab import METRICS

    keep = [c for c in ("id", "user_id", "measured_at", "_from", "_until") if c in readings]
    long = readings.melt(
        id_vars=keep,
        value_vars=[m for m in METRICS if m in readings],
        var_name="metric",
        value_name="value",
    )
    return long[long["value"].notna()].reset_index(drop=True)


def from_tables(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The features of a consolidated dataset or a snapshot (`Lab.snapshot`,
    `Lab.consolidated`), every row counted from its own day: the data as it stands at that
    version, for training on a fixed, reproducible set. Ids stay as they are (pseudonyms)."""
    frames = {}
    for name in INPUTS:
        if (
            name == "biometric_measurements"
            and name not in tables
            and "biometric_readings" in tables
        ):
            frame = long_measurements(tables["biometric_readings"])
        else:
            frame = tables.get(name, pd.DataFrame())
        frames[name] = frame.assign(_from=pd.NaT, _until=pd.NaT)
    span = event_days(frames)
    if span is None:
        return pd.DataFrame(columns=[*KEYS, *NAMES])
    return build(frames, span)
