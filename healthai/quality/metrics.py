"""The quality dimensions as plain functions over frames and figures, so that each one can be
checked by hand on a small table. Every measure is a share in [0, 1] where 1 is best, with the
numerator and denominator it comes from; `None` means "nothing to measure"."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

# Weights of the overall score (docs/quality.md). Dimensions that cannot be measured are left
# out and the remaining weights renormalised.
WEIGHTS: dict[str, float] = {
    "validity": 0.25,
    "completeness": 0.20,
    "consistency": 0.20,
    "freshness": 0.15,
    "uniqueness": 0.10,
    "volume": 0.05,
    "backlog": 0.05,
}
# A source is stale when its newest data is older than its update period times this factor.
FRESHNESS_GRACE = 1.25
# A delivery is a volume anomaly when its rows differ from the previous mean by more than this.
VOLUME_TOLERANCE = 0.5
VOLUME_HISTORY = 10
BMI_TOLERANCE = 0.5
MINUTES_PER_DAY = 1440

_PERIOD_HOURS = {
    "hourly": 1,
    "daily": 24,
    "weekly": 24 * 7,
    "biweekly": 24 * 14,
    "fortnightly": 24 * 14,
    "monthly": 24 * 31,
    "quarterly": 24 * 92,
    "yearly": 24 * 366,
    "annual": 24 * 366,
    "annually": 24 * 366,
}
_NO_EXPECTATION = {"", "static", "once", "one-off", "never", "on demand", "on-demand", "manual"}
_EVERY = re.compile(r"^(?:every\s+)?(\d+(?:\.\d+)?)\s*(h|hours?|d|days?|w|weeks?)$")


@dataclass
class Measure:
    dimension: str
    rule: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    table: str | None = None
    column: str | None = None
    description: str | None = None
    passed: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def share(numerator: float, denominator: float) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


def _null(series: pd.Series) -> pd.Series:
    """Missing values: None/NaN, and blank strings (a reader keeps them as read)."""
    blank = series.map(lambda v: isinstance(v, str) and not v.strip())
    return series.isna() | blank


# --- completeness --------------------------------------------------------------------------


def completeness(frame: pd.DataFrame, columns: Iterable[str], table: str) -> list[Measure]:
    """Non-null share per required column (a column absent from the frame counts as empty)."""
    out = []
    rows = len(frame)
    for column in columns:
        filled = 0 if column not in frame.columns else int((~_null(frame[column])).sum())
        out.append(
            Measure(
                "completeness",
                "non_null",
                share(filled, rows),
                filled,
                rows,
                table=table,
                column=column,
                description=f"share of {table} rows with a value in {column}",
            )
        )
    return out


# --- uniqueness ----------------------------------------------------------------------------


def _hashable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(
        lambda col: col.map(lambda v: repr(v) if isinstance(v, list | dict | set) else v)
    )


def uniqueness(
    frame: pd.DataFrame, columns: list[str] | None, table: str, rule: str = "no_duplicate"
) -> Measure:
    """1 - duplicate share: a duplicate is a row equal, on `columns` (all when None), to an
    earlier row. Rows with a null in every key column are not counted as duplicates."""
    cols = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    rows = len(frame)
    if not rows or not cols:
        return Measure("uniqueness", rule, None, 0, rows, table=table)
    keyed = _hashable(frame[cols])
    duplicated = keyed.duplicated(keep="first") & keyed.notna().any(axis=1)
    dups = int(duplicated.sum())
    return Measure(
        "uniqueness",
        rule,
        1 - dups / rows,
        rows - dups,
        rows,
        table=table,
        column=", ".join(cols) if columns else None,
        description=f"share of {table} rows not repeating an earlier row"
        + (f" on {', '.join(cols)}" if columns else ""),
        detail={"duplicates": dups},
    )


# --- validity ------------------------------------------------------------------------------


def validity(rows_in: int, quarantined: int, run_id: int | None = None) -> Measure:
    """Share of the delivery's rows that passed every rule: 1 - quarantined / rows_in."""
    return Measure(
        "validity",
        "rows_pass_all_rules",
        share(rows_in - quarantined, rows_in),
        rows_in - quarantined,
        rows_in,
        table="raw",
        description="share of the latest delivery's rows passing every contract rule",
        detail={"run_id": run_id, "quarantined": quarantined},
    )


