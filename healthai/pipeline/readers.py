"""Read any landed file into a frame of raw values, keeping malformed lines instead of skipping.

Every frame returned has a `_record` column: the row's 1-based position in the source (header
excluded) for tabular files, or the record's index for JSON arrays. Values are kept as read
(strings for CSV/Excel), so the contract, not the reader, decides what is valid.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from charset_normalizer import from_bytes

from healthai.pipeline.errors import ContractError

RECORD = "_record"
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")


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


def read_csv(path: Path) -> ReadResult:
    data = path.read_bytes()
    if not data.strip():
        raise ContractError(f"{path.name}: the file is empty")
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    sample = text[:50_000]
    try:
        dialect = csv.Sniffer().sniff(sample.splitlines()[0], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raise ContractError(f"{path.name}: no header line") from exc
    rows: list[list[str]] = []
    records: list[int] = []
    malformed: list[dict[str, Any]] = []
    for number, row in enumerate(reader, start=1):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line: nothing to keep
        if len(row) != len(header):
            malformed.append(
                {
                    RECORD: number,
                    "raw": {"line": delimiter.join(row)},
                    "reason": {
                        "rule": "malformed_line",
                        "column": None,
                        "value": f"{len(row)} fields where the header has {len(header)}",
                    },
                }
            )
            continue
        rows.append(row)
        records.append(number)
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    decimal = "."
    if delimiter == ";":
        values = frame.stack() if not frame.empty else pd.Series(dtype=object)
        if len(values) and values.astype(str).str.match(_DECIMAL_COMMA).any():
            decimal = ","
            frame = frame.apply(
                lambda col: col.map(
                    lambda v: (
                        v.replace(",", ".") if isinstance(v, str) and _DECIMAL_COMMA.match(v) else v
                    )
                )
            )
    frame.insert(0, RECORD, records)
    return ReadResult(frame, malformed, encoding, delimiter, decimal)


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


def read_file(path: Path, fmt: str, **options: Any) -> ReadResult:
    readers = {"csv": read_csv, "json": read_json, "xlsx": read_excel, "xls": read_excel}
    if fmt not in readers:
        raise ContractError(f"unknown format {fmt!r}")
    if not path.exists():
        raise ContractError(f"{path}: file not found")
    return readers[fmt](path, **options)
