"""Read any landed file into frames of raw values, keeping malformed lines instead of skipping.

Every frame returned has a `_record` column: the row's 1-based position in the source (header
excluded) for tabular files, or the record's index for JSON arrays. Values are kept as read
(strings for CSV/Excel), so the contract, not the reader, decides what is valid.

What a file is, is read from its content, not from its name (`sniff_format`): a workbook
dropped into a CSV source is read as a workbook if the source accepts spreadsheets, and
refused with a clear message otherwise, never decoded as text. Spreadsheet leftovers are
handled: title lines above the header (the header is the line naming the most expected
columns), trailing unnamed columns and separators, empty lines.

Files are read in chunks of at most `chunk_rows` rows (`iter_file`), so a file of any size is
processed in bounded memory; `read_file` is the same reader returning the whole file as one
chunk. CSV is parsed by pyarrow's streaming reader (every value a string, quoted newlines
allowed); JSON and spreadsheets are parsed whole (they are small) and cut into chunks.
Errors are `ContractError`s carrying a rule id (`healthai.pipeline.rules`); the caller names
the file the person dropped in them (`ContractError.for_file`).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from charset_normalizer import from_bytes

from healthai.pipeline.errors import ContractError
from healthai.pipeline.rules import reason

RECORD = "_record"
_DECIMAL_COMMA = r"^-?\d+,\d+$"
_BLOCK = 1 << 22  # bytes parsed at a time by the CSV reader (a line must fit in it)
_HEADER_SEARCH = 20  # lines (or sheet rows) searched for the header below title lines
UNNAMED = "Unnamed: {}"

# What each format is called in messages, and which formats one reader reads.
FORMAT_NAMES = {
    "csv": "a CSV (text) file",
    "json": "a JSON file",
    "xlsx": "an Excel workbook (XLSX)",
    "xls": "an Excel 97-2003 workbook (XLS)",
    "zip": "a ZIP archive",
    "binary": "a binary file of an unknown kind",
}
SPREADSHEETS = ("xlsx", "xls")


@dataclass
class ReadResult:
    frame: pd.DataFrame
    malformed: list[dict[str, Any]] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str = "."
    format: str | None = None  # what the file was read as (from its content)

    @property
    def rows_in(self) -> int:
        return len(self.frame) + len(self.malformed)


class Readable(Protocol):
    """What the reader needs of a source declaration (`SourceSpec`)."""

    @property
    def name(self) -> str: ...

    @property
    def format(self) -> str: ...

    @property
    def read_options(self) -> dict[str, Any]: ...

    @property
    def formats(self) -> tuple[str, ...]: ...

    @property
    def columns(self) -> list[str]: ...


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


# ------------------------------------------------------------------ what the file is
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def sniff_format(path: Path) -> str:
    """The file's format read from its content: csv, json, xlsx, xls, zip, binary or empty."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    if not head.strip():
        return "empty" if _is_blank(path) else "csv"
    if head.startswith(_OLE2):
        return "xls"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return "zip"
        return "xlsx" if any(n.startswith("xl/") for n in names) else "zip"
    text = head
    for bom in _TEXT_BOMS:
        if head.startswith(bom):
            text = head[len(bom) :]
            break
    else:
        if b"\x00" in head:
            return "binary"
    try:
        start = text.decode("utf-16" if head[:2] in _TEXT_BOMS[1:] else "latin-1").lstrip()
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes anything
        start = ""
    return "json" if start[:1] in ("[", "{") else "csv"


def accepted(fmt: str, formats: Sequence[str]) -> bool:
    """Whether a file of `fmt` is read by a source accepting `formats` (a source that reads
    one spreadsheet format reads the other: the same reader opens both)."""
    if fmt in formats:
        return True
    return fmt in SPREADSHEETS and any(f in SPREADSHEETS for f in formats)


# ------------------------------------------------------------------ header and leftovers
def header_position(rows: list[list[str]], columns: Sequence[str] | None) -> int:
    """Which of the first rows is the header: the first naming the most expected columns
    (rows above it are a title or notes, as spreadsheets export them); 0 when none names any
    or nothing is expected."""
    if not columns:
        return 0
    expected = {str(c).strip() for c in columns}
    scores = [len(expected & {str(v).strip() for v in row}) for row in rows[:_HEADER_SEARCH]]
    best = max(scores, default=0)
    return scores.index(best) if best else 0


def _names(header: list[str]) -> list[str]:
    """Column names: stripped; an empty one (a spreadsheet's trailing separator) becomes
    `Unnamed: i`, kept only while it holds values."""
    return [h.strip() or UNNAMED.format(i) for i, h in enumerate(header)]