# --- consistency ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    tables: tuple[str, ...]
    check: Callable[[dict[str, pd.DataFrame]], tuple[int, int]]  # (consistent, applicable)


def _bmi_matches(frames: dict[str, pd.DataFrame]) -> tuple[int, int]:
    bio, users = frames["biometric_readings"], frames["users"]
    if "bmi" not in bio or "weight_kg" not in bio:
        return 0, 0
    wide = bio[["user_key", "bmi", "weight_kg"]].merge(
        users[["external_key", "height_cm"]], left_on="user_key", right_on="external_key"
    )
    wide = wide.dropna(subset=["bmi", "weight_kg", "height_cm"])
    wide = wide[wide["height_cm"] > 0]
    expected = wide["weight_kg"] / (wide["height_cm"] / 100) ** 2
    ok = (wide["bmi"] - expected).abs() <= BMI_TOLERANCE
    return int(ok.sum()), len(wide)


def _avg_le_max(frames: dict[str, pd.DataFrame]) -> tuple[int, int]:
    s = frames["workout_sessions"].dropna(subset=["avg_hr_bpm", "max_hr_bpm"])
    return int((s["avg_hr_bpm"] <= s["max_hr_bpm"]).sum()), len(s)


def _session_minutes_per_day(frames: dict[str, pd.DataFrame]) -> tuple[int, int]:
    s = frames["workout_sessions"].dropna(subset=["performed_on", "duration_min"])
    if s.empty:
        return 0, 0
    totals = s.groupby(["user_key", "performed_on"])["duration_min"].sum()
    return int((totals <= MINUTES_PER_DAY).sum()), len(totals)


def _activity_minutes_per_day(frames: dict[str, pd.DataFrame]) -> tuple[int, int]:
    cols = ["very_active_min", "fairly_active_min", "lightly_active_min", "sedentary_min"]
    d = frames["daily_activity"].dropna(subset=cols)
    if d.empty:
        return 0, 0
    totals = d.groupby(["user_key", "activity_date"])[cols].sum().sum(axis=1)
    return int((totals <= MINUTES_PER_DAY).sum()), len(totals)


CONSISTENCY_RULES: tuple[Rule, ...] = (
    Rule(
        "bmi_matches_weight_and_height",
        f"BMI within {BMI_TOLERANCE} of weight / height² (measurement and user profile)",
        ("biometric_readings", "users"),
        _bmi_matches,
    ),
    Rule(
        "avg_hr_not_above_max_hr",
        "average heart rate of a session not above its maximum",
        ("workout_sessions",),
        _avg_le_max,
    ),
    Rule(
        "session_minutes_per_day",
        f"sum of a user's session minutes in one day at most {MINUTES_PER_DAY}",
        ("workout_sessions",),
        _session_minutes_per_day,
    ),
    Rule(
        "activity_minutes_per_day",
        f"active + sedentary minutes of a tracker day at most {MINUTES_PER_DAY}",
        ("daily_activity",),
        _activity_minutes_per_day,
    ),
)


def consistency(frames: dict[str, pd.DataFrame]) -> list[Measure]:
    """Cross-field and cross-table rules whose tables are all present and non-empty."""
    out = []
    for rule in CONSISTENCY_RULES:
        if not all(t in frames and len(frames[t]) for t in rule.tables):
            continue
        try:
            ok, applicable = rule.check(frames)
        except KeyError:  # a column the rule needs is absent: the rule does not apply
            continue
        if not applicable:
            continue
        out.append(
            Measure(
                "consistency",
                rule.name,
                share(ok, applicable),
                ok,
                applicable,
                table=rule.tables[0],
                description=rule.description,
                detail={"inconsistent": applicable - ok},
            )
        )
    return out


def foreign_keys(
    frame: pd.DataFrame, table: str, column: str, known: set[Any], referenced: str
) -> Measure | None:
    """Share of rows whose reference (natural key) exists in the referenced table."""
    values = frame[column].dropna() if column in frame.columns else pd.Series(dtype=object)
    if values.empty:
        return None
    ok = int(values.isin(known).sum())
    return Measure(
        "consistency",
        "foreign_key_exists",
        ok / len(values),
        ok,
        len(values),
        table=table,
        column=column,
        description=f"{table}.{column} refers to an existing {referenced} row",
        detail={"orphans": len(values) - ok, "referenced": referenced},
    )


# --- freshness -----------------------------------------------------------------------------


