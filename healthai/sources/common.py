"""Cleaning helpers shared by several sources."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pandas as pd

from healthai.pipeline.normalise import strip_text

__all__ = ["column_key", "row_fingerprint", "strip_text"]


def row_fingerprint(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """A stable pseudonymous key per row from its normalised content."""
    joined = frame[columns].astype(str).agg("|".join, axis=1)
    return joined.map(lambda s: hashlib.sha256(s.encode()).hexdigest()[:20])


def column_key(
    column: str, prefix: str | None = None, integer: bool = False
) -> Callable[[pd.DataFrame], pd.Series]:
    """A source's `person_key` when one column names the person: `<prefix>:<value>` (the
    value alone without a prefix; a whole number when `integer`), None where the row has no
    usable value."""

    def key(frame: pd.DataFrame) -> pd.Series:
        if column not in frame.columns:
            return pd.Series(None, index=frame.index, dtype=object)
        values = frame[column].map(lambda v: _key_value(v, integer))
        if prefix is None:
            return values
        return values.map(lambda v: None if v is None else f"{prefix}:{v}")

    return key


def _key_value(value: object, integer: bool) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    if not text:
        return None
    if integer:
        try:
            number = float(text)
        except ValueError:
            return None
        return str(int(number)) if number.is_integer() else None
    return text