def _drop_empty_unnamed(frame: pd.DataFrame) -> pd.DataFrame:
    empty = [
        c
        for c in frame.columns
        if str(c).startswith("Unnamed: ")
        and frame[c].map(lambda v: pd.isna(v) or (isinstance(v, str) and not v.strip())).all()
    ]
    return frame.drop(columns=empty) if empty else frame


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


_BLANK = r"^\s*$"


def _blank_rows(table: pa.Table) -> np.ndarray:
    """Rows whose every value is blank (a line of separators only, `,,,`): no record. Only
    the rows whose first value is blank are looked at further."""
    if not table.num_columns or not table.num_rows:
        return np.zeros(table.num_rows, dtype=bool)
    candidates = pc.match_substring_regex(table.column(0), _BLANK).fill_null(True)
    where = np.flatnonzero(candidates.to_numpy(zero_copy_only=False))
    blank = np.zeros(table.num_rows, dtype=bool)
    if len(where):
        some = table.take(pa.array(where))
        empty = np.ones(len(where), dtype=bool)
        for column in some.columns:
            empty &= (
                pc.match_substring_regex(column, _BLANK)
                .fill_null(True)
                .to_numpy(zero_copy_only=False)
            )
        blank[where] = empty
    return blank


# ------------------------------------------------------------------ CSV
@dataclass
class CsvLayout:
    encoding: str
    delimiter: str
    header: list[str]  # as written (a trailing empty name is a spreadsheet's separator)
    header_line: int  # 0-based physical line of the header (lines above: a title, notes)
    first_rows: list[list[str]]  # the first lines, parsed (header search window)


def csv_layout(path: Path, columns: Sequence[str] | None = None) -> CsvLayout:
    """A CSV file's encoding, delimiter and header line, as the reader finds them: the header
    is the line, among the first ones, naming the most `columns`."""
    encoding = detect_file_encoding(path)
    with path.open("rb") as fh:
        sample = fh.read(50_000).decode(encoding, errors="replace")
    lines = sample.split("\n")
    try:
        first = next(line for line in lines if line.strip())
        delimiter = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except (csv.Error, StopIteration):
        delimiter = ","
    parsed = [
        next(csv.reader(io.StringIO(line.rstrip("\r")), delimiter=delimiter), [])
        for line in lines[:_HEADER_SEARCH]
    ]
    at = header_position(parsed, columns)
    header = parsed[at] if at < len(parsed) else []
    if not any(h.strip() for h in header):
        raise ContractError.of("no_header")
    return CsvLayout(encoding, delimiter, header, at, parsed)


