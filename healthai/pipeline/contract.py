"""Validate a frame against its source's pandera contract, keeping every failure as a reason.

The pandera schema is the declaration (columns, types, nullability, checks, rules across
columns); it is evaluated here with vectorised expressions, column by column, instead of by
pandera's own runner: a value is parsed once (numbers through Arrow, dates in the column's
format and the file's day/month order, `healthai.pipeline.dates`), and every defect of a row
becomes ONE reason with a stable rule id and a sentence for a data steward
(`healthai.pipeline.rules`): a value that is not a number is `not_a_number`, not two pandera
reasons; an empty required value is `missing_value`; a badly written date is `not_a_date`
with its raw value. A value that could not be read is not checked further (its range means
nothing). Invalid rows are never dropped silently: each leaves with every rule it broke, in
the contract's order (its columns' rules in the columns' order, then the rules across columns).

A file is validated chunk by chunk inside a `FileScope`: rules declared with `unique_rows`
("one row per user and day") then see the keys of the earlier chunks too, so a duplicate is
caught wherever the chunk boundaries fall, with the same reason as within one chunk; and the
order of day and month decided for the whole file applies to every chunk.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pyarrow_
import pyarrow.compute as pc

from healthai.models.vocab import Bound
from healthai.pipeline import dates, rules
from healthai.pipeline.chunks import KeySet, key_hashes
from healthai.pipeline.errors import ContractError
from healthai.pipeline.normalise import arrow_strings
from healthai.pipeline.readers import RECORD


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
    """A plain Python value for the database driver (NaN/NaT/NA -> None, numpy -> Python)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, list | dict | str):
        return value.item()
    return value


def jsonable(value: Any) -> Any:
    """A value as JSON can hold it (NaN and NA become None, numpy scalars become Python)."""
    if value is None or value is pd.NaT or value is pd.NA:
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


# ------------------------------------------------------------------ rules across columns
@dataclass(frozen=True)
class _CrossField:
    name: str
    columns: list[str]
    rule: Callable[[pd.DataFrame], pd.Series]


def cross_field(name: str, columns: list[str], rule: Any, error: str) -> pa.Check:
    """A rule across columns of one row, with its id (`name`) and its steward wording
    (`error`, registered in `healthai.pipeline.rules`). Rows with a null in `columns` are left
    to the columns' own rules. A failing row gets one reason, with the values of `columns`."""
    rules.register(name, error)
    check = pa.Check(lambda df: rule(df) | df[columns].isna().any(axis=1), name=name, error=error)
    check.cross_field = _CrossField(name, columns, rule)  # type: ignore[attr-defined]
    return check


class FileScope:
    """While open (`with FileScope():`), each `validate` call is one chunk of one file: the
    keys of `unique_rows` rules are remembered from one chunk to the next, and the order of
    day and month of the file's dates (`dates.decide`, set by the caller) applies to all."""

    def __init__(self, date_orders: dict[str, dates.Order | None] | None = None) -> None:
        self._seen: dict[str, KeySet] = {}
        self.date_orders = date_orders
        self._units: dict[str, tuple[Bound, int, int]] = {}  # column -> (bound, values, outside)

    def __enter__(self) -> FileScope:
        self._token = _SCOPE.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _SCOPE.reset(self._token)

    def seen_before(self, rule: str, keys: pd.DataFrame) -> np.ndarray:
        """Which rows' keys appeared in an earlier chunk; this chunk's keys are remembered."""
        a, b = key_hashes(keys)
        seen = self._seen.setdefault(rule, KeySet())
        found = seen._contains(a, b)
        seen.add_hashes(a, b)
        return found

    def count_units(self, column: str, bound: Bound, values: pd.Series) -> None:
        """Count a chunk's values of a column whose range has typical values."""
        low, high = bound.typical or (bound.min, bound.max)
        outside = int(((values < low) | (values > high)).sum())
        _, seen, out = self._units.get(column, (bound, 0, 0))
        self._units[column] = (bound, seen + len(values), out + outside)

    def unit_suspect(self) -> ContractError | None:
        """The file's refusal when most values of a column lie outside the typical values of
        its unit (a weight column in pounds): each value may be in range, the file is not.
        Counted over the whole file, so chunks do not matter; at least 20 values."""
        for column, (bound, count, outside) in self._units.items():
            if count >= UNIT_CHECK_MIN_VALUES and outside * 2 > count:
                low, high = bound.typical or (bound.min, bound.max)
                return ContractError.of(
                    "unit_suspect",
                    column=column,
                    unit=bound.unit,
                    outside=outside,
                    count=count,
                    low=low,
                    high=high,
                    hint=f"{bound.other_unit}?" if bound.other_unit else "another unit?",
                )
        return None


