"""Cleaning helpers shared by several sources."""

from __future__ import annotations

import hashlib
import re

import pandas as pd

_LITERAL_ESCAPES = re.compile(r"^(?:\\[tnr])+|(?:\\[tnr])+$")


def strip_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Trim whitespace and literal backslash escapes (`\\t182`) around every string cell;
    an empty cell becomes None."""

    def fix(value: object) -> object:
        if not isinstance(value, str):
            return value
        value = _LITERAL_ESCAPES.sub("", value.strip()).strip()
        return value or None

    return frame.apply(lambda col: col.map(fix))


def row_fingerprint(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """A stable pseudonymous key per row from its normalised content."""
    joined = frame[columns].astype(str).agg("|".join, axis=1)
    return joined.map(lambda s: hashlib.sha256(s.encode()).hexdigest()[:20])