def iter_csv(
    path: Path,
    chunk_rows: int | None = None,
    columns: Sequence[str] | None = None,
    arrow_strings: bool = False,
) -> Iterator[ReadResult]:
    """The CSV file's rows in chunks; with `arrow_strings`, the values stay in Arrow
    (`pd.ArrowDtype(pa.string())` columns, no Python string per cell: the validation's path)."""
    if _is_blank(path):
        raise ContractError.of("file_empty")
    layout = csv_layout(path, columns)
    encoding, delimiter, header, at = (
        layout.encoding,
        layout.delimiter,
        layout.header,
        layout.header_line,
    )
    parsed = layout.first_rows
    names = _names(header)
    named = max(i for i, h in enumerate(header) if h.strip()) + 1  # trailing unnamed: leftovers
    # Spreadsheets write trailing separators on data lines too: widen to what the first data
    # lines hold when the extra fields are unnamed
    widest = max(
        (
            len(r)
            for r in parsed[at + 1 :]
            if any(v.strip() for v in r) and not any(v.strip() for v in r[named:])
        ),
        default=len(names),
    )
    names += [UNNAMED.format(i) for i in range(len(names), max(widest, len(names)))]
    skip = at + 1  # physical lines up to and including the header
    fields = [f"f{i}" for i in range(len(names))]
    invalid: list[int] = []  # record numbers of rows that are not data (malformed, blank, ...)
    malformed: list[dict[str, Any]] = []
    repaired: list[tuple[int, list[str]]] = []  # rows with unnamed fields added or left out

    def on_invalid(row: Any) -> str:
        if row.number is None or row.number < 0:  # pragma: no cover - serial parsing knows it
            raise ContractError(rule="contract_structure", detail="a line without a number")
        record = row.number - skip  # pyarrow numbers rows from the file's first line
        invalid.append(record)
        if not row.text.strip():
            return "skip"
        values = next(csv.reader(io.StringIO(row.text), delimiter=delimiter), [])
        if len(values) >= named and not any(v.strip() for v in values[named:]):
            values = (values + [""] * len(names))[: len(names)]
            repaired.append((record, values))
            return "skip"
        malformed.append(
            {
                RECORD: record,
                "raw": {"line": row.text},
                "reason": reason(
                    "malformed_line",
                    None,
                    row.text[:200],
                    found=row.actual_columns,
                    expected=named,
                ),
            }
        )
        return "skip"

    reader = pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(
            column_names=fields,
            skip_rows=skip,
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
            column_types={n: pa.string() for n in fields},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    decimal = "."
    done = 0  # valid rows already returned
    emitted_malformed = emitted_repaired = 0
    pending: list[pa.RecordBatch] = []
    pending_rows = 0

    def chunk(batches: list[pa.RecordBatch], rows: int) -> ReadResult:
        nonlocal decimal, done, emitted_malformed, emitted_repaired
        table = pa.Table.from_batches(batches, schema=reader.schema)
        records = _record_numbers(done, rows, np.sort(np.asarray(invalid, dtype=np.int64)))
        done += rows
        fixed = repaired[emitted_repaired:]
        emitted_repaired = len(repaired)
        if fixed:
            extra = pa.table(
                {f: [v[i] for _, v in fixed] for i, f in enumerate(fields)},
                schema=reader.schema,
            )
            table = pa.concat_tables([table, extra])
            records = np.concatenate([records, np.array([r for r, _ in fixed], dtype=np.int64)])
        if delimiter == ";":
            table, found = _decimal_commas(table)
            decimal = "," if found else decimal
        keep = ~_blank_rows(table)  # a line of blanks or separators is no row
        if arrow_strings:  # one buffer per column: later steps read it without a copy
            frame = table.combine_chunks().to_pandas(types_mapper=pd.ArrowDtype)
        else:
            frame = table.to_pandas()
        frame.columns = names
        if not keep.all():
            frame, records = frame[keep], records[keep]
        if len(records) and (np.diff(records) < 0).any():  # repaired rows come last: sort
            order = np.argsort(records, kind="stable")
            frame, records = frame.iloc[order], records[order]
        frame.insert(0, RECORD, records)
        frame.index = pd.RangeIndex(len(frame))
        frame = _drop_empty_unnamed(frame)
        bad = malformed[emitted_malformed:]
        emitted_malformed = len(malformed)
        return ReadResult(frame, bad, encoding, delimiter, decimal, "csv")

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
    if (
        pending_rows
        or not yielded
        or len(malformed) > emitted_malformed
        or len(repaired) > emitted_repaired
    ):
        yield chunk(pending, pending_rows)


def _arrow_encoding(encoding: str) -> str:
    # pyarrow reads UTF-8 natively and skips a BOM; other encodings go through Python codecs.
    return "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding


# ------------------------------------------------------------------ JSON
def _position(text: str, pos: int) -> dict[str, int]:
    """Line, column (1-based) and byte offset of character `pos` of `text`."""
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return {"line": line, "col": col, "pos": len(text[:pos].encode("utf-8"))}


def read_json(path: Path, record_key: str | None = None) -> ReadResult:
    data = path.read_bytes()
    text = data.decode(detect_encoding(data))
    if not text.strip():
        raise ContractError.of("file_empty")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        end = len(text.rstrip())
        if exc.pos >= end or exc.msg.startswith("Unterminated string"):
            raise ContractError.of("json_truncated", **_position(text, end)) from exc
        raise ContractError.of("json_invalid", detail=exc.msg, **_position(text, exc.pos)) from exc
    if isinstance(payload, dict):
        payload = payload.get("data", payload.get("items"))
    if not isinstance(payload, list):
        raise ContractError.of("json_not_records")
    if not payload:
        raise ContractError.of("json_no_record")
    good = [r for r in payload if isinstance(r, dict)]
    malformed = [
        {
            RECORD: i + 1,
            "raw": {"value": r},
            "reason": reason("not_an_object", None, repr(r)[:200]),
        }
        for i, r in enumerate(payload)
        if not isinstance(r, dict)
    ]
    frame = pd.DataFrame.from_records(good)
    frame.insert(0, RECORD, [i + 1 for i, r in enumerate(payload) if isinstance(r, dict)])
    frame = frame.astype(object).where(frame.notna(), None)
    return ReadResult(frame, malformed, encoding="utf-8", format="json")


# ------------------------------------------------------------------ spreadsheets
def read_excel(
    path: Path, sheet: str | int = 0, columns: Sequence[str] | None = None
) -> ReadResult:
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as exc:  # noqa: BLE001 - any parser failure means "not this format"
        raise ContractError.of("spreadsheet_unreadable", detail=str(exc)) from exc
    with book:
        if isinstance(sheet, str) and sheet not in book.sheet_names:
            raise ContractError.of(
                "sheet_missing", sheet=sheet, sheets=", ".join(map(str, book.sheet_names))
            )
        try:
            grid = book.parse(sheet, header=None, dtype=str)
        except Exception as exc:  # noqa: BLE001
            raise ContractError.of("spreadsheet_unreadable", detail=str(exc)) from exc
    grid = grid.astype(object).where(grid.notna(), None)
    rows = [["" if v is None else str(v) for v in row] for row in grid.head(_HEADER_SEARCH).values]
    at = header_position(rows, columns)
    if grid.empty or at >= len(grid):
        raise ContractError.of("sheet_empty", sheet=sheet)
    header = rows[at]
    frame = grid.iloc[at + 1 :].copy()
    frame.columns = _names(header)
    # a record's number is its row below the header (sheet row = header row + number)
    numbers = np.arange(1, len(frame) + 1)
    blank = frame.map(lambda v: v is None or not str(v).strip()).all(axis=1).to_numpy()
    frame, numbers = frame[~blank], numbers[~blank]
    if frame.empty:
        raise ContractError.of("sheet_empty", sheet=sheet)
    frame = _drop_empty_unnamed(frame)
    frame.insert(0, RECORD, numbers)
    frame.index = pd.RangeIndex(len(frame))
    return ReadResult(frame, format="xlsx")


def _in_chunks(result: ReadResult, chunk_rows: int | None, fmt: str) -> Iterator[ReadResult]:
    """A file read whole, cut into chunks (its malformed records go with the first)."""
    frame, step = result.frame, chunk_rows or len(result.frame) or 1
    for start in range(0, max(len(frame), 1), step):
        yield ReadResult(
            frame.iloc[start : start + step],
            result.malformed if start == 0 else [],
            result.encoding,
            result.delimiter,
            result.decimal,
            fmt,
        )


# ------------------------------------------------------------------ any file
def iter_file(
    path: Path,
    fmt: str,
    chunk_rows: int | None = None,
    *,
    formats: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    source: str | None = None,
    arrow_strings: bool = False,
    **options: Any,
) -> Iterator[ReadResult]:
    """The file's rows in chunks of at most `chunk_rows` (None: one chunk). At least one chunk
    is returned, possibly empty.

    `fmt` is the format declared by the source and `formats` every format it accepts (default:
    `fmt`); the file's own format is read from its content, and a file of a format the source
    does not accept is refused (ContractError `format_not_accepted`), as is a file that is not
    what it claims. `options` (e.g. `sheet`) are those of the declared format; `columns` (the
    contract's) locate the header below title lines. `arrow_strings`: CSV values stay in
    Arrow (see `iter_csv`)."""
    if fmt not in ("csv", "json", *SPREADSHEETS):
        raise ContractError(f"unknown format {fmt!r}")
    if not path.exists():
        raise ContractError(f"{path}: file not found")
    formats = tuple(formats or (fmt,))
    actual = sniff_format(path)
    if actual == "empty":
        raise ContractError.of("file_empty")
    if not accepted(actual, formats):
        raise ContractError.of(
            "format_not_accepted",
            actual=FORMAT_NAMES.get(actual, actual),
            accepted=" or ".join(sorted({f.upper() for f in formats})),
            source=source or "this source",
        )
    own = options if accepted(actual, (fmt,)) else {}  # the declared format's options
    if actual == "csv":
        yield from iter_csv(path, chunk_rows, columns, arrow_strings)
    elif actual == "json":
        yield from _in_chunks(read_json(path, **own), chunk_rows, actual)
    else:
        yield from _in_chunks(read_excel(path, columns=columns, **own), chunk_rows, actual)


def read_file(path: Path, fmt: str, **options: Any) -> ReadResult:
    """The whole file as one chunk."""
    return next(iter_file(path, fmt, None, **options))


def iter_source(
    path: Path, spec: Readable, chunk_rows: int | None = None, arrow_strings: bool = False
) -> Iterator[ReadResult]:
    """`iter_file` with what the source declares: its formats, options and columns."""
    return iter_file(
        path,
        spec.format,
        chunk_rows,
        formats=spec.formats,
        columns=spec.columns,
        source=spec.name,
        arrow_strings=arrow_strings,
        **spec.read_options,
    )


def read_source(path: Path, spec: Readable) -> ReadResult:
    """The whole file as one chunk, read as the source declares."""
    return next(iter_source(path, spec))
