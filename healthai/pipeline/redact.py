"""Blanking records of a source file (for the erasure of a person).

A record is blanked, not removed: it keeps its place, so every other record keeps its number
and the lineage of published rows (`source_record`) still points at the right line. What the
readers (`healthai.pipeline.readers`) then see at that place is a record without a value:

- CSV: the record's lines become one line of empty fields (as many as it had); the other
  lines are kept byte for byte;
- JSON (an array, or an object holding it under `data` or `items`): the record becomes `{}`;
- XLSX: the record's cells are emptied (its row stays, empty).

Other formats (old `.xls`) cannot be rewritten: `redact` raises `CannotRedact`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

from healthai.pipeline.readers import detect_encoding, detect_file_encoding, iter_file


class CannotRedact(Exception):
    """The file's format cannot be rewritten."""


def redact(path: Path, fmt: str, records: Collection[int], **read_options: Any) -> bytes:
    """The file's bytes with the given records (1-based, as the readers number them)
    blanked; `read_options` are the source's (e.g. the sheet of a workbook)."""
    wanted = {int(r) for r in records}
    if fmt == "csv":
        return _csv(path, wanted)
    if fmt == "json":
        return _json(path, wanted)
    if fmt == "xlsx":
        return _xlsx(path, wanted, read_options.get("sheet", 0))
    raise CannotRedact(f"{path.name}: files in {fmt!r} format cannot be rewritten")


def _csv(path: Path, wanted: set[int]) -> bytes:
    encoding = detect_file_encoding(path)
    delimiter = next(iter_file(path, "csv", 1)).delimiter or ","
    text = path.read_bytes().decode(encoding)  # utf-8-sig drops the BOM, and writes it back
    lines = io.StringIO(text, newline="").readlines()
    out: list[str] = []
    reader = csv.reader(iter(lines), delimiter=delimiter)
    done = 0  # lines consumed so far
    record = -1  # the header is record 0 (the readers skip it)
    for row in reader:
        start, done = done, reader.line_num
        if not row:  # a blank line is no record for the readers either
            out += lines[start:done]
            continue
        record += 1
        if record not in wanted:
            out += lines[start:done]
            continue
        last = lines[done - 1]
        ending = last[len(last.rstrip("\r\n")) :] or "\n"
        out.append((delimiter * (len(row) - 1) if len(row) > 1 else '""') + ending)
    out += lines[done:]
    return "".join(out).encode(encoding)


def _json(path: Path, wanted: set[int]) -> bytes:
    raw = path.read_bytes()
    payload = json.loads(raw.decode(detect_encoding(raw)))
    items = payload
    if isinstance(payload, dict):
        items = payload.get("data", payload.get("items"))
    if not isinstance(items, list):
        raise CannotRedact(f"{path.name}: not a JSON array of records")
    for index in range(len(items)):
        if index + 1 in wanted:
            items[index] = {}
    return json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")


def _xlsx(path: Path, wanted: set[int], sheet: str | int) -> bytes:
    import openpyxl

    book = openpyxl.load_workbook(path)
    ws = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet]
    for record in wanted:  # record 1 is the sheet's second row (the first is the header)
        for cell in ws[record + 1]:
            cell.value = None
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
