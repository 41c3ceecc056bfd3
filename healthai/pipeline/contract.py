"""Validate a frame against its source's pandera contract, keeping every failure as a reason.

Invalid rows are never dropped silently (no `drop_invalid_rows`): pandera's `failure_cases`
is the row-level truth, and each failing row leaves with every rule it broke.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from healthai.pipeline.errors import ContractError
from healthai.pipeline.readers import RECORD

STRUCTURAL_CHECKS = {"column_in_dataframe", "column_in_schema", "dataframe_not_empty"}


@dataclass
class Rejected:
    record: Any
    raw: dict[str, Any]
    reasons: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Validation:
    valid: pd.DataFrame
    rejected: list[Rejected]


def python_value(value: Any) -> Any:
    """A plain Python value for the database driver (NaN/NaT -> None, numpy -> Python)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, list | dict | str):
        return value.item()
    return value


def jsonable(value: Any) -> Any:
    """A value as JSON can hold it (NaN becomes None, numpy scalars become Python)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, list | dict | str):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def row_payloads(frame: pd.DataFrame, index: list[Any]) -> dict[Any, dict[str, Any]]:
    """The untouched source rows at `index`, as JSON-ready dicts keyed by index."""
    rows = frame.loc[index].drop(columns=[RECORD]).to_dict("index")
    return {i: {str(k): jsonable(v) for k, v in row.items()} for i, row in rows.items()}


_CROSS_FIELD: dict[str, tuple[str, list[str]]] = {}


def cross_field(name: str, columns: list[str], rule: Any, error: str) -> pa.Check:
    """A rule across columns of one row; rows with a null in those columns are left to the
    columns' own null rules. Its failures are reported once per row, with the values of
    `columns`, not once per column."""
    _CROSS_FIELD[error] = (name, columns)
    return pa.Check(lambda df: rule(df) | df[columns].isna().any(axis=1), name=name, error=error)


def _check_name(check: Any) -> str:
    return str(check).removeprefix("<Check ").removesuffix(">")


def validate(frame: pd.DataFrame, schema: pa.DataFrameSchema, raw: pd.DataFrame) -> Validation:
    """Split `frame` into coerced valid rows and rejected rows with every reason.

    `raw` is the untouched frame (same index) whose values the quarantine keeps.
    Structural failures (a required column missing) refuse the whole file.
    """
    missing = [
        name for name, col in schema.columns.items() if col.required and name not in frame.columns
    ]
    if missing:
        raise ContractError(f"missing required column(s): {', '.join(missing)}")
    reasons: dict[Any, list[dict[str, Any]]] = {}
    remaining = frame
    for _ in range(5):  # frame-wide checks may reveal new failures once rows are removed
        try:
            valid = schema.validate(remaining, lazy=True)
            break
        except SchemaErrors as err:
            cases = err.failure_cases
            structural = cases[cases["check"].astype(str).isin(STRUCTURAL_CHECKS)]
            if not structural.empty:
                raise ContractError(
                    "structure breaks the contract: "
                    + "; ".join(f"{r.check} {r.failure_case}" for r in structural.itertuples())
                ) from err
            row_cases = cases[cases["index"].notna()]
            if row_cases.empty:
                raise ContractError(f"contract failed without row detail: {err}") from err
            for case in row_cases.itertuples():
                check = _check_name(case.check)
                row_reasons = reasons.setdefault(case.index, [])
                if check in _CROSS_FIELD:
                    name, columns = _CROSS_FIELD[check]
                    if any(r["rule"] == name for r in row_reasons):
                        continue
                    row_reasons.append(
                        {
                            "rule": name,
                            "column": ", ".join(columns),
                            "value": {c: jsonable(remaining.at[case.index, c]) for c in columns},
                            "message": check,
                        }
                    )
                    continue
                column = case.column if isinstance(case.column, str) else None
                row_reasons.append(
                    {"rule": check, "column": column, "value": jsonable(case.failure_case)}
                )
            remaining = frame.drop(index=[i for i in reasons if i in frame.index])
    else:  # pragma: no cover - five rounds of new failures means a contract bug
        raise ContractError("contract did not converge after five rounds")
    payloads = row_payloads(raw, list(reasons))
    rejected = [
        Rejected(record=jsonable(raw.at[i, RECORD]), raw=payloads[i], reasons=r)
        for i, r in reasons.items()
    ]
    return Validation(valid=valid, rejected=rejected)
