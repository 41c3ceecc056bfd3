"""Validation as a data steward reads it: one reason per defect, with a stable rule id, the raw
value and a sentence naming the column and the bounds; dates read in the file's own order of
day and month, never guessed."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from healthai.pipeline import dates, rules
from healthai.pipeline.contract import FileScope, cross_field, validate
from healthai.pipeline.readers import RECORD
from healthai.pipeline.rules import all_rules, message


@pytest.fixture
def scratch_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rules a test registers leave the registry with it (the wording tests, on the same
    worker, require a French sentence for every registered rule)."""
    monkeypatch.setattr(rules, "_RULES", dict(rules._RULES))


SCHEMA = pa.DataFrameSchema(
    {
        RECORD: pa.Column(int, coerce=True),
        "date": pa.Column(pa.DateTime, coerce=True),
        "steps": pa.Column(int, pa.Check.in_range(0, 150_000), coerce=True, nullable=True),
    }
)


def _reasons(frame: pd.DataFrame, schema: pa.DataFrameSchema = SCHEMA) -> tuple:
    result = validate(frame.copy(), schema, frame)
    return result.valid, {r.record: r.reasons for r in result.rejected}


def _rules(reasons: dict) -> dict:
    return {k: [(x["rule"], x["column"]) for x in v] for k, v in reasons.items()}


def test_one_reason_per_defect_with_the_raw_value_and_the_rest_typed() -> None:
    frame = pd.DataFrame(
        {
            RECORD: [1, 2, 3, 4, 5, 6],
            # an impossible date first: the format is still taken from the values that parse
            "date": ["2024-02-30", "2024-02-28", "2024-03-01", "not a date", "2024-03-02", None],
            "steps": ["100", "abc", "200", None, "999999", "12.5"],
        }
    )
    valid, reasons = _reasons(frame)
    assert _rules(reasons) == {
        1: [("not_a_date", "date")],
        2: [("not_a_number", "steps")],
        4: [("not_a_date", "date")],
        5: [("out_of_range", "steps")],
        6: [("missing_value", "date"), ("not_a_whole_number", "steps")],
    }
    assert reasons[4][0]["value"] == "not a date"  # the raw value, not null
    assert reasons[1][0]["value"] == "2024-02-30"
    assert reasons[5][0]["params"] == {"min": 0, "max": 150_000}
    assert valid[RECORD].tolist() == [3]
    assert valid["date"].dtype == "datetime64[ns]"
    assert valid["steps"].dtype == "int64"
    assert valid["date"].tolist() == [pd.Timestamp("2024-03-01")]


def test_messages_are_sentences_a_steward_can_act_on() -> None:
    frame = pd.DataFrame(
        {RECORD: [1, 2, 3, 4], "date": ["2024-03-01", "31/02/2024", None, "2024-03-02"]}
        | {"steps": ["12,5 k", "1", "1", "-3"]}
    )
    _, reasons = _reasons(frame)
    said = {k: [r["message"] for r in v] for k, v in reasons.items()}
    assert said == {
        1: ["steps: '12,5 k' is not a number."],
        2: ["date: '31/02/2024' is not a date (expected a date such as 2024-03-31)."],
        3: ["date is empty; a value is required."],
        4: ["steps: -3 is outside the allowed range 0 to 150000."],
    }


def test_a_date_in_another_format_than_the_column_is_quarantined_not_guessed() -> None:
    frame = pd.DataFrame(
        {RECORD: [1, 2, 3], "date": ["2024-03-01", "13/02/2024", "2024-03-03"], "steps": "1"}
    )
    valid, reasons = _reasons(frame)
    assert _rules(reasons) == {2: [("not_a_date", "date")]}
    assert reasons[2][0]["value"] == "13/02/2024"
    assert valid["date"].tolist() == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-03")]


def _dates(values: list[str]) -> pd.DataFrame:
    return pd.DataFrame({RECORD: range(1, len(values) + 1), "date": values, "steps": "1"})


