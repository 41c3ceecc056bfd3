"""Read any landed file into frames of raw values, keeping malformed lines instead of skipping.

Every frame returned has a `_record` column: the row's 1-based position in the source (header
excluded) for tabular files, or the record's index for JSON arrays. Values are kept as read
(strings for CSV/Excel), so the contract, not the reader, decides what is valid.

Files are read in chunks of at most `chunk_rows` rows (`iter_file`), so a file of any size is
processed in bounded memory; `read_file` is the same reader returning the whole file as one
chunk. CSV is parsed by pyarrow's streaming reader (every value a string, quoted newlines
allowed); JSON and spreadsheets are parsed whole (they are small) and cut into chunks.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from charset_normalizer import from_bytes

from healthai.pipeline.errors import ContractError

RECORD = "_record"
_DECIMAL_COMMA = r"^-?\d+,\d+$"
_BLOCK = 1 << 22  # bytes parsed at a time by the CSV reader (a line must fit in it)


@dataclass
class ReadResult:
    frame: pd.DataFrame
    malformed: list[dict[str, Any]] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str = "."

    @property
    def rows_in(self) -> int:
        return len(self.frame) + len(self.malformed)


# Sources are French and English exports: when a file is not UTF-8, the candidates are the
# Western encodings (on short files, unrestricted detection picks Central European ones).
WESTERN_ENCODINGS = ["cp1252", "iso8859_15", "latin_1", "utf_16", "mac_roman"]


def detect_encoding(data: bytes) -> str:
    try:
        data.decode("utf-8")
        return "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        best = from_bytes(data[:200_000], cp_isolation=WESTERN_ENCODINGS).best()
        return best.encoding if best else "cp1252"


def detect_file_encoding(path: Path) -> str:
    """`detect_encoding` for a file of any size: UTF-8 is checked block by block."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        head = fh.read(200_000)
        try:
            decoder.decode(head)
            for block in iter(lambda: fh.read(1 << 24), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return detect_encoding(head if len(head) < 200_000 else head + b"\xff")
    return "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"


def _is_blank(path: Path) -> bool:
    with path.open("rb") as fh:
        return all(not block.strip() for block in iter(lambda: fh.read(1 << 20), b""))


def _record_numbers(first: int, count: int, invalid: np.ndarray) -> np.ndarray:
    """Record numbers of the valid rows `first`..`first + count - 1` (0-based among valid
    rows), given the sorted record numbers of the rows that were not valid."""
    positions = np.arange(first + 1, first + count + 1, dtype=np.int64)
    before = invalid - 1 - np.arange(len(invalid), dtype=np.int64)  # valid rows before each
    return positions + np.searchsorted(before, positions, side="left")


def _decimal_commas(table: pa.Table) -> tuple[pa.Table, bool]:
    """Values like `131,5` become `131.5` (only those values); True when there were any."""
    found = False
    columns = []
    for column in table.columns:
        matches = pc.match_substring_regex(column, _DECIMAL_COMMA)
        if pc.any(matches).as_py():
            found = True
            column = pc.if_else(matches, pc.replace_substring(column, ",", "."), column)
        columns.append(column)
    return pa.table(columns, names=table.column_names), found


def iter_csv(path: Path, chunk_rows: int | None = None) -> Iterator[ReadResult]:
    if _is_blank(path):
        raise ContractError(f"{path.name}: the file is empty")
    encoding = detect_file_encoding(path)
    with path.open("rb") as fh:
        sample = fh.read(50_000).decode(encoding, errors="replace")
    try:
        dialect = csv.Sniffer().sniff(sample.splitlines()[0], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        header = [
            h.strip()
            for h in next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
        ]
    except StopIteration as exc:
        raise ContractError(f"{path.name}: no header line") from exc
    names = [f"f{i}" for i in range(len(header))]
    invalid: list[int] = []  # record numbers of rows that are not data (malformed or blank)
    malformed: list[dict[str, Any]] = []

    def on_invalid(row: Any) -> str:
        if row.number is None or row.number < 0:  # pragma: no cover - serial parsing knows it
            raise ContractError(f"{path.name}: a malformed line whose number is unknown")
        record = row.number - 1  # pyarrow counts the header as row 1
        invalid.append(record)
        if row.text.strip():
            malformed.append(
                {
                    RECORD: record,
                    "raw": {"line": row.text},
                    "reason": {
                        "rule": "malformed_line",
                        "column": None,
                        "value": f"{row.actual_columns} fields where the header has "
                        f"{row.expected_columns}",
                    },
                }
            )
        return "skip"

    reader = pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(
            column_names=names,
            skip_rows=1,
            block_size=_BLOCK,
            encoding=_arrow_encoding(encoding),
            use_threads=False,  # serial parsing numbers every line
        ),
        parse_options=pcsv.ParseOptions(
            delimiter=delimiter,
            newlines_in_values=True,
            ignore_empty_lines=True,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pcsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    decimal = "."
    done = 0  # valid rows already returned
    emitted_malformed = 0
    pending: list[pa.RecordBatch] = []
    pending_rows = 0

    def chunk(batches: list[pa.RecordBatch], rows: int) -> ReadResult:
        nonlocal decimal, done, emitted_malformed
        table = pa.Table.from_batches(batches, schema=reader.schema)
        if delimiter == ";":
            table, found = _decimal_commas(table)
            decimal = "," if found else decimal
        records = _record_numbers(done, rows, np.sort(np.asarray(invalid, dtype=np.int64)))
        done += rows
        frame = table.to_pandas()
        frame.columns = header
        if len(header) == 1:  # a line of blanks is no row, as in the csv module
            blank = frame.iloc[:, 0].str.strip() == ""
            frame, records = frame[~blank.to_numpy()], records[~blank.to_numpy()]
        frame.insert(0, RECORD, records)
        frame.index = pd.RangeIndex(len(frame))
        bad = malformed[emitted_malformed:]
        emitted_malformed = len(malformed)
        return ReadResult(frame, bad, encoding, delimiter, decimal)

    step = chunk_rows or 0
    yielded = False
    for batch in reader:
        pending.append(batch)
        pending_rows += batch.num_rows
        while step and pending_rows >= step:
            table = pa.Table.from_batches(pending, schema=reader.schema)
            head, rest = table.slice(0, step), table.slice(step)
            yield chunk(head.to_batches(), step)
            yielded = True
            pending, pending_rows = rest.to_batches(), rest.num_rows
    if pending_rows or not yielded or len(malformed) > emitted_malformed:
        yield chunk(pending, pending_rows)


def _arrow_encoding(encoding: str) -> str:
    # pyarrow reads UTF-8 natively and skips a BOM; other encodings go through Python codecs.
    return "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding


def read_json(path: Path, record_key: str | None = None) -> ReadResult:
    try:
        payload = json.loads(path.read_bytes().decode(detect_encoding(path.read_bytes())))
    except json.JSONDecodeError as exc:
        raise ContractError(
            f"{path.name}: not valid JSON ({exc.msg} at line {exc.lineno})"
        ) from exc
    if isinstance(payload, dict):
        payload = payload.get("data", payload.get("items"))
    if not isinstance(payload, list):
        raise ContractError(f"{path.name}: expected a JSON array of records")
    if not payload:
        raise ContractError(f"{path.name}: the file holds no record")
    good = [r for r in payload if isinstance(r, dict)]
    malformed = [
        {
            RECORD: i + 1,
            "raw": {"value": r},
            "reason": {"rule": "not_an_object", "column": None, "value": repr(r)[:200]},
        }
        for i, r in enumerate(payload)
        if not isinstance(r, dict)
    ]
    frame = pd.DataFrame.from_records(good)
    frame.insert(0, RECORD, [i + 1 for i, r in enumerate(payload) if isinstance(r, dict)])
    frame = frame.astype(object).where(frame.notna(), None)
    return ReadResult(frame, malformed, encoding="utf-8")


def read_excel(path: Path, sheet: str | int = 0) -> ReadResult:
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=str, engine="calamine")
    except ValueError as exc:
        raise ContractError(f"{path.name}: cannot read sheet {sheet!r} ({exc})") from exc
    except Exception as exc:  # noqa: BLE001 - any parser failure means "not this format"
        raise ContractError(f"{path.name}: not a readable spreadsheet ({exc})") from exc
    if frame.empty:
        raise ContractError(f"{path.name}: sheet {sheet!r} holds no row")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.astype(object).where(frame.notna(), None)
    frame.insert(0, RECORD, range(1, len(frame) + 1))
    return ReadResult(frame)


def _in_chunks(result: ReadResult, chunk_rows: int | None) -> Iterator[ReadResult]:
    """A file read whole, cut into chunks (its malformed records go with the first)."""
    frame, step = result.frame, chunk_rows or len(result.frame) or 1
    for start in range(0, max(len(frame), 1), step):
        yield ReadResult(
            frame.iloc[start : start + step],
            result.malformed if start == 0 else [],
            result.encoding,
            result.delimiter,
            result.decimal,
        )


def iter_file(
    path: Path, fmt: str, chunk_rows: int | None = None, **options: Any
) -> Iterator[ReadResult]:
    """The file's rows in chunks of at most `chunk_rows` (None: one chunk). At least one chunk
    is returned, possibly empty; a file that is not what it claims raises ContractError on
    the first."""
    readers = {"json": read_json, "xlsx": read_excel, "xls": read_excel}
    if fmt != "csv" and fmt not in readers:
        raise ContractError(f"unknown format {fmt!r}")
    if not path.exists():
        raise ContractError(f"{path}: file not found")
    if fmt == "csv":
        yield from iter_csv(path, chunk_rows, **options)
    else:
        yield from _in_chunks(readers[fmt](path, **options), chunk_rows)


def read_file(path: Path, fmt: str, **options: Any) -> ReadResult:
    """The whole file as one chunk."""
    return next(iter_file(path, fmt, None, **options))
