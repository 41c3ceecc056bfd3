"""Vectorised text normalisation for large frames.

`strip_text` trims whitespace and literal backslash escapes around every string cell (an
empty cell becomes None), about ten times faster than a cell-by-cell `map`: Arrow finds the
few cells that need any work, and only those go through Python. Non-string cells are left as
they are. Every source's normalisation uses it (`healthai.sources.common`).

Columns held by Arrow (`pd.ArrowDtype(pa.string())`, as the CSV reader returns them to the
validation) stay in Arrow: the cells that need work are found from their first and last
bytes, without making a Python string of every cell.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_LITERAL_ESCAPES = re.compile(r"^(?:\\[tnr])+|(?:\\[tnr])+$")
# Every character Python's str.strip() removes (str.isspace), as an RE2 class.
_SPACE = r"[\t\n\x0b\f\r\x1c-\x1f\x85\pZ]"
# A cell needs work when it starts or ends with a space or a literal escape (an empty cell
# simply becomes None).
_NEEDS_WORK = rf"^{_SPACE}|{_SPACE}$|^\\[tnr]|\\[tnr]$"


def _fix(value: object) -> object:
    if not isinstance(value, str):
        return value
    value = _LITERAL_ESCAPES.sub("", value.strip()).strip()
    return value or None


def arrow_strings(column: pd.Series) -> pa.Array | None:
    """The column as one Arrow string array when it is held by Arrow (no copy), else None."""
    dtype = column.dtype
    if isinstance(dtype, pd.ArrowDtype) and pa.types.is_string(dtype.pyarrow_dtype):
        data = column.array._pa_array  # a ChunkedArray
        return data.combine_chunks() if data.num_chunks != 1 else data.chunk(0)
    return None


# First or last bytes that may need work: ASCII whitespace and separators, a backslash, and
# any byte of a multi-byte character (Unicode spaces are among them; few cells have one).
_EDGE = np.zeros(256, dtype=bool)
_EDGE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 92]] = True
_EDGE[128:] = True


def _strip_arrow(column: pd.Series, text: pa.Array) -> pd.Series:
    n = len(text)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset : text.offset + n + 1]
    data = text.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    valid = ~np.asarray(text.is_null().to_numpy(zero_copy_only=False))
    empty = valid & (ends == starts)
    filled = valid & (ends > starts)
    work = np.zeros(n, dtype=bool)
    if filled.any():
        work[filled] = _EDGE[raw[starts[filled]]] | _EDGE[raw[ends[filled] - 1]]
        # a literal escape at the end (`182\\n`) ends with a letter: any backslash is a candidate
        work |= pc.match_substring(text, "\\").fill_null(False).to_numpy(zero_copy_only=False)
    if not work.any() and not empty.any():
        return column
    where = np.flatnonzero(work)
    fixed = [_fix(v) for v in text.take(pa.array(where)).to_pylist()]
    values = np.full(n, None, dtype=object)
    values[where] = fixed
    changed = np.zeros(n, dtype=bool)
    changed[where] = True
    changed |= empty
    replacement = pa.array(values, type=pa.string(), from_pandas=True)
    out = pc.if_else(pa.array(changed), replacement, text)
    return pd.Series(out, index=column.index, name=column.name, dtype=column.dtype)


def _strip_column(column: pd.Series) -> pd.Series:
    text = arrow_strings(column)
    if text is not None:
        return _strip_arrow(column, text)
    if column.dtype != object:
        return column
    values = column.to_numpy()
    try:
        text = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return column.map(_fix)  # not only strings: cell by cell
    empty = np.flatnonzero(pc.equal(text, "").fill_null(False).to_numpy(zero_copy_only=False))
    work = pc.match_substring_regex(text, _NEEDS_WORK).fill_null(False)
    where = np.flatnonzero(work.to_numpy(zero_copy_only=False))
    if not len(where) and not len(empty):
        return column
    values = values.copy()
    values[empty] = None
    values[where] = [_fix(v) for v in values[where]]
    return pd.Series(values, index=column.index, name=column.name, dtype=object)


def strip_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Trim whitespace and literal backslash escapes (`\\t182`) around every string cell;
    an empty cell becomes None."""
    out = frame.copy(deep=False)
    for position in range(frame.shape[1]):
        out.isetitem(position, _strip_column(frame.iloc[:, position]))
    return out
