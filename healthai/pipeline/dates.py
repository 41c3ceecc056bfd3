"""Dates as files write them, read without guessing.

A date written with its year first (`2016-04-12`, ISO 8601) means one thing. A date written
`01/05/2016` means 1 May (day first, as in France) or 5 January (month first, as in the US):
the value alone cannot tell. The file can: one value whose first number is above 12
(`13/04/2016`) proves the file writes its days first; one whose second number is above 12
proves it writes its months first. So the order is decided per file (`decide`, over every
value of the file's date columns), never per value and never by a default:

- one order proven: every date of the file is read in it (`01/05/2016` is then 1 May);
- none proven (every day and month is 12 or less), or both (a file mixing two exports): a
  value that reads the same either way (`05/05/2016`) or that proves itself (`13/04/2016`) is
  read; any other is quarantined with the rule `ambiguous_date` and its raw value.

A column's format is the one its first values have: a value in another format is not a date
of this file (`not_a_date`), not reinterpreted.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.tseries.api import guess_datetime_format

from healthai.pipeline.normalise import arrow_strings

Order = Literal["day_first", "month_first"]

# A day, a month and a year separated by `/`, `.` or `-`, then possibly a time.
NUMERIC = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(\D.*)?$"
_SAMPLE = 50


@dataclass(frozen=True)
class Evidence:
    """What a column's values prove about the order of day and month."""

    day_first: bool = False
    month_first: bool = False

    def __or__(self, other: Evidence) -> Evidence:
        return Evidence(self.day_first or other.day_first, self.month_first or other.month_first)

    @property
    def order(self) -> Order | None:
        if self.day_first == self.month_first:
            return None  # nothing proven, or both: decided value by value
        return "day_first" if self.day_first else "month_first"


def _as_text(values: pd.Series) -> pd.Series:
    """The values as Python strings (they usually are already: checked by Arrow in C)."""
    try:
        pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        return values
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return values.astype(str)


def _text(values: pd.Series) -> pd.Series:
    """The first non-null values, as stripped text (what a column's format is judged on)."""
    return values.dropna().head(_SAMPLE).astype(object).astype(str).str.strip()


def is_numeric_column(values: pd.Series) -> bool:
    """Whether the column's first values are mostly dates written day/month/year or
    month/day/year."""
    sample = _text(values).head(_SAMPLE)
    return bool(len(sample)) and sample.str.match(NUMERIC).mean() > 0.5


def evidence(values: pd.Series) -> Evidence:
    """What the numeric dates of `values` prove (values in other formats prove nothing)."""
    parts = values.dropna().astype(object).astype(str).str.strip().str.extract(NUMERIC)
    parts = parts.dropna(subset=[0, 1])
    first = parts[0].astype(int)
    second = parts[1].astype(int)
    return Evidence(
        day_first=bool(((first > 12) & (second <= 12)).any()),
        month_first=bool(((second > 12) & (first <= 12)).any()),
    )


@dataclass
class Parsed:
    values: pd.Series  # datetime64 (NaT where not parsed)
    not_a_date: pd.Series  # bool: a non-null value that is not a date of this column
    ambiguous: pd.Series  # bool: a numeric date whose order the file cannot tell


def _year(text: pd.Series) -> pd.Series:
    year = text.astype(int)
    return year.where(text.str.len() == 4, np.where(year < 70, 2000 + year, 1900 + year))


# Formats Arrow parses; Arrow rolls 2024-02-30 over to 2024-03-01 where pandas refuses it, so
# each date is checked against its written year, month and day; any other format: pandas.
_ARROW_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
_ISO_DAY = r"^\d{4}-\d{2}-\d{2}"


def _arrow_text(text: pd.Series) -> pa.Array:
    held = arrow_strings(text)
    if held is not None:
        return held
    return pa.array(text.to_numpy(dtype=object), type=pa.string(), from_pandas=True)