UNIT_CHECK_MIN_VALUES = 20
_SCOPE: ContextVar[FileScope | None] = ContextVar("healthai_file_scope", default=None)


def unique_rows(columns: list[str], name: str, error: str) -> pa.Check:
    """The first row per `columns` passes; a later one is quarantined (reported once), in the
    same chunk or, inside a `FileScope`, in a later chunk of the file."""

    def first(df: pd.DataFrame) -> pd.Series:
        keep = ~df.duplicated(columns, keep="first")
        scope = _SCOPE.get()
        if scope is not None:
            keep &= ~scope.seen_before(f"{name}:{columns}", df[columns])
        return keep

    return cross_field(name, columns, first, error)


# ------------------------------------------------------------------ domain ranges
def in_bounds(bound: Bound) -> pa.Check:
    """The pandera check of a declared range (healthai.models.vocab.BOUNDS)."""
    check = pa.Check.in_range(bound.min, bound.max, include_min=not bound.min_excluded)
    check.bound = bound  # type: ignore[attr-defined]  # its typical values: the unit check
    return check


def measure(bound: Bound, *, nullable: bool = False, kind: type = float) -> pa.Column:
    """A numeric column within a declared range, read from text (`coerce`)."""
    return pa.Column(kind, in_bounds(bound), coerce=True, nullable=nullable)


# ------------------------------------------------------------------ column checks
def _custom_rule(check: pa.Check) -> str:
    """A source's own column check: its name is the rule id, its error the wording."""
    name = str(check.name)
    wording = "{column}: " + (check.error or name.replace("_", " "))
    rules.register(name, wording, "value")
    return name


def register_contract_rules(schema: pa.DataFrameSchema) -> None:
    """Register the ids of a contract's own column checks (for the complete rule list)."""
    for column in schema.columns.values():
        for check in column.checks:
            if check.name not in _BUILTIN:
                _custom_rule(check)


def _in_range(values: pd.Series, s: dict[str, Any]) -> tuple[np.ndarray, str, dict[str, Any]]:
    lo, hi = s["min_value"], s["max_value"]
    above = values >= lo if s.get("include_min", True) else values > lo
    below = values <= hi if s.get("include_max", True) else values < hi
    rule = "out_of_range" if s.get("include_min", True) else "out_of_range_above_min"
    return (above & below).to_numpy(), rule, {"min": lo, "max": hi}


def _compare(op: str, rule: str, key: str) -> Callable:
    def run(values: pd.Series, s: dict[str, Any]) -> tuple[np.ndarray, str, dict[str, Any]]:
        bound = s[key]
        ok = getattr(values, op)(bound)
        return ok.to_numpy(), rule, {"min" if key == "min_value" else "max": bound}

    return run


def _isin(values: pd.Series, s: dict[str, Any]) -> tuple[np.ndarray, str, dict[str, Any]]:
    allowed = list(s["allowed_values"])
    return values.isin(allowed).to_numpy(), "not_allowed", {"allowed": allowed}


