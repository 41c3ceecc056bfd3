"""The data scientists' workspace: published data in one line, under the API's rules.

    from healthai import lab
    db = lab.connect()                     # you: HEALTHAI_API_KEY or `healthai lab login`
    users = db.table("users")              # latest version, pseudonymised
    v = db.version()                       # the dataset version just read
    meals = db.table("meal_logs", as_of=v) # the same rows tomorrow, after any publication
    tables = db.consolidated(as_of=v)      # every table of one version
    feats = db.features(as_of=v)           # one row per user and day, point in time

A notebook in `notebooks/analyses/` that ends with `lab.save_output(frame, output_path)`
becomes a Dagster asset (healthai.lab.notebooks, docs/data-scientists.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from healthai import access
from healthai.db import get_engine, session_factory
from healthai.lab.identity import NotSignedIn
from healthai.lab.notebooks import metrics_path
from healthai.lab.reading import TABLES, Lab, LabAccessDenied
from healthai.settings import get_settings

__all__ = ["TABLES", "Lab", "LabAccessDenied", "NotSignedIn", "connect", "save_output"]


def connect(principal: access.Principal | None = None, database_url: str | None = None) -> Lab:
    """A reading session on the platform's database (DATABASE_URL; SQLite by default) for
    the reader found as healthai.lab.identity says."""
    from healthai.lab import identity

    settings = get_settings()
    url = database_url or settings.database_url
    engine = get_engine(url)
    with session_factory(engine)() as session:
        reader = identity.resolve(session, settings, url, principal)
    return Lab(reader, engine, settings)


def save_output(
    frame: pd.DataFrame, output_path: str | None, metrics: dict[str, Any] | None = None
) -> Path | None:
    """The notebook's output table (and optional metrics, numbers shown in Dagster). When
    Dagster runs the notebook, `output_path` is set and the table is written as Parquet;
    run by hand (`output_path = None`), nothing is written and None is returned."""
    if output_path is None:
        print(f"interactive run: output not written ({len(frame)} rows; Dagster sets output_path)")
        return None
    path = Path(output_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    if metrics is not None:
        metrics_path(path).write_text(json.dumps(metrics, indent=1, default=str))
    return path
