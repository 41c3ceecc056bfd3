"""Validate a frame against its source's pandera contract, keeping every failure as a reason.

Invalid rows are never dropped silently (no `drop_invalid_rows`): pandera's `failure_cases`
is the row-level truth, and each failing row leaves with every rule it broke.

A file is validated chunk by chunk inside a `FileScope`: rules declared with `unique_rows`
("one row per user and day") then see the keys of the earlier chunks too, so a duplicate is
caught wherever the chunk boundaries fall, with the same reason as within one chunk.
"""

from __future__ import annotations

import math
import warnings
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandas.tseries.api import guess_datetime_format
from pandera.errors import SchemaErrors

from healthai.pipeline.chunks import KeySet, key_hashes
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


class FileScope:
    """While open (`with FileScope():`), each `validate` call is one chunk of one file: the
    keys of `unique_rows` rules are remembered from one chunk to the next."""

    def __init__(self) -> None:
        self._seen: dict[str, KeySet] = {}
        self._pending: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __enter__(self) -> FileScope:
        self._token = _SCOPE.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _SCOPE.reset(self._token)

    def seen_before(self, rule: str, keys: pd.DataFrame) -> np.ndarray:
        """Which rows' keys appeared in an earlier chunk; this chunk's keys are remembered
        when its validation ends (`commit`)."""
        a, b = key_hashes(keys)
        if rule not in self._pending or len(a) > len(self._pending[rule][0]):
            self._pending[rule] = (a, b)  # the first round sees the whole chunk
        return self._seen.setdefault(rule, KeySet())._contains(a, b)

    def commit(self) -> None:
        for rule, (a, b) in self._pending.items():
            self._seen[rule].add_hashes(a, b)
        self._pending.clear()


_SCOPE: ContextVar[FileScope | None] = ContextVar("healthai_file_scope", default=None)


def unique_rows(columns: list[str], name: str, error: str) -> pa.Check:
    """The first row per `columns` passes; a later one is quarantined (reported once), in the
    same chunk or, inside a `FileScope`, in a later chunk of the file."""

    def first(df: pd.DataFrame) -> pd.Series:
        keep = ~df.duplicated(columns, keep="first")
        scope = _SCOPE.get()
        if scope is not None:
            keep &= ~scope.seen_before(error, df[columns])
        return keep

    return cross_field(name, columns, first, error)


def _check_name(check: Any) -> str:
    return str(check).removeprefix("<Check ").removesuffix(">")


def validate(frame: pd.DataFrame, schema: pa.DataFrameSchema, raw: pd.DataFrame) -> Validation:
    """Split `frame` into coerced valid rows and rejected rows with every reason.

    `raw` is the untouched frame (same index) whose values the quarantine keeps.
    Structural failures (a required column missing) refuse the whole file.
    Inside a `FileScope`, each call is one chunk of the file (see `unique_rows`).
    """
    missing = [
        name for name, col in schema.columns.items() if col.required and name not in frame.columns
    ]
    if missing:
        raise ContractError(f"missing required column(s): {', '.join(missing)}")
    typed, reasons = _coerce(frame, schema)
    remaining = typed.drop(index=list(reasons))
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
            for index, reason in _case_reasons(row_cases, frame, schema):
                reasons.setdefault(index, []).append(reason)
            remaining = typed.drop(index=[i for i in reasons if i in typed.index])
    else:  # pragma: no cover - five rounds of new failures means a contract bug
        raise ContractError("contract did not converge after five rounds")
    scope = _SCOPE.get()
    if scope is not None:
        scope.commit()
    payloads = row_payloads(raw, list(reasons))
    records = raw[RECORD].reindex(list(reasons)).tolist()
    rejected = [
        Rejected(record=jsonable(record), raw=payloads[i], reasons=r)
        for record, (i, r) in zip(records, reasons.items(), strict=True)
    ]
    return Validation(valid=valid, rejected=rejected)