def test_day_first_file_proven_by_one_value_reads_every_date_day_first() -> None:
    """Fitbit-style export from a French phone: 13/04 can only be day-first, so 01/05 is the
    1st of May (not the 5th of January, as a month-first guess would read it)."""
    valid, reasons = _reasons(_dates(["12/04/2016", "13/04/2016", "01/05/2016", "05/05/2016"]))
    assert reasons == {}
    assert valid["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2016-04-12",
        "2016-04-13",
        "2016-05-01",
        "2016-05-05",
    ]


def test_month_first_file_proven_by_one_value_reads_every_date_month_first() -> None:
    valid, reasons = _reasons(_dates(["4/12/2016", "4/13/2016", "5/1/2016 12:00:00 AM"]))
    assert reasons == {}
    assert valid["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2016-04-12",
        "2016-04-13",
        "2016-05-01",
    ]


def test_a_file_that_cannot_tell_quarantines_its_ambiguous_dates_with_a_reason() -> None:
    valid, reasons = _reasons(_dates(["01/05/2016", "05/05/2016", "02/05/2016"]))
    assert _rules(reasons) == {1: [("ambiguous_date", "date")], 3: [("ambiguous_date", "date")]}
    assert reasons[1][0]["value"] == "01/05/2016"
    assert "day-first or month-first" in reasons[1][0]["message"]
    assert valid["date"].tolist() == [pd.Timestamp("2016-05-05")]  # the same either way


def test_a_file_mixing_both_orders_reads_only_the_dates_that_prove_themselves() -> None:
    _, reasons = _reasons(_dates(["13/04/2016", "4/14/2016", "01/05/2016"]))
    assert _rules(reasons) == {3: [("ambiguous_date", "date")]}


def test_a_dayfirst_decision_for_the_whole_file_holds_in_a_chunk_that_cannot_tell() -> None:
    whole = ["13/04/2016", "01/05/2016", "02/05/2016"]
    order = dates.decide({"date": pd.Series(whole)})
    assert order == {"date": "day_first"}
    with FileScope(order):
        valid, reasons = _reasons(_dates(whole[1:]))  # this chunk alone proves nothing
    assert reasons == {}
    assert valid["date"].dt.strftime("%m-%d").tolist() == ["05-01", "05-02"]


@pytest.mark.usefixtures("scratch_rules")
def test_a_rule_across_columns_gives_one_reason_with_its_wording() -> None:
    schema = pa.DataFrameSchema(
        {RECORD: pa.Column(int), "lo": pa.Column(float, coerce=True), "hi": pa.Column(float)},
        checks=[
            cross_field(
                "test_lo_not_above_hi", ["lo", "hi"], lambda df: df["lo"] <= df["hi"], "lo above hi"
            )
        ],
    )
    frame = pd.DataFrame({RECORD: [1, 2], "lo": ["1", "5"], "hi": ["2", "3"]})
    _, reasons = _reasons(frame, schema)
    assert reasons == {
        2: [
            {
                "rule": "test_lo_not_above_hi",
                "column": "lo, hi",
                "value": {"lo": "5", "hi": "3"},
                "message": "lo above hi",
            }
        ]
    }


@pytest.mark.usefixtures("scratch_rules")
def test_one_id_one_wording() -> None:
    cross_field("test_lo_not_above_hi", ["a"], lambda df: df["a"] > 0, "lo above hi")
    with pytest.raises(ValueError, match="one id, one wording"):
        cross_field("test_lo_not_above_hi", ["a"], lambda df: df["a"] > 0, "another wording")


def test_every_rule_cited_by_the_sources_is_in_the_registry_with_a_wording() -> None:
    registry = all_rules()
    for expected in (
        "missing_value",
        "not_a_number",
        "not_a_date",
        "ambiguous_date",
        "out_of_range",
        "malformed_line",
        "avg_bpm_not_above_max_bpm",  # gym_members' rule across columns
        "muscles_known",  # free_exercise_db's own column check
        "json_truncated",
    ):
        assert expected in registry and registry[expected].wording
    assert message("out_of_range", column="Age", value=130, min=10, max=100) == (
        "Age: 130 is outside the allowed range 10 to 100."
    )