def _arrow_text(values: pd.Series) -> pyarrow_.Array | None:
    """The values as an Arrow string array (None when they are not all text or null)."""
    held = arrow_strings(values)
    if held is not None:
        return held
    try:
        return pyarrow_.array(values.to_numpy(), type=pyarrow_.string(), from_pandas=True)
    except (pyarrow_.ArrowInvalid, pyarrow_.ArrowTypeError):
        return None


def _str_matches(values: pd.Series, s: dict[str, Any]) -> tuple[np.ndarray, str, dict[str, Any]]:
    pattern = s["pattern"]
    pattern = str(getattr(pattern, "pattern", pattern))
    text = _arrow_text(values)
    anchored = pattern if pattern.startswith("^") else "^(?:" + pattern + ")"  # re.match
    if text is not None:
        ok = pc.match_substring_regex(text, anchored).fill_null(False)
        ok = ok.to_numpy(zero_copy_only=False)
    else:
        ok = values.astype(str).str.match(pattern).to_numpy()
    return ok, "pattern_mismatch", {"pattern": pattern}


def _str_length(values: pd.Series, s: dict[str, Any]) -> tuple[np.ndarray, str, dict[str, Any]]:
    text = _arrow_text(values)
    if text is not None:
        counted = pc.utf8_length(text).to_numpy(zero_copy_only=False)
        length = pd.Series(counted, index=values.index)
    else:
        length = values.astype(str).str.len()
    lo, hi = s.get("min_value"), s.get("max_value")
    ok = pd.Series(True, index=values.index)
    if lo is not None:
        ok &= length >= lo
    if hi is not None:
        ok &= length <= hi
    return ok.to_numpy(), "text_length", {"min": lo, "max": hi}


_BUILTIN: dict[str, Callable] = {
    "in_range": _in_range,
    "greater_than": _compare("gt", "not_above_minimum", "min_value"),
    "greater_than_or_equal_to": _compare("ge", "below_minimum", "min_value"),
    "less_than": _compare("lt", "not_below_maximum", "max_value"),
    "less_than_or_equal_to": _compare("le", "above_maximum", "max_value"),
    "isin": _isin,
    "str_matches": _str_matches,
    "str_length": _str_length,
}
rules.register(
    "out_of_range_above_min",
    "{column}: {value} is outside the allowed range: above {min}, up to {max}.",
    "value",
)


def _run_check(check: pa.Check, values: pd.Series) -> tuple[np.ndarray, str, dict[str, Any]]:
    """Whether each (non-null, typed) value passes `check`, with the rule id and params."""
    builtin = _BUILTIN.get(str(check.name))
    if builtin is not None:
        return builtin(values, check.statistics)
    result = check(values).check_output  # a source's own check, run as pandera runs it
    if isinstance(result, bool | np.bool_):
        ok = np.full(len(values), bool(result))
    else:
        ok = result.reindex(values.index, fill_value=False).to_numpy(dtype=bool)
    return ok, _custom_rule(check), {}


# ------------------------------------------------------------------ types
def column_kind(column: pa.Column) -> str:
    """int, float, str, bool, datetime, datetime_utc or object."""
    dtype = str(column.dtype)
    if dtype.startswith("datetime64[ns,"):
        return "datetime_utc"
    if dtype.startswith("datetime"):
        return "datetime"
    if dtype.startswith(("int", "uint")):
        return "int"
    if dtype.startswith("float"):
        return "float"
    if dtype == "str":
        return "str"
    if dtype == "bool":
        return "bool"
    return "object"


def _numbers(values: pd.Series) -> pd.Series:
    """Numbers parsed column-wise (Arrow's cast for text; pandas for anything else); NaN
    where a value is not a number."""
    if values.dtype.kind in "fiu":
        return values.astype("float64")
    text = _arrow_text(values)
    if text is not None:
        try:
            parsed = pc.cast(text, pyarrow_.float64())
        except (pyarrow_.ArrowInvalid, pyarrow_.ArrowNotImplementedError):
            # some values are not numbers: cast those written as numbers, the others are NaN
            number = pc.match_substring_regex(text, _NUMBER).fill_null(False)
            parsed = pc.cast(pc.if_else(number, text, pyarrow_.scalar(None, text.type)), "float64")
        out = parsed.to_numpy(zero_copy_only=False)
        return pd.Series(out, index=values.index, dtype="float64")
    return pd.to_numeric(values, errors="coerce").astype("float64")


