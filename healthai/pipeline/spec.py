"""How a source is declared: once, with everything the pipeline, the schedules and the source
inventory need. Adding a source is a declaration and its cleaning functions, nothing else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
import pandera.pandas as pa


@dataclass(frozen=True)
class CleanContext:
    """What a transform may know besides the rows: where they come from and when."""

    source: str
    sha256: str
    received_at: datetime


# A soft rule flags implausible-but-possible rows without quarantining them.
SoftRule = tuple[str, Callable[[pd.DataFrame], pd.Series]]


@dataclass(frozen=True)
class SourceSpec:
    name: str
    title: str
    format: str  # csv, json, xlsx, xls (the format files normally come in)
    location: str  # glob under raw/ (shipped) or the landing zone, or a URL for APIs
    contract: pa.DataFrameSchema
    transform: Callable[[pd.DataFrame, CleanContext], dict[str, pd.DataFrame]]
    # The table whose natural key identifies a source record, and that key's column in the
    # transform's output: records already there (or earlier in the file) count as duplicates.
    # None for fact sources whose contract catches duplicate rows itself.
    primary_table: str | None = None
    primary_key: str | None = None
    normalise: Callable[[pd.DataFrame], pd.DataFrame] = lambda df: df
    soft_rules: dict[str, SoftRule] = field(default_factory=dict)
    read_options: dict[str, Any] = field(default_factory=dict)
    update_frequency: str = "daily"
    cron: str = "0 3 * * *"
    owner: str = "data-team@healthai-coach.fr"
    licence: str = "unknown"
    citation: str = ""
    origin: str = ""
    description: str = ""
    defects: tuple[str, ...] = ()
    auto_approve: bool = False
    # API sources: reads the API and lands its response as one file (None: nothing to fetch,
    # or a path/summary object); runs before `<name>_landed` in the same job.
    fetch: Callable[[], Any] | None = None
    # Sources whose batches this one references: staged after theirs in a run.
    after: tuple[str, ...] = ()
    # Why the source is off under the current settings (None: on), e.g. an API without a URL.
    # An off source is neither measured nor profiled: its quality checks are skipped (shown
    # as off, never failed) and its report is not made.
    off_reason: Callable[[], str | None] = lambda: None
    # Other formats a file of this source may come in (read from the file's content, not its
    # name): e.g. ("xlsx",) for a CSV source whose files are often spreadsheet exports. A file
    # in a format not listed is refused with a clear message.
    accepts: tuple[str, ...] = ()
    # The person each raw row is about: raw rows as read (after `normalise`) -> the
    # users.external_key they would have (None where the row does not say, or its key is
    # derived from its whole content). Erasure uses it to find a person's rows in quarantine,
    # in files and in rows counted as duplicates. None: the source names no person by a key.
    person_key: Callable[[pd.DataFrame], pd.Series] | None = None

    @property
    def formats(self) -> tuple[str, ...]:
        """Every format a file of this source is read in."""
        return (self.format, *(f for f in self.accepts if f != self.format))

    @property
    def columns(self) -> list[str]:
        """The contract's column names (the reader finds the header line by them)."""
        return [c for c in self.contract.columns if not c.startswith("_")]
