"""Blanking records of a source file (for the erasure of a person).

A record is blanked, not removed: it keeps its place, so every other record keeps its number
and the lineage of published rows (`source_record`) still points at the right line. The
readers (`healthai.pipeline.readers`) then see no record there (a line of separators only, an
empty spreadsheet row), or an empty one (`{}` in a JSON array):

- CSV: the record's lines become one line of separators (as many fields as it had); every
  other line, the title lines and the header are kept byte for byte;
- JSON (an array, or an object holding it under `data` or `items`): the record becomes `{}`;
- XLSX: the record's cells are emptied (its row stays, empty).

The file's format is read from its content, as the readers do; old `.xls` workbooks cannot be
rewritten: `redact` raises `CannotRedact`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection
from pathlib import Path

from healthai.pipeline.readers import (
    Readable,
    csv_layout,
    detect_encoding,
    header_position,
    sniff_format,
)

HEADER_SEARCH = 20  # as the readers: the header is looked for in the first lines


class CannotRedact(Exception):
    """The file's format cannot be rewritten."""


def redact(path: Path, spec: Readable, records: Collection[int]) -> bytes:
    """The file's bytes with the given records (numbered as the readers number them for this
    source) blanked."""
    wanted = {int(r) for r in records}
    fmt = sniff_format(path)
    if fmt == "csv":
        return _csv(path, spec, wanted)
    if fmt == "json":
        return _json(path, wanted)
    if fmt == "xlsx":
        sheet = spec.read_options.get("sheet", 0) if spec.format in ("xlsx", "xls") else 0
        return _xlsx(path, spec, wanted, sheet)
    raise CannotRedact(f"{path.name}: a file of this kind ({fmt}) cannot be rewritten")


def _csv(path: Path, spec: Readable, wanted: set[int]) -> bytes:
    layout = csv_layout(path, spec.columns)  # encoding, delimiter, header as the reader sees
    delimiter = layout.delimiter
    text = path.read_bytes().decode(layout.encoding)  # utf-8-sig drops the BOM, writes it back
    lines = io.StringIO(text, newline="").readlines()
    skip = layout.header_line + 1  # title lines and the header
    out = lines[:skip]
    reader = csv.reader(iter(lines[skip:]), delimiter=delimiter)
    done = 0  # lines consumed after the header
    record = 0
    for row in reader:
        start, done = done, reader.line_num
        part = lines[skip + start : skip + done]
        if not row:  # an empty line is no record for the readers either
            out += part
            continue
        record += 1
        if record not in wanted:
            out += part
            continue
        last = part[-1]
        ending = last[len(last.rstrip("\r\n")) :] or "\n"
        out.append(delimiter * max(len(row) - 1, 1) + ending)
    out += lines[skip + done :]
    return "".join(out).encode(layout.encoding)


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


def _xlsx(path: Path, spec: Readable, wanted: set[int], sheet: str | int) -> bytes:
    import openpyxl

    book = openpyxl.load_workbook(path)
    ws = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet]
    first = [
        ["" if v is None else str(v) for v in row]
        for row in ws.iter_rows(min_row=1, max_row=HEADER_SEARCH, values_only=True)
    ]
    header = header_position(first, spec.columns) + 1  # the header's row (1-based)
    for record in wanted:  # a record's number is its row below the header
        for cell in ws[header + record]:
            cell.value = None
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
