"""The feature table's point-in-time rule on hand-made rows (no database): a row counts for
day D only when its event is before D and it was published at D's start."""

from __future__ import annotations

from datetime import date

import pandas as pd

from healthai.lab import features

T = pd.Timestamp
DAYS = (date(2026, 1, 1), date(2026, 1, 10))


def _users(**published: T | None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1],
            "birth_year": [1990],
            "sex": ["female"],
            "height_cm": [170.0],
            "goal": ["lose_weight"],
            "activity_level": ["light"],
            "_from": [published.get("at", pd.NaT)],
            "_until": [pd.NaT],
        }
    )


def _weights(rows: list[tuple[str, float, T | None, T | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": range(1, len(rows) + 1),
            "user_id": 1,
            "metric": "weight_kg",
            "measured_at": [T(m, tz="UTC") for m, *_ in rows],
            "value": [v for _, v, *_ in rows],
            "_from": [f if f is not None else pd.NaT for *_, f, _u in rows],
            "_until": [u if u is not None else pd.NaT for *_, u in rows],
        }
    )


def _table(weights: pd.DataFrame) -> pd.DataFrame:
    return features.build({"users": _users(), "biometric_measurements": weights}, DAYS).set_index(
        "day"
    )


def test_a_late_row_changes_only_the_days_after_its_publication() -> None:
    on_time = _weights([("2026-01-02 07:00", 80.0, None, None)])
    published_late = T("2026-01-06 15:00", tz="UTC")
    late = _weights(
        [("2026-01-02 07:00", 80.0, None, None), ("2026-01-03 07:00", 79.0, published_late, None)]
    )
    before, after = _table(on_time), _table(late)
    # days that began before the late publication: identical
    for day in pd.date_range("2026-01-01", "2026-01-06").date:
        assert before.loc[day].equals(after.loc[day]), day
    # from the first day that began after it, the late weigh-in counts
    assert after.loc[date(2026, 1, 7), "weight_kg_last"] == 79.0
    assert after.loc[date(2026, 1, 7), "weigh_ins_28d"] == 2
    assert before.loc[date(2026, 1, 7), "weight_kg_last"] == 80.0


def test_a_rolled_back_row_counts_only_while_it_was_published() -> None:
    rolled_back = T("2026-01-05 09:30", tz="UTC")
    table = _table(
        _weights(
            [("2026-01-02 07:00", 80.0, None, None), ("2026-01-03 07:00", 90.0, None, rolled_back)]
        )
    )
    assert table.loc[date(2026, 1, 4), "weight_kg_last"] == 90.0  # published then
    assert table.loc[date(2026, 1, 5), "weight_kg_last"] == 90.0  # day began before the rollback
    assert table.loc[date(2026, 1, 6), "weight_kg_last"] == 80.0  # gone
    assert table.loc[date(2026, 1, 6), "weigh_ins_28d"] == 1


def test_an_event_counts_from_the_next_day_within_its_window() -> None:
    table = _table(_weights([("2026-01-02 23:59", 80.0, None, None)]))
    assert pd.isna(table.loc[date(2026, 1, 2), "weight_kg_last"])  # the same day: not yet
    assert table.loc[date(2026, 1, 3), "weight_kg_last"] == 80.0
    window_end = date(2026, 1, 2) + pd.Timedelta(days=features.LAST)
    long = features.build(
        {
            "users": _users(),
            "biometric_measurements": _weights([("2026-01-02 07:00", 80, None, None)]),
        },
        (date(2026, 1, 1), window_end + pd.Timedelta(days=1)),
    ).set_index("day")
    assert long.loc[window_end, "weight_kg_last"] == 80.0
    assert pd.isna(long.loc[window_end + pd.Timedelta(days=1), "weight_kg_last"])


def test_a_person_has_rows_only_from_the_day_after_they_were_published() -> None:
    users = _users(at=T("2026-01-04 10:00", tz="UTC"))
    table = features.build({"users": users}, DAYS)
    assert table["day"].min() == date(2026, 1, 5)
    assert list(table.columns) == [*features.KEYS, *features.NAMES]


def test_intake_and_plan_features() -> None:
    meals = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "user_id": 1,
            "eaten_on": [date(2026, 1, 3), date(2026, 1, 3), date(2026, 1, 4)],
            "energy_kcal": [500.0, 700.0, 2000.0],
            "protein_g": [20.0, None, 50.0],
            "carbohydrate_g": [60.0, 80.0, 200.0],
            "fat_g": [10.0, 30.0, 70.0],
            "_from": pd.NaT,
            "_until": pd.NaT,
        }
    )
    plans = pd.DataFrame(
        {
            "id": [1, 2],
            "user_id": 1,
            "plan_tier": ["free", "premium"],
            "started_on": [date(2025, 12, 1), date(2026, 1, 4)],
            "ended_on": [date(2026, 1, 3), None],
            "_from": pd.NaT,
            "_until": pd.NaT,
        }
    )
    table = features.build(
        {"users": _users(), "meal_logs": meals, "subscriptions": plans}, DAYS
    ).set_index("day")
    assert table.loc[date(2026, 1, 4), "intake_kcal_1d"] == 1200.0
    assert table.loc[date(2026, 1, 5), "intake_kcal_1d"] == 2000.0
    assert table.loc[date(2026, 1, 5), "intake_kcal_7d_mean"] == 1600.0
    assert table.loc[date(2026, 1, 5), "meals_logged_7d"] == 3
    assert pd.isna(table.loc[date(2026, 1, 7), "intake_kcal_1d"])
    assert table.loc[date(2026, 1, 4), "plan_tier"] == "free"  # D-1 = Jan 3: still free
    assert table.loc[date(2026, 1, 5), "plan_tier"] == "premium"
    assert table.loc[date(2026, 1, 5), "is_paying"] == 1
    assert table.loc[date(2026, 1, 6), "days_on_plan"] == 2