# A number as Arrow casts it (no inf, no nan: those are not numbers of a measure)
_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"


_BOOLS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def _parse(
    name: str, column: pa.Column, values: pd.Series, order: dates.Order | None
) -> tuple[pd.Series, list[tuple[np.ndarray, str, dict[str, Any]]]]:
    """Typed values and the parse failures (mask, rule, params) of one column."""
    kind = column_kind(column)
    present = values.notna().to_numpy()
    if kind in ("int", "float"):
        typed = _numbers(values)
        bad = present & typed.isna().to_numpy()
        failures: list[tuple[np.ndarray, str, dict[str, Any]]] = [(bad, "not_a_number", {})]
        if kind == "int":
            frac = present & ~bad & (typed % 1 != 0).to_numpy()
            failures.append((frac, "not_a_whole_number", {}))
            typed = typed.where(~frac)
        return typed, failures
    if kind in ("datetime", "datetime_utc"):
        parsed = dates.parse(values, order)
        typed = parsed.values
        if kind == "datetime_utc":
            typed = typed.dt.tz_localize("UTC")
        example = "2024-03-31"
        return typed, [
            (parsed.not_a_date.to_numpy(), "not_a_date", {"example": example}),
            (parsed.ambiguous.to_numpy(), "ambiguous_date", {}),
        ]
    if kind == "str":
        if _arrow_text(values) is not None:  # every value is text (or null)
            return values, []
        wrong = present & ~values.map(lambda v: isinstance(v, str)).to_numpy()
        return values, [(wrong, "not_text", {})]
    if kind == "bool":
        mapped = values.map(
            lambda v: v if isinstance(v, bool) else _BOOLS.get(str(v).strip().lower())
        )
        return mapped, [(present & mapped.isna().to_numpy(), "not_a_boolean", {})]
    return values, []


