"""Each quality dimension on a small table whose right answer is computed here by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from healthai.quality import metrics as qm


def test_completeness_counts_none_nan_and_blank_as_missing() -> None:
    frame = pd.DataFrame({"a": ["x", None, " ", "y"], "b": [1.0, 2.0, float("nan"), 4.0]})
    got = {
        m.column: (m.value, m.numerator, m.denominator)
        for m in qm.completeness(frame, ["a", "b", "c"], "t")
    }
    # a: 2 of 4 filled (None and a blank string are missing); b: 3 of 4; c absent: 0 of 4
    assert got == {"a": (0.5, 2, 4), "b": (0.75, 3, 4), "c": (0.0, 0, 4)}


def test_uniqueness_is_one_minus_the_duplicate_share() -> None:
    frame = pd.DataFrame(
        {"k": ["a", "b", "a", "c", "a"], "v": [1, 2, 1, 3, 9], "l": [[1], [2], [1], [3], [9]]}
    )
    # whole rows: row 3 repeats row 1 (lists compared by value) -> 1 duplicate of 5
    assert qm.uniqueness(frame, None, "t").value == pytest.approx(1 - 1 / 5)
    # on the key: rows 3 and 5 repeat "a" -> 2 duplicates of 5
    keyed = qm.uniqueness(frame, ["k"], "t", "unique_key")
    assert (keyed.value, keyed.detail["duplicates"]) == (pytest.approx(3 / 5), 2)
    assert qm.uniqueness(frame.iloc[:0], None, "t").value is None


def test_validity_is_the_share_of_rows_passing_every_rule() -> None:
    assert qm.validity(973, 23).value == pytest.approx(950 / 973)
    assert qm.validity(0, 0).value is None


def _people() -> dict[str, pd.DataFrame]:
    users = pd.DataFrame({"external_key": ["u1", "u2", "u3"], "height_cm": [180.0, 160.0, 170.0]})
    day = pd.Timestamp("2025-01-01", tz="UTC")
    # u1: 81 kg at 1.80 m -> BMI 25.0 (stated 25.0, consistent)
    # u2: 64 kg at 1.60 m -> BMI 25.0 (stated 30.0, inconsistent)
    # u3: 72.25 kg at 1.70 m -> BMI 25.0 (stated 25.4, within 0.5: consistent)
    bio = pd.DataFrame(
        {
            "user_key": ["u1", "u2", "u3", "u3"],
            "measured_at": [day] * 4,
            "weight_kg": [81.0, 64.0, 72.25, None],
            "bmi": [25.0, 30.0, 25.4, None],
            "water_l": [None, None, None, 2.0],
        }
    )
    sessions = pd.DataFrame(
        {
            "user_key": ["u1", "u1", "u2", "u3"],
            "performed_on": ["2025-01-01", "2025-01-01", "2025-01-01", None],
            "duration_min": [1000.0, 500.0, 60.0, 30.0],
            "avg_hr_bpm": [120, 130, 190, None],
            "max_hr_bpm": [150, 170, 180, 160],
        }
    )
    activity = pd.DataFrame(
        {
            "user_key": ["u1", "u2"],
            "activity_date": ["2025-01-01", "2025-01-01"],
            "very_active_min": [60, 100],
            "fairly_active_min": [30, 100],
            "lightly_active_min": [200, 300],
            "sedentary_min": [1000, 1000],  # u1: 1290 min, u2: 1500 min (> 1440)
        }
    )
    return {
        "users": users,
        "biometric_readings": bio,
        "workout_sessions": sessions,
        "daily_activity": activity,
    }


def test_consistency_rules_by_hand() -> None:
    got = {m.rule: (m.numerator, m.denominator) for m in qm.consistency(_people())}
    assert got == {
        "bmi_matches_weight_and_height": (2, 3),  # u2 inconsistent
        "avg_hr_not_above_max_hr": (2, 3),  # 190 > 180; the null average is not applicable
        "session_minutes_per_day": (1, 2),  # u1: 1000 + 500 = 1500 > 1440; u3 has no date
        "activity_minutes_per_day": (1, 2),  # u2: 1500 > 1440
    }


def test_a_rule_whose_table_or_column_is_absent_does_not_apply() -> None:
    frames = _people()
    frames["workout_sessions"] = frames["workout_sessions"].drop(columns=["performed_on"])
    del frames["users"]
    rules = {m.rule for m in qm.consistency(frames)}
    assert rules == {"avg_hr_not_above_max_hr", "activity_minutes_per_day"}


def test_foreign_keys_count_orphans() -> None:
    frame = pd.DataFrame({"user_key": ["u1", "u2", "zz", None]})
    m = qm.foreign_keys(frame, "workout_sessions", "user_key", {"u1", "u2"}, "users")
    # 3 references (the null one is not a reference), 1 orphan
    assert (m.value, m.detail["orphans"]) == (pytest.approx(2 / 3), 1)


def test_freshness_against_the_update_frequency() -> None:
    now = datetime(2025, 3, 1, tzinfo=UTC)
    allowed = 7 * 24 * qm.FRESHNESS_GRACE  # weekly: 210 h
    m, age, max_age, stale = qm.freshness(now - timedelta(days=8), now, "weekly")
    assert (age, max_age, stale, m.value) == (192, allowed, False, 1.0)
    m, age, _, stale = qm.freshness(now - timedelta(days=10), now, "weekly")
    assert stale and m.value == pytest.approx(1 - (240 - allowed) / allowed)
    m, _, _, stale = qm.freshness(now - timedelta(days=30), now, "weekly")
    assert stale and m.value == 0.0  # beyond twice the allowed age
    m, _, _, stale = qm.freshness(None, now, "daily")
    assert stale and m.value == 0.0  # nothing ever received
    m, _, max_age, stale = qm.freshness(now - timedelta(days=900), now, "static")
    assert (m.value, max_age, stale) == (None, None, False)
    assert qm.period_hours("every 3 days") == 72
    assert qm.period_hours("monthly") == 31 * 24


def test_volume_against_previous_runs() -> None:
    m, expected, anomaly = qm.volume(40, [100, 100])
    assert (expected, anomaly, m.value) == (100, True, pytest.approx(0.4))  # -60 %
    m, _, anomaly = qm.volume(120, [100, 100])
    assert (anomaly, m.value) == (False, 1.0)  # +20 % is within tolerance
    m, _, anomaly = qm.volume(0, [100])
    assert (anomaly, m.value) == (True, 0.0)  # emptied
    m, expected, anomaly = qm.volume(500, [])
    assert (expected, anomaly, m.value) == (None, False, 1.0)  # first delivery


def test_backlog_is_the_share_of_received_rows_not_waiting_in_quarantine() -> None:
    assert qm.backlog(5, 100).value == pytest.approx(0.95)
    assert qm.backlog(0, 0).value is None


def test_overall_score_weights_measured_dimensions_only() -> None:
    scores = {d: 1.0 for d in qm.WEIGHTS}
    assert qm.overall_score(scores) == 100
    scores |= {"validity": 0.5, "volume": None}
    total = sum(w for d, w in qm.WEIGHTS.items() if d != "volume")
    expected = 100 * (total - qm.WEIGHTS["validity"] * 0.5) / total
    assert qm.overall_score(scores) == pytest.approx(expected, abs=0.01)
    assert qm.overall_score({d: None for d in qm.WEIGHTS}) is None
    assert (
        qm.dimension_scores(
            [qm.Measure("completeness", "x", 0.5), qm.Measure("completeness", "y", 1.0)]
        )["completeness"]
        == 0.75
    )