def period_hours(update_frequency: str) -> float | None:
    """Hours between two expected deliveries; None when the source has no expected rhythm."""
    text = update_frequency.strip().lower()
    if text in _NO_EXPECTATION:
        return None
    if text in _PERIOD_HOURS:
        return float(_PERIOD_HOURS[text])
    match = _EVERY.match(text)
    if match:
        n, unit = float(match.group(1)), match.group(2)[0]
        return n * {"h": 1, "d": 24, "w": 168}[unit]
    return None


def freshness(
    newest: datetime | None, now: datetime, update_frequency: str
) -> tuple[Measure, float | None, float | None, bool]:
    """(measure, age in hours, allowed age in hours, stale). Allowed age: the update period
    times FRESHNESS_GRACE. The score is 1 up to the allowed age, then falls linearly to 0 at
    twice the allowed age; no data at all scores 0."""
    period = period_hours(update_frequency)
    allowed = period * FRESHNESS_GRACE if period else None
    if newest is None:
        m = Measure(
            "freshness",
            "newest_data_age",
            0.0 if allowed else None,
            description="no data received yet",
            passed=False if allowed else None,
        )
        return m, None, allowed, bool(allowed)
    age = max(0.0, (now - newest).total_seconds() / 3600)
    if allowed is None:
        value, stale = None, False
    else:
        stale = age > allowed
        value = 1.0 if not stale else max(0.0, 1 - (age - allowed) / allowed)
    m = Measure(
        "freshness",
        "newest_data_age",
        value,
        round(age, 3),
        allowed,
        description=f"age of the newest file vs the '{update_frequency}' update frequency",
        passed=None if allowed is None else not stale,
        detail={"newest_data_at": newest.isoformat(), "update_frequency": update_frequency},
    )
    return m, age, allowed, stale


# --- volume --------------------------------------------------------------------------------


def volume(latest: int | None, previous: list[int]) -> tuple[Measure, float | None, bool]:
    """(measure, expected rows, anomaly): rows of the latest delivery against the mean of the
    previous ones. An empty delivery is always an anomaly; with no history, any non-empty
    delivery is accepted."""
    if latest is None:
        return Measure("volume", "rows_vs_previous_runs", None), None, False
    history = previous[-VOLUME_HISTORY:]
    expected = sum(history) / len(history) if history else None
    if latest == 0:
        anomaly, value = True, 0.0
    elif expected is None or expected == 0:
        anomaly, value = False, 1.0
    else:
        deviation = abs(latest - expected) / expected
        anomaly = deviation > VOLUME_TOLERANCE
        value = 1.0 if not anomaly else max(0.0, 1 - deviation)
    m = Measure(
        "volume",
        "rows_vs_previous_runs",
        value,
        latest,
        expected,
        table="raw",
        description="rows of the latest delivery vs the mean of the previous deliveries",
        passed=not anomaly,
        detail={"previous": history, "tolerance": VOLUME_TOLERANCE},
    )
    return m, expected, anomaly


# --- quarantine backlog --------------------------------------------------------------------


def backlog(open_rows: int, rows_received: int) -> Measure:
    """1 - share of the rows ever received that still wait in quarantine (status open)."""
    value = share(rows_received - open_rows, rows_received) if rows_received else None
    return Measure(
        "backlog",
        "open_quarantine",
        None if value is None else max(0.0, value),
        open_rows,
        rows_received,
        description="quarantined rows still open vs rows received",
        detail={"open": open_rows},
    )


# --- overall score -------------------------------------------------------------------------


def dimension_scores(measures: Iterable[Measure]) -> dict[str, float | None]:
    """Each dimension's score: the mean of its measured values (None when none)."""
    by_dim: dict[str, list[float]] = {d: [] for d in WEIGHTS}
    for m in measures:
        if m.value is not None and m.dimension in by_dim:
            by_dim[m.dimension].append(m.value)
    return {d: (sum(v) / len(v) if v else None) for d, v in by_dim.items()}


def overall_score(scores: dict[str, float | None]) -> float | None:
    """100 × Σ wᵢ·sᵢ / Σ wᵢ over the measured dimensions."""
    measured = {d: s for d, s in scores.items() if s is not None and d in WEIGHTS}
    if not measured:
        return None
    total = sum(WEIGHTS[d] for d in measured)
    return round(100 * sum(WEIGHTS[d] * s for d, s in measured.items()) / total, 2)