def _final_types(valid: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """Integer columns without a null become int64 (an int column with nulls stays float)."""
    for name, column in schema.columns.items():
        if name in valid.columns and column_kind(column) == "int" and not valid[name].isna().any():
            valid[name] = valid[name].astype("int64")
    return valid


# ------------------------------------------------------------------ validation
def validate(frame: pd.DataFrame, schema: pa.DataFrameSchema, raw: pd.DataFrame) -> Validation:
    """Split `frame` into typed valid rows and rejected rows with every reason.

    `raw` is the untouched frame (same index) whose values the quarantine keeps and the
    reasons quote. A required column missing refuses the whole file. Inside a `FileScope`,
    each call is one chunk of the file (see `unique_rows`), and its dates are read in the
    file's order of day and month; outside, in the order this frame proves.
    """
    missing = [
        name for name, col in schema.columns.items() if col.required and name not in frame.columns
    ]
    if missing:
        raise ContractError.of("missing_columns", columns=", ".join(missing))
    scope = _SCOPE.get()
    orders = scope.date_orders if scope is not None and scope.date_orders is not None else None
    if orders is None:
        date_columns = {
            n: frame[n]
            for n, c in schema.columns.items()
            if n in frame.columns and column_kind(c).startswith("datetime")
        }
        orders = dates.decide(date_columns)
    n = len(frame)
    typed_columns = {name: frame[name] for name in frame.columns}
    found: list[tuple[int, np.ndarray, dict[str, Any]]] = []  # (order, rows, reason template)
    unreadable = np.zeros(n, dtype=bool)  # a value could not be read: rules across skip it
    position = 0
    for name, column in schema.columns.items():
        if name not in frame.columns:
            continue
        values = frame[name]
        typed_values, failures = _parse(name, column, values, orders.get(name))
        failed = np.zeros(n, dtype=bool)
        null = values.isna().to_numpy()
        if not column.nullable:
            found.append((position, null, {"rule": "missing_value", "column": name}))
            failed |= null
        for mask, rule, params in failures:
            mask = mask & ~failed
            if mask.any():
                found.append((position, mask, {"rule": rule, "column": name, **params}))
                failed |= mask
                unreadable |= mask
        typed_columns[name] = typed_values
        if name == RECORD:
            continue
        checked = ~failed & ~typed_values.isna().to_numpy()
        if column.unique:
            repeat = typed_values.duplicated(keep="first").to_numpy() & checked
            found.append((position, repeat, {"rule": "duplicate_value", "column": name}))
        for check in column.checks:
            if not checked.any():
                break
            where = np.flatnonzero(checked)
            bound = getattr(check, "bound", None)
            if scope is not None and bound is not None and bound.typical is not None:
                scope.count_units(name, bound, typed_values.iloc[where])
            subset = typed_values if len(where) == n else typed_values.iloc[where]
            ok, rule, params = _run_check(check, subset)
            bad = np.zeros(n, dtype=bool)
            bad[where[~ok]] = True
            if bad.any():
                found.append((position, bad, {"rule": rule, "column": name, **params}))
                checked &= ~bad
        position += 1
    typed = pd.DataFrame(typed_columns, index=frame.index)
    # rules across columns, on the rows whose values could all be read
    rows = typed[~unreadable] if unreadable.any() else typed
    for check in schema.checks:
        cross = getattr(check, "cross_field", None)
        if cross is None:
            result = check(rows).check_output
            ok = result.reindex(rows.index, fill_value=True).to_numpy(dtype=bool)
            name, columns = _custom_rule(check), []
        else:
            passed = cross.rule(rows) | rows[cross.columns].isna().any(axis=1)
            ok = passed.to_numpy(dtype=bool, na_value=True)
            name, columns = cross.name, cross.columns
        bad = np.zeros(n, dtype=bool)
        bad[np.flatnonzero(~unreadable)[~ok]] = True
        if bad.any():
            found.append((position, bad, {"rule": name, "columns": columns}))
        position += 1
    return _split(frame, typed, raw, schema, found)


def _split(
    frame: pd.DataFrame,
    typed: pd.DataFrame,
    raw: pd.DataFrame,
    schema: pa.DataFrameSchema,
    found: list[tuple[int, np.ndarray, dict[str, Any]]],
) -> Validation:
    """The valid rows (typed) and the rejected ones with their reasons, in contract order."""
    any_bad = np.zeros(len(frame), dtype=bool)
    for _, mask, _ in found:
        any_bad |= mask
    valid = _final_types(typed[~any_bad].copy(), schema)
    if not any_bad.any():
        return Validation(valid=valid, rejected=[])
    bad_index = frame.index[any_bad]
    reasons: dict[Any, list[dict[str, Any]]] = {i: [] for i in bad_index}
    for _, mask, template in sorted(found, key=lambda f: f[0]):
        params = {k: v for k, v in template.items() if k not in ("rule", "column", "columns")}
        rule = template["rule"]
        for i in frame.index[mask]:
            if "columns" in template:  # a rule across columns: the row's values of them
                cols = template["columns"]
                value = {c: jsonable(frame.at[i, c]) for c in cols}
                reasons[i].append(rules.reason(rule, ", ".join(cols) or None, value, **params))
            else:
                column = template["column"]
                source = raw if column in raw.columns else frame
                value = jsonable(source.at[i, column])
                reasons[i].append(rules.reason(rule, column, value, **params))
    payloads = row_payloads(raw, list(bad_index))
    records = raw[RECORD].reindex(bad_index).tolist()
    rejected = [
        Rejected(record=jsonable(record), raw=payloads[i], reasons=reasons[i])
        for record, i in zip(records, bad_index, strict=True)
    ]
    return Validation(valid=valid, rejected=rejected)
