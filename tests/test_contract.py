"""Column coercion before pandera: unparsable values are found in one pass, with pandera's
own wording, whatever their place in the file."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from healthai.pipeline.contract import validate
from healthai.pipeline.readers import RECORD

SCHEMA = pa.DataFrameSchema(
    {
        RECORD: pa.Column(int, coerce=True),
        "date": pa.Column(pa.DateTime, coerce=True),
        "steps": pa.Column(int, pa.Check.in_range(0, 150_000), coerce=True, nullable=True),
    }
)


def _reasons(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, list[tuple[str, str]]]]:
    result = validate(frame.copy(), SCHEMA, frame)
    return result.valid, {
        r.record: [(x["rule"], x["column"]) for x in r.reasons] for r in result.rejected
    }


def test_unparsable_values_are_rejected_with_pandera_reasons_and_the_rest_typed() -> None:
    frame = pd.DataFrame(
        {
            RECORD: [1, 2, 3, 4, 5],
            # an impossible date first: the format is still taken from the values that parse
            "date": ["2024-02-30", "2024-02-28", "2024-03-01", "not a date", "2024-03-02"],
            "steps": ["100", "abc", "200", None, "999999"],
        }
    )
    valid, reasons = _reasons(frame)
    assert reasons == {
        1: [("coerce_dtype('datetime64[ns]')", "date"), ("dtype('datetime64[ns]')", "date")],
        2: [("coerce_dtype('int64')", "steps"), ("dtype('int64')", "steps")],
        4: [("coerce_dtype('datetime64[ns]')", "date"), ("dtype('datetime64[ns]')", "date")],
        5: [("in_range(0, 150000)", "steps")],
    }
    assert valid[RECORD].tolist() == [3]
    assert valid["date"].dtype == "datetime64[ns]"
    assert valid["date"].tolist() == [pd.Timestamp("2024-03-01")]


def test_a_date_in_another_format_than_the_column_is_quarantined_not_guessed() -> None:
    frame = pd.DataFrame(
        {RECORD: [1, 2, 3], "date": ["2024-03-01", "03/02/2024", "2024-03-03"], "steps": "1"}
    )
    valid, reasons = _reasons(frame)
    assert reasons == {
        2: [("coerce_dtype('datetime64[ns]')", "date"), ("dtype('datetime64[ns]')", "date")]
    }
    assert valid["date"].tolist() == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-03")]