def _coerce(
    frame: pd.DataFrame, schema: pa.DataFrameSchema
) -> tuple[pd.DataFrame, dict[Any, list[dict[str, Any]]]]:
    """Coerce the contract's numeric and date columns column-wise, before pandera.

    When one value of a column cannot be coerced, pandera coerces that column again value by
    value to find it (one `pd.to_datetime` call per value: minutes per million rows). Here the
    column is parsed once with `errors="coerce"` (dates in the format of the column's first
    dates); the values that become empty are the rows' reasons, worded as pandera words them,
    and those rows are left out of pandera's validation. A date written in another format than
    the column's is such a value: quarantined with its reason, not guessed.
    """
    typed = frame.copy()
    reasons: dict[Any, list[dict[str, Any]]] = {}
    for name, column in schema.columns.items():
        if not column.coerce or name not in frame.columns or column.dtype is None:
            continue
        kind = str(column.dtype)
        parse = (
            _parse_dates
            if kind.startswith("datetime")
            else (lambda v: pd.to_numeric(v, errors="coerce"))
            if kind.startswith(("int", "float"))
            else None
        )
        values = frame[name]
        if parse is None:
            continue
        try:
            typed[name] = column.dtype.coerce(values)
            continue
        except (ValueError, TypeError):
            pass
        bad = values.index[parse(values).isna() & values.notna()].tolist()
        try:
            typed[name] = column.dtype.coerce(values.drop(index=bad)).reindex(values.index)
        except (ValueError, TypeError):
            continue  # not only single bad values: pandera will find them
        for i in bad:
            value = jsonable(values.at[i])
            reasons.setdefault(i, []).extend(
                {"rule": f"{rule}('{kind}')", "column": name, "value": value}
                for rule in ("coerce_dtype", "dtype")
            )
    return typed, reasons


def _parse_dates(values: pd.Series) -> pd.Series:
    """Dates parsed in one pass, in the format of the first values that have one (a bad value
    first would otherwise send every value through dateutil); NaT where they do not parse."""
    sample = values.dropna().astype(str).head(50)
    fmt = next((f for v in sample if (f := guess_datetime_format(v))), None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # no format: parsed one by one, said once
        return pd.to_datetime(values, errors="coerce", format=fmt)


def _case_reasons(
    cases: pd.DataFrame, frame: pd.DataFrame, schema: pa.DataFrameSchema
) -> list[tuple[Any, dict[str, Any]]]:
    """pandera's failure cases as (row index, reason). A row's reasons come in the contract's
    order: its columns' rules (in the columns' order), then the rules across columns; so they
    do not depend on how the file was cut into chunks.

    A rule across columns (`cross_field`) fails once per column of the row in pandera's
    report; it becomes one reason per row, with the values of its declared columns."""
    codes, uniques = pd.factorize(cases["check"].astype(str))
    names = np.array([_check_name(u) for u in uniques], dtype=object)[codes]
    index = cases["index"].to_numpy()
    positions = {name: i for i, name in enumerate(schema.columns)}
    wide = (cases["schema_context"] != "Column").to_numpy()
    column_at = cases["column"].map(lambda c: positions.get(c, len(positions))).to_numpy()
    number = pd.to_numeric(cases["check_number"], errors="coerce").fillna(-1).to_numpy()
    order = np.lexsort((names.astype(str), number, np.where(wide, 0, column_at), wide))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))  # each case's place in the contract's order
    cross = np.isin(names, list(_CROSS_FIELD))
    out: list[tuple[int, Any, dict[str, Any]]] = []
    simple = ~cross
    columns = cases["column"].to_numpy()[simple]
    failures = cases["failure_case"].to_numpy()[simple]
    for pos, i, rule, column, value in zip(
        rank[simple], index[simple], names[simple], columns, failures, strict=True
    ):
        column = column if isinstance(column, str) else None
        out.append((pos, i, {"rule": rule, "column": column, "value": jsonable(value)}))
    if cross.any():
        hits = pd.DataFrame(
            {"pos": rank[cross], "index": index[cross], "check": names[cross]}
        ).sort_values("pos")
        hits["rule"] = hits["check"].map(lambda c: _CROSS_FIELD[c][0])
        hits = hits.drop_duplicates(["index", "rule"], keep="first")
        for check, group in hits.groupby("check", sort=False):
            name, cols = _CROSS_FIELD[check]
            values = frame.loc[group["index"].to_numpy(), cols].to_dict("records")
            for pos, i, row in zip(group["pos"], group["index"], values, strict=True):
                out.append(
                    (
                        pos,
                        i,
                        {
                            "rule": name,
                            "column": ", ".join(cols),
                            "value": {c: jsonable(row[c]) for c in cols},
                            "message": check,
                        },
                    )
                )
    out.sort(key=lambda item: item[0])
    return [(i, reason) for _, i, reason in out]
