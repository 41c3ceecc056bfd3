"""Cleaning helpers shared by several sources."""

from __future__ import annotations

import hashlib

import pandas as pd

from healthai.pipeline.normalise import strip_text

__all__ = ["row_fingerprint", "strip_text"]


def row_fingerprint(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """A stable pseudonymous key per row from its normalised content."""
    joined = frame[columns].astype(str).agg("|".join, axis=1)
    return joined.map(lambda s: hashlib.sha256(s.encode()).hexdigest()[:20])