def _with_format(text: pd.Series) -> pd.Series:
    """Parse in the format of the first values that have one (a bad value first would
    otherwise send every value through dateutil); NaT where they do not parse."""
    sample = text.head(_SAMPLE).tolist()
    fmt = next((f for v in sample if (f := guess_datetime_format(str(v)))), None)
    if fmt in _ARROW_FORMATS:
        arrow = _arrow_text(text)
        parsed = pc.strptime(arrow, format=fmt, unit="ns", error_is_null=True)
        written = pc.match_substring_regex(arrow, _ISO_DAY).fill_null(False)
        digits = pc.if_else(written, arrow, pa.scalar("0000-00-00"))
        same = written
        for start, stop, part in ((0, 4, pc.year), (5, 7, pc.month), (8, 10, pc.day)):
            number = pc.cast(pc.utf8_slice_codeunits(digits, start, stop), pa.int64())
            same = pc.and_(same, pc.equal(part(parsed), number).fill_null(False))
        good = same.to_numpy(zero_copy_only=False)
        out = parsed.to_numpy(zero_copy_only=False)
        if good.all():
            return pd.Series(out, index=text.index)
        out = pd.Series(out.copy(), index=text.index)
        out[~good] = _pandas(text[~good].astype(object), fmt).to_numpy()  # pandas decides
        return out
    return _pandas(text.astype(object), fmt)


def _pandas(text: pd.Series, fmt: str | None) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # no format: parsed one by one, said once
        parsed = pd.to_datetime(text, errors="coerce", format=fmt)
    if getattr(parsed.dtype, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.astype("datetime64[ns]")


def parse(values: pd.Series, order: Order | None = None) -> Parsed:
    """Dates of one column (naive datetime64, UTC for zoned values). `order` is the file's
    (`decide`); None lets each numeric date prove itself or stay ambiguous."""
    present = values.notna()
    if values.dtype.kind == "M":  # already dates
        parsed = values.dt.tz_convert("UTC").dt.tz_localize(None) if values.dt.tz else values
        no = pd.Series(False, index=values.index)
        return Parsed(parsed.astype("datetime64[ns]"), no, no)
    text = values if present.all() else values[present]
    if arrow_strings(text) is None:
        text = _as_text(text)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    ambiguous = pd.Series(False, index=values.index)
    if is_numeric_column(values):
        parts = text.astype(object).astype(str).str.strip().str.extract(NUMERIC)
        numeric = parts[0].notna()
        a = parts[0][numeric].astype(int)
        b = parts[1][numeric].astype(int)
        if order == "day_first":
            day, month = a, b
        elif order == "month_first":
            day, month = b, a
        else:
            day = a.where((a > 12) | (a == b), b)
            month = b.where((a > 12) | (a == b), a)
            unknown = ~((a > 12) | (b > 12) | (a == b))
            ambiguous.loc[unknown[unknown].index] = True
            day, month = day[~unknown], month[~unknown]
        year = _year(parts[2][day.index])
        rest = parts[3][day.index].fillna("")
        iso = (
            year.astype(str).str.zfill(4)
            + "-"
            + month.astype(str).str.zfill(2)
            + "-"
            + day.astype(str).str.zfill(2)
            + rest
        )
        timed = rest.str.strip() != ""  # with a time or not: each part in its own format
        for part in (iso[~timed], iso[timed]):
            if len(part):
                out.loc[part.index] = _with_format(part).to_numpy()
    elif present.all():
        out = _with_format(text)
    else:
        out.loc[text.index] = _with_format(text).to_numpy()
    not_a_date = present & out.isna() & ~ambiguous
    return Parsed(out, not_a_date, ambiguous)


def decide(columns: dict[str, pd.Series]) -> dict[str, Order | None]:
    """The order of each numeric date column, from all of its values."""
    numeric = {name: values for name, values in columns.items() if is_numeric_column(values)}
    return {name: evidence(values).order for name, values in numeric.items()}
